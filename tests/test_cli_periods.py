"""A per-period command builds one `Periods` from --grain, --team, --since and --until: its JSON
is the service's records for that `Periods`, and a bad --grain is a one-line error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.services import flow
from productops.services.periods import Periods
from productops.workspace import Workspace
from tests.pillars.builders import item, items, teams

runner = CliRunner()
MAY = datetime(2024, 5, 1, tzinfo=UTC)
JUNE = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two teams' items done in April, May and June 2024."""
    path = tmp_path_factory.mktemp("periods") / "ws"
    ws = Workspace.init(path)
    teams(ws.store, "payments", "growth")
    items(
        ws.store,
        item("PAY-1", "payments", 0, [(4, "Done", "done")]),
        item("PAY-2", "payments", 30, [(36, "Done", "done")]),
        item("PAY-3", "payments", 61, [(63, "Done", "done")]),
        item("GRO-1", "growth", 40, [(50, "Done", "done")]),
    )
    ws.close()
    return path


def test_the_options_make_the_periods_the_service_takes(root: Path) -> None:
    args = ["-w", str(root), "flow", "lead-time", "-g", "month", "--team", "payments"]
    result = runner.invoke(app, [*args, "--since", "2024-05", "--until", "2024-05", "-f", "json"])
    assert result.exit_code == 0, result.output
    shown = [(r["team_id"], r["period_start"], r["p50"]) for r in json.loads(result.output)]
    assert shown == [("payments", "2024-05-01T00:00:00+00:00", 6.0)]  # PAY-2: 6 days, done in May
    ws = Workspace.open(root)
    try:
        found = flow.lead_time(ws, Periods("month", "payments", since=MAY, until=JUNE))
    finally:
        ws.close()
    assert [(r.team_id, r.period_start, r.p50) for r in found] == [("payments", MAY, 6.0)]


@pytest.mark.parametrize(
    "command",
    [["flow", "wip"], ["dora", "frequency"], ["activity", "summary"], ["feedback", "roadmap"]],
)
def test_a_bad_grain_is_a_one_line_error(root: Path, command: list[str]) -> None:
    result = runner.invoke(app, ["-w", str(root), *command, "--grain", "fortnight"])
    assert result.exit_code == 1, result.output
    expected = "error: --grain 'fortnight': use day, week, month, quarter"
    assert result.output.strip() == expected, result.output
