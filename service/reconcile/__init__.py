"""Reconcile: balances against their ledger, ledger entries against their causes (issue 18)."""
