"""The organisation's own targets: `productops scorecard target ... --organisation`.

Hand-made data (quarter 2024-Q2): time to market, lower is better, is 10 days for payments
(items of 10, 30 and 1 days) and 5 for growth, so the organisation's median of the teams is
7.5; workflow adherence, higher is better, is 2 of 3 items for payments and 1 of 1 for growth,
so the organisation's weighted mean is 3 of 4 items, 75 %.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.errors import UsageError
from productops.ops.criteria import ORG
from productops.registry import improvement
from productops.registry.scorecard import set_target, targets
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items

runner = CliRunner()
TTM, FLOW = "process.time_to_market", "process.workflow_adherence"
Q2 = ("--period", "2024-Q2", "--as-of", "2024-12-01")
GOOD: list[tuple[float, str, str]] = [
    (1, "In Progress", "in_progress"),
    (2, "In Review", "in_progress"),
    (3, "Done", "done"),
]


def _released(ident: str, team: str, created: float, released: float) -> Any:
    return item(ident, team, created, [], type="story", released_at=at(released))


@pytest.fixture
def ws(with_teams: Workspace) -> Workspace:
    items(
        with_teams.store,
        _released("b", "payments", 0, 10),
        _released("c", "payments", 0, 30),
        _released("d", "payments", 5, 6),
        _released("e", "growth", 0, 5),
        item("p1", "payments", 0, GOOD),
        item("p2", "payments", 0, GOOD),
        item("p3", "payments", 0, [(4, "Done", "done")]),  # skips the workflow
        item("g1", "growth", 0, GOOD),
    )
    return with_teams


def _run(ws: Workspace, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--workspace", str(ws.root), *args])
    assert result.exit_code == code, result.output
    return result.output


def _rows(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    rows = json.loads(_run(ws, "scorecard", *Q2, "-f", "json"))
    return {(r["criterion"], r["team_id"]): r for r in rows if r["criterion"] in (TTM, FLOW)}


def _org(ws: Workspace, ttm: str, flow: str) -> dict[tuple[str, str], dict[str, Any]]:
    assert "(at most)" in _run(ws, "scorecard", "target", TTM, ttm, "--organisation")
    assert "(at least)" in _run(ws, "scorecard", "target", FLOW, flow, "--organisation")
    return _rows(ws)


def test_an_organisation_target_gives_its_row_target_and_met(ws: Workspace) -> None:
    before = _rows(ws)
    assert before[(TTM, ORG)]["value"] == 7.5
    assert before[(FLOW, ORG)]["value"] == pytest.approx(75.0)
    assert (before[(TTM, ORG)]["target"], before[(TTM, ORG)]["met"]) == (None, None)

    found = _org(ws, "8", "80")  # 7.5 <= 8 days: met; 75 % < 80 %: missed
    assert (found[(TTM, ORG)]["target"], found[(TTM, ORG)]["met"]) == (8.0, True)
    assert (found[(FLOW, ORG)]["target"], found[(FLOW, ORG)]["met"]) == (80.0, False)
    found = _org(ws, "7", "70")  # replaced: 7.5 > 7 days: missed; 75 % >= 70 %: met
    assert (found[(TTM, ORG)]["target"], found[(TTM, ORG)]["met"]) == (7.0, False)
    assert (found[(FLOW, ORG)]["target"], found[(FLOW, ORG)]["met"]) == (70.0, True)
    for team in ("payments", "growth"):  # the teams' rows are as before
        for criterion in (TTM, FLOW):
            assert found[(criterion, team)] == before[(criterion, team)]
            assert found[(criterion, team)]["target"] is None
    kept = ws.store.sql(
        "SELECT metric, target FROM metric_snapshot WHERE team_id = ? AND metric IN (?, ?)",
        [ORG, TTM, FLOW],
    )
    assert dict(kept) == {TTM: 7.0, FLOW: 70.0}
    assert targets(ws.store) == {(TTM, ORG): 7.0, (FLOW, ORG): 70.0}


def test_a_team_target_beside_the_organisation_target(ws: Workspace) -> None:
    _run(ws, "scorecard", "target", TTM, "12", "--team", "payments")
    found = _org(ws, "7", "70")
    assert (found[(TTM, "payments")]["target"], found[(TTM, "payments")]["met"]) == (12.0, True)
    assert (found[(TTM, ORG)]["target"], found[(TTM, ORG)]["met"]) == (7.0, False)
    assert found[(TTM, "growth")]["target"] is None


def test_who_sets_the_target_is_checked(ws: Workspace) -> None:
    both = _run(ws, "scorecard", "target", TTM, "8", "--team", "payments", "--organisation", code=1)
    assert "give exactly one of --team TEAM and --organisation" in both
    neither = _run(ws, "scorecard", "target", TTM, "8", code=1)
    assert "give exactly one of --team TEAM and --organisation" in neither
    unknown = _run(ws, "scorecard", "target", TTM, "8", "--team", "nope", code=1)
    assert "unknown team 'nope'" in unknown
    as_team = _run(ws, "scorecard", "target", TTM, "8", "--team", ORG, code=1)
    assert f"--team {ORG}: use --organisation" in as_team
    with pytest.raises(UsageError, match="unknown team"):
        set_target(ws.store, TTM, ORG, 8.0, at(0))
    assert targets(ws.store) == {}


def test_an_organisation_target_reaches_no_team_maturity_or_nudge(ws: Workspace) -> None:
    maturity = ("scorecard", "maturity", *Q2, "-f", "json")
    before = json.loads(_run(ws, *maturity))
    # 60 %, if it counted as payments' target, would be met by its 66.7 % (no nudge)
    _org(ws, "20", "60")
    after = json.loads(_run(ws, *maturity))
    assert after == before
    pay = next(r for r in after if r["team_id"] == "payments")
    assert pay["process"] == "unaware"
    assert "no targets set" in pay["process_why"]
    assert ORG not in {r["team_id"] for r in after}
    offered = json.loads(_run(ws, "nudge", "offer", *Q2, "-f", "json"))
    assert ORG not in {o["team_id"] for o in offered}
    nudge = next(
        n for n in improvement.list_nudges(ws.store) if n["rule"] == "workflow_nonconforming"
    )
    assert nudge["team_id"] == "payments"  # 66.7 % under the rule's 80 %: the team's gap
    assert json.loads(nudge["readiness"])["target"] is None


def test_the_reports_show_the_organisation_target(ws: Workspace, tmp_path: Path) -> None:
    _org(ws, "8", "80")
    _run(ws, "report", "--out", str(tmp_path), "--format", "md")
    digest = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Process and governance: 1 of 6 on target" in digest
    assert "| Time-to-market of features | 7.5 days | no value | 8 days | on target |" in digest
    assert "| Following the standard workflow | 75% | no value | 80% | off target |" in digest
