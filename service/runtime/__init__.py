"""The runtime: settings, the clock, the app factory (app.py), the composition root that opens
the services (bootstrap.py), background sweepers, logging, and the HTTP Idempotency-Key store."""
