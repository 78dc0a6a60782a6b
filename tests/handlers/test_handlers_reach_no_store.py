"""Handlers translate HTTP to one use case: none of them reaches the store (`svc.db`) itself."""
import re
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
STORE = re.compile(r"\.db\b")


def test_no_handler_touches_the_database_directly():
    offenders = [f"{path.name}:{n}" for path in sorted(HANDLERS.glob("*.py"))
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if STORE.search(line)]
    assert offenders == []
