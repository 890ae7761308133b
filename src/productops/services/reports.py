"""The scorecard report: report.html, report.pdf and report.md written from the kept scorecard,
opened by the summary and followed by DORA, demand by ARR, experiment results and a page per
team (docs/reports.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from productops.ops.scorecard import latest_complete, periods_ending, shift
from productops.reports import NoScorecardError, Report, build_report, write_files
from productops.services import audit
from productops.services.demand import demand_by_arr
from productops.services.dora import team_dora
from productops.services.experiment_results import experiment_results
from productops.services.scorecard import compute_and_keep
from productops.services.summary import summary

if TYPE_CHECKING:
    from pathlib import Path

    from productops.durations import Grain
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["WrittenReport", "scorecard_report", "write_report"]


@dataclass(frozen=True)
class WrittenReport:
    """The report files written, and notes for the reader (the scorecard computed first)."""

    files: list[Path]
    notes: list[str]


def scorecard_report(ws: Workspace, g: Grain, periods: int, as_of: datetime) -> Report:
    """The report over the last `periods` kept periods of `g`: the kept scorecard, the summary
    of its latest period (incidents, spikes and decisions due as of `as_of`), and DORA, demand
    and experiments for that period (experiments: those that ran in the report's periods).

    The kept rows are read straight from the store: small, and current even on Spark, whose
    backend reads a copy of the store taken at its first use.
    """
    report = build_report(ws.store.ibis(), g, periods, datetime.now(UTC))
    latest = report.periods[-1]
    end = min(shift(latest, g, 1), as_of)
    return replace(
        report,
        summary=summary(ws, g, as_of, latest),
        dora=team_dora(ws, latest, g, end),
        demand=demand_by_arr(ws, latest, g),
        experiments=experiment_results(ws, report.periods[0], end),
    )


def write_report(
    ws: Workspace,
    actor: Actor,
    out: Path,
    chosen: list[str],
    g: Grain,
    periods: int,
    as_of: datetime,
) -> WrittenReport:
    """Write the `chosen` report files (html, pdf, md) over the last `periods` periods of `g`
    into `out`, read as of `as_of`; when no scorecard is kept yet, compute and keep it as of
    `as_of` first (a write: one audit row as `actor`'s, naming the files and what was kept)."""
    notes = []
    kept = {"snapshots": 0, "readings": 0}
    with ws.store.transaction():
        try:
            report = scorecard_report(ws, g, periods, as_of)
        except NoScorecardError:
            notes.append(f"No scorecard kept yet: computing it for the last {periods} {g}s first")
            starts = periods_ending(latest_complete(as_of, g), g, periods)
            scores, readings = compute_and_keep(ws, starts, g, as_of)
            kept = {"snapshots": len(scores), "readings": len(readings)}
            report = scorecard_report(ws, g, periods, as_of)
        files = write_files(report, out, chosen)
        after = {"folder": str(out), "files": [f.name for f in files], **kept}
        audit.record(ws, actor, "report.write", "report", None, after)
    return WrittenReport(files, notes)
