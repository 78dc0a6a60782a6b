"""What the portal tells a person when the API's use cases refuse something: the error's
machine code → a translated sentence (the API's own messages are English, for developers).
A code not listed shows a general sentence, never a stack trace."""
from __future__ import annotations

from billing.errors import BillingError
from handlers.portal.i18n import _, money


def error_text(exc: BillingError) -> str:
    known = {
        "validation_error": _("Check this value."),
        "not_found": _("Not found."),
        "conflict": _("This cannot be done in the current state. Reload the page."),
        "payments_unavailable": _("Payments are not available right now. Try again later."),
        "billing_info_incomplete": _("Fill in your billing information first."),
        "topup_below_minimum": _("The smallest top-up of this balance is %(amount)s.")
        % {"amount": money((exc.details or {}).get("minimum"))},
        "topup_above_maximum": _("The largest top-up of this balance is %(amount)s.")
        % {"amount": money((exc.details or {}).get("maximum"))},
        "invoice_not_payable": _("This invoice cannot be paid any more."),
        "idempotency_in_progress": _("This form is already being sent. Wait a moment, then "
                                     "reload the page."),
    }
    return known.get(exc.code, _("This could not be done. Try again."))
