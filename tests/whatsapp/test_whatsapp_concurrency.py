"""Hundreds of duplicated, shuffled statuses POSTed at once end in exact balances."""
import asyncio
import random
from datetime import timedelta

from service.runtime.context import SERVICES
from service.whatsapp import webhooks
from tests.helpers import (Api, assert_reconciled, charge_entries, multi_status_payload,
                           status)

PHONE_1 = "620000000000001"
PHONE_2 = "620000000000002"
TS = 1795144627
POSTS = 300


def _messages() -> list[tuple[str, str, str]]:
    """60 messages over 2 numbers: (phone, wamid, category)."""
    out = []
    for i in range(60):
        phone = PHONE_1 if i % 2 == 0 else PHONE_2
        category = "marketing" if i % 3 == 0 else "service"
        out.append((phone, f"wamid.c{i:02d}", category))
    return out


def _status_copies(rng: random.Random, messages) -> list[tuple[str, dict]]:
    """sent, delivered (both with pricing) and read (half without pricing), each 2-3 times."""
    copies = []
    for phone, wamid, category in messages:
        for offset, state in enumerate(("sent", "delivered", "read")):
            priced = category if state != "read" or rng.random() < 0.5 else None
            one = status(wamid, state, priced, ts=TS + offset)
            copies += [(phone, one)] * rng.choice((2, 3))
    rng.shuffle(copies)
    return copies


def _payloads(rng: random.Random, copies) -> list[dict]:
    """Exactly POSTS payloads; the extra copies ride in batches of several statuses (possibly
    for both numbers in one payload)."""
    assert len(copies) >= POSTS
    sizes = [1] * POSTS
    for _ in range(len(copies) - POSTS):
        sizes[rng.randrange(POSTS)] += 1
    payloads, at = [], 0
    for size in sizes:
        batch, at = copies[at:at + size], at + size
        groups: dict[str, list[dict]] = {}
        for phone, one in batch:
            groups.setdefault(phone, []).append(one)
        payloads.append(multi_status_payload(list(groups.items())))
    return payloads


def _expected(messages, phone) -> dict:
    service = sum(1 for p, _, c in messages if p == phone and c == "service")
    marketing = sum(1 for p, _, c in messages if p == phone and c == "marketing")
    return {"conversation": (15000 - 30 * service, 0, 0), "broadcast": (0, 0, 650 * marketing)}


async def _post_all(clients: list[Api], payloads) -> None:
    responses = await asyncio.gather(*(clients[i % len(clients)].webhook(p)
                                       for i, p in enumerate(payloads)))
    assert [r.status for r in responses] == [200] * len(payloads)


async def _assert_each_message_charged_once(api, owners, messages) -> None:
    for phone, (ws, key) in owners.items():
        assert await api.amounts(ws, key) == _expected(messages, phone)
        entries = await charge_entries(api, ws, key)
        wamids = sorted(e["wamid"] for e in entries)
        assert wamids == sorted(w for p, w, _ in messages if p == phone)
        by_wamid = {w: c for _, w, c in messages}
        assert all(e["category"] == by_wamid[e["wamid"]] for e in entries)
    await assert_reconciled(api)


async def _sweep_later_changes_nothing(api, clock, owners, messages) -> None:
    """Whatever the requests left to the sweep (re-processing, overdue messages) is idempotent."""
    clock.advance(timedelta(minutes=15))
    await webhooks.sweep(api.client.app[SERVICES], everything=True)
    await _assert_each_message_charged_once(api, owners, messages)


async def test_300_concurrent_shuffled_duplicate_posts_charge_each_message_exactly_once(api, clock):
    owners = {p: await api.create_workspace([p]) for p in (PHONE_1, PHONE_2)}
    rng = random.Random(20261121)
    messages = _messages()
    await _post_all([api], _payloads(rng, _status_copies(rng, messages)))
    await _assert_each_message_charged_once(api, owners, messages)
    await _sweep_later_changes_nothing(api, clock, owners, messages)


async def test_concurrent_posts_to_two_app_instances_on_one_database_charge_exactly_once(
        api, aiohttp_client, make_app, clock):
    second = Api(await aiohttp_client(make_app()), clock)
    owners = {p: await api.create_workspace([p]) for p in (PHONE_1, PHONE_2)}
    rng = random.Random(7)
    messages = _messages()
    await _post_all([api, second], _payloads(rng, _status_copies(rng, messages)))
    await _assert_each_message_charged_once(api, owners, messages)
    await _sweep_later_changes_nothing(api, clock, owners, messages)
