"""Imports go downward only, only engine.py knows a backend (STYLE.md, rule 1), every folder
keeps the import rule its README states, and no command module imports another."""

from __future__ import annotations

import ast
import re
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
    "channels": 7,
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


# A folder README's import rule: one line naming what its modules may import besides their own
# folder (productops modules or packages, dotted below `productops`).
RULE = re.compile(r"^Imports: (.+)$", re.MULTILINE)
READMES = sorted(PACKAGE.rglob("README.md"))


def _name(path: Path) -> str:
    """The dotted module name of a file or package folder under src/."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] in ("__init__", "README") else parts)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imported(path: Path, type_only_too: bool = False) -> list[str]:
    """Every productops name `path` imports, whole (`productops.render.plain` for
    `from productops.render import plain`); relative imports resolved. Imports under
    `if TYPE_CHECKING:` count only with `type_only_too`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if not type_only_too:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                skip |= {id(n) for n in ast.walk(node)}
    package = _name(path if path.name == "__init__.py" else path.parent)
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names += [f"{base}.{a.name}" for a in node.names]
    return [n for n in names if _within(n, "productops")]


def _rule(readme: Path) -> list[str]:
    found = RULE.findall(readme.read_text(encoding="utf-8"))
    assert len(found) == 1, (
        f"{readme.relative_to(PACKAGE)}: state the folder's import rule in one line, "
        "`Imports: a, b, c` (productops modules or packages it may import)"
    )
    return [n.strip(" `.") for n in found[0].split(",")]


def test_every_package_folder_has_a_readme() -> None:
    folders = sorted(p.parent for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE)
    missing = [str(f.relative_to(PACKAGE)) for f in folders if not (f / "README.md").exists()]
    assert not missing, f"give these folders a README with their import rule: {missing}"


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.parent.relative_to(PACKAGE)))
def test_every_folder_keeps_its_readme_s_import_rule(readme: Path) -> None:
    """Each module under a README's folder (subfolders too) imports at run time only its own
    folder and what the README's `Imports:` line names."""
    allowed = [f"productops.{n}" for n in _rule(readme)]
    for name in allowed:
        module = PACKAGE.parent / name.replace(".", "/")
        assert module.is_dir() or module.with_suffix(".py").exists(), (
            f"{readme.relative_to(PACKAGE)}: Imports names {name}, which does not exist"
        )
    own = _name(readme)
    for path in sorted(readme.parent.rglob("*.py")):
        for name in _imported(path):
            assert _within(name, own) or any(_within(name, a) for a in allowed), (
                f"{path.relative_to(PACKAGE)} imports {name}; "
                f"{readme.relative_to(PACKAGE)} allows {', '.join(_rule(readme))}"
            )


def test_the_rule_reader_sees_every_form_of_import() -> None:
    module = PACKAGE / "commands" / "flow.py"
    assert "productops.commands.common.FormatOption" in _imported(module)
    assert _name(module) == "productops.commands.flow"
    assert _name(PACKAGE / "pillars" / "data" / "README.md") == "productops.pillars.data"


@pytest.mark.parametrize("path", sorted((PACKAGE / "commands").glob("*.py")), ids=lambda p: p.name)
def test_no_command_module_imports_another(path: Path) -> None:
    """What two commands share lives in `commands/common.py`; use cases live in `services/`."""
    for name in _imported(path, type_only_too=True):
        if _within(name, "productops.commands") and path.name != "__init__.py":
            assert _within(name, "productops.commands.common"), (
                f"commands/{path.name} imports {name}: move what it shares to commands/common.py "
                "or the use case to services/"
            )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_s_private_names(path: Path) -> None:
    """A name with a leading underscore stays in its module: what two modules share is public."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("productops")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == [], path
