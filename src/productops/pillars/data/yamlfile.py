"""Definitions in YAML validated by a pydantic model, with errors naming the file, line and field.

Shared by the metric catalog (`catalog.py`) and the data-quality checks (`quality.py`).

>>> parsed, root = read_yaml(Path("metrics/usage.yml"), CatalogFile, "docs/catalog.md")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from productops.errors import ConfigError

__all__ = ["item_line", "node_line", "read_yaml"]

M = TypeVar("M", bound=BaseModel)

# libyaml's parser when PyYAML was built with it: the pure-Python one takes ~10x as long, which
# each write that reads the metric catalog (a decision, its evidence) paid.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def node_line(node: yaml.Node, loc: Iterable[int | str]) -> int:
    """The 1-based line of the YAML node at pydantic's `loc` (the deepest one that exists)."""
    for part in loc:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if part < len(node.value) else None
        if nxt is None:
            break
        node = nxt
    return int(node.start_mark.line) + 1


def item_line(root: yaml.Node | None, section: str, index: int) -> int:
    """The 1-based line where item `index` of the top-level list `section` starts."""
    return node_line(root, [section, index]) if root is not None else 1


def read_yaml(path: Path, model: type[M], doc: str) -> tuple[M, yaml.Node | None]:
    """Parse `path` into `model` (an empty file gives the model's defaults) and its YAML tree.

    Raises `ConfigError` as `FILE:LINE: FIELD (of NAME): problem`, pointing to `doc`.
    """
    try:
        text = path.read_text(encoding="utf-8")
        loader = _Loader(text)
        try:  # parsed once: the tree (for line numbers), then the data built from it
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{where}: not valid YAML: {problem}") from exc
    if data is None:
        return model(), node
    try:
        return model.model_validate(data), node
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        line = node_line(node, loc) if node is not None else 1
        fields = ".".join(str(p) for p in loc) or "(top level)"
        if len(loc) >= 2 and isinstance(data, dict) and isinstance(loc[1], int):
            items = data.get(loc[0])
            item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
            name = item.get("name", item.get("id")) if isinstance(item, dict) else None
            if isinstance(name, str):
                fields += f" (of {name})"
        raise ConfigError(
            f"{path}:{line}: {fields}: {first['msg']}; fix the definition (see {doc})"
        ) from exc
