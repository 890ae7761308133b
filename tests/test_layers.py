"""Imports go downward only, and only engine.py knows a backend (STYLE.md, rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "productops"

# Lower layers never import higher ones; a module may import its own package and anything below.
LAYERS = {
    "errors": 0,
    "schema": 1,
    "config": 2,
    "engine": 2,
    "durations": 2,
    "ingest": 3,
    "connectors": 3,
    "pillars": 4,
    "experiments": 4,
    "demo": 4,
    "ops": 5,
    "registry": 5,
    "workspace": 6,
    "status": 6,
    "sync": 6,
    "render": 7,
    "reports": 7,
    "services": 8,
    "commands": 9,
    "web": 9,
    "notify": 9,
    "cli": 10,
    "__main__": 11,
}
BACKENDS = {"duckdb", "pyspark"}


def _unit(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules imported outside `if TYPE_CHECKING:` blocks."""
    names: list[str] = []
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            skip |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _unit(p) != "__init__")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_downward(path: Path) -> None:
    unit = _unit(path)
    assert unit in LAYERS, f"{unit}: give it a layer in tests/test_layers.py"
    for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        parts = name.split(".")
        if parts[0] == "productops" and len(parts) > 1 and parts[1] != unit:
            assert LAYERS[parts[1]] < LAYERS[unit], f"{unit} (layer {LAYERS[unit]}) imports {name}"
        if parts[0] in BACKENDS:
            assert unit == "engine", (
                f"{path.name} imports {parts[0]}; only engine.py knows backends"
            )
