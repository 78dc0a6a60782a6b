"""A currency mismatch reached by a request is a 422 `currency_mismatch`, never a 500
(issue 9 item 16). No request of the seed catalog mixes currencies any more (each path checks
first, e.g. `addon_currency_mismatch`), so the mix is forced in the use case a customer calls:
what is tested is that the error middleware maps the domain error, once, for every route."""
from billing.money import Money
from tests.addon_helpers import addon_body, buy_and_pay, create_addon, held, stop
from tests.helpers import PHONE_A


def _mixed_credit(*_args) -> Money:
    return Money.idr(10_000) - Money(500, "USD")


async def test_a_currency_mismatch_in_a_use_case_answers_422_and_changes_nothing(api,
                                                                                 monkeypatch):
    ws, key = await api.create_workspace([PHONE_A], plan="growth")
    addon = await create_addon(api, addon_body("extra-user"))
    await buy_and_pay(api, ws, key, addon["id"], 2)
    monkeypatch.setattr("service.addons.purchases.stop_credit", _mixed_credit)
    resp = await stop(api, ws, key, addon["id"], "now")
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "currency_mismatch"
    assert error["details"] == {"currencies": ["IDR", "USD"]}
    assert (await held(api, ws, key))[addon["id"]]["quantity"] == 2
