"""`python bench/tail_trace.py TRACE_FILE`: the service (`python -m service`), traced for
bench/tail.py (issue 16: where Saldo's tail latency comes from). Measurement only: nothing of
the service changes but the hooks below, each writing one JSON line to TRACE_FILE with the wall
clock (time.time(), comparable to the client's timestamps):

- `gc`: every garbage collection of generation 1 or 2 (of 0: of 1 ms or more), its pause (ms)
  and what it collected; on SIGUSR1 (bench/tail.py, after each run) a full collection is forced
  and written as `forced`: what a generation-2 pause costs with what the process holds then;
- `lag`: the event loop's lateness, sampled every LAG_EVERY s (what every request waits then),
  with the CPU the loop's thread used meanwhile (near the lag: our own work held the loop; near
  zero: the process waited for a core, the machine being busy);
- `flush`: every group commit (service/mongo/batching.py) of GROUP_MIN_MS or more: its flush
  function, items, duration;
- `span`: the recovery sweeps, the ledger's `finalize_recent`, the routes' revision read, with
  their start and duration.
Only the single web process (SALDO_WEB_PROCESSES=1) is traced."""
from __future__ import annotations

import asyncio
import functools
import gc
import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
LAG_EVERY = 0.005
GROUP_MIN_MS = 5.0


class Trace:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", buffering=1 << 16)
        self._gc_start = 0.0

    def write(self, kind: str, t: float, **fields) -> None:
        self.out.write(json.dumps({"k": kind, "t": round(t, 4), **fields}) + "\n")

    def on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        ms = (time.perf_counter() - self._gc_start) * 1000
        if info["generation"] >= 1 or ms >= 1.0:
            self.write("gc", time.time() - ms / 1000, gen=info["generation"], ms=round(ms, 2),
                       collected=info["collected"])

    def forced(self) -> None:
        t0 = time.perf_counter()
        gc.collect()
        self.write("forced", time.time(), ms=round((time.perf_counter() - t0) * 1000, 2),
                   tracked=len(gc.get_objects()), frozen=gc.get_freeze_count())
        self.out.flush()

    async def lag_monitor(self) -> None:
        loop, beat = asyncio.get_running_loop(), 0
        loop.add_signal_handler(signal.SIGUSR1, self.forced)
        while True:
            beat += 1
            if beat % 100 == 0:
                self.out.flush()        # bench/tail.py reads the file after each run
            t0, c0 = loop.time(), time.thread_time()
            await asyncio.sleep(LAG_EVERY)   # a probe of the loop's lateness, not a synchronisation
            late = (loop.time() - t0 - LAG_EVERY) * 1000
            if late >= 2.0:      # cpu: this thread's CPU meanwhile (low: the process waited for a core)
                self.write("lag", time.time() - late / 1000, ms=round(late, 2),
                           cpu=round((time.thread_time() - c0) * 1000, 2))

    def timed(self, kind: str, name: str, fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            t0, w0 = time.perf_counter(), time.time()
            self.write("begin", w0, name=name)    # a sweep still running when a run ends
            try:
                return await fn(*args, **kwargs)
            finally:
                self.write(kind, w0, name=name, ms=round((time.perf_counter() - t0) * 1000, 2))
        return wrapper


def install(trace: Trace) -> None:
    from service.mongo.batching import GroupCommit
    from service.runtime import app as app_module
    from service.wallet.ledger import MongoLedger
    from service.whatsapp import webhooks
    from service.whatsapp.route_revision import RouteRevision

    gc.callbacks.append(trace.on_gc)
    commit = GroupCommit._commit

    async def traced_commit(self, key, batch):
        t0, w0 = time.perf_counter(), time.time()
        try:
            return await commit(self, key, batch)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            if ms >= GROUP_MIN_MS:
                trace.write("flush", w0, name=getattr(self._flush, "__qualname__", "?"),
                            items=len(batch), ms=round(ms, 2))
    GroupCommit._commit = traced_commit
    webhooks.sweep = trace.timed("span", "whatsapp.sweep", webhooks.sweep)
    MongoLedger.finalize_recent = trace.timed("span", "finalize_recent", MongoLedger.finalize_recent)
    RouteRevision.read = trace.timed("span", "revision.read", RouteRevision.read)
    create_app = app_module.create_app

    def traced_create_app(*args, **kwargs):
        app = create_app(*args, **kwargs)

        async def start(app_) -> None:
            app_["tail_lag"] = asyncio.create_task(trace.lag_monitor())
        app.on_startup.append(start)
        return app
    app_module.create_app = traced_create_app


def main() -> None:
    trace = Trace(sys.argv.pop(1))
    install(trace)
    import service.__main__ as entry
    from service.runtime import app as app_module
    entry.create_app = app_module.create_app
    entry.main()


if __name__ == "__main__":
    main()
