"""What the scorecard keeps: targets, the snapshots of criteria, maturity readings.

Snapshots are upserted per (metric, team, grain, period): re-computing a period replaces its
value, and a value that did not change keeps the `computed_at` of when it was first computed,
so the history of every period survives re-computation.

>>> set_target(store, "process.time_to_market", "payments", 10.0, now)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.errors import NotFoundError, UsageError
from productops.registry.rows import TIMESTAMP, land, strings

__all__ = [
    "TARGET_TABLES",
    "list_targets",
    "save_readings",
    "save_snapshots",
    "set_target",
    "targets",
]

TARGET_TABLES = frozenset({"criterion_target", "import_run"})  # all `set_target` writes (lands)


def set_target(
    store: Store,
    criterion: str,
    team_id: str,
    target: float,
    at: datetime,
    *,
    also: Collection[str] = (),
) -> None:
    """Set (or replace) a team's target for a criterion.

    `team_id` must be a team, or one of `also`: the ids of rows that are no team (the
    organisation's, `ops.criteria.ORG`, which registry may not import).
    """
    known = team_id in also or store.sql("SELECT count(*) FROM team WHERE id = ?", [team_id])[0][0]
    if not known:
        raise NotFoundError(
            f"unknown team {team_id!r}; import it first (productops import team FILE)"
        )
    if target != target:
        raise UsageError(f"target of {criterion}: give a number")
    data = pa.table(
        {
            "criterion": strings([criterion]),
            "team_id": strings([team_id]),
            "target": pa.array([float(target)], pa.float64()),
            "set_at": pa.array([at], TIMESTAMP),
        }
    )
    land(store, "criterion_target", data, "productops scorecard target")


def targets(store: Store) -> dict[tuple[str, str], float]:
    """Every target, keyed by (criterion, team)."""
    rows = store.sql("SELECT criterion, team_id, target FROM criterion_target")
    return {(str(c), str(t)): float(v) for c, t, v in rows}


def list_targets(store: Store, team_id: str | None = None) -> list[dict[str, Any]]:
    """Targets as rows `criterion, team_id, target, set_at`, optionally of one team."""
    where, params = ("WHERE team_id = ?", [team_id]) if team_id else ("", [])
    table = store.arrow(
        f"SELECT criterion, team_id, target, set_at FROM criterion_target {where} "
        "ORDER BY team_id, criterion",
        params,
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def save_snapshots(store: Store, rows: Sequence[Mapping[str, Any]], computed_at: datetime) -> int:
    """Upsert snapshots (`metric, team_id, grain, period_start, value, unit, reason, target`).

    A row equal to the stored one keeps its `computed_at`. Returns the rows written.
    """
    if not rows:
        return 0
    stored = {
        tuple(r[:4]): r[4:]
        for r in store.sql(
            "SELECT metric, team_id, grain, period_start, value, reason, target, computed_at "
            "FROM metric_snapshot"
        )
    }
    stamps = []
    for r in rows:
        key = (r["metric"], r["team_id"], r["grain"], r["period_start"].astimezone(UTC))
        old = stored.get(tuple(_norm(k) for k in key))
        same = old is not None and tuple(old[:3]) == (r["value"], r["reason"], r["target"])
        stamps.append(old[3] if same and old is not None else computed_at)
    data = pa.table(
        {
            "metric": strings([r["metric"] for r in rows]),
            "team_id": strings([r["team_id"] for r in rows]),
            "grain": strings([r["grain"] for r in rows]),
            "period_start": pa.array([r["period_start"] for r in rows], TIMESTAMP),
            "value": pa.array([r["value"] for r in rows], pa.float64()),
            "unit": strings([r["unit"] for r in rows]),
            "reason": strings([r["reason"] for r in rows]),
            "target": pa.array([r["target"] for r in rows], pa.float64()),
            "computed_at": pa.array(stamps, TIMESTAMP),
        }
    )
    land(store, "metric_snapshot", data, "productops scorecard")
    return len(rows)


def _norm(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def save_readings(store: Store, rows: Sequence[Mapping[str, Any]], computed_at: datetime) -> None:
    """Upsert maturity readings (`team_id, pillar, period_start, stage, reasons`)."""
    if not rows:
        return
    data = pa.table(
        {
            "team_id": strings([r["team_id"] for r in rows]),
            "pillar": strings([r["pillar"] for r in rows]),
            "period_start": pa.array([r["period_start"] for r in rows], TIMESTAMP),
            "stage": strings([r["stage"] for r in rows]),
            "reasons": strings([json.dumps(list(r["reasons"])) for r in rows]),
            "computed_at": pa.array([computed_at] * len(rows), TIMESTAMP),
        }
    )
    land(store, "maturity_reading", data, "productops scorecard maturity")
