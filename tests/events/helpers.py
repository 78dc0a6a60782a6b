"""Reading events the way a consumer does: GET /v1/events, every page."""
from __future__ import annotations

from tests.helpers import Api


async def all_events(api: Api, key: str, **params) -> list[dict]:
    """Every event the key may see (oldest first unless `order` says), following the cursor."""
    query = {"order": "asc", "limit": "200", **{k: str(v) for k, v in params.items()}}
    out: list[dict] = []
    while True:
        resp = await api.client.get("/v1/events", params=query, headers=api.auth(key))
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        out += body["events"]
        if not body["next_cursor"]:
            return out
        query["cursor"] = body["next_cursor"]


async def types_of(api: Api, key: str, **params) -> list[str]:
    return [e["type"] for e in await all_events(api, key, **params)]
