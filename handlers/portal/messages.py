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
        "quantity_above_maximum": _("That is more than the most you can have of this add-on."),
        "addon_multiple_not_allowed": _("This add-on is sold one at a time."),
        "addon_already_added": _("You already have this add-on. Manage it under Add-ons."),
        "addon_not_applicable": _("This add-on is not available on your plan."),
        "addon_inactive": _("This add-on is no longer sold."),
        "addon_period_not_available": _("This add-on is not sold for your billing period."),
        "addon_requires": _("This add-on needs another add-on first."),
        "addon_incompatible": _("This add-on cannot be combined with one you have."),
        "addon_required_by": _("Another add-on you have needs this one: stop that one first."),
        "addon_one_time": _("A one-time add-on cannot be changed; buy it again instead."),
        "prorated_credit_unavailable": _("This add-on can only be stopped at the end of the "
                                         "period."),
        "holding_changed": _("This add-on was just changed. Reload the page and try again."),
        "next_period_already_paid": _("The next period is already paid, so this cannot be "
                                      "changed now."),
    }
    return known.get(exc.code, _("This could not be done. Try again."))
