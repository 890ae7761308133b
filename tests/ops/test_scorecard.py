"""The scorecard: periods, trend, targets, rollups, snapshots, custom criteria, the CLI, the demo."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.commands.common import resolve_periods
from productops.config import CustomCriterion, load_config, write_config
from productops.demo import build_demo
from productops.engine import collect_union
from productops.errors import UsageError
from productops.ops.criteria import CRITERIA, ORG
from productops.ops.scorecard import (
    Score,
    criteria_in_use,
    latest_complete,
    period_start,
    periods_ending,
    scorecard,
    shift,
)
from productops.pillars.data import load_catalog
from productops.registry.scorecard import save_snapshots, set_target, targets
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items, land

Q1, Q2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
runner = CliRunner()


def test_periods_start_shift_and_end_like_the_queries() -> None:
    ts = datetime(2024, 5, 15, 13, tzinfo=UTC)
    assert period_start(ts, "quarter") == Q2
    assert period_start(ts, "month") == datetime(2024, 5, 1, tzinfo=UTC)
    assert period_start(ts, "week") == datetime(2024, 5, 13, tzinfo=UTC)  # a Monday
    assert shift(Q1, "quarter", -1) == datetime(2023, 10, 1, tzinfo=UTC)
    assert shift(Q2, "month", 9) == datetime(2025, 1, 1, tzinfo=UTC)
    assert latest_complete(ts, "quarter") == Q1
    assert periods_ending(ts, "quarter", 3) == [shift(Q2, "quarter", -2), Q1, Q2]
    assert resolve_periods("2024-Q2", "quarter", 2, ts) == [Q1, Q2]
    assert resolve_periods(None, "quarter", 1, ts) == [Q1]
    with pytest.raises(UsageError):
        periods_ending(ts, "quarter", 0)


def _released(ident: str, team: str, created: float, released: float) -> Any:
    return item(ident, team, created, [], type="story", released_at=at(released))


def _flow(ws: Workspace) -> None:
    """Time to market, payments: Q1 20 days, Q2 10 and 30 (median 20 -> 20); growth Q2: 5."""
    items(
        ws.store,
        _released("a", "payments", -60, -40),
        _released("b", "payments", 0, 10),
        _released("c", "payments", 0, 30),
        _released("d", "payments", 5, 6),
        _released("e", "growth", 0, 5),
    )


def _scores(ws: Workspace, **kw: Any) -> dict[tuple[str, str, datetime], Score]:
    rows = scorecard(
        ws.backend().table,
        [Q2],
        criteria=[CRITERIA["process.time_to_market"], CRITERIA["customer.insight_sessions"]],
        teams=["payments", "growth"],
        as_of=at(200),
        **kw,
        collect=collect_union,
    )
    return {(r.criterion, r.team_id, r.period_start): r for r in rows}


def test_trend_target_met_and_rollups(with_teams: Workspace) -> None:
    _flow(with_teams)
    land(
        with_teams.store,
        "activity",
        [
            {"id": "s1", "team_id": "payments", "kind": "insight_session", "held_at": at(1)},
            {"id": "s2", "team_id": "growth", "kind": "insight_session", "held_at": at(2)},
            {"id": "s3", "team_id": "growth", "kind": "insight_session", "held_at": at(3)},
        ],
    )
    set_target(with_teams.store, "process.time_to_market", "payments", 8.0, at(0))
    set_target(with_teams.store, "process.time_to_market", "growth", 8.0, at(0))
    set_target(with_teams.store, "process.time_to_market", "growth", 6.0, at(1))  # replaced
    assert targets(with_teams.store)[("process.time_to_market", "growth")] == 6.0
    found = _scores(with_teams, targets=targets(with_teams.store))
    pay = found[("process.time_to_market", "payments", Q2)]
    assert (pay.value, pay.previous, pay.n) == (10.0, 20.0, 3)  # 10, 30, 1 days
    assert (pay.trend, pay.target, pay.met) == ("better", 8.0, False)
    grow = found[("process.time_to_market", "growth", Q2)]
    assert (grow.value, grow.met, grow.trend) == (5.0, True, None)  # no Q1 value
    org = found[("process.time_to_market", ORG, Q2)]
    assert org.value == statistics.median([10.0, 5.0])  # rollup: median of the teams
    assert org.target is None
    assert org.met is None
    sessions = found[("customer.insight_sessions", ORG, Q2)]
    assert (sessions.value, sessions.unit) == (3.0, "sessions")  # rollup: sum
    assert all(s.period_start == Q2 for s in found.values())  # Q1 only for the trend


def test_weighted_mean_rollup_weights_by_items(with_teams: Workspace) -> None:
    good: list[tuple[float, str, str]] = [
        (1, "In Progress", "in_progress"),
        (2, "In Review", "in_progress"),
        (3, "Done", "done"),
    ]
    items(
        with_teams.store,
        item("p1", "payments", 0, good),
        item("p2", "payments", 0, good),
        item("p3", "payments", 0, [(4, "Done", "done")]),
        item("g1", "growth", 0, good),
    )
    rows = scorecard(
        with_teams.backend().table,
        [Q2],
        criteria=[CRITERIA["process.workflow_adherence"]],
        teams=["payments", "growth"],
        collect=collect_union,
    )
    org = next(r for r in rows if r.team_id == ORG)
    assert org.value == pytest.approx((200 / 3 * 3 + 100 * 1) / 4)  # = 3 of 4 items
    assert org.n == 4


def test_no_data_at_all_names_what_is_needed(with_teams: Workspace) -> None:
    rows = scorecard(
        with_teams.backend().table, [Q2], teams=["payments", "growth"], collect=collect_union
    )
    assert len(rows) == len(CRITERIA) * 3
    assert all(r.value is None and r.reason for r in rows)
    reasons = {r.criterion: r.reason for r in rows if r.team_id == "payments"}
    assert reasons["process.time_to_market"] == (
        "not enough data: needs released features (no work_item rows)"
    )


def test_snapshots_upsert_per_key_and_keep_computed_at(with_teams: Workspace) -> None:
    store = with_teams.store

    def snap(value: float | None, start: datetime = Q2) -> dict[str, Any]:
        return {"metric": "process.time_to_market", "team_id": "payments", "grain": "quarter"} | {
            "period_start": start,
            "value": value,
            "unit": "days",
            "reason": None,
            "target": None,
        }

    save_snapshots(store, [snap(10.0), snap(20.0, Q1)], at(100))
    save_snapshots(store, [snap(10.0), snap(25.0, Q1)], at(120))
    rows = store.sql(
        "SELECT period_start, value, computed_at FROM metric_snapshot ORDER BY period_start"
    )
    assert [(r[1], r[2]) for r in rows] == [(25.0, at(120)), (10.0, at(100))]
    save_snapshots(store, [snap(None, Q2)], at(130))  # history of Q1 survives
    assert store.sql("SELECT count(*) FROM metric_snapshot")[0][0] == 2


def test_disabled_and_custom_criteria(with_teams: Workspace) -> None:
    custom = CustomCriterion(
        id="process.items_done", metric="items_done", pillar="process", direction="higher"
    )
    chosen = criteria_in_use(["business.churn"], [custom])
    assert "business.churn" not in {c.id for c in chosen}
    assert chosen[-1].id == "process.items_done"
    with pytest.raises(UsageError, match="unknown criteria"):
        criteria_in_use(["nope"])
    with pytest.raises(UsageError, match="built-in"):
        criteria_in_use([], [custom.model_copy(update={"id": "business.churn"})])
    _flow(with_teams)
    rows = scorecard(
        with_teams.backend().table,
        [Q2],
        criteria=chosen[-1:],
        catalog=load_catalog(),
        custom_metrics={"process.items_done": "items_done"},
        teams=["payments", "growth"],
        collect=collect_union,
    )
    found = {r.team_id: r for r in rows}
    assert found["payments"].value is None  # released, not done: no items done
    assert "values of metric items_done" in str(found["payments"].reason)


def _cli(ws: Workspace, *args: str) -> Any:
    result = runner.invoke(app, ["--workspace", str(ws.root), *args])
    assert result.exit_code == 0, result.output
    return result


def test_cli_sets_targets_prints_the_scorecard_and_keeps_snapshots(with_teams: Workspace) -> None:
    _flow(with_teams)
    out = _cli(
        with_teams, "scorecard", "target", "process.time_to_market", "12", "--team", "payments"
    )
    assert "at most" in out.output
    out = _cli(
        with_teams, "scorecard", "--period", "2024-Q2", "--as-of", "2024-12-01", "-f", "json"
    )
    rows = json.loads(out.output)
    pay = next(
        r for r in rows if r["criterion"] == "process.time_to_market" and r["team_id"] == "payments"
    )
    assert (pay["value"], pay["target"], pay["met"], pay["trend"]) == (10.0, 12.0, True, "better")
    assert with_teams.store.sql("SELECT count(*) FROM metric_snapshot")[0][0] == len(rows)
    listed = _cli(with_teams, "scorecard", "criteria", "-f", "csv").output
    assert "process.time_to_market" in listed
    bad = runner.invoke(
        app,
        ["--workspace", str(with_teams.root), "scorecard", "target", "x", "1", "-t", "payments"],
    )
    assert bad.exit_code != 0
    assert "unknown criterion" in bad.output


def test_config_switches_a_criterion_off(with_teams: Workspace) -> None:
    path = with_teams.root / "productops.toml"
    config = load_config(path)
    off = config.scorecard.model_copy(update={"disabled": ["business.churn"]})
    write_config(path, config.model_copy(update={"scorecard": off}))
    out = _cli(with_teams, "scorecard", "criteria", "-f", "json")
    assert "business.churn" not in {r["id"] for r in json.loads(out.output)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    build_demo(ws.store, ws.manifest_path, scale=1, seed=7)
    yield ws
    ws.close()


def test_demo_planted_facts_move_the_right_criteria(demo: Workspace) -> None:
    manifest = json.loads(Path(demo.manifest_path).read_text(encoding="utf-8"))
    starts = periods_ending(datetime(2026, 7, 1, tzinfo=UTC), "quarter", 8)
    rows = scorecard(
        demo.backend().table, starts, as_of=datetime(2026, 11, 1, tzinfo=UTC), collect=collect_union
    )
    assert all(r.value is not None or r.reason for r in rows)
    assert {r.team_id for r in rows} == {*manifest["teams"], ORG}

    def mean_of(criterion: str) -> dict[str, float]:
        per: dict[str, list[float]] = {}
        for r in rows:
            if r.criterion == criterion and r.team_id != ORG and r.value is not None:
                per.setdefault(r.team_id, []).append(r.value)
        return {t: statistics.fmean(v) for t, v in per.items()}

    slow = mean_of("process.time_to_market")
    assert max(slow, key=slow.__getitem__) == manifest["bottleneck"]["team_id"]
    adherence = [r for r in rows if r.criterion == "process.workflow_adherence"]
    for start in starts:
        shares = {
            r.team_id: r.value for r in adherence if r.period_start == start and r.team_id != ORG
        }
        assert min(shares, key=lambda t: shares[t] or 0.0) == manifest["non_conforming_team"]
    delays = {t: v for t, v in mean_of("process.dependency_delays").items()}
    assert max(delays, key=delays.__getitem__) == manifest["blocking_pair"]["blocked_team"]


def test_demo_values_are_plausible(demo: Workspace) -> None:
    """The demo organisation reads like a real one: bounds a Product Ops lead would accept."""
    starts = periods_ending(datetime(2026, 7, 1, tzinfo=UTC), "quarter", 8)
    rows = scorecard(
        demo.backend().table, starts, as_of=datetime(2026, 11, 1, tzinfo=UTC), collect=collect_union
    )

    def values(criterion: str, team: str | None = None) -> list[float]:
        return [
            r.value
            for r in sorted(rows, key=lambda r: r.period_start)
            if r.criterion == criterion and (team is None or r.team_id == team)
            if r.value is not None
        ]

    # Time from the first request to release stays months, not the demo's age.
    assert max(values("customer.insight_time_to_market")) < 450
    creep, tied = values("business.scope_creep", ORG), values("business.kpi_alignment", ORG)
    assert 5 <= min(creep) <= max(creep) <= 30
    assert 30 <= min(tied) <= max(tied) <= 90
    # Feedback received long ago has shipped; the latest waits on open work.
    incorporated = values("customer.feedback_incorporated", ORG)
    assert min(incorporated[:4]) >= 90
    assert incorporated[-1] < 90
    setup = values("operations.experiment_setup_time", ORG)
    assert len(setup) >= 6
    assert all(5 <= v <= 20 for v in setup)


def test_demo_cli_scorecard_and_maturity(demo: Workspace) -> None:
    out = _cli(demo, "scorecard", "--period", "2026-Q3", "--periods", "2", "-f", "csv")
    assert out.output.count("\n") > len(CRITERIA) * 7 * 2
    grid = json.loads(
        _cli(demo, "scorecard", "maturity", "--period", "2026-Q3", "-f", "json").output
    )
    assert {r["team_id"] for r in grid} == set(
        json.loads(Path(demo.manifest_path).read_text())["teams"]
    )
    assert all(
        r[p] in ("unaware", "aware", "practising", "habitual")
        for r in grid
        for p in ("data", "process")
    )
    assert demo.store.sql("SELECT count(*) FROM maturity_reading")[0][0] == len(grid) * 3
    planted = json.loads(Path(demo.manifest_path).read_text())["overconfident_team"]
    row = next(r for r in grid if r["team_id"] == planted["team_id"])
    assert row[planted["pillar"]] == "unaware"
    assert "rates itself high while its measures are low" in row[f"{planted['pillar']}_why"]
    assert len({r[p] for r in grid for p in ("data", "customer", "process")}) == 4
