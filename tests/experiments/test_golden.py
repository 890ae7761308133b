"""Every golden case (GrowthBook, Spotify confidence, statsmodels) within the file's tolerance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.experiments.cases import analyze_case
from tests.experiments.golden import GOLDEN, close, golden_cases, mismatches

CASES = golden_cases()


def test_the_golden_file_has_its_fifteen_cases() -> None:
    assert len(CASES) == 15
    assert len({c["id"] for c in CASES}) == 15


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_engine_matches_golden_case(case: dict[str, Any]) -> None:
    assert mismatches(case, analyze_case(case)) == []


def test_cli_from_json_prints_every_case_with_the_expected_fields() -> None:
    result = CliRunner().invoke(
        app, ["experiment", "analyze", "--from-json", str(GOLDEN), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)
    assert [r["id"] for r in results] == [c["id"] for c in CASES]
    for case, printed in zip(CASES, results, strict=True):
        assert mismatches(case, printed) == [], case["id"]


def test_tolerance_rule_reads_the_printed_digits() -> None:
    assert close(0.70733, 0.70732)  # within 0.5e-5
    assert not close(0.70742, 0.70732)  # beyond both 0.5e-5 and 1e-4 relative
    assert close(-0.02 + 0.004, -0.02)  # 2 decimals printed: half a unit is 0.005
    assert close(3.502e-42, 3.5e-42)
    assert not close(3.6e-42, 3.5e-42)
    assert close(1.0, 1)
    assert not close(1.6, 1)
    assert close(895_444, 895_446, relative=0.005)
