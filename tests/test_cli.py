"""The command line, run in-process with Typer's CliRunner on real workspaces."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from productops.cli import app

runner = CliRunner()


def command_names() -> list[str]:
    """Every command, with groups' subcommands as "group sub"."""
    names = []
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", {})
        names += [f"{name} {sub}" for sub in subcommands] or [name]
    return sorted(names)


def run(*args: str, code: int = 0) -> str:
    """Standard output of a command that exits with `code`; with a non-zero code, all its output."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    run("-w", str(tmp_path / "ws"), "import", "team", str(teams_csv))
    return tmp_path / "ws"


def test_help_lists_every_command_with_one_line() -> None:
    out = run("--help")
    commands = command_names()
    for name in {c.split()[0] for c in commands}:
        assert f"  {name} " in out
    assert {"init", "status", "import", "quarantine", "schema", "flow lead-time", "demo"} <= set(
        commands
    )


def test_init_refuses_an_existing_workspace(ws: Path) -> None:
    out = run("init", str(ws), code=1)
    assert "a workspace already exists here" in out
    assert "Traceback" not in out


def test_workspace_is_found_from_a_subfolder(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = ws / "deeper" / "still"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    rows = json.loads(run("status", "--format", "json"))["tables"]
    assert {r["table"]: r["rows"] for r in rows}["team"] == 3


def test_no_workspace_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = run("status", code=1)
    assert "no productops.toml" in out
    assert len(out.strip().splitlines()) == 1


def test_import_prints_counts_in_each_format(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "Key,team_id,created_at\nA-1,growth,2024-01-01\nA-2,mars,2024-01-01\n", encoding="utf-8"
    )
    out = run(
        "-w",
        str(ws),
        "import",
        "work_item",
        str(path),
        "--map",
        "id=Key",
        "--source",
        "jira",
        "--format",
        "json",
    )
    assert json.loads(out) == [
        {"table": "work_item", "landed": 1, "updated": 0, "unchanged": 0, "quarantined": 1}
    ]
    out = run(
        "-w",
        str(ws),
        "import",
        "work_item",
        str(path),
        "-m",
        "id=Key",
        "--source",
        "jira",
        "-f",
        "csv",
    )
    assert next(csv.reader(io.StringIO(out.splitlines()[1]))) == ["work_item", "0", "0", "1", "1"]
    quarantined = json.loads(run("-w", str(ws), "quarantine", "--format", "json"))
    assert quarantined[0]["line"] == 3
    assert "unknown team" in quarantined[0]["reason"]


def test_import_of_only_bad_rows_exits_non_zero(ws: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,team_id,created_at\nA-1,mars,2024-01-01\n", encoding="utf-8")
    out = run("-w", str(ws), "import", "work_item", str(path), code=1)
    assert "no valid row" in out


def test_bad_map_option_and_unknown_table_are_clear_errors(ws: Path, teams_csv: Path) -> None:
    assert "expected CANONICAL=FILE_COLUMN" in run(
        "-w", str(ws), "import", "team", str(teams_csv), "-m", "id", code=1
    )
    assert "unknown table 'teams'" in run("-w", str(ws), "import", "teams", str(teams_csv), code=1)


def test_schema_lists_tables_and_columns() -> None:
    tables = json.loads(run("schema", "-f", "json"))
    assert {"work_item", "feedback", "experiment", "decision", "quarantine"} <= {
        t["table"] for t in tables
    }
    columns = json.loads(run("schema", "work_item", "-f", "json"))
    assert next(c for c in columns if c["column"] == "team_id")["refers_to"] == "team"


def test_status_csv_has_a_block_per_section(ws: Path) -> None:
    blocks = run("-w", str(ws), "status", "-f", "csv").strip().split("\n\n")
    assert blocks[0].startswith("table,area,rows,quarantined,last_import")
    assert blocks[1].startswith("source,table,runs,last_import")


def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--debug", "status"])
    assert result.exit_code == 1
    assert result.exception is not None
    assert type(result.exception).__name__ == "WorkspaceError"


def test_workspace_option_names_a_folder_exactly(tmp_path: Path) -> None:
    out = run("-w", str(tmp_path), "status", code=1)
    assert f"{tmp_path} is not a workspace" in out
