"""billing/ is the domain: it imports no I/O framework, driver, scheduler or environment."""
import ast
from pathlib import Path

import pytest

BILLING = Path(__file__).resolve().parents[2] / "billing"
FORBIDDEN = {"aiohttp", "pymongo", "bson", "apscheduler", "os", "service", "handlers", "jobs"}


@pytest.mark.parametrize("module", sorted(p.name for p in BILLING.glob("*.py")))
def test_billing_module_imports_nothing_from_the_outside(module):
    tree = ast.parse((BILLING / module).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert not imported & FORBIDDEN, imported & FORBIDDEN
