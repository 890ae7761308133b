"""The organisation: its teams and people (no names or e-mail addresses), as the command line,
the API and the web pages list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["Person", "Team", "list_people", "list_teams"]


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


@dataclass(frozen=True)
class Person:
    """A person: id, team, role and when they joined (no name or e-mail address)."""

    id: str
    team_id: str | None
    role: str | None
    joined_at: datetime | None


def list_people(ws: Workspace, team: str | None = None) -> list[Person]:
    """Everyone (of `team`), by team and id."""
    where, params = ("WHERE team_id = ?", [team]) if team else ("", [])
    rows = ws.store.arrow(
        f"SELECT id, team_id, role, joined_at FROM person {where} ORDER BY team_id, id", params
    ).to_pylist()
    return typed(rows, Person)
