"""Saldo's domain errors. Each has a stable machine-readable `code`; HTTP mapping lives in handlers/.

    BillingError
    ├── ValidationFailed        validation_error (and domain codes such as topup_below_minimum)
    │   └── CurrencyMismatch    currency_mismatch (Money of two currencies combined)
    ├── Unauthorized            unauthorized
    ├── NotFound                not_found (also plan_not_found of a path; a body's: 422)
    ├── Conflict                conflict (also idempotency_in_progress)
    ├── InsufficientBalance     insufficient_balance
    ├── IdempotencyKeyReused    idempotency_key_reused
    └── PayloadRejected         invalid_json, payload_too_large, unsupported_media_type
"""
from __future__ import annotations


class BillingError(Exception):
    code = "billing_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details


class ValidationFailed(BillingError):
    code = "validation_error"


class CurrencyMismatch(ValidationFailed):
    """Two amounts of different currencies were added, subtracted or compared (422)."""
    code = "currency_mismatch"


class Unauthorized(BillingError):
    code = "unauthorized"


class NotFound(BillingError):
    code = "not_found"


class Conflict(BillingError):
    code = "conflict"


class InsufficientBalance(BillingError):
    code = "insufficient_balance"


class IdempotencyKeyReused(BillingError):
    code = "idempotency_key_reused"


class PayloadRejected(BillingError):
    code = "invalid_json"
