"""Credit (issue 12, screen 10): the account credit balance and its history, as
`GET …/credit` gives them (service/credit/credit.history): money owed back (an add-on stopped
now, an excess), used first on the next invoice ("Credit applied"), given back when that invoice
closes unpaid. Newest first, paged by the use case's cursor. Tax shows on the invoices
(handlers/portal/invoices.py) where it is configured."""
from __future__ import annotations

from aiohttp import web

from billing.errors import BillingError
from billing.money import Money
from handlers.http import services
from handlers.portal.i18n import _
from handlers.portal.web import WORKSPACE, page, render
from service.credit.credit import history

routes = web.RouteTableDef()
PAGE = 25


def entry_kind(kind: str) -> str:
    return {"credit": _("Credit added"), "applied": _("Used on an invoice"),
            "returned": _("Returned: the invoice was not paid")}.get(kind, kind)


def cause(key: str) -> str:
    """What an entry came from, by its ledger key's prefix (billing/ledger_keys.py)."""
    prefix = key.split(":", 1)[0]
    return {"addon_refund": _("Add-on stopped or reduced"),
            "addon_excess": _("Add-on paid twice"),
            "credit_applied": _("Invoice"), "credit_returned": _("Invoice")}.get(prefix, "")


@routes.get("/portal/credit")
@page
async def credit(request: web.Request) -> web.StreamResponse:
    try:
        found = await history(services(request), request[WORKSPACE].id, PAGE,
                              request.query.get("cursor") or None)
    except BillingError:
        return render(request, "portal/error.html", {"message": _(
            "This page link is not valid. Open the Credit page again.")}, status=400)
    balances = [a.balance for a in found.accounts] or [Money.idr(0)]
    return render(request, "portal/credit/index.html", {
        "balances": balances, "entries": found.entries, "older": found.next_cursor,
        "paged": "cursor" in request.query, "entry_kind": entry_kind, "cause": cause})
