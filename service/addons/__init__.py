"""Add-ons: the catalog (catalog.py, its records in records.py), what a workspace holds
(holdings.py), buying (purchases.py), switching (switch.py), renewals (renewals.py), the add-on
order kind (orders.py) and the transitions between add-on states (transitions.py)."""
