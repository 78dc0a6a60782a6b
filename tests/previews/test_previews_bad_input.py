"""A preview that cannot be shown says why, as its order would: status, code and field; never
a 500. (A preview needs no billing information: the customer may look before filling it.)"""
from tests.addon_helpers import WA_CONV, buy_and_pay, create_addon
from tests.helpers import PHONE_A


async def _error(api, ws: str, key: str, body: dict) -> tuple[int, str, str | None]:
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", json=body,
                                 headers=api.auth(key))
    error = (await resp.json())["error"]
    return resp.status, error["code"], error.get("field")


async def test_bad_previews_answer_what_is_wrong(api):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    pack = await create_addon(api, WA_CONV)
    await buy_and_pay(api, ws, key, pack["id"])
    cases = [
        ({"kind": "refund"}, (422, "validation_error", "kind")),
        ({}, (422, "validation_error", "kind")),
        ({"kind": "plan_change", "period": "monthly"}, (422, "validation_error", "plan")),
        ({"kind": "plan_change", "plan": "growth"}, (422, "validation_error", "period")),
        ({"kind": "plan_change", "plan": "gold", "period": "monthly"},
         (404, "plan_not_found", "plan")),
        ({"kind": "plan_change", "plan": "pro", "period": "weekly"}, (422, None, "period")),
        ({"kind": "plan_change", "plan": "growth", "period": "monthly"},
         (409, "plan_unchanged", "plan")),
        ({"kind": "addon_purchase"}, (422, "validation_error", "addon_id")),
        ({"kind": "addon_purchase", "addon_id": "nope"}, (None, None, "addon_id")),
        ({"kind": "addon_quantity", "addon_id": pack["id"]}, (422, "validation_error",
                                                               "quantity")),
        ({"kind": "addon_quantity", "addon_id": pack["id"], "quantity": 2},
         (404, "not_found", "addon_id")),   # a one-time pack is used up, not held
        ({"kind": "addon_stop", "addon_id": "nope"}, (404, "not_found", "addon_id")),
        ({"kind": "topup", "balance": "conversation"}, (422, "validation_error", "amount")),
        ({"kind": "topup", "balance": "conversation", "amount": 5},
         (422, "topup_below_minimum", "amount")),
        ({"kind": "topup", "balance": "conversation", "amount": "5"},
         (422, "validation_error", "amount")),
    ]
    for body, (status, code, field) in cases:
        got = await _error(api, ws, key, body)
        want = tuple(w if w is not None else g for w, g in zip((status, code, field), got))
        assert got == want and got[0] < 500, (body, got)


async def test_free_has_nothing_to_renew_and_no_billing_information_is_needed(api):
    ws, key = await api.create_workspace([PHONE_A], billing_info=False)
    assert await _error(api, ws, key, {"kind": "renewal"}) == (409, "nothing_to_renew", None)
    resp = await api.client.post(f"/v1/workspaces/{ws}/previews", headers=api.auth(key),
                                 json={"kind": "plan_change", "plan": "pro", "period": "yearly"})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["totals"][0]["amount"] > 0
