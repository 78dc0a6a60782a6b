"""Account credit: refunds kept per workspace and currency, spent by the next invoices."""
