"""Schedules: which jobs are due, running each once, and the record of their runs
(docs/schedule.md).

A job (`sync.SOURCE`, `checks`, `scorecard`, `digest.NAME`) runs on a cron expression of
`[schedule]`, read in UTC. It is **due** when the latest slot of its cron at or before now has
no run yet, so after a restart it runs once, for the latest slot, however many it missed; a job
that never ran is due at once. The data checks are also due after a pass's syncs when one of
them succeeded (`checks_after_sync`).

A run is claimed before its job starts: a `schedule_run` row with a lease. While a run has no
end and its lease holds, no other run of the job starts (a job due then is recorded as
`skipped`); a run whose lease ran out without an end is marked dead (its process stopped) and
blocks nothing. Each run ends `succeeded`, `failed` or `skipped`, with its error in one line,
and leaves one audit row by `schedule:JOB`. Times come from the caller's clock.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from croniter import croniter

from productops.config import CONFIG_FILE, Config, load_config
from productops.errors import ConfigError, ProductOpsError
from productops.services import audit
from productops.services.actor import Actor
from productops.services.alerts import AlertRun, SyncFailure, queue_alerts
from productops.services.notify import Delivery, deliver
from productops.services.schedule_jobs import JOB_KINDS
from productops.sync import configured_sources

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "Clock",
    "Due",
    "Job",
    "JobStatus",
    "NotifyPass",
    "Plan",
    "ScheduleRun",
    "consecutive_failures",
    "due",
    "job_statuses",
    "jobs",
    "latest_slot",
    "notify_pass",
    "read_plan",
    "run",
    "run_due",
    "run_next",
    "runs",
    "sync_failures",
]

# The time now, in UTC: `lambda: datetime.now(UTC)`, or a test's own clock.
Clock = Callable[[], datetime]
_COLUMNS = "id, job, due_at, started_at, ended_at, outcome, error, summary, lease_until, holder"


@dataclass(frozen=True)
class Job:
    """A scheduled job: `sync.jira` is kind `sync`, target `jira`; `cron` None runs the checks
    only after syncs."""

    name: str
    kind: str
    target: str | None
    cron: str | None


@dataclass(frozen=True)
class Due:
    """A job due now, for its slot `due_at`."""

    job: Job
    due_at: datetime


@dataclass(frozen=True)
class ScheduleRun:
    """One run of a job; `outcome` None while it runs (`ended_at` None too)."""

    id: str
    job: str
    due_at: datetime
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    error: str | None
    summary: dict[str, Any] | None
    lease_until: datetime | None
    holder: str | None


@dataclass(frozen=True)
class JobStatus:
    """A job as `productops schedule list` shows it: its cron, when it runs next (`due`: now,
    for the slot `next_due`), its last run, and its failures since its last success."""

    job: str
    cron: str | None
    due: bool
    next_due: datetime | None
    last_started_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    failures_in_a_row: int


def jobs(ws: Workspace) -> list[Job]:
    """The workspace's scheduled jobs, in the order a pass runs them: syncs, checks, scorecard,
    digests. A sync of a source not connected is a `ConfigError` naming its key."""
    return _jobs(ws.config, ws.root / CONFIG_FILE)


@dataclass(frozen=True)
class Plan:
    """A workspace's schedule as its settings say, read without opening its store: its jobs,
    how often the server looks for due ones, and whether it has channels to send through."""

    jobs: list[Job]
    interval_seconds: float
    sends: bool


def read_plan(root: Path) -> Plan:
    """The schedule of the workspace in `root`, from its productops.toml."""
    config = load_config(root / CONFIG_FILE)
    jobs = _jobs(config, root / CONFIG_FILE)
    return Plan(jobs, config.schedule.interval_seconds, bool(config.notify.channels))


def _jobs(config: Config, path: Path) -> list[Job]:
    settings = config.schedule
    connected = configured_sources(config.connectors)
    for source in settings.sync:
        if source not in connected:
            raise ConfigError(
                f"{path}: schedule.sync.{source}: {source} is not connected (connected: "
                f"{', '.join(connected) or 'none'}); run `productops connect {source}` first"
            )
    found = [Job(f"sync.{s}", "sync", s, cron) for s, cron in settings.sync.items()]
    if settings.checks or (settings.checks_after_sync and settings.sync):
        found.append(Job("checks", "checks", None, settings.checks))
    if settings.scorecard:
        found.append(Job("scorecard", "scorecard", None, settings.scorecard))
    found += [Job(f"digest.{n}", "digest", n, cron) for n, cron in settings.digests.items()]
    return found


def latest_slot(cron: str, now: datetime) -> datetime:
    """The latest time at or before `now` that `cron` names (UTC).

    >>> latest_slot("0 * * * *", datetime(2026, 1, 5, 10, 59, tzinfo=UTC)).isoformat()
    '2026-01-05T10:00:00+00:00'
    """
    after = now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return croniter(cron, after).get_prev(datetime)


def due(ws: Workspace, now: datetime) -> list[Due]:
    """The jobs due at `now`, in the order they run."""
    last = dict(ws.store.sql("SELECT job, max(due_at) FROM schedule_run GROUP BY job"))
    found = []
    for job in jobs(ws):
        at = _slot(ws, job, now)
        if at is not None and (job.name not in last or at > last[job.name]):
            found.append(Due(job, at))
    return found


def _slot(ws: Workspace, job: Job, now: datetime) -> datetime | None:
    """The slot a run of `job` at `now` would be for: its cron's latest, or for the checks the
    latest successful sync's, whichever is later."""
    slots = [latest_slot(job.cron, now)] if job.cron else []
    if job.kind == "checks" and ws.config.schedule.checks_after_sync:
        [(synced,)] = ws.store.sql(
            "SELECT max(due_at) FROM schedule_run WHERE starts_with(job, 'sync.') "
            "AND outcome = 'succeeded'"
        )
        slots += [synced] if synced is not None else []
    return max(slots, default=None)


