"""The command line loads command modules lazily: help and version import no engine, yet every
command, help text and error looks as when all modules were imported at start."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from productops.cli import LAZY, app
from productops.errors import WorkspaceError

HEAVY = ["duckdb", "ibis", "numpy", "pandas", "pyarrow", "scipy", "sklearn"]
runner = CliRunner()


def loaded_after(tmp_path: Path, *args: str) -> list[str]:
    """Heavy and command modules a fresh interpreter holds after running `productops ARGS`."""
    script = (
        "import json, sys\n"
        "from productops.cli import app\n"
        f"app({list(args)!r}, prog_name='productops', standalone_mode=False)\n"
        f"names = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "names += [m for m in sys.modules if m.startswith('productops.commands.')]\n"
        "print(json.dumps(sorted(names)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_import_no_command_module_and_no_engine(
    tmp_path: Path, option: str
) -> None:
    assert loaded_after(tmp_path, option) == ["productops.commands.common"]


def test_a_group_s_help_imports_that_group_only(tmp_path: Path) -> None:
    loaded = loaded_after(tmp_path, "dora", "--help")
    assert "productops.commands.dora" in loaded
    assert "productops.commands.demo" not in loaded
    assert "scipy" not in loaded


@pytest.mark.parametrize(
    "group",
    ["decision", "survey", "activity", "scorecard", "nudge", "initiative", "report", "feedback"],
)
def test_a_group_s_help_loads_no_statistics_or_clustering_library(
    tmp_path: Path, group: str
) -> None:
    """The `registry` and `experiments` packages import none of their modules, so a group that
    needs no statistics engine (scipy, pandas) or clustering (scikit-learn) shows help without."""
    loaded = loaded_after(tmp_path, group, "--help")
    assert f"productops.commands.{group}" in loaded
    assert not {"scipy", "sklearn", "pandas"} & set(loaded)


def root() -> Any:
    return typer.main.get_command(app)


def test_help_lists_each_lazy_command_with_its_own_help() -> None:
    group = root()
    for name, (target, first_sentence) in LAZY.items():
        stub = group.lazy.held[name]
        real = group.commands[name]
        assert real is group.lazy.held[name], target
        for limit in (20, 45, 80, 1000):
            assert stub.get_short_help_str(limit) == real.get_short_help_str(limit), name
        assert real.get_short_help_str(1000) == first_sentence


def test_lazy_commands_are_the_modules_commands() -> None:
    group = root()
    for name, (target, _) in LAZY.items():
        module, attribute = target.split(":")
        found = getattr(importlib.import_module(f"productops.commands.{module}"), attribute)
        command = group.commands[name]
        if isinstance(found, typer.Typer):
            real = typer.main.get_group(found)
            assert list(command.commands) == list(real.commands), name
            assert command.help == real.help, name
        else:
            assert command.callback.__wrapped__ is found, name


def test_every_group_s_help_lists_its_subcommands() -> None:
    group = root()
    for name, command in group.commands.items():
        result = runner.invoke(app, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        listed = result.output.split("\nCommands:\n")[1:]
        shown = [line.split()[0] for line in "".join(listed).splitlines() if line.strip()]
        assert shown == [n for n, c in getattr(command, "commands", {}).items() if not c.hidden]


def test_error_in_a_lazy_group_is_one_line_with_exit_code_1(tmp_path: Path) -> None:
    args = ["-w", str(tmp_path / "missing"), "dora", "frequency"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert len(result.output.strip().splitlines()) == 1
    debug = runner.invoke(app, ["--debug", *args])
    assert isinstance(debug.exception, WorkspaceError)
