"""Alerts read from the state an operation left: each says what happened, how big, and links
to its page; queueing them again adds nothing; what happened before the window is not replayed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import NotifySettings
from productops.ingest import land_arrow
from productops.schema import TABLES
from productops.services import Actor
from productops.services.alerts import SyncFailure, find_alerts, queue_alerts
from productops.services.audit import events
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.services.test_notify import make_workspace

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
ME = Actor("cli:test")
BASE = "https://po.example.com"


def settings() -> NotifySettings:
    return NotifySettings.model_validate(
        {
            "base_url": BASE + "/",
            "channels": {
                "hook": {"kind": "webhook", "url": "http://127.0.0.1:9/h", "secret_env": "K"}
            },
            "subscriptions": [
                {"channel": "hook", "org": True},
                {"channel": "hook", "team": "payments"},
            ],
        }
    )


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Iterator[Workspace]:
    found = make_workspace(tmp_path / "ws", teams_csv, settings())
    yield found
    found.close()


def _by_kind(ws: Workspace, **kwargs: object) -> dict[str, list[tuple[str, str, str, str | None]]]:
    found: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for a in find_alerts(ws, NOW, **kwargs):  # type: ignore[arg-type]
        m = a.message
        found.setdefault(a.kind, []).append((a.key, m.subject, m.summary, m.link))
    return found


def test_incidents_opened_and_resolved_in_the_window_are_alerts(ws: Workspace) -> None:
    def incident(name: str, opened: datetime, resolved: datetime | None) -> dict[str, object]:
        return {
            "id": f"productops:incident-{name}",
            "check_id": "productops:orders-fresh",
            "target": "work_item",
            "status": "open" if resolved is None else "resolved",
            "opened_at": opened,
            "resolved_at": resolved,
            "summary": "3 of 40 rows are older than 2 days",
        }

    land(
        ws.store,
        "data_incident",
        [
            incident("new", NOW - 2 * DAY, None),
            incident("mended", NOW - 10 * DAY, NOW - DAY),
            incident("old", NOW - 30 * DAY, NOW - 20 * DAY),
        ],
    )
    found = _by_kind(ws)
    assert found == {
        "incident_opened": [
            (
                "alert.incident_opened:productops:incident-new",
                "Data check orders-fresh failed on work_item",
                "3 of 40 rows are older than 2 days (incident opened 2026-03-07 12:00 UTC)",
                f"{BASE}/data#incidents",
            )
        ],
        "incident_resolved": [
            (
                "alert.incident_resolved:productops:incident-mended",
                "Data check orders-fresh passes again on work_item",
                "The incident is resolved after 216.0 hours open.",
                f"{BASE}/data#incidents",
            )
        ],
    }
    first = queue_alerts(ws, ME, NOW)
    assert first.queued == [
        "alert.incident_resolved:productops:incident-mended|hook|org",
        "alert.incident_opened:productops:incident-new|hook|org",
    ]
    assert queue_alerts(ws, ME, NOW + timedelta(hours=1)).queued == []
    assert [e.action for e in events(ws, object="outbox")] == ["alert.queue"]


def test_a_theme_spike_goes_to_the_teams_its_feedback_is_linked_to(ws: Workspace) -> None:
    weeks = [NOW - (7 - w) * 7 * DAY for w in range(7)]  # six quiet weeks, then this one
    counts = [1, 2, 1, 1, 2, 1, 20]
    feedback = [
        {
            "id": f"fb-{w}-{i}",
            "channel": "email",
            "text": f"upload fails {w} {i}",
            "created_at": day,
        }
        for w, (day, n) in enumerate(zip(weeks, counts, strict=True))
        for i in range(n)
    ]
    land(ws.store, "feedback", feedback)
    land(ws.store, "theme", [{"id": "theme-1", "label": "upload failures", "status": "active"}])
    land(
        ws.store,
        "feedback_theme",
        [{"feedback_id": f["id"], "theme_id": "theme-1", "score": 0.9} for f in feedback],
    )
    land(ws.store, "work_item", [{"id": "PAY-1", "team_id": "payments", "created_at": NOW - DAY}])
    land(
        ws.store,
        "feedback_link",
        [{"feedback_id": "fb-6-0", "work_item_id": "PAY-1", "state": "suggested"}],
    )
    [spike] = find_alerts(ws, NOW)
    assert spike.kind == "theme_spike"
    assert spike.teams == ("payments",)
    assert spike.message.subject == "Feedback spike: upload failures"
    assert spike.message.summary == (
        "20 feedback items in the week of 2026-03-02, 20.0x the median of the weeks before (1); "
        "a spike is above 6."  # median 1 + k 5 x spread max(1.4826 MAD = 0, sqrt(1), 1)
    )
    assert spike.message.link == f"{BASE}/customer#spikes"
    keys = queue_alerts(ws, ME, NOW).queued
    assert sorted(k.rsplit("|", 1)[1] for k in keys) == ["org", "team:payments"]


def test_a_criterion_crossing_its_target_either_way_is_an_alert(ws: Workspace) -> None:
    def snap(team: str, days: int, value: float) -> dict[str, object]:
        return {
            "metric": "process.time_to_market",
            "team_id": team,
            "grain": "month",
            "period_start": NOW - days * DAY,
            "value": value,
            "target": 10.0,
            "computed_at": NOW - DAY,
        }

    rows = [snap("payments", 60, 12.5), snap("payments", 30, 8.0)]  # lower is better: reached
    rows += [snap("growth", 60, 9.0), snap("growth", 30, 11.0)]  # fell off
    rows += [snap("product", 60, 12.0), snap("product", 30, 11.0)]  # still off target
    land(ws.store, "metric_snapshot", rows)
    found = _by_kind(ws)["criterion_target"]
    assert [(k.split(":")[2], s) for k, s, _, _ in found] == [
        ("growth", "growth fell off its target for Time-to-market of features"),
        ("payments", "payments reached its target for Time-to-market of features"),
    ]
    assert found[1][2] == (
        "Time-to-market of features: 8 days in the month of 2026-02-07 (target 10, lower is "
        "better; 12.5 the month before)."
    )
    assert found[1][3] == f"{BASE}/criteria/process.time_to_market"


def test_a_nudge_offered_in_the_window_is_an_alert_for_its_team(ws: Workspace) -> None:
    land(
        ws.store,
        "nudge",
        [
            {
                "id": "productops:nudge-1",
                "team_id": "payments",
                "rule": "shorten-reviews",
                "criterion": "process.time_to_market",
                "status": "offered",
                "offered_at": NOW - DAY,
            },
            {
                "id": "productops:nudge-0",
                "team_id": "payments",
                "rule": "x",
                "offered_at": NOW - 9 * DAY,
            },
        ],
    )
    [alert] = find_alerts(ws, NOW)
    assert (alert.key, alert.teams) == ("alert.nudge_offered:productops:nudge-1", ("payments",))
    assert alert.message.subject == "A nudge for payments: shorten-reviews"
    assert alert.message.link == f"{BASE}/teams/payments#nudges"


def test_a_sync_failing_twice_in_a_row_is_an_alert_once_per_streak(ws: Workspace) -> None:
    since = NOW - 2 * DAY
    failures = [
        SyncFailure("jira", 2, since, "401 Unauthorized"),
        SyncFailure("github", 1, since, "timeout"),
    ]
    [alert] = find_alerts(ws, NOW, sync_failures=failures)
    assert alert.key == "alert.sync_failing:jira:20260307T120000"
    assert alert.message.subject == "Sync of jira failed 2 times in a row"
    assert alert.message.summary.endswith("last error: 401 Unauthorized")
    later = [SyncFailure("jira", 3, since, "401 Unauthorized")]
    assert queue_alerts(ws, ME, NOW, sync_failures=failures).queued
    assert queue_alerts(ws, ME, NOW, sync_failures=later).queued == []


def test_an_srm_and_a_guardrail_moving_the_wrong_way_are_alerts(ws: Workspace) -> None:
    runner = CliRunner()
    root = str(ws.root)
    ws.close()
    for args in (
        ["experiment", "new", "payments", "Checkout button", "--hypothesis", "Bigger converts.",
         "--owner", "pm-1", "--metric", "conversion:goal", "--metric", "latency_ms:guardrail:lower",
         "--arm", "control:0.5", "--arm", "treatment:0.5", "--at", "2026-03-01T09:00"],
        ["experiment", "start", "exp-checkout-button", "--at", "2026-03-02T09:00"],
    ):  # fmt: skip
        result = runner.invoke(app, ["-w", root, *args])
        assert result.exit_code == 0, result.output
    reopened = Workspace.open(Path(root))
    # 6,000 against 4,000 units where 50/50 was planned; latency 300 ms against 350 ms (sd 50)
    rows = [
        ("conversion", "control", 6000, 1200.0, 1200.0),
        ("conversion", "treatment", 4000, 800.0, 800.0),
        ("latency_ms", "control", 6000, 6000 * 300.0, 6000 * (50**2 + 300.0**2)),
        ("latency_ms", "treatment", 4000, 4000 * 350.0, 4000 * (50**2 + 350.0**2)),
    ]
    data = pa.table(
        {
            "experiment_id": ["productops:exp-checkout-button"] * 4,
            "metric": [r[0] for r in rows],
            "arm": [r[1] for r in rows],
            "units": pa.array([r[2] for r in rows], pa.int64()),
            "sum": [r[3] for r in rows],
            "sum_squares": [r[4] for r in rows],
        }
    )
    land_arrow(reopened.store, TABLES["experiment_arm_stat"], data, source="test", label="test")
    try:
        found = _by_kind(reopened)
    finally:
        reopened.close()
    [(key, subject, summary, link)] = found["experiment_srm"]
    assert key == "alert.experiment_srm:productops:exp-checkout-button"
    assert subject == "Sample ratio mismatch: Checkout button"
    assert summary.startswith("Units per arm control 6,000 / treatment 4,000 differ")
    assert "chi-square 400.0" in summary  # (6000-5000)^2/5000 + (4000-5000)^2/5000
    assert link == f"{BASE}/experiments/exp-checkout-button"
    [(key, subject, summary, _)] = found["experiment_guardrail"]
    assert key == "alert.experiment_guardrail:productops:exp-checkout-button:latency_ms:treatment"
    assert subject == "Guardrail latency_ms moves the wrong way: Checkout button"
    # relative lift 50/300; its interval about ±1.96 x sqrt(50²/4000 + 50²/6000) / 300 (delta method)
    assert summary.startswith(
        "treatment against control: +16.67% (95% interval +15.95% to +17.38%)"
    )
    assert summary.endswith("on latency_ms, where lower is better.")
