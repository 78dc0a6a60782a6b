"""Shared MongoDB mechanics: the client and indexes (store.py), the embedded NX-27017 server,
revision-checked replaces, coalescing, document codecs (docs.py), the event outbox and a small
in-process hint cache. Features use these; none of it knows a billing rule."""
