"""Subscriptions: plans (plans.py), subscribing and changing plans (subscriptions.py), their
order kinds (orders.py), the state transitions (state.py) and the periodic billing pass
(billing_run.py)."""
