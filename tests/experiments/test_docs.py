"""docs/experiments.md defines every figure the experiment commands print, and every warning."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.experiments.analysis import Comparisons, Settings, analyze
from productops.experiments.cases import analyze_cases
from productops.experiments.flags import WARNINGS
from productops.experiments.scorecard import experiment_setup_time, experiments_run
from tests.experiments.golden import golden_cases
from tests.experiments.test_stats import CONTROL, TREATMENT

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "experiments.md").read_text(encoding="utf-8")


def _defined() -> dict[str, str]:
    """Field name -> its unit, from the definitions table (a row may name several fields)."""
    found = {}
    for line in DOCS.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([a-z_0-9]+)`", cells[0]):
                found[name] = cells[2]
    return found


def _printed_fields() -> set[str]:
    fields: set[str] = set()
    for method in ("frequentist", "bayesian"):
        c = Comparisons.of(
            family=[0], metric=["m"], arm=["t"], role=["goal"], kind=["mean"],
            control=CONTROL, treatment=TREATMENT,
        )  # fmt: skip
        fields |= set(analyze(c, Settings(method=method), days_running=[1.0]).rows()[0])
    for result in analyze_cases(golden_cases()):
        fields |= set(result) - {"id"}
    power = CliRunner().invoke(
        app, ["experiment", "power", "--sd", "1", "--mean", "5", "--mde", "0.1", "-f", "json"]
    )
    fields |= set(json.loads(power.stdout)[0])
    fields |= {"experiment_id", "name", "team_id", "status", "control", "units", "srm_chi2"}
    fields |= {"srm_p_value", "trustworthy", "days_running", "data", "data_as_of", "setup_days"}
    return fields


def test_every_printed_field_has_a_definition_and_a_unit() -> None:
    defined = _defined()
    for name in sorted(_printed_fields()):
        assert name in defined, f"docs/experiments.md does not define {name}"
        assert defined[name], f"docs/experiments.md gives {name} no unit"


@pytest.mark.parametrize("code", [code for code, _ in WARNINGS.values()])
def test_every_warning_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in DOCS


@pytest.mark.parametrize("name", [experiment_setup_time.__name__, experiments_run.__name__])
def test_scorecard_measures_have_a_section_with_a_unit(name: str) -> None:
    heading = "setup_time" if name == "experiment_setup_time" else name
    section = DOCS.split(f"### {heading}\n", 1)
    assert len(section) == 2
    assert "**Unit:**" in section[1].split("\n### ", 1)[0]
