"""The customer portal (issue 12): server-rendered pages over the same use cases as the JSON
API. `setup_portal` adds the templates, the static files and every page module's routes; a new
page module serves nothing until it is listed in PAGES."""
from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from handlers.portal import billing_info, i18n, pages, plans, subscription
from handlers.portal import balance, balance_usage
from handlers.portal import addons, addons_buy
from handlers.portal import credit, invoices
from handlers.portal.once import form_token
from handlers.portal.web import security_headers
from service.runtime.settings import Settings

HERE = Path(__file__).parent
STATIC = HERE / "static"
PANEL_TEMPLATES = HERE.parent / "panel" / "templates"   # the agency panel shares the loader
PAGES = (pages.routes, subscription.routes, billing_info.routes, plans.routes)
PAGES += (balance.routes, balance_usage.routes)
PAGES += (addons_buy.routes, addons.routes)
PAGES += (invoices.routes, credit.routes)


def setup_portal(app: web.Application, settings: Settings) -> None:
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader([str(HERE / "templates"), str(PANEL_TEMPLATES)]),
        extensions=["jinja2.ext.i18n"], autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    tz = settings.tz
    env.filters["money"] = i18n.money
    env.filters["date"] = lambda value: i18n.date(value, tz)
    env.filters["datetime"] = lambda value: i18n.date_time(value, tz)
    env.globals["static"] = static_url
    env.globals["form_token"] = form_token
    for table in PAGES:
        app.router.add_routes(table)
    app.router.add_static("/static/portal", STATIC, name="portal_static")
    app.on_response_prepare.append(security_headers)


def static_url(name: str) -> str:
    return f"/static/portal/{name}"
