"""Every team, criterion, metric and id a command takes goes through one resolver: an unknown one
is a one-line error naming the nearest, and a unique start of an id is enough."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from productops.cli import app
from productops.registry import improvement
from productops.registry.rows import land
from productops.workspace import Workspace

runner = CliRunner()
AT = datetime(2025, 1, 6, tzinfo=UTC)


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def one_line_error(*args: str) -> str:
    out = run(*args, code=1)
    assert out.startswith("error: "), out
    assert len(out.strip().splitlines()) == 1, out
    return out.strip()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with teams and one record of each kind the resolver looks up."""
    root = tmp_path_factory.mktemp("resolve") / "ws"
    teams = root.parent / "teams.csv"
    teams.write_text("id,name\npayments,Payments\npayroll,Payroll\ngrowth,Growth\n")
    run("init", str(root))
    run("-w", str(root), "import", "team", str(teams))
    w = ("-w", str(root))
    run(*w, "decision", "new", "Adopt trunk based development", "--team", "payments")
    run(*w, "experiment", "new", "growth", "Checkout button", "--hypothesis", "h",
        "--metric", "conversion:goal")  # fmt: skip
    run(*w, "survey", "new", "growth", "stakeholder", "Q2 stakeholders")
    opened = Workspace.open(root)
    improvement.add_initiative(
        opened.store, team_id="payments", title="Faster reviews", criterion="process.time_to_market",
        baseline=None, baseline_period="quarter:2024-10-01", stage="empathize", at=AT,
    )  # fmt: skip
    improvement.add_nudge(
        opened.store, team_id="growth", rule="wip_limit", criterion="process.time_to_market",
        readiness={}, at=AT,
    )  # fmt: skip
    themes: dict[str, Any] = {"id": ["productops:theme-1", "productops:theme-12"]}
    themes |= {"label": ["slow checkout", "login fails"], "status": ["active", "active"]}
    land(opened.store, "theme", pa.table(themes), "test")
    opened.close()
    return root


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("flow", "items", "--team", "paymnets"), "unknown team 'paymnets': did you mean payments?"),
        (("scorecard", "target", "process.time_to_markt", "3", "--team", "payments"),
         "unknown criterion 'process.time_to_markt': did you mean process.time_to_market?"),
        (("metrics", "show", "items_dne"), "unknown metric 'items_dne': did you mean items_done?"),
        (("decision", "show", "adopt-trunk-basd-development"),
         "unknown decision 'adopt-trunk-basd-development': "
         "did you mean adopt-trunk-based-development?"),
        (("nudge", "accept", "growht-wip"),
         "unknown nudge 'growht-wip': did you mean growth-wip-limit-20250106T000000?"),
        (("initiative", "show", "paymnets-faster-reviews"),
         "unknown initiative 'paymnets-faster-reviews': did you mean payments-faster-reviews?"),
        (("experiment", "start", "checkuot-button"),
         "unknown experiment 'checkuot-button': did you mean checkout-button?"),
        (("survey", "close", "growth-q2-stakeholdres"),
         "unknown survey 'growth-q2-stakeholdres': did you mean growth-q2-stakeholders?"),
        (("feedback", "themes", "show", "theem-12"), "unknown theme 'theem-12': did you mean theme-12"),
    ],
)  # fmt: skip
def test_an_unknown_one_is_refused_with_the_nearest(
    ws: Path, args: tuple[str, ...], message: str
) -> None:
    assert message in one_line_error("-w", str(ws), *args)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("decision", "show", "adopt", "-f", "csv"), "productops:decision-adopt-trunk"),
        (("initiative", "show", "payments-fast", "-f", "csv"), "productops:initiative-payments"),
        (
            ("decision", "evidence", "adopt", "--experiment", "check", "-f", "csv"),
            "productops:exp-checkout-button",
        ),
        (("flow", "forecast", "--team", "grow", "--days", "5"), "forecast for growth"),
    ],
)
def test_a_unique_start_of_an_id_is_enough(ws: Path, args: tuple[str, ...], shown: str) -> None:
    assert shown in run("-w", str(ws), *args)


def test_an_ambiguous_start_lists_the_candidates(ws: Path) -> None:
    out = one_line_error("-w", str(ws), "flow", "items", "--team", "pay")
    assert out == "error: team 'pay' is ambiguous: it names payments, payroll; give more of it"


def test_a_theme_s_number_is_not_a_start_of_another() -> None:
    from productops.registry.lookup import pick

    ids = ["productops:theme-1", "productops:theme-12"]
    assert pick("theme", "1", ids, prefix="theme") == "productops:theme-1"
    assert pick("theme", "12", ids, prefix="theme") == "productops:theme-12"


def _team_parameters() -> Iterator[tuple[list[str], str]]:
    """(command path, option) of every parameter named team, except those of `connect` (source
    settings, written before any team is imported)."""

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], str]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])
        for param in command.params:
            if param.name == "team" and path[:1] != ["connect"]:
                yield path, param.opts[0]

    yield from walk(typer.main.get_command(app), [])


def test_every_team_parameter_goes_through_the_resolver(ws: Path) -> None:
    found = list(_team_parameters())
    assert len(found) > 30
    for path, opt in found:
        given = ["--team", "paymnets"] if opt.startswith("-") else ["paymnets"]
        out = one_line_error("-w", str(ws), *path, *given)
        assert "unknown team 'paymnets': did you mean payments?" in out, path
