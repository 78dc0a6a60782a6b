"""Group commit: concurrent calls of one kind of database operation are merged into one.

The first caller starts a flush at once; callers arriving while it is in flight are queued and
flushed together next. Nobody waits for a timer, and every caller still awaits the completion of
the write that contains its own items before it answers (durability is unchanged). On the
embedded store every command costs a thread hop and a lock, so one bulk command for 20 requests
is far cheaper than 20 commands.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_BATCH = 2000


class Coalescer(Generic[Item, Result]):
    def __init__(self, flush: Callable[[list[Item]], Awaitable[list[Result]]]) -> None:
        self._flush = flush
        self._queue: list[tuple[Item, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def submit(self, item: Item) -> Result:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return await asyncio.shield(future)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task = None
