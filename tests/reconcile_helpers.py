"""Writing what a bug would write, straight into the store (issue 18's tests): ledger entries
with the wallet changed to match, so that the ledger sum still equals every balance and only
the cause checks can tell."""
from __future__ import annotations

from datetime import datetime

from service.mongo.docs import to_ms
from tests.helpers import Api, app_services

BUCKET = {"grant": "granted", "expiry": "granted", "charge": "granted", "arrears": "arrears"}


async def forge(api: Api, ws: str, entries: list[tuple], at: datetime | None = None) -> None:
    """`entries`: (key, kind, balance, signed amount, meta[, bucket]). By default credits go
    to `purchased`, grants, expiries and charges to `granted`, arrears to `arrears`."""
    svc = app_services(api)
    wallet = await svc.db.wallets.find_one({"_id": ws})
    seq = wallet["seq"] + 1
    balances = {b: dict(v) for b, v in wallet["balances"].items()}
    docs = []
    for i, (key, kind, balance, amount, meta, *bucket) in enumerate(entries):
        bucket = bucket[0] if bucket else BUCKET.get(kind, "purchased")
        change = -amount if bucket == "arrears" else amount
        delta = {"granted": 0, "purchased": 0, "arrears": 0, bucket: change}
        balances[balance][bucket] += change
        docs.append({"_id": key, "intent_key": key, "workspace_id": ws, "balance": balance,
                     "kind": kind, "meta": meta, "amount": amount, "currency": "IDR",
                     "delta": delta, "after": dict(balances[balance]), "seq": seq,
                     "order": seq * 1000 + i, "applied_ms": to_ms(at or api.clock.now())})
    await svc.db.ledger.insert_many(docs)
    await svc.db.wallets.replace_one({"_id": ws}, {**wallet, "seq": seq, "balances": balances})


async def violations(api: Api) -> list[dict]:
    """Reconcile's violations; the ledger sums still hold (the forged state is consistent)."""
    body = await api.reconcile()
    assert all(b["ok"] for w in body["workspaces"] for b in w["balances"].values()), body
    assert body["ok"] is (not body["violations"])
    return body["violations"]


def rules(found: list[dict]) -> list[str]:
    return sorted(v["rule"] for v in found)
