"""WhatsApp Balance (issue 12, screen 6): the conversation and broadcast balances with their
rates (service/wallet/summary.py, as GET …/wallet), Top up (the limits of GET …/topups/limits,
preset amounts within them; Continue to Payment is placed once, then the provider's checkout),
and the Top-up History (Riwayat Top Up) with a page per top-up. The Usage History is
handlers/portal/balance_usage.py."""
from __future__ import annotations

import re

from aiohttp import web

from billing.errors import BillingError
from billing.money import Money
from handlers.http import request_now, services
from handlers.portal import balance_words as words
from handlers.portal.i18n import _
from handlers.portal.once import once
from handlers.portal.web import WORKSPACE, field_errors, page, render
from service.topups.topups import find_topup, list_topups, order_topup, topup_limits
from service.wallet.summary import wallet_summary

routes = web.RouteTableDef()
PRESETS = (50_000, 100_000, 250_000)     # shown when within the balance's limits
RECENT = 5                               # top-ups on the balance page
PAGE = 20                                # top-ups per page of the history
WORDS = {"balance_name": words.balance_name, "topup_status": words.topup_status}
# Whole rupiah as people type them: 50000, 50.000, 50,000, Rp 50.000 (never a fraction).
_AMOUNT = re.compile(r"[0-9]{1,15}|[0-9]{1,3}(?:[.,][0-9]{3})+")


def parse_rupiah(raw: str) -> int | None:
    text = re.sub(r"\s", "", raw)
    text = re.sub(r"^(?:rp|idr)", "", text, flags=re.IGNORECASE)
    return int(re.sub(r"[.,]", "", text)) if _AMOUNT.fullmatch(text) else None


@routes.get("/portal/balance")
@page
async def balance(request: web.Request) -> web.StreamResponse:
    svc, workspace = services(request), request[WORKSPACE]
    views = await wallet_summary(svc, workspace.id)
    recent, older = await list_topups(svc, workspace.id, limit=RECENT, cursor=None)
    cards = [{"view": view, "name": words.balance_name(kind), "rate": words.rate_line(view)}
             for kind, view in views.items()]
    return render(request, "portal/balance/index.html", {
        "cards": cards, "topups": recent, "more_topups": older is not None, **WORDS})


@routes.get("/portal/balance/topup")
@page
async def topup_form(request: web.Request) -> web.StreamResponse:
    amount = request.query.get("amount", "")
    return _form(request, request.query.get("balance", ""),
                 amount if parse_rupiah(amount) is not None else "", {})


@routes.post("/portal/balance/topup")
@page
async def topup_order(request: web.Request) -> web.StreamResponse:
    """Continue to Payment: the top-up is ordered once per form (a double submit gets the first
    answer), then the customer pays on the provider's page; a wrong amount or balance is shown
    at its field and nothing is ordered."""
    svc, workspace, now = services(request), request[WORKSPACE], request_now(request)
    form = await request.post()
    kind, raw = str(form.get("balance", "")), str(form.get("amount", ""))[:40]
    amount = parse_rupiah(raw)
    if amount is None:
        return _form(request, kind, raw, {"amount": _(
            "Enter the amount in whole rupiah, for example 50000.")}, status=422)

    async def place(seed: str) -> str:
        placed = await order_topup(svc, workspace, kind, Money.idr(amount), seed, now)
        return placed.payment.checkout_url or f"/portal/balance/topups/{placed.topup.id}"
    try:
        return await once(request, place)
    except BillingError as exc:
        return _form(request, kind, raw, field_errors(exc), status=422)


def _form(request: web.Request, kind: str, amount: str, errors: dict[str, str],
          status: int = 200) -> web.Response:
    limits = topup_limits(services(request))
    chosen = kind if kind in limits else "conversation"
    limit = limits[chosen]
    presets = [Money.idr(p) for p in PRESETS
               if limit.minimum <= Money.idr(p) <= limit.maximum]
    options = [{"kind": k, "name": words.balance_name(k), "limit": lim}
               for k, lim in limits.items()]
    # htmx asks for the form alone (a preset or another balance chosen): the same fragment
    partial = request.headers.get("HX-Request") == "true" and request.method == "GET"
    template = "portal/balance/_topup_form.html" if partial else "portal/balance/topup.html"
    return render(request, template, {
        "options": options, "chosen": chosen, "limit": limit, "amount": amount,
        "presets": presets, "errors": errors}, status=status)


@routes.get("/portal/balance/topups")
@page
async def topup_history(request: web.Request) -> web.StreamResponse:
    """Riwayat Top Up: every top-up with its status, newest first, a page at a time."""
    svc, workspace = services(request), request[WORKSPACE]
    try:
        found, older = await list_topups(svc, workspace.id, limit=PAGE,
                                         cursor=request.query.get("cursor") or None)
    except BillingError:
        return render(request, "portal/error.html", {"message": _(
            "This page link is not valid. Open the Top-up History again.")}, status=400)
    return render(request, "portal/balance/topups.html", {
        "topups": found, "older": older, "paged": "cursor" in request.query, **WORDS})


@routes.get("/portal/balance/topups/{topup_id}")
@page
async def topup_detail(request: web.Request) -> web.StreamResponse:
    """One top-up: what it bought, its invoice and status, and while it waits for payment
    the way to the payment page. Another workspace's top-up is 'not found'."""
    view = await find_topup(services(request), request[WORKSPACE].id,
                            request.match_info["topup_id"])
    payable = (view.topup.status == "pending" and view.payment is not None
               and view.payment.status == "pending" and view.payment.checkout_url)
    return render(request, "portal/balance/topup_detail.html", {
        "view": view, "topup": view.topup, "payable": payable, **WORDS})
