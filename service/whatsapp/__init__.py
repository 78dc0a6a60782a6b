"""WhatsApp: the webhook pipeline (verify, record raw, process, sweep: webhooks.py), its MongoDB
side (raw payloads and per-wamid message records: log.py; payload storage: payloads.py)."""
