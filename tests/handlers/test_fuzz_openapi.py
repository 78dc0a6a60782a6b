"""`make fuzz` in small (bench/fuzz.py): schemathesis generates valid and invalid requests for
every operation of /openapi.json, as the admin and a workspace, on seeded data (and, for the
workspace, with generated path ids); no answer may be a 5xx or differ from the document.
Derandomized (the same requests every run) and bounded: 2 examples per operation, principal,
mode and id source, about 500 requests. Statuses the document does not declare yet are listed in
bench/fuzz.py's UNDECLARED_YET and tolerated; any other fails."""
from __future__ import annotations

import asyncio

from bench.fuzz import fuzz, seed
from tests.helpers import ADMIN_TOKEN


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(aiohttp_server,
                                                                          make_app):
    server = await aiohttp_server(make_app())
    base = str(server.make_url("")).rstrip("/")
    seeded = await asyncio.to_thread(seed, base, ADMIN_TOKEN)
    found = await asyncio.to_thread(fuzz, base, seeded, examples=2, time_limit=600,
                                    principals=("workspace", "admin"))
    failures = [f"{op} — {check}:\n{text[:1500]}" for (op, check), text in
                sorted(found.failures.items())]
    assert failures == [], "\n\n".join(failures)
    assert not found.timed_out and found.operations >= 50, found
    assert found.requests >= 5 * found.operations, found     # the generation really generated
