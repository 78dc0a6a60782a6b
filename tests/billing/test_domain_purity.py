"""billing/ is the domain: it imports no I/O framework, driver, scheduler or environment, and it
reads no clock, no randomness and no environment (time is a parameter: conventions, "The shape")."""
import ast
from pathlib import Path

import pytest

BILLING = Path(__file__).resolve().parents[2] / "billing"
FORBIDDEN = {"aiohttp", "pymongo", "bson", "apscheduler", "os", "service", "handlers", "jobs",
             "random", "secrets", "uuid", "time", "sys"}
CLOCK_READS = {                                # owner → what reads the clock
    "datetime": {"now", "utcnow", "today"},
    "date": {"today"},
    "time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
             "localtime", "gmtime", "process_time"},
}
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb"}
MODULES = sorted(p.name for p in BILLING.glob("*.py"))


def imported_modules(tree: ast.AST) -> set[str]:
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    return imported | {node.module.split(".")[0] for node in ast.walk(tree)
                       if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}


def _owner(node: ast.expr) -> str | None:
    """`datetime` for `datetime.now` and `datetime.datetime.now`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def impure_reads(tree: ast.AST) -> list[str]:
    """Clock, environment, randomness reads, by name: `datetime.now`, `date.today`,
    `time.time`, `os.environ`, `getenv`, and any name imported from a forbidden module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in CLOCK_READS.get(_owner(node.value), ()):
                found.append(f"{_owner(node.value)}.{node.attr}")
            elif node.attr in ENVIRONMENT:
                found.append(node.attr)
        elif isinstance(node, ast.Name) and node.id in ENVIRONMENT:
            found.append(node.id)
        elif isinstance(node, ast.ImportFrom) and node.module in {"datetime", "time"}:
            found += [f"{node.module}.{a.name}" for a in node.names
                      if a.name in CLOCK_READS[node.module]]
    return found


@pytest.mark.parametrize("module", MODULES)
def test_billing_module_imports_nothing_from_the_outside(module):
    imported = imported_modules(ast.parse((BILLING / module).read_text()))
    assert not imported & FORBIDDEN, imported & FORBIDDEN


@pytest.mark.parametrize("module", MODULES)
def test_billing_module_reads_no_clock_and_no_environment(module):
    assert impure_reads(ast.parse((BILLING / module).read_text())) == []


@pytest.mark.parametrize("source", [
    "from datetime import datetime\nx = datetime.now()",
    "import datetime\nx = datetime.datetime.now(datetime.timezone.utc)",
    "from datetime import datetime\nx = datetime.utcnow()",
    "from datetime import date\nx = date.today()",
    "import time\nx = time.time()",
    "from time import monotonic",
    "import os\nx = os.environ['X']",
    "import os\nx = os.getenv('X')",
    "from os import getenv",
])
def test_the_checks_refuse_clock_and_environment_reads(source):
    tree = ast.parse(source)
    assert impure_reads(tree) or imported_modules(tree) & FORBIDDEN


@pytest.mark.parametrize("source", ["import random", "import secrets", "from uuid import uuid4"])
def test_the_checks_refuse_randomness(source):
    assert imported_modules(ast.parse(source)) & FORBIDDEN


def test_the_checks_allow_pure_datetime_arithmetic():
    tree = ast.parse("from datetime import datetime, timedelta\n"
                     "def f(now: datetime) -> datetime:\n    return now + timedelta(days=1)\n"
                     "def g(moment: datetime):\n    return moment.time(), moment.date()\n"
                     "import datetime\nnoon = datetime.time(12, 0)\n")
    assert impure_reads(tree) == [] and not imported_modules(tree) & FORBIDDEN
