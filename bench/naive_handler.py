"""The naive baseline of issue 16 (from ../shared/perf/naive_server.py): verify the signature,
parse, one conditional findAndModify `$inc` per status. It keeps none of Saldo's guarantees
(duplicates, crashes and reorders lose money); it is the speed to match. One wallet per phone
number id, seeded at start.
Usage: python naive_handler.py MONGODB_URI PORT APP_SECRET PHONES_FILE (one phone number id a line)"""
import hashlib
import hmac
import json
import sys

from aiohttp import web
from pymongo import AsyncMongoClient, ReturnDocument

uri, port, SECRET, phones_file = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]


async def init() -> web.Application:
    app = web.Application()
    c = AsyncMongoClient(uri, maxPoolSize=50)
    db = c["perf_naive"]
    await db.w.delete_many({})
    phones = open(phones_file).read().split()
    for i in range(0, len(phones), 10_000):
        await db.w.insert_many([{"_id": pn, "bal": 10**12} for pn in phones[i:i + 10_000]])

    async def debit(req: web.Request) -> web.Response:
        raw = await req.read()
        sig = req.headers.get("X-Hub-Signature-256", "")[7:]
        if not hmac.compare_digest(hmac.new(SECRET, raw, hashlib.sha256).hexdigest(), sig):
            raise web.HTTPUnauthorized()
        p = json.loads(raw)
        for e in p["entry"]:
            for ch in e["changes"]:
                v = ch["value"]
                pn = v["metadata"]["phone_number_id"]
                for s in v.get("statuses", []):
                    await db.w.find_one_and_update({"_id": pn, "bal": {"$gte": 30}},
                                                   {"$inc": {"bal": -30}},
                                                   return_document=ReturnDocument.AFTER)
        return web.json_response({"ok": True})

    async def ready(req: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post("/webhooks/whatsapp", debit)
    app.router.add_get("/readyz", ready)
    return app

web.run_app(init(), host="127.0.0.1", port=port, print=None, access_log=None)
