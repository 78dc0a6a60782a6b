"""The words of the WhatsApp Balance pages (and of the usage CSV): balance names, top-up
statuses, usage activities and the rate line, translated in the request's language."""
from __future__ import annotations

from babel.numbers import format_decimal

from billing.wallet import Entry, activity
from handlers.portal.i18n import LANG, _, money, ngettext
from service.wallet.summary import BalanceView


def balance_name(kind: str) -> str:
    return {"conversation": _("Conversation balance"),
            "broadcast": _("Broadcast balance")}.get(kind, kind)


def topup_status(status: str) -> tuple[str, str]:
    """(label, badge class) of a top-up's status."""
    return {"pending": (_("Waiting for payment"), "warn"), "paid": (_("Paid"), "ok"),
            "expired": (_("Expired"), "bad"), "failed": (_("Failed"), "bad"),
            "cancelled": (_("Cancelled"), "bad")}.get(status, (status, ""))


def activity_names() -> dict[str, str]:
    """Every activity of billing.wallet.ACTIVITIES, in the filter's order."""
    return {"reply": _("Reply"), "broadcast": _("Broadcast"), "grant": _("Plan grant"),
            "expiry": _("Expiry of granted balance"), "topup": _("Top-up"),
            "arrears_settlement": _("Arrears settlement"), "addon_credit": _("Add-on credit"),
            "refund": _("Refund")}


def activity_of(entry: Entry) -> str:
    """What a person reads an entry as; a charge the balance could not cover says so."""
    if entry.kind == "arrears":
        return _("Reply (into arrears)") if entry.balance == "conversation" else \
            _("Broadcast (into arrears)")
    name = activity(entry)
    return activity_names().get(name, name)


def rate_line(view: BalanceView) -> str:
    """E.g. `Rp30 per reply · about 500 replies` (the count from the use case, rounded down)."""
    price = money(view.rate)
    if view.kind == "conversation":
        rate = _("%(price)s per reply") % {"price": price}
    else:
        rate = _("%(price)s per broadcast message") % {"price": price}
    if view.messages is None:
        return rate
    count = format_decimal(view.messages, locale=LANG.get())
    if view.kind == "conversation":
        about = ngettext("about %(count)s reply", "about %(count)s replies", view.messages)
    else:
        about = ngettext("about %(count)s broadcast message",
                         "about %(count)s broadcast messages", view.messages)
    return f"{rate} · {about % {'count': count}}"
