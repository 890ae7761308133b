"""Data-quality results in the store: each declared check (`data_check`), each run
(`data_check_result`) and data incidents (`data_incident`).

A failing run (status `warn` or `error`) opens an incident unless one is open for the
check; a passing run resolves the open one. Ids: `productops:<check id>` and
`productops:incident-<check id>-<UTC time opened>`.

>>> record_run(store, check, outcome, run_at)  # doctest: +SKIP
'opened'
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.pillars.data.checks_run import Outcome
from productops.pillars.data.quality import Check, Reconciliation
from productops.registry.rows import SOURCE, TIMESTAMP, land, strings

__all__ = ["check_history", "check_id", "last_details", "list_incidents", "record_run"]


def check_id(name: str) -> str:
    """The stored id of the check declared as `name`."""
    return f"{SOURCE}:{name}"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def last_details(store: Store, name: str) -> dict[str, Any] | None:
    """The details of the check's latest stored result, if any."""
    rows = store.sql(
        "SELECT details FROM data_check_result WHERE check_id = ? ORDER BY run_at DESC LIMIT 1",
        [check_id(name)],
    )
    if not rows or rows[0][0] is None:
        return None
    found: dict[str, Any] = json.loads(rows[0][0])
    return found


def _open_incident(store: Store, cid: str) -> tuple[Any, ...] | None:
    rows = store.sql(
        "SELECT id, target, opened_at, summary FROM data_incident "
        "WHERE check_id = ? AND status = 'open' ORDER BY opened_at DESC LIMIT 1",
        [cid],
    )
    return rows[0] if rows else None


def _incident(store: Store, row: tuple[Any, ...], cid: str, resolved_at: datetime | None) -> None:
    incident_id, target, opened_at, summary = row
    data = pa.table(
        {
            "id": strings([incident_id]),
            "check_id": strings([cid]),
            "target": strings([target]),
            "status": strings(["open" if resolved_at is None else "resolved"]),
            "opened_at": pa.array([opened_at], TIMESTAMP),
            "resolved_at": pa.array([resolved_at], TIMESTAMP),
            "summary": strings([summary]),
        }
    )
    land(store, "data_incident", data, "productops check")


def record_run(
    store: Store, item: Check | Reconciliation, outcome: Outcome, run_at: datetime
) -> str:
    """Store the check, its result at `run_at`, and open or resolve its incident.

    Returns what happened to the incident: `opened`, `still open`, `resolved` or ``.
    """
    cid = check_id(item.id)
    params = item.params if isinstance(item, Check) else item.model_dump(exclude={"id"})
    check = pa.table(
        {
            "id": strings([cid]),
            "kind": strings([item.kind]),
            "target": strings([item.target]),
            "params": strings([_json(params)]),
            "severity": strings([item.severity]),
            "description": strings([item.description or None]),
        }
    )
    result = pa.table(
        {
            "check_id": strings([cid]),
            "run_at": pa.array([run_at], TIMESTAMP),
            "status": strings([outcome.status]),
            "observed": pa.array([outcome.observed], pa.float64()),
            "details": strings([_json({"summary": outcome.summary, **outcome.details})]),
        }
    )
    with store.transaction():
        land(store, "data_check", check, "productops check")
        land(store, "data_check_result", result, "productops check")
        found = _open_incident(store, cid)
        if outcome.status == "pass":
            if found is None:
                return ""
            _incident(store, found, cid, run_at)
            return "resolved"
        if found is not None:
            return "still open"
        opened = (f"incident-{item.id}-{run_at:%Y%m%dT%H%M%S}", item.target, run_at)
        _incident(store, (*opened, outcome.summary), cid, None)
        return "opened"


def check_history(
    store: Store, name: str | None = None, limit: int | None = 50
) -> list[dict[str, Any]]:
    """Stored results, newest first: of one check, or of all; at most `limit` (None: all)."""
    where, params = ("WHERE r.check_id = ?", [check_id(name)]) if name else ("", [])
    rows = store.sql(
        "SELECT replace(r.check_id, ?, '') AS id, c.kind, c.target, r.run_at, r.status, "
        "r.observed, r.details FROM data_check_result r JOIN data_check c ON c.id = r.check_id "
        f"{where} ORDER BY r.run_at DESC, r.check_id" + (" LIMIT ?" if limit else ""),
        [f"{SOURCE}:", *params, *([limit] if limit else [])],
    )
    out = []
    for id_, kind, target, run_at, status, observed, details in rows:
        summary = json.loads(details).get("summary", "") if details else ""
        out.append(
            {
                "id": id_,
                "kind": kind,
                "target": target,
                "run_at": run_at,
                "status": status,
                "observed": observed,
                "summary": summary,
            }
        )
    return out


def list_incidents(store: Store, status: str | None = None) -> list[dict[str, Any]]:
    """Data incidents, open ones first, then by when they were opened (newest first)."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    rows = store.sql(
        "SELECT replace(id, ?, '') AS id, replace(check_id, ?, '') AS check_id, target, status, "
        f"opened_at, resolved_at, summary FROM data_incident {where} "
        "ORDER BY status = 'resolved', opened_at DESC, id",
        [f"{SOURCE}:", f"{SOURCE}:", *params],
    )
    names = ["id", "check_id", "target", "status", "opened_at", "resolved_at", "summary"]
    return [dict(zip(names, row, strict=True)) for row in rows]
