"""Saldo's domain errors: one class per stable, machine-readable `code`.

Raise the class, never a code string: `raise PlanUnchanged("…", field="plan")`. The HTTP
status follows from the class and is chosen once, in handlers/http.py (billing/ knows no
status codes); tests/handlers/test_error_classes.py checks that every code is unique and maps
to exactly one status. The tree (code, then the status the middleware gives it):

    BillingError                        billing_error                  400
    ├── ValidationFailed                validation_error               422
    │   ├── CurrencyMismatch            currency_mismatch              422
    │   ├── AddonCurrencyMismatch       addon_currency_mismatch        422
    │   ├── TopupBelowMinimum           topup_below_minimum            422
    │   ├── TopupAboveMaximum           topup_above_maximum            422
    │   ├── PeriodNotFound              period_not_found               422
    │   ├── PeriodNotAvailable          period_not_available           422
    │   ├── FreePlanMustBeFree          free_plan_must_be_free         422
    │   ├── BeforeAnchor                before_anchor                  422
    │   ├── PaymentAmountMismatch       payment_amount_mismatch        422
    │   ├── PaymentRequired             payment_required               422
    │   ├── ComplimentaryNeedsPaidPlan  complimentary_needs_paid_plan  422
    │   ├── QuantityAboveMaximum        quantity_above_maximum         422
    │   ├── UnknownAddon                addon_not_found                422
    │   ├── AddonInactive               addon_inactive                 422
    │   ├── AddonNotApplicable          addon_not_applicable           422
    │   ├── AddonPeriodNotAvailable     addon_period_not_available     422
    │   ├── AddonMultipleNotAllowed     addon_multiple_not_allowed     422
    │   ├── AddonRequires               addon_requires                 422
    │   ├── AddonIncompatible           addon_incompatible             422
    │   ├── ProratedCreditUnavailable   prorated_credit_unavailable    422
    │   └── WebhookUrlRefused           webhook_url_refused            422
    ├── Unauthorized                    unauthorized                   401
    ├── NotFound                        not_found                      404
    │   ├── PlanNotFound                plan_not_found                 404
    │   └── NoScheduledChange           no_scheduled_change            404
    ├── Conflict                        conflict                       409
    │   ├── IdempotencyInProgress       idempotency_in_progress        409
    │   ├── PaymentsUnavailable         payments_unavailable           409
    │   ├── PlanUnchanged               plan_unchanged                 409
    │   ├── ScheduledChangePaid         scheduled_change_paid          409
    │   ├── NothingToRenew              nothing_to_renew               409
    │   ├── AlreadyRenewed              already_renewed                409
    │   ├── NextPeriodAlreadyPaid       next_period_already_paid       409
    │   ├── AddonNameTaken              addon_name_taken               409
    │   ├── AddonInUse                  addon_in_use                   409
    │   ├── AddonAlreadyAdded           addon_already_added            409
    │   ├── AddonOneTime                addon_one_time                 409
    │   ├── AddonRequiredBy             addon_required_by              409
    │   ├── HoldingChanged              holding_changed                409
    │   ├── InvoiceNotPayable           invoice_not_payable            409
    │   ├── BillingInfoIncomplete       billing_info_incomplete        409
    │   └── PaymentNotRefundable        payment_not_refundable         409
    ├── InsufficientBalance             insufficient_balance           402
    ├── IdempotencyKeyReused            idempotency_key_reused         422
    ├── StoreUnavailable                store_unavailable              503
    ├── GatewayUnavailable              payment_gateway_unavailable    503
    └── PayloadRejected                 payload_rejected               400
        ├── InvalidJson                 invalid_json                   400
        ├── PayloadTooLarge             payload_too_large              413
        └── UnsupportedMediaType        unsupported_media_type         415
"""
from __future__ import annotations


