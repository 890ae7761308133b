"""Data quality: run the declared checks and reconciliations, and read their stored results and
the incidents they opened (docs/data-quality.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.errors import NotFoundError, UsageError
from productops.pillars.data.checks_run import Outcome, run_check
from productops.pillars.data.quality import Check, load_checks
from productops.pillars.data.reconcile import reconcile
from productops.registry.checks import (
    check_history,
    last_details,
    list_incidents,
    record_run,
)
from productops.registry.lookup import pick
from productops.services import audit
from productops.services.catalog import workspace_catalog
from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "CheckResult",
    "CheckRun",
    "CheckShown",
    "Incident",
    "check_ids",
    "check_results",
    "incidents",
    "run_checks",
    "show_check",
]


@dataclass(frozen=True)
class CheckRun:
    """One check's result: its status, what it observed, and what happened to its incident
    (`opened`, `still open`, `resolved` or empty)."""

    id: str
    kind: str
    target: str
    status: str
    observed: float | None
    summary: str
    incident: str
    failing_keys: list[str]


def run_checks(
    ws: Workspace, actor: Actor, as_of: datetime, run_at: datetime, only: list[str] | None = None
) -> list[CheckRun]:
    """Run the declared checks and reconciliations (all, or `only` these ids) on the data as of
    `as_of`, store each result stamped `run_at`, open or resolve incidents (a write: one audit
    row as `actor`'s for the run, with its counts)."""
    catalog = workspace_catalog(ws)
    items = load_checks([ws.root / "checks"], catalog=catalog).all()
    unknown = sorted(set(only or []) - {i.id for i in items})
    if unknown:
        declared = ", ".join(sorted(i.id for i in items)) or "none"
        raise UsageError(f"--only {', '.join(unknown)}: no such check; declared: {declared}")
    table = ws.backend().table
    runs: list[CheckRun] = []
    with ws.store.transaction():
        for item in items:
            if only and item.id not in only:
                continue
            outcome: Outcome
            if isinstance(item, Check):
                previous = last_details(ws.store, item.id)
                outcome = run_check(item, table, as_of, catalog=catalog, previous=previous)
            else:
                outcome = reconcile(item, table, catalog)
            runs.append(
                CheckRun(
                    id=item.id,
                    kind=item.kind,
                    target=item.target,
                    status=outcome.status,
                    observed=outcome.observed,
                    summary=outcome.summary,
                    incident=record_run(ws.store, item, outcome, run_at),
                    failing_keys=outcome.details.get("failing_keys", []),
                )
            )
        audit.record(ws, actor, "check.run", "check_result", None, _summary(runs, run_at))
    return runs


def _summary(runs: list[CheckRun], run_at: datetime) -> dict[str, Any]:
    """A run as its audit row keeps it: how many checks gave each status and moved incidents."""
    statuses = dict(Counter(r.status for r in runs))
    incidents = dict(Counter(r.incident for r in runs if r.incident))
    return {"run_at": run_at, "checks": len(runs), "status": statuses, "incidents": incidents}


@dataclass(frozen=True)
class CheckResult:
    """A stored result of a check: when it ran, its status and what it observed."""

    run_at: datetime
    id: str
    kind: str | None
    target: str | None
    status: str
    observed: float | None
    summary: str


@dataclass(frozen=True)
class CheckShown:
    """A check's latest result and the keys that differ (reconciliations: with both values)."""

    check: CheckResult
    keys: list[dict[str, Any]]


@dataclass(frozen=True)
class Incident:
    """A data incident a failing check opened, open until a later run passes."""

    id: str
    check_id: str
    target: str | None
    status: str
    opened_at: datetime
    resolved_at: datetime | None
    summary: str | None


def check_ids(ws: Workspace) -> list[str]:
    """The ids of the checks declared (checks/*.yml) and of those with stored results."""
    declared = load_checks([ws.root / "checks"], catalog=workspace_catalog(ws)).all()
    stored = ws.store.sql("SELECT split_part(id, ':', 2) FROM data_check")
    return sorted({i.id for i in declared} | {r[0] for r in stored})


def check_results(
    ws: Workspace, check: str | None = None, limit: int | None = None
) -> list[CheckResult]:
    """Stored results, newest first: of `check`, or of every check; at most `limit`."""
    return typed(check_history(ws.store, check, limit), CheckResult)


def show_check(ws: Workspace, check: str) -> CheckShown:
    """Check `check`'s latest result and the keys that differ (unknown or never run:
    `NotFoundError`)."""
    name = pick("check", check, check_ids(ws), listing="productops check history")
    latest = check_results(ws, name, 1)
    details = last_details(ws.store, name)
    if not latest or details is None:
        raise NotFoundError(f"check {name!r} has not run yet; run `productops check --only {name}`")
    keys = details.get("key_sample") or [{"key": k} for k in details.get("failing_keys", [])]
    return CheckShown(latest[0], keys)


def incidents(ws: Workspace, status: str | None = None) -> list[Incident]:
    """Data incidents (only `open` or `resolved` ones), open ones first."""
    if status not in (None, "open", "resolved"):
        raise UsageError(f"status {status!r}: use open or resolved")
    return typed(list_incidents(ws.store, status), Incident)
