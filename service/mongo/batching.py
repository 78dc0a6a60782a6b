"""Group commit, the hot path's one batching mechanism.

Items are submitted under a key (a collection, a wallet, or `None` for a single queue). Per key,
the first item starts a flush task; items arriving while a flush of that key is in flight are
queued and flushed together next, in submission order. One call of `flush(key, items)` writes a
batch and returns one result per item; each submitter's future gets its own result, or, if the
flush raised, the exception (every waiter of that batch hears about it; the next batch still
runs). Nobody waits for a timer unless `delay` asks for one, and a submitter that awaits its
future answers only after the write containing its item completed: durability is unchanged.

Bounds: an item waits for at most the flush in flight, then `delay` (None: none at all; 0: one
event-loop turn, so that more requests can join), and a flush takes at most `max_batch` items
(the rest go in the next one; with `weight`, at most `max_batch` summed weight: e.g. documents
rather than requests, so that one store's flush does not hold the next stage, on the other store,
idle). `close()` flushes whatever is queued and waits for it.

On the embedded store every command costs a thread hop and a lock, so one bulk command for 20
requests is far cheaper than 20 commands. Users: the WhatsApp log's payload inserts, message
record writes and reads, its deferred marks (service/whatsapp/log.py), and the wallet ledger's
writes, one flush across wallets (service/wallet/ledger_batch.py).
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Key, Item, Result]):
    def __init__(self, flush: Callable[[Key, list[Item]], Awaitable[list[Result]]], *,
                 delay: float | None = None, max_batch: int | None = None,
                 weight: Callable[[Item], int] | None = None) -> None:
        self._flush = flush
        self._delay = delay
        self._max_batch = max_batch
        self._weight = weight    # with it, `max_batch` bounds the items' summed weight
        self._queues: dict[Key, list[tuple[Item, asyncio.Future]]] = {}
        self._tasks: dict[Key, asyncio.Task] = {}

    async def submit(self, item: Item, key: Key = None) -> Result:  # type: ignore[assignment]
        """Queue `item` and wait until the flush containing it completed. → its result.
        (The future is awaited as it is, not through `asyncio.shield`, which cost a future and
        two callbacks per item: a cancelled submitter's future is cancelled, and `_commit`
        skips it; its item is written with the others all the same.)"""
        return await self.enqueue(item, key)

    def enqueue(self, item: Item, key: Key = None) -> asyncio.Future:  # type: ignore[assignment]
        """Queue `item` without waiting. → its future. Whoever does not await it must use a
        `flush` that does not raise (else asyncio reports an exception never retrieved)."""
        future = asyncio.get_running_loop().create_future()
        self._queues.setdefault(key, []).append((item, future))
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key))
        return future

    async def close(self) -> None:
        """Flush everything queued, and wait for it."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self, key: Key) -> None:
        try:
            while self._queues.get(key):
                if self._delay is not None:
                    await asyncio.sleep(self._delay)
                queue = self._queues.pop(key)
                cut = self._cut(queue)
                if cut < len(queue):
                    queue, self._queues[key] = queue[:cut], queue[cut:]
                await self._commit(key, queue)
        finally:
            self._tasks.pop(key, None)

    def _cut(self, queue: list[tuple[Item, asyncio.Future]]) -> int:
        """How many queued items the next flush takes: at most `max_batch` items, or with
        `weight` the most whose summed weight stays within it (at least one)."""
        if self._max_batch is None:
            return len(queue)
        if self._weight is None:
            return min(len(queue), self._max_batch)
        total = 0
        for n, (item, _) in enumerate(queue):
            total += self._weight(item)
            if total > self._max_batch:
                return max(n, 1)
        return len(queue)

    async def _commit(self, key: Key, batch: list[tuple[Item, asyncio.Future]]) -> None:
        try:
            results = await self._flush(key, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush of {key!r} returned {len(results)} results "
                                   f"for {len(batch)} items")
        except Exception as exc:    # every waiter of this batch hears about it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results):
            if not future.done():
                future.set_result(result)
