"""The organisation's teams, as the API and the web pages list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["Team", "list_teams"]


@dataclass(frozen=True)
class Team:
    """A team or group of teams; `parent_id` makes the tree."""

    id: str
    name: str
    parent_id: str | None
    focus_pillar: str | None


def list_teams(ws: Workspace) -> list[Team]:
    """Every team, by id."""
    rows = ws.store.sql("SELECT id, name, parent_id, focus_pillar FROM team ORDER BY id")
    return [Team(*row) for row in rows]
