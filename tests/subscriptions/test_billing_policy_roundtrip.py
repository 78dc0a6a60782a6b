"""The admin's policy table: what GET returns, PUT accepts (issue 9 item 17)."""
from tests.helpers import ADMIN_TOKEN

POLICY = "/v1/admin/billing-policy"


async def test_the_policy_read_can_be_written_back_unchanged(api):
    admin = api.auth(ADMIN_TOKEN)
    rules = [{"timing": "immediate", "direction": "upgrade"}]
    assert (await api.client.put(POLICY, json={"rules": rules}, headers=admin)).status == 200
    for _ in range(2):                      # the edited table, then the same table again
        read = await (await api.client.get(POLICY, headers=admin)).json()
        resp = await api.client.put(POLICY, json=read, headers=admin)
        assert resp.status == 200, await resp.text()
        assert await resp.json() == read
    assert read["default"] == "end_of_term" and read["rules"][0]["timing"] == "immediate"


async def test_the_default_policy_read_can_be_written_back(api):
    admin = api.auth(ADMIN_TOKEN)
    read = await (await api.client.get(POLICY, headers=admin)).json()
    resp = await api.client.put(POLICY, json=read, headers=admin)
    assert resp.status == 200, await resp.text()
    assert await (await api.client.get(POLICY, headers=admin)).json() == read


async def test_a_default_other_than_end_of_term_is_refused_by_name(api):
    resp = await api.client.put(POLICY, json={"rules": [], "default": "immediate"},
                                headers=api.auth(ADMIN_TOKEN))
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == "default"
