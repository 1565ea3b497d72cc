"""The shape of the code holds: no module imports another that (through others) imports it
back, imports inside functions included (only a type-checking block may name a module it does
not load); handlers/ never reaches bot/, aiogram or twilio; storage/ and flows/ never reach
handlers/."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "flows", "locales", "storage")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it but under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
            for child in node.body for n in ast.walk(child)}
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
             if "migrations" not in p.parts]
    modules = {_module(p): p for p in files}
    # A package's __init__ is not an edge of its own submodules' imports (``from a import b``
    # names the module a.b, which is what counts).
    return {name: {m for m in imports_of(path) if m in modules and m != name
                   and not (modules[m].name == "__init__.py" and name.startswith(m + "."))}
            for name, path in modules.items()}


def test_no_module_imports_itself_back():
    try:
        tuple(TopologicalSorter(graph()).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' → '.join(cycle.args[1])}") from None


def test_the_layers_point_one_way():
    wrong = []
    for name, path in ((_module(p), p) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")):
        seen = imports_of(path)
        if name.startswith("handlers"):
            wrong += [(name, m) for m in seen if m.split(".")[0] in ("bot", "aiogram", "twilio")]
        if name.startswith(("storage", "flows", "locales")):
            wrong += [(name, m) for m in seen if m.split(".")[0] in ("bot", "handlers")]
    assert wrong == []
