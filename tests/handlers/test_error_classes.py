"""Errors as classes (issue 10 item 5): one class per stable code in billing/errors.py, the
HTTP status following from the class, so that the same code always has the same status."""
import ast
import re
from pathlib import Path

import billing.errors as errors
from billing.errors import BillingError
from handlers.http import _STATUS, status_of

ROOT = Path(__file__).resolve().parents[2]


def _classes() -> list[type[BillingError]]:
    found, todo = [], [BillingError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_its_own_code():
    codes = [cls.code for cls in _classes()]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes), codes


def test_every_error_class_maps_to_exactly_one_status():
    for cls in _classes():
        mapped = [c for c in cls.__mro__ if c in _STATUS]
        # the mapped ancestors form one chain: no class sits under two unrelated mapped branches
        assert all(issubclass(a, b) for a, b in zip(mapped, mapped[1:])), cls
        assert status_of(cls) == _STATUS[mapped[0]]
        # client errors, and the two 503s: the store (issue 17) or a payment gateway (issue 14)
        # cannot be reached
        assert 400 <= status_of(cls) < 500 or cls.code in (
            "store_unavailable", "payment_gateway_unavailable"), cls


def test_the_docstring_tree_lists_every_class_with_its_code_and_status():
    drawn = {m[1]: (m[2], int(m[3])) for m in re.finditer(
        r"^\W*([A-Z]\w+)\s+([a-z_]+)\s+(\d{3})$", errors.__doc__, re.M)}
    assert drawn == {cls.__name__: (cls.code, status_of(cls)) for cls in _classes()}


def test_every_error_class_is_defined_in_billing_errors():
    assert {cls.__module__ for cls in _classes()} == {"billing.errors"}


def test_no_raise_site_passes_a_code_string():
    names = {cls.__name__ for cls in _classes()}
    for package in ("billing", "service", "handlers", "jobs"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in names:
                    assert not any(k.arg == "code" for k in node.keywords), \
                        f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_middlewares_own_codes_are_not_error_class_codes():
    """Besides the classes, the error middleware answers only aiohttp's routing errors and the
    last-resort 500, with codes no class uses."""
    source = (ROOT / "handlers" / "http.py").read_text()
    own = {"method_not_allowed", "http_error", "internal_error"}
    assert all(f'"{code}"' in source for code in own)
    assert own.isdisjoint(cls.code for cls in _classes())
