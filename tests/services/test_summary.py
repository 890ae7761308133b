"""The summary of what changed and what needs attention, on a history whose answers are known:
the report's hand-made scorecard (tests/reports/rows.py) with incidents, a feedback spike and
experiments landed around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from productops.ops.criteria import ORG
from productops.reports import NoScorecardError
from productops.services.summary import Summary, summary
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.reports.rows import NOW, QUARTERS, land_history

Q4 = QUARTERS[-1]  # 2025 Q4, the latest kept quarter; NOW is 2026-01-05 09:00
WEEK = timedelta(days=7)


def _incidents(ws: Workspace) -> None:
    """Open at NOW: d-open and d-late-fix (data), p-open and p-late-fix (production)."""
    day = timedelta(days=1)
    land(ws.store, "data_check", [{"id": "c1", "kind": "freshness", "target": "event"}])
    land(
        ws.store,
        "data_incident",
        [
            {"id": "d-open", "check_id": "c1", "status": "open", "opened_at": NOW - 3 * day,
             "summary": "event is 3 days stale"},
            {"id": "d-fixed", "check_id": "c1", "status": "resolved", "opened_at": NOW - 9 * day,
             "resolved_at": NOW - 8 * day},
            {"id": "d-late-fix", "check_id": "c1", "status": "resolved",
             "opened_at": NOW - 2 * day, "resolved_at": NOW + day, "summary": "late"},
            {"id": "d-future", "check_id": "c1", "status": "open", "opened_at": NOW + day},
        ],
    )  # fmt: skip
    land(
        ws.store,
        "incident",
        [
            {"id": "p-open", "team_id": "payments", "severity": "sev1", "created_at": NOW - day},
            {"id": "p-fixed", "team_id": "growth", "created_at": NOW - 5 * day,
             "resolved_at": NOW - 4 * day},
            {"id": "p-late-fix", "team_id": "growth", "created_at": NOW - 6 * day,
             "resolved_at": NOW + day},
        ],
    )  # fmt: skip


def _feedback(theme: str, weeks: list[tuple[datetime, int]]) -> list[dict[str, object]]:
    return [
        {"id": f"{theme}-{w:%m%d}-{i}", "channel": "support", "text": "upload fails",
         "created_at": w + timedelta(hours=10)}
        for w, count in weeks
        for i in range(count)
    ]  # fmt: skip


def _spikes(ws: Workspace) -> None:
    """Theme `now`: one a week from 2025-09-01, then 10 in the week of 2025-11-10 (in Q4: a
    spike of 10 items over a median of 1). Theme `old`: the same shape, spiking 2025-08-11 (Q3)."""
    now = [(datetime(2025, 9, 1, tzinfo=UTC) + i * WEEK, 1) for i in range(10)]
    old = [(datetime(2025, 6, 2, tzinfo=UTC) + i * WEEK, 1) for i in range(10)]
    now.append((datetime(2025, 11, 10, tzinfo=UTC), 10))
    old.append((datetime(2025, 8, 11, tzinfo=UTC), 8))
    feedback = _feedback("now", now) + _feedback("old", old)
    land(ws.store, "feedback", feedback)
    land(ws.store, "theme", [{"id": "now", "label": "upload fails"}, {"id": "old", "label": "x"}])
    land(
        ws.store,
        "feedback_theme",
        [{"feedback_id": f["id"], "theme_id": str(f["id"]).split("-")[0]} for f in feedback],
    )


def _experiments(ws: Workspace) -> None:
    """stopped: stopped, no decision (due); ready: running with enough units (due); early:
    running with far too few; decided: decided; planned: never started."""
    day = timedelta(days=1)
    start = NOW - 30 * day
    land(
        ws.store,
        "experiment",
        [
            {"id": "stopped", "team_id": "payments", "name": "Stopped", "created_at": start,
             "started_at": start, "stopped_at": NOW - day},
            {"id": "ready", "team_id": "growth", "name": "Ready", "created_at": start,
             "started_at": start},
            {"id": "early", "team_id": "growth", "name": "Early", "created_at": start,
             "started_at": start},
            {"id": "decided", "team_id": "growth", "name": "Decided", "created_at": start,
             "started_at": start, "stopped_at": NOW - day, "decided_at": NOW - day,
             "decision": "ship"},
            {"id": "planned", "team_id": "growth", "name": "Planned", "created_at": start},
        ],
    )  # fmt: skip
    ids = ["stopped", "ready", "early", "decided", "planned"]
    land(ws.store, "experiment_metric", [{"experiment_id": e, "metric": "conversion",
                                          "role": "goal"} for e in ids])  # fmt: skip
    totals = {"ready": (200_000, 20_000, 22_000), "early": (100, 10, 11)}
    land(
        ws.store,
        "experiment_arm_stat",
        [
            {"experiment_id": e, "metric": "conversion", "arm": arm, "units": units,
             "sum": float(s), "sum_squares": float(s)}
            for e, (units, control, treatment) in totals.items()
            for arm, s in (("control", control), ("treatment", treatment))
        ],
    )  # fmt: skip


@pytest.fixture
def found(workspace: Workspace) -> Summary:
    land_history(workspace.store)
    _incidents(workspace)
    _spikes(workspace)
    _experiments(workspace)
    return summary(workspace, "quarter", NOW)


def test_headline_counts_the_organisation_s_criteria(found: Summary) -> None:
    # Q4: adherence 81.5% >= 80% on; time to market 21 > 20 days off; time to insight and the
    # custom metric have no target; time to locate has no value
    assert (found.period_start, found.previous_start) == (Q4, QUARTERS[-2])
    assert (found.on_target, found.with_target, found.no_target, found.no_value) == (1, 2, 2, 1)
    assert found.headline == "1 of 2 criteria on target"


def test_off_target_lists_the_organisation_first_then_teams(found: Summary) -> None:
    assert [(v.team_id, v.criterion, v.value, v.target) for v in found.off_target] == [
        (ORG, "process.time_to_market", 21.0, 20.0),
        ("payments", "process.workflow_adherence", 55.0, 70.0),
    ]
    assert found.off_target[1].name == "Following the standard workflow"
    assert found.off_target[1].unit == "%"


def test_biggest_moves_by_relative_size(found: Summary) -> None:
    # 4 -> 5: 1/5; 8 -> 6.5 days: 1.5/8; 25 -> 21 days: 4/25; 78% -> 81.5%: 3.5/81.5
    moves = [(m.criterion, m.previous, m.latest, m.change, m.better) for m in found.moves]
    assert moves == [
        ("team.custom_metric", 4.0, 5.0, 1.0, True),
        ("customer.time_to_insight", 8.0, 6.5, -1.5, True),
        ("process.time_to_market", 25.0, 21.0, -4.0, True),
        ("process.workflow_adherence", 78.0, 81.5, 3.5, True),
    ]
    sizes = [m.size for m in found.moves]
    assert sizes == pytest.approx([0.2, 0.1875, 0.16, 3.5 / 81.5])


def test_incidents_open_at_as_of(found: Summary) -> None:
    assert [(i.kind, i.id, i.team_id, i.what) for i in found.incidents] == [
        ("data", "t:d-late-fix", None, "late"),  # the store qualifies keys by source
        ("data", "t:d-open", None, "event is 3 days stale"),
        ("production", "t:p-open", "payments", "severity sev1"),
        ("production", "t:p-late-fix", "growth", "production incident"),
    ]


def test_spikes_from_the_period_s_start(found: Summary) -> None:
    assert [(s.theme_id, s.label, s.week_start, s.items, s.baseline, s.ratio)
            for s in found.spikes] == [
        ("t:now", "upload fails", datetime(2025, 11, 10, tzinfo=UTC), 10, 1.0, 10.0)
    ]  # fmt: skip


def test_decisions_due(found: Summary) -> None:
    # by team, then creation: growth's before payments'
    assert [(d.experiment_id, d.why) for d in found.decisions_due] == [
        ("t:ready", "its goal metrics have the units they need"),
        ("t:stopped", "stopped without a decision"),
    ]


def test_an_earlier_period_and_no_scorecard(workspace: Workspace) -> None:
    with pytest.raises(NoScorecardError, match="productops scorecard"):
        summary(workspace, "quarter", NOW)
    land_history(workspace.store)
    first = summary(workspace, "quarter", NOW, QUARTERS[0])
    assert first.previous_start is None  # nothing kept before 2024 Q4
    assert first.moves == []
    assert first.headline == "0 of 2 criteria on target"  # 70% < 80%, 30 > 20 days
    with pytest.raises(NoScorecardError, match="2023-01-01"):
        summary(workspace, "quarter", NOW, datetime(2023, 1, 1, tzinfo=UTC))
