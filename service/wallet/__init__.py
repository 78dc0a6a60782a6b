"""The prepaid wallet: the ledger (balances change only with an immutable, idempotent entry:
ledger.py) and the read models over it (usage history: reports.py;
reconciliation is service/reconcile/)."""
