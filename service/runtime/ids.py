"""Every generated id, in one place: the time-ordered seed and the prefixed ids built from it,
and the random ones (workspace ids, API keys).

A seed is milliseconds first, then 64 random bits: ids built from it sort newest-last by `_id`
and cannot be guessed. One request has one seed (handlers.idempotency keeps it across a
retried Idempotency-Key), so the order, invoice and payment it creates share it:
`top_<seed>`, `inv_<seed>`, `pay_<seed>`; a retry rebuilds the same ids.
"""
from __future__ import annotations

import secrets
from datetime import datetime


def new_seed(now: datetime) -> str:
    """Time-ordered (milliseconds first) and unguessable: ids sort newest-last by `_id`."""
    return f"{int(now.timestamp() * 1000):013d}{secrets.token_hex(8)}"


def invoice_id(seed: str) -> str:
    return f"inv_{seed}"


def payment_id(seed: str) -> str:
    return f"pay_{seed}"


def topup_id(seed: str) -> str:
    return f"top_{seed}"


def addon_order_id(seed: str) -> str:
    return f"ao_{seed}"


def addon_id(now: datetime) -> str:
    return f"ad_{new_seed(now)}"


def reseller_id(now: datetime) -> str:
    return f"rs_{new_seed(now)}"


def workspace_id() -> str:
    return f"ws_{secrets.token_hex(8)}"


def api_key(prefix: str) -> str:
    """A secret API key (`sk_ws_…`, `sk_rs_…`); only its hash is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"
