"""`productops run-schedule` and `productops schedule list|history`: the jobs of `[schedule]`
(docs/schedule.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from productops.commands.common import FormatOption, open_workspace, parse_when
from productops.errors import UsageError
from productops.render import Format, render
from productops.services.schedule import (
    ScheduleRun,
    job_statuses,
    jobs,
    notify_pass,
    run_due,
    runs,
)

__all__ = ["app", "run_schedule"]

app = typer.Typer(
    help="Scheduled jobs: what runs by itself and when, and the record of its runs "
    "(docs/schedule.md)."
)
RUN_COLUMNS = ["job", "due_at", "started_at", "ended_at", "outcome", "error", "summary"]


def _columns(fmt: Format) -> list[str]:
    """A run's columns; a table leaves out the summary (JSON and CSV keep it)."""
    return RUN_COLUMNS[:-1] if fmt is Format.table else RUN_COLUMNS


def _now() -> datetime:
    return datetime.now(UTC)


def _rows(found: list[ScheduleRun], fmt: Format) -> list[dict[str, Any]]:
    rows = [asdict(r) for r in found]
    if fmt is not Format.json:
        for row in rows:
            row["outcome"] = row["outcome"] or "running"
            row["summary"] = None if row["summary"] is None else json.dumps(row["summary"])
    return rows


def run_schedule(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Run the jobs due now, each once, then queue the alerts they show and send the
    outbox's due messages, and exit (for cron or a Kubernetes CronJob).

    Exits 1 when a job failed; its error is in the table and in `schedule history`.
    """
    ws = open_workspace(ctx)
    ran = run_due(ws, _now)
    notify_pass(ws, _now, ran)
    render(_rows(ran, fmt), _columns(fmt), fmt, title=f"scheduled jobs run: {len(ran)}")
    if any(r.outcome == "failed" for r in ran):
        raise typer.Exit(1)


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Every scheduled job: its cron (UTC), when it runs next, its last run and its failures
    since its last success."""
    ws = open_workspace(ctx, read_only=True)
    rows = [asdict(s) for s in job_statuses(ws, _now())]
    columns = ["job", "cron", "due", "next_due", "last_started_at", "last_outcome"]
    columns += ["last_error", "failures_in_a_row"]
    render(rows, columns, fmt, title="scheduled jobs")


@app.command()
def history(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Option("--job", help="Only this job, e.g. sync.jira or checks.")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            parser=parse_when("--since", "start"),
            metavar="WHEN",
            help="Only runs started at or after this time: a date, a time, or the start of a "
            "month (2025-03), quarter (2025-Q1) or year (UTC).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many runs.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """The recorded runs, newest first: slot, start, end, outcome and error."""
    ws = open_workspace(ctx, read_only=True)
    found = runs(ws, job, since)[:limit]
    names = [j.name for j in jobs(ws)]
    if job is not None and not found and job not in names:
        raise UsageError(f"--job {job}: no such job; jobs: {', '.join(names) or 'none'}")
    render(_rows(found, fmt), _columns(fmt), fmt, title=f"runs of {job or 'every job'}")
