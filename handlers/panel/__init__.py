"""The agency panel (issue 13): Partners → Add-ons, resellers and workspaces in the browser, on
the customer portal's foundation (sessions, CSRF, templates, catalogs, security headers). A new
page module serves nothing until it is listed in PAGES."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from handlers.panel import pages
from handlers.panel import addons, operations, resellers, workspace, workspaces

TEMPLATES = Path(__file__).parent / "templates"
PAGES = (pages.routes, addons.routes,)
PAGES += (resellers.routes, workspaces.routes, workspace.routes, operations.routes)


def setup_panel(app: web.Application) -> None:
    """The panel's routes (its templates are on the portal's loader: handlers.portal)."""
    for table in PAGES:
        app.router.add_routes(table)
