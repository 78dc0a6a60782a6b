"""Payments: providers (payments.py), checkout of an invoice (checkout.py), settling an invoice
through its order kind (orders.py), provider callbacks (settlement.py), the recovery sweeper
(sweeper.py) and the sandbox provider with its checkout page (sandbox*.py)."""
