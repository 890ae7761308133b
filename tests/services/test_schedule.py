"""Schedules on a clock the test controls (no test sleeps): which jobs are due, a missed run
runs once after a restart, runs never overlap (a killed run blocks until its lease runs out),
each run is recorded with its outcome and error and audited as `schedule:JOB`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from productops.config import (
    HttpSettings,
    JiraCsvSettings,
    JiraSettings,
    ScheduleSettings,
    write_config,
)
from productops.errors import ConfigError
from productops.services.audit import events
from productops.services.schedule import (
    consecutive_failures,
    due,
    job_statuses,
    latest_slot,
    notify_pass,
    run_due,
    runs,
    sync_failures,
)
from productops.workspace import Workspace
from tests.channels.receivers import http_receiver
from tests.connectors.fixtures import JIRA_CATEGORIES, JIRA_TEAMS, configure, jira_fixture
from tests.connectors.server import FixtureServer, JiraSite, Reply, Request
from tests.pillars.builders import land
from tests.services.test_notify import make_workspace, notify_settings

SRC = Path(__file__).resolve().parents[2] / "src"
ISSUES = jira_fixture("issues")
T0 = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)  # a Monday
WAIT = 60.0  # seconds: a bound on a loaded machine, not a speed check


class Clock:
    """The test's clock: it moves one second each time it is read, and when the test says."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def schedule(ws: Workspace, **settings: Any) -> None:
    """Set `[schedule]` in the workspace's config and its productops.toml."""
    ws.config = ws.config.model_copy(update={"schedule": ScheduleSettings(**settings)})
    write_config(ws.root / "productops.toml", ws.config)


def connect_jira(ws: Workspace, url: str) -> None:
    configure(
        ws,
        jira=JiraSettings(url=url, project_teams=dict(JIRA_TEAMS)),
        status_categories=JIRA_CATEGORIES,
        http=HttpSettings(max_attempts=1),  # a 5xx fails the sync at once
    )


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureServer]:
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_TOKEN", "jira-secret-token-5f3a9c")
    with FixtureServer(JiraSite(ISSUES, jira_fixture("statuses"))) as running:
        yield running


def test_latest_slot_is_at_or_before_now() -> None:
    assert latest_slot("*/15 * * * *", T0) == T0.replace(minute=0)
    assert latest_slot("*/15 * * * *", T0.replace(minute=15)) == T0.replace(minute=15)
    assert latest_slot("0 8 * * 1", T0) == T0.replace(hour=8, minute=0)
    assert latest_slot("0 8 * * 1", T0.replace(hour=7)) == datetime(2026, 2, 23, 8, tzinfo=UTC)


def test_a_job_is_due_once_per_slot(workspace: Workspace) -> None:
    schedule(workspace, checks="*/15 * * * *", scorecard="0 6 * * *")
    clock = Clock(T0)
    # Never run: due at once, for its latest slot.
    assert [(d.job.name, d.due_at) for d in due(workspace, T0)] == [
        ("checks", T0.replace(minute=0)),
        ("scorecard", T0.replace(hour=6, minute=0)),
    ]
    assert [r.job for r in run_due(workspace, clock)] == ["checks", "scorecard"]
    assert due(workspace, T0.replace(minute=14)) == []
    clock.at = T0.replace(minute=15)
    assert [(d.job.name, d.due_at) for d in due(workspace, clock.at)] == [("checks", clock.at)]
    [again] = run_due(workspace, clock)
    assert (again.job, again.due_at, again.outcome) == (
        "checks",
        T0.replace(minute=15),
        "succeeded",
    )
    assert due(workspace, clock.at) == []