class BillingError(Exception):
    """The root; `code` is the class's, `field` names the input at fault, `details` explains."""
    code = "billing_error"

    def __init__(self, message: str, *, field: str | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class ValidationFailed(BillingError):
    code = "validation_error"


class CurrencyMismatch(ValidationFailed):
    """Two amounts of different currencies were combined."""
    code = "currency_mismatch"


class AddonCurrencyMismatch(ValidationFailed):
    """An immediate upgrade lists an add-on in another currency."""
    code = "addon_currency_mismatch"


class TopupBelowMinimum(ValidationFailed):
    code = "topup_below_minimum"


class TopupAboveMaximum(ValidationFailed):
    code = "topup_above_maximum"


class PeriodNotFound(ValidationFailed):
    """A period unit that does not exist (`field: period`)."""
    code = "period_not_found"


class PeriodNotAvailable(ValidationFailed):
    """The plan is not sold in that period unit."""
    code = "period_not_available"


class FreePlanMustBeFree(ValidationFailed):
    code = "free_plan_must_be_free"


class BeforeAnchor(ValidationFailed):
    """A date before the subscription's anchor."""
    code = "before_anchor"


class PaymentAmountMismatch(ValidationFailed):
    """A provider reported another amount than the invoice's."""
    code = "payment_amount_mismatch"


class PaymentRequired(ValidationFailed):
    """A paid plan needs a payment (or `complimentary`)."""
    code = "payment_required"


class ComplimentaryNeedsPaidPlan(ValidationFailed):
    code = "complimentary_needs_paid_plan"


class QuantityAboveMaximum(ValidationFailed):
    code = "quantity_above_maximum"


class UnknownAddon(ValidationFailed):
    """A plan change's `addons` names an unknown or hidden add-on (a body list: 422)."""
    code = "addon_not_found"


class AddonInactive(ValidationFailed):
    code = "addon_inactive"


class AddonNotApplicable(ValidationFailed):
    code = "addon_not_applicable"


class AddonPeriodNotAvailable(ValidationFailed):
    code = "addon_period_not_available"


class AddonMultipleNotAllowed(ValidationFailed):
    code = "addon_multiple_not_allowed"


class AddonRequires(ValidationFailed):
    """`details.missing`: the add-ons it needs."""
    code = "addon_requires"


class AddonIncompatible(ValidationFailed):
    code = "addon_incompatible"


class ProratedCreditUnavailable(ValidationFailed):
    code = "prorated_credit_unavailable"


class WebhookUrlRefused(ValidationFailed):
    """An outbound webhook URL Saldo will not call: not https, or a private address."""
    code = "webhook_url_refused"


class Unauthorized(BillingError):
    code = "unauthorized"


class NotFound(BillingError):
    code = "not_found"


class PlanNotFound(NotFound):
    """A plan id the caller gave, in the path or in a body (`field`), is unknown."""
    code = "plan_not_found"


class NoScheduledChange(NotFound):
    code = "no_scheduled_change"


class Conflict(BillingError):
    code = "conflict"


class IdempotencyInProgress(Conflict):
    """The first request with this Idempotency-Key is still running."""
    code = "idempotency_in_progress"


class PaymentsUnavailable(Conflict):
    """No payment provider is configured."""
    code = "payments_unavailable"


class PlanUnchanged(Conflict):
    code = "plan_unchanged"


class ScheduledChangePaid(Conflict):
    code = "scheduled_change_paid"


class NothingToRenew(Conflict):
    code = "nothing_to_renew"


class AlreadyRenewed(Conflict):
    code = "already_renewed"


class NextPeriodAlreadyPaid(Conflict):
    code = "next_period_already_paid"


class AddonNameTaken(Conflict):
    code = "addon_name_taken"


class AddonInUse(Conflict):
    code = "addon_in_use"


class AddonAlreadyAdded(Conflict):
    code = "addon_already_added"


class AddonOneTime(Conflict):
    """A one-time add-on has no quantity to change and no place in a plan change."""
    code = "addon_one_time"


class AddonRequiredBy(Conflict):
    """`details.required_by`: the held add-ons needing it."""
    code = "addon_required_by"


class HoldingChanged(Conflict):
    """A concurrent change won; retryable."""
    code = "holding_changed"


class InvoiceNotPayable(Conflict):
    """Pay later: the invoice is paid, expired, failed or cancelled (`details.status`)."""
    code = "invoice_not_payable"


class BillingInfoIncomplete(Conflict):
    """An order that needs the workspace's billing information; `details.missing`: the fields."""
    code = "billing_info_incomplete"


class PaymentNotRefundable(Conflict):
    """A refund asked for a payment that is not `needs_refund` (`details.status`)."""
    code = "payment_not_refundable"


class InsufficientBalance(BillingError):
    code = "insufficient_balance"


class IdempotencyKeyReused(BillingError):
    code = "idempotency_key_reused"


class StoreUnavailable(BillingError):
    """The store cannot be reached; nothing was decided, retry after `Retry-After`."""
    code = "store_unavailable"


class GatewayUnavailable(BillingError):
    """A payment gateway timed out, failed (5xx) or rate-limited us past the retries; nothing
    was decided on Saldo's side, retry after `Retry-After`."""
    code = "payment_gateway_unavailable"


class PayloadRejected(BillingError):
    code = "payload_rejected"


class InvalidJson(PayloadRejected):
    code = "invalid_json"


class PayloadTooLarge(PayloadRejected):
    code = "payload_too_large"


class UnsupportedMediaType(PayloadRejected):
    code = "unsupported_media_type"