def run(ws: Workspace, job: Due, clock: Clock) -> ScheduleRun:
    """Run `job` for its slot, unless a run of it is going; returns the run as recorded.

    A failure is recorded, not raised; an interrupt (Ctrl+C) is recorded, then raised.
    """
    actor = Actor(f"schedule:{job.job.name}")
    claimed = _claim(ws, actor, job, clock())
    if claimed.outcome is not None:
        return claimed
    summary: dict[str, Any] | None = None
    try:
        summary = JOB_KINDS[job.job.kind](ws, actor, job.job.target, claimed.started_at)
        outcome, error = "succeeded", None
    except ProductOpsError as exc:
        outcome, error = "failed", str(exc)
    except Exception as exc:  # a job's fault must not stop the others; the run keeps it
        outcome, error = "failed", f"{type(exc).__name__}: {exc}"
    except BaseException:
        _end(ws, actor, claimed, clock(), "failed", "interrupted", None)
        raise
    error = " ".join(error.split()) if error else None  # one line
    return _end(ws, actor, claimed, clock(), outcome, error, summary)


def run_next(ws: Workspace, clock: Clock, done: Collection[str] = ()) -> ScheduleRun | None:
    """Run the first job due now that is not in `done` (names); None when none is due."""
    pending = [d for d in due(ws, clock()) if d.job.name not in done]
    return run(ws, pending[0], clock) if pending else None


def run_due(ws: Workspace, clock: Clock) -> list[ScheduleRun]:
    """Run every job due now, each once (`productops run-schedule`), in order."""
    ran: list[ScheduleRun] = []
    while (one := run_next(ws, clock, {r.job for r in ran})) is not None:
        ran.append(one)
    return ran


@dataclass(frozen=True)
class NotifyPass:
    """What a pass told: the alerts queued after its jobs (None: no job ran, or nobody
    subscribes), and the outbox's messages sent, retried or given up."""

    alerts: AlertRun | None
    delivery: Delivery


def notify_pass(ws: Workspace, clock: Clock, ran: Collection[ScheduleRun]) -> NotifyPass:
    """End a pass: when one of its jobs succeeded and `[notify]` has subscriptions, queue the
    alerts the state now shows (as `schedule:alerts`, with the failing syncs' streaks); then
    send the outbox's due messages (as `schedule:send`), queued by this pass or any before."""
    alerts = None
    if ws.config.notify.subscriptions and any(r.outcome == "succeeded" for r in ran):
        alerts = queue_alerts(
            ws, Actor("schedule:alerts"), clock(), sync_failures=sync_failures(ws)
        )
    return NotifyPass(alerts, deliver(ws, Actor("schedule:send"), clock))


def _claim(ws: Workspace, actor: Actor, job: Due, now: datetime) -> ScheduleRun:
    """Start a run of `job` (no outcome yet), or record it skipped while another one runs;
    runs whose lease ran out without an end are marked dead first."""
    name = job.job.name
    lease = timedelta(minutes=ws.config.schedule.lease_minutes)
    with ws.store.transaction():
        going = _select(ws, "WHERE job = ? AND outcome IS NULL", [name])
        for dead in [r for r in going if r.lease_until is None or r.lease_until <= now]:
            why = (
                f"dead: no end by {dead.lease_until:%Y-%m-%d %H:%M:%S} UTC, when its lease ran "
                f"out (its process, {dead.holder}, stopped)"
            )
            ws.store.sql(
                "UPDATE schedule_run SET outcome = 'failed', error = ? WHERE id = ?", [why, dead.id]
            )
        live = [r for r in going if r.lease_until is not None and r.lease_until > now]
        started = ScheduleRun(
            uuid.uuid4().hex, name, job.due_at, now, None, None, None, None, now + lease, _holder()
        )
        if live:
            other = live[0]
            why = (
                f"the run due at {other.due_at:%Y-%m-%d %H:%M} UTC (started "
                f"{other.started_at:%Y-%m-%d %H:%M:%S} by {other.holder}) is still going; its "
                f"lease ends at {other.lease_until:%Y-%m-%d %H:%M:%S} UTC"
            )
            skipped = ScheduleRun(
                started.id, name, job.due_at, now, now, "skipped", why, None, None, started.holder
            )
            _insert(ws, skipped)
            _audit(ws, actor, skipped)
            return skipped
        _insert(ws, started)
    return started


