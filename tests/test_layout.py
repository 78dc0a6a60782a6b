"""The shape of the code (conventions, "The shape"; issue 10): every module imports, none is over
300 lines, and the modules of service/, handlers/, billing/ and jobs/ import each other without
a cycle at module level (an import inside a function or under `if TYPE_CHECKING:` runs later,
or never, and is not counted)."""
import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("service", "handlers", "billing", "jobs")
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES
           for p in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: its body, and the bodies of its top-level
    `if`/`try` blocks, except `if TYPE_CHECKING:`."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            todo += ([] if _is_type_checking(node) else node.body) + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [
                n for handler in node.handlers for n in handler.body]
    return found


def first_party_targets(name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The first-party modules an import statement loads: `from a.b import c` loads `a.b.c`
    when that is a module, else `a.b`."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:                    # relative: from the module's package, level - 1 up
        package = name.split(".")[:None if MODULES[name].name == "__init__.py" else -1]
        package = package[:len(package) - node.level + 1]
        base = ".".join([*package, *([base] if base else [])])
    targets = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
    named = {alias.name for alias in node.names if f"{base}.{alias.name}" not in MODULES}
    return targets | ({base} if named and base in MODULES else set())


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = {target for node in module_level_imports(tree)
                       for target in first_party_targets(name, node)} - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path a → … → a, or None."""
    state: dict[str, int] = {}      # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_modules_import_each_other_without_a_cycle():
    graph = import_graph()
    assert sum(map(len, graph.values())) > 100        # the graph was read, not left empty
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_a_type_checking_import_is_not_a_module_level_import():
    tree = ast.parse("from typing import TYPE_CHECKING\nimport x\nif TYPE_CHECKING:\n"
                     "    import y\ntry:\n    import z\nexcept ImportError:\n    pass\n"
                     "def f():\n    import w\n")
    assert [a.name for node in module_level_imports(tree) if isinstance(node, ast.Import)
            for a in node.names] == ["x", "z"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports_and_stays_under_300_lines(name):
    importlib.import_module(name)
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)}: {lines} lines"
