"""Data quality: run the declared checks and reconciliations (docs/data-quality.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.errors import UsageError
from productops.pillars.data.checks_run import Outcome, run_check
from productops.pillars.data.quality import Check, load_checks
from productops.pillars.data.reconcile import reconcile
from productops.registry.checks import last_details, record_run
from productops.services import audit
from productops.services.catalog import workspace_catalog

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["CheckRun", "run_checks"]


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
