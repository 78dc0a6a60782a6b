"""`GET /metrics`: Prometheus text for operators (README, Metrics)."""
from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from handlers.http import RouteTable, request_now, services
from service.metrics import scrape

routes = RouteTable()


@routes.route("GET", "/metrics", "Prometheus metrics (text format); open unless "
              "SALDO_METRICS_TOKEN is set, then `Authorization: Bearer <that token>`",
              auth="none")
async def metrics(request: web.Request) -> web.Response:
    svc = services(request)
    scrape.check_token(svc.settings.metrics_token, request.headers.get("Authorization"))
    return web.Response(body=await scrape.exposition(svc, request_now(request)),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
