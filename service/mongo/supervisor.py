"""Supervision of the embedded NX-27017 children (service/mongo/embedded.py).

Each store's child is watched; when it dies it is started again on the same data directory and
the same port, so the PyMongo clients, which know only that address, reconnect by themselves
(the next request after the restart succeeds; those during it fail as the store being down).
Restarts back off while a child keeps dying (0, 0.5, 1, 2, 4, 8, 15 s between attempts, reset
once it has stayed up for 10 s), and each one is logged. A server this process adopted
(another process started it) is given a moment for its owner to restart it first.

If the port has been taken meanwhile the restart fails and is retried with the backoff: the
clients would have to be rebuilt on a new port, so instead the store stays down, `/healthz`
answers 503 naming it, and whatever supervises Saldo restarts it (a new process picks a new
port). `down()` is what `/healthz` reads: a store whose child is dead, or being restarted.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Mapping

from service.mongo.embedded import EmbeddedServer

log = logging.getLogger("saldo.embedded")
CHECK_EVERY_S = 0.2
BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
STABLE_AFTER_S = 10.0
ADOPTED_GRACE_S = 2.0


@dataclass
class _Child:
    name: str
    server: EmbeddedServer
    restarting: bool = False
    attempts: int = 0               # restart attempts since it was last up for STABLE_AFTER_S
    up_since: float = 0.0


class StoreSupervisor:
    def __init__(self, servers: Mapping[str, EmbeddedServer]) -> None:
        self._children = [_Child(name, server, up_since=time.monotonic())
                          for name, server in servers.items()]
        self._tasks: list[asyncio.Task] = []

    def down(self) -> list[str]:
        """The stores whose child is dead or not yet back."""
        return [c.name for c in self._children if c.restarting or not c.server.alive()]

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._watch(child)) for child in self._children]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _watch(self, child: _Child) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY_S)   # polling a child process, not synchronisation
            if child.server.alive():
                continue
            child.restarting = True
            log.error("embedded store died; restarting it", extra={"fields": {
                "store": child.name, "pid": child.server.pid, "uri": child.server.uri,
                "data_dir": str(child.server.data_dir)}})
            await self._restart(child)
            child.restarting = False

    async def _restart(self, child: _Child) -> None:
        if not child.server.owned:
            await asyncio.sleep(ADOPTED_GRACE_S)   # its owner may restart it first: adopt that
        if time.monotonic() - child.up_since > STABLE_AFTER_S:
            child.attempts = 0
        while True:
            delay = BACKOFF_S[min(child.attempts, len(BACKOFF_S) - 1)]
            child.attempts += 1
            await asyncio.sleep(delay)             # backoff, not synchronisation
            try:
                await child.server.restart()
            except Exception as exc:
                log.error("embedded store did not restart; trying again", extra={"fields": {
                    "store": child.name, "uri": child.server.uri, "error": str(exc)}})
                continue
            child.up_since = time.monotonic()
            log.warning("embedded store restarted", extra={"fields": {
                "store": child.name, "pid": child.server.pid, "uri": child.server.uri,
                "attempts": child.attempts}})
            return
