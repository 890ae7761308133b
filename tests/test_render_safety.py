"""Commands print data as it is: never as Rich markup or terminal controls, never as a CSV formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import Result

from productops.cli import app
from productops.render import Format, render
from tests.test_cli import runner

MARKUP = "[/] [link=http://evil]x[/link] [bold red]"
# a link written as the terminal's own escape sequence (OSC 8), and a cursor movement
CONTROLS = "\x1b]8;;http://evil\x1b\\y\x1b]8;;\x1b\\ \x1b[2J"
# A wide terminal that shows colours and links, so that a cell is neither cut nor wrapped.
TERMINAL = {"COLUMNS": "400", "FORCE_COLOR": "1", "TERM": "xterm-256color"}


def _run(ws: Path, *args: str) -> Result:
    result = runner.invoke(app, ["-w", str(ws), *args], env=TERMINAL)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    _run(tmp_path, "init", str(root))
    teams = tmp_path / "t.csv"
    teams.write_text(f'id,name\nalpha,"{MARKUP}"\n', encoding="utf-8")
    _run(root, "import", "team", str(teams))
    return root


def test_markup_in_data_prints_as_text(ws: Path, tmp_path: Path) -> None:
    teams = tmp_path / "more.csv"
    teams.write_text(f"id,name,{MARKUP}\nbeta,Beta,x\n", encoding="utf-8")
    said = _run(ws, "import", "team", str(teams)).stderr
    assert f"Ignored columns (no canonical column): {MARKUP}" in said
    items = tmp_path / "items.csv"
    items.write_text(f'id,team_id,title\n"{MARKUP}",nowhere,"{MARKUP}"\n', encoding="utf-8")
    runner.invoke(app, ["-w", str(ws), "import", "work_item", str(items)], env=TERMINAL)
    _run(ws, "initiative", "new", "alpha", MARKUP, "-c", "process.time_to_market")
    _run(ws, "survey", "new", "alpha", "health_check", "Checkup")
    for person in ("r1", "r2", "r3"):  # comments show for 3 respondents, once closed
        answer = ["-a", "speed=green", "--comment", MARKUP, "--respondent", person]
        _run(ws, "survey", "answer", "alpha-checkup", *answer)
    _run(ws, "survey", "close", "alpha-checkup")
    for command in (["quarantine"], ["initiative", "list"], ["survey", "results"]):
        out = _run(ws, *command).stdout
        assert MARKUP in out, command
        assert "\x1b]8;" not in out, command  # no live link


def test_terminal_controls_in_data_print_visibly(ws: Path) -> None:
    _run(ws, "initiative", "new", "alpha", CONTROLS, "-c", "process.time_to_market")
    out = _run(ws, "initiative", "list").stdout
    assert "\\x1b]8;;http://evil\\x1b\\y\\x1b]8;;\\x1b\\ \\x1b[2J" in out
    assert "\x1b]8;" not in out
    assert "\x1b[2J" not in out


def test_csv_cells_never_start_a_formula(capsys: pytest.CaptureFixture[str]) -> None:
    starts = ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]
    rows = [{"text": t, "number": n} for t, n in zip(starts, [-3.5, -2, 0.5, 1, 2, 3], strict=True)]
    rows += [{"text": "plain - text", "number": None}, {"text": "a\r=1+1", "number": 4}]
    render(rows, ["text", "number"], Format.csv)
    read = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert read[1:] == [
        ["'=1+1", "-3.5"],
        ["'+1", "-2"],
        ["'-1+1", "0.5"],
        ["'@SUM(A1)", "1"],
        ["'\tx", "2"],
        ["'\nx", "3"],  # a lone carriage return would end the row
        ["plain - text", ""],
        ["a\n=1+1", "4"],
    ]


def test_csv_of_commands_never_starts_a_formula(ws: Path) -> None:
    formula = '=HYPERLINK("http://evil","x")'
    _run(ws, "initiative", "new", "alpha", formula, "-c", "process.time_to_market")
    read = list(csv.DictReader(io.StringIO(_run(ws, "initiative", "list", "-f", "csv").stdout)))
    assert [r["title"] for r in read] == ["'" + formula]
    out = _run(ws, "experiment", "new", "alpha", "e1", "--hypothesis", "h", "--metric",
               "@evil:goal", "--arm", "-a:0.5", "--arm", "+b:0.5", "-f", "csv").stdout  # fmt: skip
    names = [r["name"] for r in csv.DictReader(io.StringIO(out))]
    assert names == ["'@evil", "'-a", "'+b"]


def test_quarantine_negative_limit_is_one_line(ws: Path) -> None:
    result = runner.invoke(app, ["-w", str(ws), "quarantine", "--limit", "-1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "Invalid value for '--limit'" in result.output
