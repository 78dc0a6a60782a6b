"""Helpers for preview tests: ask a preview, place the order it previews, and compare."""
from __future__ import annotations

from tests.addon_helpers import addons_url
from tests.helpers import Api


async def preview(api: Api, ws: str, key: str, kind: str, **fields) -> dict:
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", json={"kind": kind, **fields},
                                 headers=api.auth(key))
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def order(api: Api, ws: str, key: str, kind: str, **fields) -> dict:
    """Place the order a preview of `kind` with `fields` previews → its response."""
    sub = f"/v1/workspaces/{ws}/subscription"
    calls = {
        "plan_change": lambda: api.client.post(f"{sub}/change", json=fields,
                                               headers=api.auth(key)),
        "renewal": lambda: api.client.post(f"{sub}/renew", headers=api.auth(key)),
        "addon_purchase": lambda: api.client.post(addons_url(ws), json=fields,
                                                  headers=api.auth(key)),
        "addon_quantity": lambda: api.client.patch(
            addons_url(ws, fields["addon_id"]), json={"quantity": fields["quantity"]},
            headers=api.auth(key)),
        "addon_stop": lambda: api.client.delete(addons_url(ws, fields["addon_id"]),
                                                params={"when": "now"}, headers=api.auth(key)),
        "topup": lambda: api.client.post(f"/v1/workspaces/{ws}/topups", json=fields,
                                         headers=api.auth(key))}
    resp = await calls[kind]()
    assert resp.status in (200, 201), await resp.text()
    return await resp.json()


def _money(m: dict) -> tuple[int, str]:
    return m["amount"], m["currency"]


def previewed(p: dict) -> tuple[list, list]:
    """(lines, totals) as a preview shows them."""
    credits = [(c["description"], 1, _money(c["amount"]), _money(c["amount"]))
               for c in p["credits_applied"]]           # an invoice's "Credit applied" line
    return ([(line["description"], line["units"], _money(line["unit_price"]),
              _money(line["amount"])) for line in p["lines"]] + credits,
            [_money(t) for t in p["totals"]])


def ordered(placed: dict, currency: str) -> tuple[list, list]:
    """(lines, totals) as the order answered: its invoices' lines and amounts, or the credit
    of a change made now (one line of the credit, negative); nothing → a zero total."""
    invoices = [i["invoice"] for i in placed.get("invoices", [])] or \
        ([placed["invoice"]] if placed.get("invoice") else [])
    every = [(line["description"], line["quantity"], _money(line["unit_price"]),
              _money(line["amount"])) for inv in invoices for line in inv["lines"]]
    credit = [line for line in every if line[2][0] < 0]     # "Credit applied", shown last
    lines = [line for line in every if line[2][0] >= 0] + credit
    totals = [_money(inv["amount"]) for inv in invoices]
    if placed.get("credit"):
        amount, cur = _money(placed["credit"])
        return [(None, 1, (-amount, cur), (-amount, cur))], [(-amount, cur)]
    return lines, totals or [(0, currency)]


def same(p: dict, placed: dict) -> None:
    lines, totals = previewed(p)
    got_lines, got_totals = ordered(placed, p["totals"][0]["currency"])
    if placed.get("credit"):       # the credit's text is the preview's own
        lines = [(None, *rest) for _, *rest in lines]
    assert (got_lines, got_totals) == (lines, totals), (p, placed)
    invoices = [i["invoice"] for i in placed.get("invoices", [])] or \
        ([placed["invoice"]] if placed.get("invoice") else [])
    assert p.get("taxes", []) == [i["tax"] for i in invoices if i.get("tax")], (p, placed)
