"""What each kind of scheduled job does: a kind's name -> the use case it calls.

A job callable takes the workspace, the acting `schedule:JOB` actor, the job's target (a
source, a digest's name, or None) and the moment it runs for, and returns a summary of what it
did (kept with the run, and in its audit row). It raises to fail the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from productops.ops.scorecard import latest_complete, periods_ending
from productops.services.checks import run_checks
from productops.services.digests import run_digest
from productops.services.scorecard import refresh
from productops.sync import sync_source

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["JOB_KINDS", "JobKind"]

JobKind = Callable[["Workspace", "Actor", str | None, datetime], dict[str, Any]]


def sync(ws: Workspace, actor: Actor, source: str | None, now: datetime) -> dict[str, Any]:
    """Pull `source` from its cursor (`productops sync SOURCE`); counts per table."""
    assert source is not None
    report = sync_source(ws.store, ws.config.connectors, ws.root, source)
    tables = {r["table"]: {k: r[k] for k in _COUNTS} for r in report.rows()}
    return {"pages": report.pages, "tables": tables, "notes": report.notes}


_COUNTS = ("landed", "updated", "unchanged", "quarantined")


def checks(ws: Workspace, actor: Actor, target: str | None, now: datetime) -> dict[str, Any]:
    """Run every data check as of `now` (`productops check`); runs per status, incidents
    opened and resolved, the checks that failed."""
    runs = run_checks(ws, actor, now, now)
    return {
        "checks": len(runs),
        "status": dict(Counter(r.status for r in runs)),
        "incidents": dict(Counter(r.incident for r in runs if r.incident)),
        "failing": sorted(r.id for r in runs if r.status != "pass"),
    }


def scorecard(ws: Workspace, actor: Actor, target: str | None, now: datetime) -> dict[str, Any]:
    """Keep the scorecard's snapshots and maturity readings of the latest complete periods as of
    `now` (`productops scorecard maturity`; grain `[schedule] scorecard_grain`)."""
    grain = ws.config.schedule.scorecard_grain
    count = ws.config.scorecard.habitual_periods
    periods = periods_ending(latest_complete(now, grain), grain, count)
    scores, readings = refresh(ws, actor, periods, grain, now)
    starts = [f"{p:%Y-%m-%d}" for p in periods]
    return {"grain": grain, "periods": starts, "snapshots": len(scores), "readings": len(readings)}


def digest(ws: Workspace, actor: Actor, name: str | None, now: datetime) -> dict[str, Any]:
    """Queue the digest `name` for last week (`productops notify digest NAME`)."""
    assert name is not None
    made = run_digest(ws, actor, name, now)
    return {"digests": len(made.digests), "queued": made.queued}


JOB_KINDS: dict[str, JobKind] = {
    "sync": sync,
    "checks": checks,
    "scorecard": scorecard,
    "digest": digest,
}
