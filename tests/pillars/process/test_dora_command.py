"""`productops dora ... --bands YEAR` chooses the DORA report whose bands to use; `--year` is gone."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.workspace import Workspace

runner = CliRunner()


@pytest.mark.parametrize("command", ["frequency", "lead-time", "failure-rate", "recovery"])
def test_bands_choose_the_report_and_year_is_refused(workspace: Workspace, command: str) -> None:
    ok = runner.invoke(app, ["-w", str(workspace.root), "dora", command, "--bands", "2021"])
    assert ok.exit_code == 0, ok.output
    assert "bands: DORA 2021" in ok.output
    gone = runner.invoke(app, ["-w", str(workspace.root), "dora", command, "--year", "2021"])
    assert gone.exit_code != 0
    assert "--year" in gone.output
    bad = runner.invoke(app, ["-w", str(workspace.root), "dora", command, "--bands", "2022"])
    assert bad.exit_code == 1
    assert "--bands 2022: use one of 2021, 2023, 2024" in bad.output
    assert (
        json.loads(
            runner.invoke(app, ["-w", str(workspace.root), "dora", command, "-f", "json"]).stdout
        )
        == []
    )
