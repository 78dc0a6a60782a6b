"""Outbound webhooks (issue 15 items 4-5): endpoints registered by a workspace, a reseller or the
admin, and the signed, at-least-once delivery of the `events` collection to them."""
