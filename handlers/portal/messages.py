"""What the portal tells a person when the API's use cases refuse something: the error's
machine code → a translated sentence (the API's own messages are English, for developers).
A code not listed shows a general sentence, never a stack trace."""
from __future__ import annotations

from billing.errors import BillingError
from handlers.portal.i18n import _


def error_text(exc: BillingError) -> str:
    known = {
        "validation_error": _("Check this value."),
        "not_found": _("Not found."),
        "conflict": _("This cannot be done in the current state. Reload the page."),
        "payments_unavailable": _("Payments are not available right now. Try again later."),
        "billing_info_incomplete": _("Fill in your billing information first."),
        "already_renewed": _("The next period is already paid."),
        "nothing_to_renew": _("There is nothing to renew: the next period costs nothing."),
        "next_period_already_paid": _("The next period is already paid; it can no longer be "
                                      "changed."),
        "no_scheduled_change": _("There is no scheduled change to undo any more."),
        "scheduled_change_paid": _("This change is already paid; it can no longer be undone."),
        "plan_unchanged": _("This is already your plan."),
        "invoice_not_payable": _("This invoice cannot be paid any more. Reload the page."),
    }
    return known.get(exc.code, _("This could not be done. Try again."))
