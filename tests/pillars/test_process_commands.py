"""Every `flow` and `dora` command runs on the demo organisation and prints JSON a script can read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app

runner = CliRunner()
AS_OF = ["--as-of", "2026-11-01"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cmd") / "demo-org"
    assert runner.invoke(app, ["demo", str(target)]).exit_code == 0
    return target


@pytest.mark.parametrize(
    ("command", "column"),
    [
        (["flow", "items", "--team", "payments", "--limit", "5", *AS_OF], "time_in_status"),
        (["flow", "lead-time", "--grain", "quarter"], "p85"),
        (["flow", "cycle-time", "--since", "2026-01-01", *AS_OF], "p50"),
        (["flow", "throughput", "--team", "search"], "items"),
        (["flow", "wip", "--grain", "month"], "wip"),
        (["flow", "aging", *AS_OF], "band"),
        (["flow", "time-in-status", "--team", "payments"], "share"),
        (["flow", "bottleneck", "--grain", "quarter", *AS_OF], "share_of_cycle"),
        (["flow", "efficiency", *AS_OF], "efficiency"),
        (["flow", "dependencies", "--team", "checkout", *AS_OF], "blocked_days"),
        (["flow", "blocking-pairs", *AS_OF], "blocking_team"),
        (["flow", "conformance", "--until", "2025-06-01"], "team_conforms"),
        (["flow", "deviations", "--team", "mobile"], "deviation"),
        (["flow", "time-to-market"], "insight_features"),
        (["flow", "forecast", "--team", "payments", "--items", "20", *AS_OF], "days"),
        (["flow", "forecast", "--team", "payments", "--days", "14", *AS_OF], "items"),
        (["dora", "frequency", "--bands", "2021"], "band"),
        (["dora", "lead-time", "--grain", "quarter"], "review_hours"),
        (["dora", "failure-rate"], "rate"),
        (["dora", "recovery", "--grain", "quarter"], "median_hours"),
    ],
    ids=lambda v: "-".join(v[:2]) if isinstance(v, list) else v,
)
def test_command_prints_rows(demo: Path, command: list[str], column: str) -> None:
    result = runner.invoke(app, ["-w", str(demo), *command, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows
    assert column in rows[0]
    if "--team" in command:
        team = command[command.index("--team") + 1]
        assert {r.get("team_id", r.get("blocked_team")) for r in rows if "team_id" in r} <= {team}


def test_filters_and_arguments_are_checked(demo: Path) -> None:
    out = runner.invoke(app, ["-w", str(demo), "flow", "forecast", "--team", "payments"])
    assert out.exit_code == 1
    assert "exactly one of --items N or --days N" in out.output
    out = runner.invoke(app, ["-w", str(demo), "dora", "frequency", "--bands", "2022"])
    assert "use one of 2021, 2023, 2024" in out.output
    out = runner.invoke(app, ["-w", str(demo), "flow", "wip", "--grain", "year"])
    assert "--grain 'year'" in out.output
