"""Per-week rates of the period still running at the as-of time are over its elapsed part,
and that period is marked `partial` (DORA deployment frequency, throughput)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.pillars import process as p
from productops.workspace import Workspace
from tests.pillars.builders import DAY, T0, land, result_rows, teams

runner = CliRunner()
# Wednesday 3 April 2024 at 09:00: 2.375 days into the week of Monday 1 April.
AS_OF = T0 + 2 * DAY
ELAPSED_WEEKS = (AS_OF - T0.replace(hour=0)).total_seconds() / (7 * 86_400)
# Two deployment days in the full week before, two before AS_OF, one after it.
DAYS = [T0 - 6 * DAY, T0 - 5 * DAY, T0, T0 + DAY, T0 + 3 * DAY]


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    teams(workspace.store, "a")
    deploys = [
        {
            "id": f"t:d{n}",
            "team_id": "a",
            "environment": "production",
            "finished_at": day,
            "result": "success",
        }
        for n, day in enumerate(DAYS)
    ]
    land(workspace.store, "deployment", deploys)
    items = [
        {
            "id": f"t:w{n}",
            "team_id": "a",
            "status_category": "done",
            "created_at": T0 - 10 * DAY,
            "resolved_at": day,
        }
        for n, day in enumerate(DAYS)
    ]
    land(workspace.store, "work_item", items)
    return workspace


def _by_week(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {r["period_start"].date().isoformat(): r for r in rows}  # type: ignore[attr-defined]


def test_deployment_frequency_of_the_running_week_is_over_its_elapsed_part(ws: Workspace) -> None:
    rows = _by_week(
        result_rows(p.deployment_frequency(ws.backend().table("deployment"), "week", as_of=AS_OF))
    )
    assert set(rows) == {"2024-03-25", "2024-04-01"}  # nothing after AS_OF
    full, running = rows["2024-03-25"], rows["2024-04-01"]
    assert (full["deployment_days"], full["per_week"], full["partial"]) == (2, 2.0, False)
    assert (running["deployment_days"], running["partial"]) == (2, True)
    assert running["per_week"] == pytest.approx(2 / ELAPSED_WEEKS)
    assert running["band"] == "elite"  # 5.9 days a week so far, not 2 in a whole week


def test_throughput_of_the_running_month_is_over_its_elapsed_part(ws: Workspace) -> None:
    rows = _by_week(result_rows(p.throughput(ws.backend().table("work_item"), "month", AS_OF)))
    march, april = rows["2024-03-01"], rows["2024-04-01"]
    assert (march["items"], march["partial"]) == (2, False)
    assert march["per_week"] == pytest.approx(2 / (30.44 / 7))
    assert (april["items"], april["partial"]) == (2, True)
    assert april["per_week"] == pytest.approx(2 / ELAPSED_WEEKS)


def test_the_commands_show_partial_periods(ws: Workspace) -> None:
    when = ["--as-of", AS_OF.isoformat(), "--grain", "week", "-f", "json"]
    for command in (["dora", "frequency", "--bands", "2024"], ["flow", "throughput"]):
        result = runner.invoke(app, ["-w", str(ws.root), *command, *when])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [(r["period_start"][:10], r["partial"]) for r in rows] == [
            ("2024-03-25", False),
            ("2024-04-01", True),
        ]
        assert rows[1]["per_week"] == pytest.approx(2 / ELAPSED_WEEKS)


def test_every_period_before_now_is_whole_by_default(ws: Workspace) -> None:
    rows = result_rows(p.deployment_frequency(ws.backend().table("deployment"), "week"))
    assert [r["partial"] for r in rows] == [False, False]
    assert [r["per_week"] for r in rows] == [2.0, 3.0]
    assert datetime.now(AS_OF.tzinfo) > AS_OF
