"""A per-period read returns the rows its `Periods` asks for: its grain, only its team, and the
periods starting on or after `since` and before `until`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pytest

from productops.services import flow
from productops.services.periods import Periods
from productops.services.rows import of_team
from productops.workspace import Workspace
from tests.pillars.builders import item, items, teams

APRIL, MAY, JUNE = (datetime(2024, m, 1, tzinfo=UTC) for m in (4, 5, 6))
DONE = "done"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """Two teams' items done in April, May and June 2024 (days after Monday 1 April, 09:00)."""
    workspace = Workspace.init(tmp_path / "ws")
    teams(workspace.store, "payments", "growth")
    items(
        workspace.store,
        item("PAY-1", "payments", 0, [(4, "Done", DONE)]),  # 4 days, April
        item("PAY-2", "payments", 30, [(36, "Done", DONE)]),  # 6 days, May
        item("PAY-3", "payments", 61, [(63, "Done", DONE)]),  # 2 days, June
        item("GRO-1", "growth", 1, [(9, "Done", DONE)]),  # 8 days, April
        item("GRO-2", "growth", 40, [(50, "Done", DONE)]),  # 10 days, May
    )
    yield workspace
    workspace.close()


def _lead(ws: Workspace, periods: Periods) -> list[tuple[str | None, datetime, float | None]]:
    return [(r.team_id, r.period_start, r.p50) for r in flow.lead_time(ws, periods)]


def test_every_team_and_period_unless_asked(ws: Workspace) -> None:
    assert _lead(ws, Periods("month")) == [
        ("growth", APRIL, 8.0),
        ("growth", MAY, 10.0),
        ("payments", APRIL, 4.0),
        ("payments", MAY, 6.0),
        ("payments", JUNE, 2.0),
    ]


def test_only_the_team_asked_for(ws: Workspace) -> None:
    assert _lead(ws, Periods("month", team="growth")) == [
        ("growth", APRIL, 8.0),
        ("growth", MAY, 10.0),
    ]


def test_since_is_inclusive_and_until_exclusive(ws: Workspace) -> None:
    found = _lead(ws, Periods("month", "payments", since=MAY, until=JUNE))
    assert found == [("payments", MAY, 6.0)]


def test_the_grain_asked_for(ws: Workspace) -> None:
    assert _lead(ws, Periods("quarter", "payments")) == [
        ("payments", APRIL, 4.0),  # Q2: 4, 6 and 2 days; the median is 4
    ]


def test_a_team_is_the_blocked_team_where_a_table_has_no_team_id() -> None:
    pairs = ibis.memtable({"blocking_team": ["a", "b"], "blocked_team": ["b", "a"]})
    kept = of_team(pairs, "a").to_pyarrow().to_pylist()
    assert kept == [{"blocking_team": "b", "blocked_team": "a"}]
    assert of_team(pairs, None).count().to_pyarrow().as_py() == 2
