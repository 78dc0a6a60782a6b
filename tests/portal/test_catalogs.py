"""Every visible string of the portal and the panel is translated: each message pybabel
extracts (babel.cfg: templates and Python code marked with `_`) has an Indonesian translation,
and both catalogs load."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "handlers" / "portal" / "locales" / "{}" / "LC_MESSAGES" / "messages.po"


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(lang: str):
    with open(str(CATALOG).format(lang), "rb") as fp:
        return read_po(fp, locale=lang)


def test_every_extracted_message_has_an_indonesian_translation():
    messages = _extracted()
    assert len(messages) > 30
    catalog = _catalog("id")
    missing = sorted(m for m in messages
                     if not catalog.get(m) or not catalog.get(m).string
                     or catalog.get(m).fuzzy)
    assert not missing, "untranslated (run `make catalogs`, translate id's messages.po):\n" + \
        "\n".join(missing)


def test_the_english_catalog_exists_for_every_message():
    messages = _extracted()
    catalog = _catalog("en")
    assert not sorted(m for m in messages if catalog.get(m) is None), "run `make catalogs`"
