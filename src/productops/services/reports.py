"""The scorecard report: report.html, report.pdf and report.md written from the kept scorecard
(docs/reports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from productops.ops.scorecard import latest_complete, periods_ending
from productops.reports import NoScorecardError, build_report, write_files
from productops.services import audit
from productops.services.scorecard import compute_and_keep

if TYPE_CHECKING:
    from pathlib import Path

    from productops.durations import Grain
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["WrittenReport", "write_report"]


@dataclass(frozen=True)
class WrittenReport:
    """The report files written, and notes for the reader (the scorecard computed first)."""

    files: list[Path]
    notes: list[str]


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
    into `out`; when no scorecard is kept yet, compute and keep it as of `as_of` first (a write:
    one audit row as `actor`'s, naming the files and what was kept).

    The report reads the kept rows straight from the store: small, and current even on Spark,
    whose backend reads a copy of the store taken at its first use.
    """
    now = datetime.now(UTC)
    notes = []
    kept = {"snapshots": 0, "readings": 0}
    with ws.store.transaction():
        try:
            report = build_report(ws.store.ibis(), g, periods, now)
        except NoScorecardError:
            notes.append(f"No scorecard kept yet: computing it for the last {periods} {g}s first")
            starts = periods_ending(latest_complete(as_of, g), g, periods)
            scores, readings = compute_and_keep(ws, starts, g, as_of)
            kept = {"snapshots": len(scores), "readings": len(readings)}
            report = build_report(ws.store.ibis(), g, periods, now)
        files = write_files(report, out, chosen)
        after = {"folder": str(out), "files": [f.name for f in files], **kept}
        audit.record(ws, actor, "report.write", "report", None, after)
    return WrittenReport(files, notes)
