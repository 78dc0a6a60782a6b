"""Usage History of the WhatsApp balance (issue 12, screen 6): the ledger entries the usage API
reads (service/wallet/reports.py), filtered by balance, activity and dates (whole days in
SALDO_TIMEZONE), newest first, a page at a time by the API's cursor, and the same filters
downloaded as CSV.

The CSV: a header row and the activity and balance words in the portal's language (what the
page shows), amounts as plain integers of rupiah (amount, balance after, arrears after; a
`Currency` column says IDR) so a spreadsheet can sum them, and the time in ISO 8601 with the
offset of SALDO_TIMEZONE. Text cells that a spreadsheet would run as a formula are quoted."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web

from billing.errors import BillingError
from billing.wallet import ACTIVITIES, BALANCE_KINDS, shown_amount
from handlers.http import request_now, services
from handlers.portal import balance_words as words
from handlers.portal.i18n import _
from handlers.portal.web import WORKSPACE, field_errors, page, render
from service.wallet.reports import UsageLine, activity_filter, every_usage_page, usage

routes = web.RouteTableDef()
PAGE = 25
FILTERS = ("balance", "activity", "from", "to")


@dataclass
class Filters:
    balance: str | None = None
    activity: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    typed: dict[str, str] = field(default_factory=dict)    # as sent: the form and links
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **more: str) -> str:
        return urlencode({**{k: v for k, v in self.typed.items() if v}, **more})


def read_filters(request: web.Request) -> Filters:
    q, tz = request.query, services(request).settings.tz
    f = Filters(typed={k: q.get(k, "")[:40] for k in FILTERS})
    f.balance = f.typed["balance"] or None
    if f.balance and f.balance not in BALANCE_KINDS:
        f.errors["balance"] = _("Choose a balance from the list.")
    f.activity = f.typed["activity"] or None
    if f.activity and f.activity not in ACTIVITIES:
        f.errors["activity"] = _("Choose an activity from the list.")
    first, last = _day(f, "from"), _day(f, "to")
    if first and last and last < first:
        f.errors["to"] = _("The end date is before the start date.")
    f.since = datetime.combine(first, time(), tz) if first else None
    f.until = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    return f


def _day(f: Filters, name: str) -> date | None:
    text = f.typed[name]
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        day = None
        f.errors[name] = _("Enter a date as YYYY-MM-DD.")
    if day and not 2000 <= day.year <= 2999:
        day, f.errors[name] = None, _("Enter a date as YYYY-MM-DD.")
    return day


def _row(line: UsageLine) -> dict:
    e = line.entry
    return {"at": line.at, "activity": words.activity_of(e), "arrears": e.kind == "arrears",
            "balance": words.balance_name(e.balance), "amount": shown_amount(e),
            "after": e.after.net}


@routes.get("/portal/balance/usage")
@page
async def usage_history(request: web.Request) -> web.StreamResponse:
    svc, workspace, f = services(request), request[WORKSPACE], read_filters(request)
    lines: list[UsageLine] = []
    older = None
    scope = None if f.errors else activity_filter(f.activity, f.balance)
    if scope is not None:
        try:
            lines, older = await usage(svc, workspace.id, balance=scope[0], kind=None,
                                       kinds=scope[1], since=f.since, until=f.until,
                                       limit=PAGE, cursor=request.query.get("cursor") or None)
        except BillingError as exc:         # a link with a cursor that is not one
            f.errors.update(field_errors(exc))
    return _page(request, f, [_row(line) for line in lines], older)


def _page(request: web.Request, f: Filters, rows: list[dict], older: str | None) -> web.Response:
    return render(request, "portal/balance/usage.html", {
        "f": f, "rows": rows, "older": older, "paged": "cursor" in request.query,
        "activities": words.activity_names(), "balances": BALANCE_KINDS,
        "balance_name": words.balance_name}, status=422 if f.errors else 200)


@routes.get("/portal/balance/usage.csv")
@page
async def usage_csv(request: web.Request) -> web.StreamResponse:
    """The entries of the filters, every page of them, streamed as they are read."""
    svc, workspace, f = services(request), request[WORKSPACE], read_filters(request)
    if f.errors:
        return _page(request, f, [], None)
    scope = activity_filter(f.activity, f.balance)     # None: the filters exclude each other
    pages = every_usage_page(svc, workspace.id, balance=scope[0] if scope else None,
                             kinds=scope[1] if scope else (), since=f.since, until=f.until)
    first = await anext(pages) if scope else []   # the store's errors before the answer starts
    day = request_now(request).astimezone(svc.settings.tz).date().isoformat()
    response = web.StreamResponse(headers={
        "Content-Disposition": f'attachment; filename="saldo-usage-{day}.csv"'})
    response.content_type, response.charset = "text/csv", "utf-8"
    await response.prepare(request)
    await response.write(_csv([[_("Time"), _("Balance"), _("Activity"), _("Amount"),
                                _("Balance after"), _("Arrears after"), _("Currency"),
                                _("Entry"), _("WhatsApp message"), _("Category")]]))
    await response.write(_csv([_csv_row(line, svc.settings.tz) for line in first]))
    if scope is not None:
        async for lines in pages:
            await response.write(_csv([_csv_row(line, svc.settings.tz) for line in lines]))
    await response.write_eof()
    return response


def _csv_row(line: UsageLine, tz) -> list:
    e = line.entry
    return [line.at.astimezone(tz).isoformat(timespec="seconds"), words.balance_name(e.balance),
            words.activity_of(e), shown_amount(e).amount, e.after.net.amount,
            e.after.arrears.amount, e.amount.currency, _text(e.key),
            _text(e.meta.get("wamid") or ""), _text(e.meta.get("category") or "")]


def _text(value: object) -> str:
    """A text cell a spreadsheet would read as a formula (=, +, -, @) starts with a quote."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()
