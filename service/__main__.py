"""`python -m service`: run the HTTP service (embedded store unless MONGODB_URI is set)."""
from __future__ import annotations

import asyncio
import gc
import sys

from aiohttp import web

from service.runtime import processes
from service.runtime.app import create_app
from service.runtime.logs import configure
from service.runtime.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    configure(settings.log_level)
    child = processes.is_child(sys.argv)
    if settings.web_processes > 1 and not child:  # SALDO_WEB_PROCESSES: a supervisor of N children
        sys.exit(processes.supervise(settings))
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # optional: the standard loop works, only slower
        pass
    app = create_app(settings)
    if child:
        processes.die_with_supervisor()
    # The ~95,000 objects of the imported modules live as long as the process: keep them out of
    # every full garbage collection (bench/webhooks.py: the longest pause went from 135 to 40 ms).
    gc.freeze()
    # A batch of 100 statuses keeps thousands of objects alive for a few milliseconds (parsed
    # statuses, entries, documents): at the default 700 allocations a young collection found
    # them alive, and the older generations' collections traversed them again (bench/webhooks.py
    # batched phase: ~20 µs of GC per status, a fifth of the web process's CPU; at 10,000, ~5).
    gc.set_threshold(10_000, 10, 10)
    web.run_app(app, host="0.0.0.0", port=settings.port, access_log=None, shutdown_timeout=30,
                print=None, reuse_port=child or None)


if __name__ == "__main__":
    main()
