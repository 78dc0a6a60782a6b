"""Previews: what any order will cost, before it is placed (previews.py)."""
