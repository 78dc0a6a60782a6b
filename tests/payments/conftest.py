"""The gateway rig (tests/payments/gateway_helpers.py): a Saldo app on a fake Xendit or
Midtrans; `rig` runs a test once per gateway."""
from __future__ import annotations

import pytest

from tests.payments.gateway_helpers import make_rig


@pytest.fixture(params=["xendit", "midtrans"])
async def rig(request, aiohttp_client, aiohttp_server, settings, clock):
    made = await make_rig(aiohttp_client, aiohttp_server, settings, clock, request.param)
    yield made
    for fake in made.fakes.values():
        fake.knobs.released.set()        # let hanging handlers finish before the servers close
