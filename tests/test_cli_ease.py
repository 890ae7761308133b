"""Ease of use of the command line, and output that says what it means: -w after the command,
periods for --since and --until, date errors that list the forms, ids never cut off, shell
completion, `people`, `check show`, `metrics show --sql`, criterion names and maturity reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer.completion
from rich.console import Console
from typer.testing import CliRunner

from productops.cli import app
from productops.render import Format, render
from productops.workspace import Workspace
from tests.pillars.builders import land

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), terminal_width=200)
    assert result.exit_code == code, result.output
    return result.output


def day(month: int, d: int = 10) -> datetime:
    return datetime(2025, month, d, tzinfo=UTC)


@pytest.fixture
def ws(with_teams: Workspace) -> Workspace:
    """Teams, and one item done in each month of 2025 from January to June."""
    items: list[dict[str, Any]] = [
        {"id": f"i{m}", "team_id": "payments", "type": "story", "title": "t", "status": "Done",
         "status_category": "done", "created_at": day(m, 1), "resolved_at": day(m)}
        for m in range(1, 7)
    ]  # fmt: skip
    land(with_teams.store, "work_item", items)
    return with_teams


def months(out: str) -> list[str]:
    return [r["period_start"][:7] for r in json.loads(out)]


def test_workspace_option_after_the_command(ws: Workspace) -> None:
    out = run("flow", "throughput", "--grain", "month", "-w", str(ws.root), "-f", "json")
    assert months(out) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    nested = run("scorecard", "criteria", "--workspace", str(ws.root), "-f", "json")
    assert json.loads(nested)


@pytest.mark.parametrize(
    ("since", "until", "shown"),
    [
        ("2025-Q1", "2025-03", ["2025-01", "2025-02", "2025-03"]),
        ("2025-02", "2025-Q2", ["2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]),
        ("2025-03-01", "2025-04-01", ["2025-03"]),
        ("2025", "2025", ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]),
    ],
)
def test_since_and_until_take_months_quarters_and_years(
    ws: Workspace, since: str, until: str, shown: list[str]
) -> None:
    w = ("-w", str(ws.root))
    args = ("flow", "throughput", "--grain", "month", "--since", since, "--until", until)
    assert months(run(*w, *args, "-f", "json")) == shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("flow", "throughput", "--since", "2025-Q5"),
         "error: --since '2025-Q5': expected a date (2025-03-01), a time (2025-03-01T09:30), "
         "a month (2025-03), a quarter (2025-Q1) or a year (2025)"),
        (("flow", "throughput", "--until", "2025-13"), "error: --until '2025-13': no month 13"),
        (("flow", "aging", "--as-of", "soon"),
         "error: --as-of 'soon': expected a date (2025-03-01) or a time (2025-03-01T09:30)"),
        (("scorecard", "--period", "Q1"), "error: --period 'Q1': expected a date (2025-03-01)"),
    ],
)  # fmt: skip
def test_date_errors_say_which_forms_are_accepted(
    ws: Workspace, args: tuple[str, ...], message: str
) -> None:
    out = run("-w", str(ws.root), *args, code=1)
    assert out.startswith(message)
    assert len(out.strip().splitlines()) == 1


LONG = "productops:nudge-payments-flow-bottleneck-20250101T000000"


@pytest.mark.parametrize("width", [100, 60])
def test_ids_in_tables_are_never_cut_off(width: int) -> None:
    console = Console(width=width, record=True)
    rows = [{"id": LONG, "team_id": "payments", "reason": "a long reason " * 8, "x": "y" * 40}]
    render(rows, ["id", "team_id", "reason", "x"], Format.table, console=console)
    lines = [line for line in console.export_text().splitlines() if line.startswith("│")]
    assert "".join(line.split("│")[1].strip() for line in lines) == LONG
    if width == 100:  # whole on one line when it fits
        assert LONG in lines[0]


def test_shell_completion_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    # Typer finds the shell from the process tree, which a test runner's workers may not have.
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    assert "--install-completion" in run("--help")
    assert "complete" in run("--show-completion")


def test_people_lists_ids_teams_roles_and_no_personal_data(ws: Workspace, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "id,team_id,role,joined_at,email,name\n"
        "p1,payments,pm,2024-01-02,ada@example.com,Ada Lovelace\n"
        "p2,growth,engineer,2024-03-04,bob@example.com,Bob\n",
        encoding="utf-8",
    )
    run("-w", str(ws.root), "import", "person", str(people))
    rows = json.loads(run("people", "-w", str(ws.root), "-f", "json"))
    assert rows == [
        {"id": "p2", "team_id": "growth", "role": "engineer", "joined_at": "2024-03-04T00:00:00+00:00"},
        {"id": "p1", "team_id": "payments", "role": "pm", "joined_at": "2024-01-02T00:00:00+00:00"},
    ]  # fmt: skip
    table = run("people", "-w", str(ws.root), "--team", "pay")
    assert "p1" in table
    assert "p2" not in table
    assert "example.com" not in table
    assert "Ada" not in table


CHECK = """\
checks:
  - id: segment_known
    kind: accepted_values
    target: account
    params: {column: segment, values: [smb, enterprise]}
    severity: warn
"""


def test_check_show_lists_the_keys_that_differ(ws: Workspace) -> None:
    accounts = [{"id": "a1", "segment": "mid"}, {"id": "a2", "segment": "smb"}]
    land(ws.store, "account", [*accounts, {"id": "a3", "segment": "tiny"}])
    (ws.root / "checks").mkdir()
    (ws.root / "checks" / "mine.yml").write_text(CHECK, encoding="utf-8")
    run("-w", str(ws.root), "check", "--only", "segment_known")
    shown = json.loads(run("-w", str(ws.root), "check", "show", "segment_kn", "-f", "json"))
    assert shown["segment_known"][0]["status"] == "warn"
    assert sorted(k["key"] for k in shown["keys that differ"]) == ["a1", "a3"]
    assert "a3" in run("-w", str(ws.root), "check", "show", "segment_known")


def test_metrics_show_prints_the_sql_only_with_sql(ws: Workspace) -> None:
    w = ("-w", str(ws.root))
    assert "SELECT" not in run(*w, "metrics", "show", "items_done").upper()
    assert "SELECT" in run(*w, "metrics", "show", "items_done", "--sql").upper()
    fields = json.loads(run(*w, "metrics", "show", "items_done", "-f", "json"))["items_done"]
    assert "sql" not in {f["field"] for f in fields}


def test_scorecard_shows_criterion_names_and_maturity_its_reasons(ws: Workspace) -> None:
    w = ("-w", str(ws.root), "scorecard")
    table = run(*w, "--team", "payments", "--as-of", "2025-07-02")
    assert "┃ name " in table
    rows = json.loads(run(*w, "--team", "payments", "--as-of", "2025-07-02", "-f", "json"))
    names = {r["criterion"]: r["name"] for r in rows}
    assert names["process.time_to_market"] == "Time-to-market of features"
    maturity = run(*w, "maturity", "--as-of", "2025-07-02")
    assert "┃ why " in maturity
    assert "no data criterion" in maturity
