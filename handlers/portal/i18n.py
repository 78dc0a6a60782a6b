"""The portal's languages: Indonesian (default) and English, from the pybabel catalogs in
`locales/` (msgids are English; `make catalogs` extracts them from the templates and from Python
code marked with `_`, and updates both catalogs). The catalogs are compiled in memory at start-up,
so no `.mo` file is committed or built.

The language of a request is set once by the page decorator (handlers/portal/web.py) in a context
variable; templates and Python code translate through it. Money and dates are formatted with
Babel in that language, dates in SALDO_TIMEZONE (a time with its zone: WIB)."""
from __future__ import annotations

import contextvars
import gettext as _gettext
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from billing.money import Money
from handlers.formatting import format_money

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("id", "en")
DEFAULT = "id"
LANG: contextvars.ContextVar[str] = contextvars.ContextVar("portal_lang", default=DEFAULT)


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)   # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str, **variables: object) -> str:
    """`_("Due %(date)s", date=…)`: translated, then the variables put in."""
    text = translations(LANG.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(LANG.get()).ngettext(singular, plural, n)


_ = gettext     # the marker pybabel extracts from Python code


def money(value: Money | dict | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = Money(int(value["amount"]), value["currency"])
    return format_money(value, LANG.get())


def date(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    return format_date(value.astimezone(tz), format="d MMM y", locale=LANG.get())


def date_time(value: datetime | None, tz: ZoneInfo) -> str:
    """`21 Nov 2026 10:00 WIB`: the zone as Indonesians write it (WIB, WITA, WIT; Indonesia has
    three) in both languages, since a customer in Bali reads a bare 10:00 as its own time."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    return (format_datetime(local, format="d MMM y HH:mm", tzinfo=tz, locale=LANG.get()) + " "
            + format_datetime(local, format="z", tzinfo=tz, locale="id"))
