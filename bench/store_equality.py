"""NX-27017's implicit vs explicit equality, run by hand (not a test): README, "Differences".

Starts a fresh embedded NX-27017, inserts N documents (indexes on `f`, `(a, b)`, `due_ms`,
`due.at`, `tags`) and times each query shape with `{field: v}` and with `{field: {"$eq": v}}`:
find_one, update_one, find_one_and_update, replace_one, a sorted find with a limit, datetime
ranges; then prints which documents each form selects for arrays, None, sub-documents,
booleans and datetimes. The workaround it justifies: service/mongo/filters.py.

    .venv/bin/python bench/store_equality.py [N]      # default 50,000
"""
import asyncio, sys, tempfile, time  # noqa: E401
from datetime import datetime, timedelta, timezone
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pymongo import AsyncMongoClient
from service.mongo.embedded import EmbeddedServer

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)

async def t(label, fn, reps=20):
    await fn()
    s = time.perf_counter()
    for _ in range(reps):
        await fn()
    print(f"{label:60s} {1000*(time.perf_counter()-s)/reps:8.2f} ms", flush=True)

async def main():
    server = EmbeddedServer(Path(tempfile.mkdtemp()))
    uri = await server.start()
    c = AsyncMongoClient(uri); db = c.probe; col = db.docs
    await col.create_index("f"); await col.create_index([("a", 1), ("b", 1)])
    await col.create_index("due_ms"); await col.create_index("due.at"); await col.create_index("tags")
    for s in range(0, N, 1000):
        await col.insert_many([{"_id": f"d{i}", "f": f"v{i}", "a": f"a{i % 100}", "b": i, "n": i,
                                "due_ms": i, "due": {"at": T0 + timedelta(seconds=i)} if i % 2 else None,
                                "tags": [f"t{i}", "x"]} for i in range(s, min(N, s + 1000))])
    print("docs", N, flush=True)
    k = f"v{N//2}"
    await t("find_one {f: v}", lambda: col.find_one({"f": k}))
    await t("find_one {f: {$eq: v}}", lambda: col.find_one({"f": {"$eq": k}}))
    await t("find_one {_id: v}", lambda: col.find_one({"_id": f"d{N//2}"}))
    await t("find_one {_id: {$eq: v}}", lambda: col.find_one({"_id": {"$eq": f"d{N//2}"}}))
    await t("find_one {a: x, b: y}", lambda: col.find_one({"a": "a7", "b": 507}))
    await t("find_one {a: {$eq}, b: {$eq}}", lambda: col.find_one({"a": {"$eq": "a7"}, "b": {"$eq": 507}}))
    await t("update_one {_id: v} $set", lambda: col.update_one({"_id": f"d{N//2}"}, {"$set": {"z": 1}}))
    await t("update_one {_id: {$eq}} $set", lambda: col.update_one({"_id": {"$eq": f"d{N//2}"}}, {"$set": {"z": 1}}))
    await t("update_one {_id: v, n: x} $set", lambda: col.update_one({"_id": f"d{N//2}", "n": N//2}, {"$set": {"z": 1}}))
    await t("update_one {_id: {$eq}, n: {$eq}} $set", lambda: col.update_one({"_id": {"$eq": f"d{N//2}"}, "n": {"$eq": N//2}}, {"$set": {"z": 1}}))
    async def fl(flt):
        return [d async for d in col.find(flt)]
    await t("find(list) {f: v}", lambda: fl({"f": k}))
    await t("find(list) {f: {$eq}}", lambda: fl({"f": {"$eq": k}}))
    await t("update_one {f: v} $set", lambda: col.update_one({"f": k}, {"$set": {"z": 1}}))
    await t("update_one {f: {$eq}} $set", lambda: col.update_one({"f": {"$eq": k}}, {"$set": {"z": 1}}))
    await t("find_one_and_update {f: v, n: x} $inc", lambda: col.find_one_and_update({"f": k, "n": N//2}, {"$inc": {"z": 1}}))
    await t("find_one_and_update {f:{$eq}, n:{$eq}} $inc", lambda: col.find_one_and_update({"f": {"$eq": k}, "n": {"$eq": N//2}}, {"$inc": {"z": 1}}))
    doc = await col.find_one({"_id": f"d{N//2}"})
    await t("replace_one {f: v}", lambda: col.replace_one({"f": k}, doc))
    await t("replace_one {f: {$eq}}", lambda: col.replace_one({"f": {"$eq": k}}, doc))
    async def lst(flt):
        return [d async for d in col.find(flt).sort("b", -1).limit(20)]
    await t("find {a: x} sort b -1 limit 20", lambda: lst({"a": "a7"}))
    await t("find {a: {$eq}} sort b -1 limit 20", lambda: lst({"a": {"$eq": "a7"}}))
    async def due(flt):
        return [d async for d in col.find(flt).sort("due_ms", 1).limit(100)]
    await t("find {due_ms: {$lte: 100}} sort limit 100", lambda: due({"due_ms": {"$lte": 100}}))
    await t("find {due.at: {$lte: T0+100s}} limit 100", lambda: due({"due.at": {"$lte": T0 + timedelta(seconds=100)}}), reps=5)
    await t("find {_id: {$gt}, $or[due.at lte, due None]} limit 100", lambda: due({"_id": {"$gt": "d5"}, "$or": [{"due.at": {"$lte": T0 + timedelta(seconds=100)}}, {"due": None}]}), reps=3)
    # semantics
    r1 = await col.find_one({"tags": "t5"}); r2 = await col.find_one({"tags": {"$eq": "t5"}})
    print("array elem: implicit", r1 and r1["_id"], " $eq", r2 and r2["_id"])
    for flt in ({"tags": ["t5", "x"]}, {"tags": {"$eq": ["t5", "x"]}}):
        try:
            print("array whole", flt, [d["_id"] async for d in col.find(flt)])
        except Exception as e:
            print("array whole", flt, "ERROR", str(e)[:80])
    await db.arr.insert_many([{"_id": 1, "t": ["a", "b"]}, {"_id": 2, "t": "a"}, {"_id": 3, "t": ["c"]}])
    for flt in ({"t": "a"}, {"t": {"$eq": "a"}}):
        print("unindexed array", flt, [d["_id"] async for d in db.arr.find(flt)])
    await db.arr.create_index("t")
    for flt in ({"t": "a"}, {"t": {"$eq": "a"}}):
        print("indexed array", flt, [d["_id"] async for d in db.arr.find(flt)])
    await t("find_one {tags: v}", lambda: col.find_one({"tags": "t777"}), reps=5)
    await t("find_one {tags: {$eq: v}}", lambda: col.find_one({"tags": {"$eq": "t777"}}), reps=5)
    await db.small.insert_many([{"_id": 1, "x": None}, {"_id": 2}, {"_id": 3, "x": 5}, {"_id": 4, "x": {"y": 1}}, {"_id": 5, "x": True}, {"_id": 6, "x": 1}])
    for flt in ({"x": None}, {"x": {"$eq": None}}, {"x": 5}, {"x": {"$eq": 5}}, {"x": {"y": 1}}, {"x": {"$eq": {"y": 1}}},
                {"x.y": 1}, {"x.y": {"$eq": 1}}, {"x": True}, {"x": {"$eq": True}}, {"x": 1}, {"x": {"$eq": 1}}):
        try:
            print("small", flt, sorted([d["_id"] async for d in db.small.find(flt)]))
        except Exception as e:
            print("small", flt, "ERROR", str(e)[:60])
    await db.dt.insert_many([{"_id": 1, "at": T0}, {"_id": 2, "at": T0 + timedelta(milliseconds=5)}])
    print("datetime eq implicit", [d["_id"] async for d in db.dt.find({"at": T0})], "$eq", [d["_id"] async for d in db.dt.find({"at": {"$eq": T0}})])
    await c.close(); server.stop()

asyncio.run(main())
