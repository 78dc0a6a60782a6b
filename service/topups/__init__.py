"""Top-ups: ordering a wallet top-up and the order kind that credits the wallet once its invoice
is paid (topups.py)."""
