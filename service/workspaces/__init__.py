"""Workspaces: workspaces and their API keys, authentication and tenancy (workspaces.py),
resellers (resellers.py) and the first-run onboarding (onboarding.py); the records they hand out
(records.py), the only code that sees their documents (repository.py), and what other features
may ask of a workspace (lookup.py)."""