def test_missed_slots_run_once_after_a_restart(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    schedule(ws, checks="0 * * * *")
    clock = Clock(T0)
    run_due(ws, clock)
    ws.close()
    clock.advance(hours=5)  # down for five slots: 11:00 to 15:00
    restarted = Workspace.open(tmp_path / "ws")
    try:
        ran = run_due(restarted, clock)
        assert [(r.job, r.due_at) for r in ran] == [("checks", T0.replace(hour=15, minute=0))]
        assert run_due(restarted, clock) == []
        assert [r.due_at.hour for r in runs(restarted, "checks")] == [15, 10]
    finally:
        restarted.close()


def test_outcomes_errors_and_failures_in_a_row_are_recorded(
    workspace: Workspace, jira: FixtureServer
) -> None:
    connect_jira(workspace, jira.url)
    schedule(workspace, sync={"jira": "0 * * * *"})
    jira.fault("/rest/api/3/status", Reply(500, {"message": "down for maintenance"}))
    jira.fault("/rest/api/3/status", Reply(503, {"message": "still down"}), nth=2)
    clock = Clock(T0)
    [failed] = run_due(workspace, clock)  # no checks after a failed sync
    assert (failed.job, failed.outcome) == ("sync.jira", "failed")
    assert "HTTP 500" in str(failed.error)
    assert "\n" not in str(failed.error)
    assert failed.started_at < (failed.ended_at or failed.started_at)
    assert consecutive_failures(workspace, "sync.jira") == 1
    clock.advance(hours=1)
    [failed_again] = run_due(workspace, clock)
    assert "HTTP 503" in str(failed_again.error)
    assert consecutive_failures(workspace, "sync.jira") == 2  # the alert's trigger
    [failing] = sync_failures(workspace)
    assert (failing.source, failing.consecutive) == ("jira", 2)
    assert failing.failing_since == failed.started_at
    assert "HTTP 503" in failing.error
    [status, _] = job_statuses(workspace, clock.at)
    assert (status.job, status.last_outcome, status.failures_in_a_row) == ("sync.jira", "failed", 2)
    clock.advance(hours=1)
    succeeded, checks = run_due(workspace, clock)
    assert (succeeded.outcome, succeeded.error) == ("succeeded", None)
    assert succeeded.summary is not None
    assert succeeded.summary["tables"]["work_item"]["landed"] == len(ISSUES)
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]
    # The checks run after the pass's successful sync, for its slot, as their own job.
    assert (checks.job, checks.due_at, checks.outcome) == ("checks", succeeded.due_at, "succeeded")
    assert consecutive_failures(workspace, "sync.jira") == 0
    assert sync_failures(workspace) == []
    # Each run is one audit row by its schedule; the checks also leave their own row.
    trail = [(e.actor, e.action) for e in events(workspace) if e.actor.startswith("schedule:")]
    assert trail == [("schedule:sync.jira", "schedule.run")] * 3 + [
        ("schedule:checks", "check.run"),
        ("schedule:checks", "schedule.run"),
    ]
    last = [e for e in events(workspace, object="schedule_run") if e.actor == "schedule:sync.jira"]
    assert "HTTP 500" in (last[0].after or {})["error"]
    assert (last[-1].after or {})["outcome"] == "succeeded"


def test_checks_run_once_after_the_syncs_of_a_pass(
    workspace: Workspace, jira: FixtureServer, tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "Summary,Issue key,Issue Type,Status,Project key,Created,Resolved\n"
        "Login fails,WEB-1,Bug,Done,WEB,12/Mar/24 3:04 PM,14/Mar/24 9:30 AM\n",
        encoding="utf-8",
    )
    connect_jira(workspace, jira.url)
    configure(workspace, jira_csv=JiraCsvSettings(path=str(export), default_team="web"))
    schedule(workspace, sync={"jira": "0 * * * *", "jira-csv": "*/30 * * * *"}, checks="0 6 * * *")
    ran = run_due(workspace, Clock(T0))
    # The checks' own slot (06:00) is older than the syncs' (10:00): one run, after both.
    assert [(r.job, r.due_at, r.outcome) for r in ran] == [
        ("sync.jira", T0.replace(minute=0), "succeeded"),
        ("sync.jira-csv", T0.replace(minute=0), "succeeded"),
        ("checks", T0.replace(minute=0), "succeeded"),
    ]


CHILD = """
import sys
from productops.cli import app
app(["-w", sys.argv[1], "run-schedule"], prog_name="productops")
"""


