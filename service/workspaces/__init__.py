"""Workspaces: workspaces and their API keys, authentication and tenancy (workspaces.py),
resellers (resellers.py) and the first-run onboarding (onboarding.py)."""
