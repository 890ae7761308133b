"""`productops demo`: a fresh workspace, all or nothing, replaced only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.commands import demo as demo_command
from productops.errors import ProductOpsError
from productops.workspace import Workspace

runner = CliRunner()


def test_demo_builds_a_workspace_and_says_where_to_look(tmp_path: Path) -> None:
    target = tmp_path / "demo-org"
    result = runner.invoke(app, ["demo", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Workspace: {target}" in result.stdout
    assert "delivery per team, whole history" in result.stdout
    assert "(MISMATCH)" not in result.stdout
    assert result.stdout.count("(match)") == 7
    manifest = json.loads((target / "demo-manifest.json").read_text(encoding="utf-8"))
    assert manifest["bottleneck"]["team_id"] in result.stdout
    status = json.loads(runner.invoke(app, ["-w", str(target), "status", "-f", "json"]).stdout)
    rows = {r["table"]: r["rows"] for r in status["tables"]}
    assert rows["work_item"] == manifest["row_counts"]["work_item"]
    assert sum(r["quarantined"] for r in status["tables"]) == 0
    for name in ("report.html", "report.pdf", "report.md"):  # the scorecard report
        assert (target / "reports" / name).stat().st_size > 1000, name
    _spike_shortens_time_to_insight(target)

    again = runner.invoke(app, ["demo", str(target)])
    assert again.exit_code == 1
    assert "--replace" in again.output
    replaced = runner.invoke(
        app, ["demo", str(target), "--replace", "--seed", "8", "--fallback", "-f", "json"]
    )
    assert replaced.exit_code == 0, replaced.output
    sections = json.loads(replaced.stdout)
    assert {r["table"] for r in sections["demo organisation"]} >= {"work_item", "feedback", "event"}
    assert json.loads((target / "demo-manifest.json").read_text(encoding="utf-8"))["seed"] == 8


def _spike_shortens_time_to_insight(target: Path) -> None:
    """The spike's insight came days after it began: its team's time from feedback to insight
    drops in the spike's quarter against the quarters on either side."""
    ws = Workspace.open(target)
    try:
        team = ws.store.sql("SELECT team_id FROM insight WHERE title LIKE '%spike in crash%'")[0][0]
    finally:
        ws.close()
    days = {}
    for quarter in ("2025-Q4", "2026-Q1", "2026-Q2"):
        args = ["-w", str(target), "scorecard", "--period", quarter, "--team", team, "-f", "json"]
        rows = json.loads(runner.invoke(app, args).stdout)
        days[quarter] = next(
            r["value"] for r in rows if r["criterion"] == "customer.time_to_insight"
        )
    assert days["2026-Q1"] < min(days["2025-Q4"], days["2026-Q2"]), days


def test_demo_never_replaces_a_workspace_that_is_not_a_demo(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path / "real")])
    result = runner.invoke(app, ["demo", str(tmp_path / "real"), "--replace"])
    assert result.exit_code == 1
    assert "not a demo workspace" in result.output
    assert (tmp_path / "real" / "productops.toml").exists()


def test_an_interrupted_demo_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> dict[str, object]:
        # Stand-in for a build stopped half-way (Ctrl-C or a failure).
        raise ProductOpsError("stopped half-way")

    monkeypatch.setattr(demo_command, "build_demo", interrupted)
    result = runner.invoke(app, ["demo", str(tmp_path / "demo-org")])
    assert result.exit_code == 1
    assert list(tmp_path.iterdir()) == []