def _end(
    ws: Workspace,
    actor: Actor,
    started: ScheduleRun,
    now: datetime,
    outcome: str,
    error: str | None,
    summary: dict[str, Any] | None,
) -> ScheduleRun:
    ended = ScheduleRun(
        started.id, started.job, started.due_at, started.started_at, now, outcome, error,
        summary, started.lease_until, started.holder,
    )  # fmt: skip
    with ws.store.transaction():
        ws.store.sql(
            "UPDATE schedule_run SET ended_at = ?, outcome = ?, error = ?, summary = ? "
            "WHERE id = ?",
            [now, outcome, error, _json(summary), started.id],
        )
        _audit(ws, actor, ended)
    return ended


def _audit(ws: Workspace, actor: Actor, r: ScheduleRun) -> None:
    """The run's one audit row: its job, slot, times, outcome, error and summary."""
    after = {k: v for k, v in asdict(r).items() if k not in ("id", "lease_until", "holder")}
    audit.record(ws, actor, "schedule.run", f"schedule_run:{r.id}", None, after)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _insert(ws: Workspace, r: ScheduleRun) -> None:
    ws.store.sql(
        f"INSERT INTO schedule_run ({_COLUMNS}, source, ingested_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'productops', ?)",
        [
            r.id, r.job, r.due_at, r.started_at, r.ended_at, r.outcome, r.error,
            _json(r.summary), r.lease_until, r.holder, datetime.now(UTC),
        ],
    )  # fmt: skip


def _select(ws: Workspace, where: str, params: list[Any]) -> list[ScheduleRun]:
    rows = ws.store.sql(f"SELECT {_COLUMNS} FROM schedule_run {where}", params)
    return [
        ScheduleRun(i, job, due_at, started, ended, outcome, error, _loads(summary), lease, who)
        for i, job, due_at, started, ended, outcome, error, summary, lease, who in rows
    ]


def _loads(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def runs(ws: Workspace, job: str | None = None, since: datetime | None = None) -> list[ScheduleRun]:
    """The recorded runs, newest first: of one `job`, started at or after `since`."""
    where, params = ["TRUE"], list[Any]()
    if job is not None:
        where.append("job = ?")
        params.append(job)
    if since is not None:
        where.append("started_at >= ?")
        params.append(since)
    return _select(ws, f"WHERE {' AND '.join(where)} ORDER BY started_at DESC, id", params)


def consecutive_failures(ws: Workspace, job: str) -> int:
    """How many runs of `job` failed since its last success (2: it failed twice in a row);
    skipped runs and the run going now count for nothing."""
    [(count,)] = ws.store.sql(
        "SELECT count(*) FROM schedule_run f WHERE f.job = ? AND f.outcome = 'failed' "
        "AND NOT EXISTS (SELECT 1 FROM schedule_run s WHERE s.job = f.job "
        "AND s.outcome = 'succeeded' AND s.started_at > f.started_at)",
        [job],
    )
    return int(count)


def sync_failures(ws: Workspace) -> list[SyncFailure]:
    """The sources whose latest syncs failed, one or more in a row (since the first failure of
    the streak, with the last error), for `services.alerts.queue_alerts(sync_failures=...)`."""
    rows = ws.store.sql(
        "SELECT f.job, count(*), min(f.started_at), arg_max(f.error, f.started_at) "
        "FROM schedule_run f WHERE starts_with(f.job, 'sync.') AND f.outcome = 'failed' "
        "AND NOT EXISTS (SELECT 1 FROM schedule_run s WHERE s.job = f.job "
        "AND s.outcome = 'succeeded' AND s.started_at > f.started_at) GROUP BY f.job ORDER BY f.job"
    )
    return [
        SyncFailure(job.removeprefix("sync."), int(count), since, error or "")
        for job, count, since, error in rows
    ]


def job_statuses(ws: Workspace, now: datetime) -> list[JobStatus]:
    """Every scheduled job: its cron, whether it is due at `now`, its next slot, its last run."""
    pending = {d.job.name: d.due_at for d in due(ws, now)}
    found = []
    for job in jobs(ws):
        latest = _select(ws, "WHERE job = ? ORDER BY started_at DESC LIMIT 1", [job.name])
        last = latest[0] if latest else None
        if job.name in pending:
            upcoming: datetime | None = pending[job.name]
        else:
            upcoming = croniter(job.cron, now).get_next(datetime) if job.cron else None
        found.append(
            JobStatus(
                job.name,
                job.cron,
                job.name in pending,
                upcoming,
                last.started_at if last else None,
                _outcome(last, now),
                last.error if last else None,
                consecutive_failures(ws, job.name),
            )
        )
    return found


def _outcome(r: ScheduleRun | None, now: datetime) -> str | None:
    """A run's outcome; one without is `running`, or `dead` once its lease ran out."""
    if r is None or r.outcome is not None:
        return None if r is None else r.outcome
    return "running" if r.lease_until is not None and r.lease_until > now else "dead"
