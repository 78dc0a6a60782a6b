"""What the portal tells a person when the API's use cases refuse something: the error's
machine code → a translated sentence (the API's own messages are English, for developers).
A code not listed shows a general sentence, never a stack trace."""
from __future__ import annotations

from billing.errors import BillingError
from handlers.portal.i18n import _, money


def _limit(exc: BillingError, key: str) -> str:
    value = (exc.details or {}).get(key)
    return money(value) if isinstance(value, dict) else str(value)


def error_text(exc: BillingError) -> str:
    # sentences with the error's details: formatted only for their own code
    if exc.code == "topup_below_minimum":
        return _("The smallest top-up of this balance is %(amount)s.",
                 amount=_limit(exc, "minimum"))
    if exc.code == "topup_above_maximum":
        return _("The largest top-up of this balance is %(amount)s.",
                 amount=_limit(exc, "maximum"))
    known = {
        "validation_error": _("Check this value."),
        "not_found": _("Not found."),
        "conflict": _("This cannot be done in the current state. Reload the page."),
        "payments_unavailable": _("Payments are not available right now. Try again later."),
        "billing_info_incomplete": _("Fill in your billing information first."),
        "idempotency_in_progress": _("This form is already being sent. Wait a moment, then "
                                     "reload the page."),
        "plan_unchanged": _("This is already your plan and period. Choose another one."),
        "next_period_already_paid": _("Your next period is already paid; the plan can no "
                                      "longer be changed for it."),
        "quantity_above_maximum": _("That is more than the most you can have of this add-on."),
        "addon_multiple_not_allowed": _("This add-on is sold one at a time."),
        "addon_not_found": _("This add-on is not available."),
        "addon_not_applicable": _("This add-on is not available on this plan."),
        "addon_period_not_available": _("This add-on is not sold for this period."),
        "addon_requires": _("This add-on needs another add-on first."),
        "addon_incompatible": _("This add-on cannot be combined with one you have."),
        "addon_currency_mismatch": _("This add-on is priced in another currency: buy it on its "
                                     "own from the Add-ons page."),
        "plan_not_found": _("This plan does not exist."),
        "period_not_available": _("This plan is not sold for this period."),
        "already_renewed": _("The next period is already paid."),
        "nothing_to_renew": _("There is nothing to renew: the next period costs nothing."),
        "no_scheduled_change": _("There is no scheduled change to undo any more."),
        "scheduled_change_paid": _("This change is already paid; it can no longer be undone."),
        "invoice_not_payable": _("This invoice cannot be paid any more. Reload the page."),
        "addon_already_added": _("You already have this add-on. Manage it under Add-ons."),
        "addon_inactive": _("This add-on is no longer sold."),
        "addon_required_by": _("Another add-on you have needs this one: stop that one first."),
        "addon_one_time": _("A one-time add-on cannot be changed; buy it again instead."),
        "prorated_credit_unavailable": _("This add-on can only be stopped at the end of the "
                                         "period."),
        "holding_changed": _("This add-on was just changed. Reload the page and try again."),
    }
    return known.get(exc.code, _("This could not be done. Try again."))
