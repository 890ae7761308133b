"""The workspace's metric catalog: the built-in metrics and the workspace's own (docs/catalog.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from productops.pillars.data import Catalog, load_catalog

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["workspace_catalog"]


def workspace_catalog(ws: Workspace) -> Catalog:
    """The built-in metrics plus the workspace's own `metrics/*.yml`."""
    return load_catalog([ws.root / "metrics"])
