"""`productops demo`: a fresh workspace, all or nothing, replaced only when asked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.commands import demo as demo_command
from productops.demo.targets import ORGANISATION, ORGANISATION_TARGETS
from productops.errors import ProductOpsError
from productops.ops.criteria import CRITERIA, ORG
from productops.services.users import verify_password
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
    _report_counts_the_organisation_s_targets(target)
    first = _the_app_and_its_admin(target, result.stderr)
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
    assert _the_app_and_its_admin(target, replaced.stderr) != first  # a new password each run


def _the_app_and_its_admin(target: Path, said: str) -> str:
    """The demo says how to open the app and signs its admin in with the password it shows;
    the admin was added through the audited service. Returns the password."""
    assert f"Open the app: productops -w {target} serve   then http://127.0.0.1:8080/" in said
    found = re.search(r"sign in as demo-admin, password (\S+)\n", said)
    assert found is not None, said
    ws = Workspace.open(target)
    try:
        assert verify_password(ws, "demo-admin", found[1]).role == "admin"
        added = ws.store.sql(
            "SELECT actor FROM audit_event WHERE action = 'user.add' AND object = ?",
            ["app_user:demo-admin"],
        )
    finally:
        ws.close()
    assert len(added) == 1
    assert added[0][0].startswith("cli:")
    return found[1]


def _report_counts_the_organisation_s_targets(target: Path) -> None:
    """The report's headline counts the organisation's criteria meeting the targets the demo
    set, as the kept scorecard has them, and the report holds DORA, demand and experiments."""
    assert ORGANISATION == ORG
    ws = Workspace.open(target)
    try:
        rows = ws.store.sql(
            "SELECT metric, value, target FROM metric_snapshot WHERE team_id = ? AND grain = "
            "'quarter' AND period_start = (SELECT max(period_start) FROM metric_snapshot) "
            "AND target IS NOT NULL AND value IS NOT NULL",
            [ORG],
        )
    finally:
        ws.close()
    assert {m for m, _, _ in rows} == set(ORGANISATION_TARGETS)
    met = sum((v <= t) if CRITERIA[m].direction == "lower" else (v >= t) for m, v, t in rows)
    assert 0 < met < len(rows)  # the demo shows both cases
    digest = (target / "reports" / "report.md").read_text(encoding="utf-8")
    assert f"2026 Q3: {met} of {len(rows)} criteria on target (" in digest
    for heading in (
        "## DORA, 2026 Q3",
        "## Demand by ARR, 2026 Q3",
        "## Experiment results",
        "### Biggest moves since 2026 Q2",
        "## Team: Payments",
    ):
        assert heading in digest, heading
    assert "| one_click_checkout | Checkout | decided: ship | conversion_rate (goal) |" in digest


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
