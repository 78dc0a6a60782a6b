"""Subscriptions: plans (plans.py), subscribing and changing plans (subscriptions.py), their
order kinds (orders.py), the subscription documents and their state transitions (state.py, the
only code that reads or writes them), the records handlers get (records.py) and the periodic
billing pass (billing_run.py)."""
