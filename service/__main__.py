"""`python -m service`: run the HTTP service (embedded store unless MONGODB_URI is set)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from service.app import create_app
from service.logs import configure
from service.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    configure(settings.log_level)
    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # optional: the standard loop works, only slower
        pass
    web.run_app(create_app(settings), host="0.0.0.0", port=settings.port, access_log=None,
                shutdown_timeout=30, print=None)


if __name__ == "__main__":
    main()
