"""Nudges and improvement initiatives in the store: write, update and read them.

Ids: `productops:nudge-<team>-<rule>-<UTC time offered>` and
`productops:initiative-<slug of team and title>`. Which moves are allowed is decided by
`productops.ops.nudges` and `productops.ops.initiatives`; this module only keeps the rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.errors import UsageError
from productops.experiments.registry import slug
from productops.registry.rows import SOURCE, TIMESTAMP, land, resolve, strings
from productops.schema import TABLES

__all__ = [
    "add_initiative",
    "add_nudge",
    "list_initiatives",
    "list_nudges",
    "load_initiative",
    "load_nudge",
    "update_initiative",
    "update_nudge",
]


def _columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.name not in ("source", "ingested_at")]


def _write(store: Store, table: str, row: Mapping[str, Any], label: str) -> None:
    types = {c.name: c.type for c in TABLES[table].columns}
    arrays: dict[str, Any] = {}
    for name in _columns(table):
        value = row.get(name)
        kind = types[name]
        if kind == "timestamp":
            arrays[name] = pa.array([value], TIMESTAMP)
        elif kind == "float":
            arrays[name] = pa.array([value], pa.float64())
        elif kind == "json":
            arrays[name] = strings([None if value is None else json.dumps(value)])
        else:
            arrays[name] = strings([value])
    land(store, table, pa.table(arrays), label)


def _load(store: Store, table: str, ident: str) -> dict[str, Any]:
    cols = ", ".join(_columns(table))
    rows: list[dict[str, Any]] = store.arrow(
        f"SELECT {cols} FROM {table} WHERE id = ?", [ident]
    ).to_pylist()
    return rows[0]


def _known_team(store: Store, team_id: str) -> None:
    if not store.sql("SELECT count(*) FROM team WHERE id = ?", [team_id])[0][0]:
        raise UsageError(f"unknown team {team_id!r}; import it first (productops import team FILE)")


def add_nudge(
    store: Store,
    *,
    team_id: str,
    rule: str,
    criterion: str,
    readiness: Mapping[str, Any],
    at: datetime,
) -> str:
    """Record a nudge offered to a team; returns its id. A rule offered again at the same
    time (after the first was closed) gets the next free id (`...-2`), never the old one's."""
    base = f"{SOURCE}:nudge-{slug(team_id)}-{rule.replace('_', '-')}-{at:%Y%m%dT%H%M%S}"
    taken = {r[0] for r in store.sql("SELECT id FROM nudge WHERE id LIKE ?", [f"{base}%"])}
    ident = next(
        i for i in (base, *(f"{base}-{n}" for n in range(2, len(taken) + 2))) if i not in taken
    )
    row = {
        "id": ident,
        "team_id": team_id,
        "rule": rule,
        "readiness": dict(readiness),
        "status": "offered",
        "offered_at": at,
        "status_at": at,
        "criterion": criterion,
    }
    _write(store, "nudge", row, "productops nudge offer")
    return ident


def load_nudge(store: Store, ref: str) -> dict[str, Any]:
    """A nudge by id or short reference (the part after `productops:nudge-`)."""
    row = _load(store, "nudge", resolve(store, "nudge", "nudge", ref, "nudge"))
    if row["readiness"] is not None:
        row["readiness"] = json.loads(row["readiness"])
    return row


def update_nudge(store: Store, ref: str, **changes: Any) -> dict[str, Any]:
    """Change a nudge's fields (status, status_at, reason, outcome, baseline, after, measured_at)."""
    row = load_nudge(store, ref)
    row.update(changes)
    _write(store, "nudge", row, "productops nudge")
    return load_nudge(store, row["id"])


def list_nudges(
    store: Store, team_id: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Nudges, newest first, optionally of one team and status."""
    where, params = [], []
    if team_id:
        where.append("team_id = ?")
        params.append(team_id)
    if status:
        where.append("status = ?")
        params.append(status)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows: list[dict[str, Any]] = store.arrow(
        f"SELECT {', '.join(_columns('nudge'))} FROM nudge {clause} ORDER BY offered_at DESC, id",
        params,
    ).to_pylist()
    return rows


def add_initiative(
    store: Store,
    *,
    team_id: str,
    title: str,
    criterion: str,
    baseline: float | None,
    baseline_period: str,
    stage: str,
    at: datetime,
) -> str:
    """Start an initiative at its first stage with a frozen baseline; returns its id."""
    _known_team(store, team_id)
    if not title.strip():
        raise UsageError("give the initiative a title")
    ident = f"{SOURCE}:initiative-{slug(f'{team_id} {title}')}"
    if store.sql("SELECT count(*) FROM initiative WHERE id = ?", [ident])[0][0]:
        raise UsageError(f"{ident} exists already; give the new initiative another title")
    row = {
        "id": ident,
        "team_id": team_id,
        "title": title.strip(),
        "stage": stage,
        "target_metric": criterion,
        "baseline": baseline,
        "started_at": at,
        "stage_at": at,
        "baseline_period": baseline_period,
    }
    _write(store, "initiative", row, "productops initiative new")
    return ident


def load_initiative(store: Store, ref: str) -> dict[str, Any]:
    """An initiative by id or short reference (the part after `productops:initiative-`)."""
    return _load(store, "initiative", resolve(store, "initiative", "initiative", ref, "initiative"))


def update_initiative(store: Store, ref: str, **changes: Any) -> dict[str, Any]:
    """Change an initiative's fields (stage, stage_at, after, ended_at); never its baseline."""
    if "baseline" in changes or "baseline_period" in changes:
        raise UsageError("an initiative's baseline is frozen at its start")
    row = load_initiative(store, ref)
    row.update(changes)
    _write(store, "initiative", row, "productops initiative advance")
    return load_initiative(store, row["id"])


def list_initiatives(store: Store, team_id: str | None = None) -> list[dict[str, Any]]:
    """Initiatives, newest first, optionally of one team."""
    where, params = ("WHERE team_id = ?", [team_id]) if team_id else ("", [])
    rows: list[dict[str, Any]] = store.arrow(
        f"SELECT {', '.join(_columns('initiative'))} FROM initiative {where} "
        "ORDER BY started_at DESC NULLS LAST, id",
        params,
    ).to_pylist()
    return rows