def test_a_run_in_progress_blocks_a_second_and_an_expired_lease_does_not(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `run-schedule` process killed in the middle of a sync leaves its run started without
    an end: it blocks the job until its lease runs out, then is marked dead."""
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_TOKEN", "jira-secret-token-5f3a9c")
    arrived = threading.Event()
    site = JiraSite(ISSUES, jira_fixture("statuses"))

    def slow(request: Request, base: str) -> Reply:
        if request.path == "/rest/api/3/status" and not arrived.is_set():
            arrived.set()
            return Reply(body=[], trickle=5.0)  # the sync hangs here until it is killed
        return site(request, base)

    with FixtureServer(slow) as server:
        connect_jira(workspace, server.url)
        schedule(workspace, sync={"jira": "0 * * * *"}, checks_after_sync=False, lease_minutes=120)
        workspace.close()
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        root = str(workspace.root)
        with subprocess.Popen([sys.executable, "-c", CHILD, root], env=env) as child:
            try:
                assert arrived.wait(WAIT), "run-schedule never asked the server"
            finally:
                child.kill()
        assert child.returncode == -signal.SIGKILL
        ws = Workspace.open(workspace.root)
        try:
            [killed] = runs(ws, "sync.jira")
            assert (killed.ended_at, killed.outcome) == (None, None)
            assert killed.lease_until == killed.started_at + timedelta(minutes=120)
            clock = Clock(killed.started_at.replace(minute=0, second=0, microsecond=0))
            clock.advance(hours=1, minutes=1)  # the next slot, inside the lease
            [skipped] = run_due(ws, clock)
            assert (skipped.outcome, skipped.job) == ("skipped", "sync.jira")
            assert "is still going" in str(skipped.error)
            assert ws.store.sql("SELECT count(*) FROM work_item") == [(0,)]
            assert job_statuses(ws, clock.at)[0].last_outcome == "skipped"
            clock.advance(hours=2)  # past the lease: the killed run blocks nothing
            [ran] = run_due(ws, clock)
            assert ran.outcome == "succeeded", ran.error
            assert ws.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]
            dead = next(r for r in runs(ws, "sync.jira") if r.id == killed.id)
            assert (dead.outcome, dead.ended_at) == ("failed", None)
            assert str(dead.error).startswith("dead: no end by")
        finally:
            ws.close()


def test_a_pass_queues_the_alerts_its_jobs_show_and_sends_them_once(
    tmp_path: Path, teams_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "whsec-1")
    with http_receiver() as receiver:
        ws = make_workspace(tmp_path / "ws", teams_csv, notify_settings(receiver.url))
        try:
            schedule(ws, checks="0 * * * *")
            land(ws.store, "account", [{"id": "a1", "segment": "smb"}])
            (ws.root / "checks").mkdir()
            (ws.root / "checks" / "arr.yml").write_text(
                "checks:\n  - id: arr_set\n    kind: not_null\n    target: account\n"
                "    params: {column: arr}\n",
                "utf-8",
            )
            clock = Clock(T0)
            ran = run_due(ws, clock)
            told = notify_pass(ws, clock, ran)
            assert told.alerts is not None
            assert [a.kind for a in told.alerts.alerts] == ["incident_opened"]
            assert [a.status for a in told.delivery.attempts] == ["sent"]
            [key] = receiver.shown
            assert key.startswith("alert.incident_opened:productops:incident-")
            clock.advance(hours=1)  # the next pass: the incident is still open, nothing new
            told = notify_pass(ws, clock, run_due(ws, clock))
            assert told.delivery.attempts == []
            assert (len(receiver.received), receiver.repeats) == (1, 0)
            assert notify_pass(ws, clock, []).alerts is None  # no job ran: no alerts looked for
        finally:
            ws.close()


def test_a_digest_queues_through_the_real_digests(workspace: Workspace) -> None:
    schedule(workspace, digests={"org": "0 8 * * 1", "nobody": "0 8 * * 1"})
    org, nobody = run_due(workspace, Clock(T0))
    assert (org.job, org.outcome, org.error) == ("digest.org", "succeeded", None)
    assert org.summary is not None
    assert (nobody.outcome, nobody.error) == (
        "failed",
        "digest 'nobody': use teams, org or team:ID",
    )


def test_a_job_s_unexpected_fault_fails_its_run_only(workspace: Workspace) -> None:
    schedule(workspace, scorecard="0 6 * * *", checks="0 * * * *")
    (workspace.root / "checks").mkdir()
    (workspace.root / "checks" / "broken.yml").write_text("checks: [not a mapping\n", "utf-8")
    [checks, scorecard] = run_due(workspace, Clock(T0))
    assert checks.outcome == "failed"
    assert checks.error
    assert "\n" not in checks.error
    assert scorecard.outcome == "succeeded"


def test_a_sync_of_a_source_not_connected_is_a_one_line_config_error(
    workspace: Workspace,
) -> None:
    schedule(workspace, sync={"linear": "0 * * * *"})
    with pytest.raises(ConfigError, match=r"schedule\.sync\.linear: linear is not connected"):
        due(workspace, T0)
