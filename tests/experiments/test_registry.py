"""The experiment registry through the CLI on real workspaces: lifecycle, decisions, analysis."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.demo import build_demo
from productops.experiments.scorecard import experiment_setup_time, experiments_run, setup_time
from productops.ingest import land_arrow
from productops.schema import TABLES
from productops.workspace import Workspace

runner = CliRunner()
EXP = "productops:exp-checkout-button"


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    run("-w", str(tmp_path / "ws"), "import", "team", str(teams_csv))
    return tmp_path / "ws"


def _new(ws: Path, *extra: str) -> str:
    return run(
        "-w", str(ws), "experiment", "new", "growth", "Checkout button",
        "--hypothesis", "A bigger button raises conversion.", "--owner", "pm-1",
        "--metric", "conversion:goal", "--metric", "latency_ms:guardrail",
        "--arm", "control:0.5", "--arm", "treatment:0.5", "--at", "2026-01-01T09:00", *extra,
    )  # fmt: skip


def _observations(ws: Path, units: int = 4000, lift: float = 0.3, seed: int = 1) -> None:
    """Per-unit rows: a 0/1 conversion (with a pre-period covariate) and a latency."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(units) % 2 == 0, "control", "treatment")
    pre = rng.binomial(1, 0.3, units).astype(float)
    rate = 0.2 + 0.3 * pre + np.where(arm == "treatment", lift * 0.2, 0)
    conversion = rng.binomial(1, np.clip(rate, 0, 1)).astype(float)
    latency = rng.normal(300, 50, units)
    data = pa.table(
        {
            "experiment_id": [EXP] * (2 * units),
            "metric": ["conversion"] * units + ["latency_ms"] * units,
            "unit_id": [f"u{i}" for i in range(units)] * 2,
            "arm": list(arm) * 2,
            "value": pa.array(np.concatenate([conversion, latency])),
            "covariate": pa.array([*pre, *[None] * units], pa.float64()),  # latency has none
        }
    )
    workspace = Workspace.open(ws)
    counts = land_arrow(
        workspace.store, TABLES["experiment_observation"], data, source="test", label="test"
    )
    workspace.close()
    assert counts.quarantined == 0


def _analysis(ws: Path, *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        run("-w", str(ws), "experiment", "analyze", EXP, "-f", "json", *extra)
    )
    return result


def test_lifecycle_from_new_to_decided_with_evidence(ws: Path) -> None:
    _new(ws)
    _observations(ws)
    created = _analysis(ws)
    assert created["experiment"]["status"] == "created"
    run("-w", str(ws), "experiment", "start", "exp-checkout-button", "--at", "2026-01-05T09:00")
    listed = json.loads(run("-w", str(ws), "experiment", "list", "-f", "json"))
    assert listed == [
        {
            "id": EXP,
            "team_id": "growth",
            "status": "running",
            "created_at": "2026-01-01T09:00:00+00:00",
            "started_at": "2026-01-05T09:00:00+00:00",
            "setup_days": 4.0,
            "decision": None,
        }
    ]
    running = _analysis(ws)
    assert running["experiment"]["status"] == "running"
    assert running["experiment"]["data"] == "experiment_observation"
    goal = next(r for r in running["metrics"] if r["role"] == "goal")
    assert goal["kind"] == "proportion"
    assert goal["theta"] != 0
    assert goal["days_remaining"] is not None
    run("-w", str(ws), "experiment", "stop", EXP, "--at", "2026-01-26T09:00")
    out = run(
        "-w", str(ws), "experiment", "decide", EXP, "ship", "--rationale", "Clear win.",
        "--at", "2026-01-27T10:00", "-f", "json",
    )  # fmt: skip
    evidence_rows = json.loads(out)
    assert [r["metric"] for r in evidence_rows] == ["conversion"]
    workspace = Workspace.open(ws)
    decision = workspace.store.arrow("SELECT * FROM decision").to_pylist()
    evidence = workspace.store.arrow("SELECT * FROM decision_evidence").to_pylist()
    exp = workspace.store.arrow("SELECT * FROM experiment").to_pylist()[0]
    workspace.close()
    assert decision[0]["id"] == "productops:decision-exp-checkout-button"
    assert decision[0]["decision"] == "ship: Clear win."
    assert decision[0]["status"] == "decided"
    assert decision[0]["expected_direction"] == "up"
    assert decision[0]["deciders"] == "pm-1"
    (ev,) = evidence
    assert ev["kind"] == "experiment"
    assert ev["ref_id"] == EXP
    assert ev["value"] == pytest.approx(evidence_rows[0]["effect"])
    assert ev["query_hash"] == hashlib.sha256(ev["query"].encode()).hexdigest()
    inputs = json.loads(ev["query"])
    assert inputs["totals"]["control"]["units"] == 2000
    assert inputs["settings"]["method"] == "frequentist"
    assert ev["data_as_of"] is not None
    assert (exp["decision"], exp["decided_at"].isoformat()) == ("ship", "2026-01-27T10:00:00+00:00")
    assert (
        json.loads(run("-w", str(ws), "experiment", "list", "-f", "json"))[0]["status"] == "decided"
    )


def test_lifecycle_rules_are_one_line_errors(ws: Path) -> None:
    _new(ws)
    assert "exists already" in run(
        "-w", str(ws), "experiment", "new", "growth", "Checkout button", "--hypothesis", "h",
        "--metric", "conversion:goal", code=1,
    )  # fmt: skip
    assert "stop it first" in run(
        "-w", str(ws), "experiment", "decide", EXP, "ship", "--rationale", "r", code=1
    )
    assert "has not started" in run("-w", str(ws), "experiment", "stop", EXP, code=1)
    assert "before it was created" in run(
        "-w", str(ws), "experiment", "start", EXP, "--at", "2025-12-01", code=1
    )
    run("-w", str(ws), "experiment", "start", EXP, "--at", "2026-01-02")
    out = run("-w", str(ws), "experiment", "start", EXP, code=1)
    assert "already started" in out
    assert len(out.strip().splitlines()) == 1
    assert "decision 'maybe'" in run(
        "-w", str(ws), "experiment", "decide", EXP, "maybe", "--rationale", "r", code=1
    )
    assert "unknown experiment 'nope'" in run("-w", str(ws), "experiment", "start", "nope", code=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arm", "control:0.6", "--arm", "treatment:0.6"), "add up to 1.2"),
        (("--arm", "control:0.5"), "at least two arms"),
        (("--arm", "control"), "expected NAME:SHARE"),
        (("--metric", "x:primary"), "metric role 'primary'"),
    ],
)
def test_bad_specs_are_clear_errors(ws: Path, args: tuple[str, ...], message: str) -> None:
    base = ["-w", str(ws), "experiment", "new", "growth", "X", "--hypothesis", "h"]
    metric = [] if "--metric" in args else ["--metric", "m:goal"]
    assert message in run(*base, *metric, *args, code=1)


def test_unknown_team_and_missing_goal_are_errors(ws: Path) -> None:
    base = ["-w", str(ws), "experiment", "new"]
    assert "unknown team 'mars'" in run(
        *base, "mars", "X", "--hypothesis", "h", "--metric", "m:goal", code=1
    )
    assert "needs a goal metric" in run(
        *base, "growth", "X", "--hypothesis", "h", "--metric", "m:guardrail", code=1
    )


def _arm_stats(ws: Path, rows: list[tuple[str, str, int, float, float]]) -> None:
    workspace = Workspace.open(ws)
    data = pa.table(
        {
            "experiment_id": [EXP] * len(rows),
            "metric": [r[0] for r in rows],
            "arm": [r[1] for r in rows],
            "units": pa.array([r[2] for r in rows], pa.int64()),
            "sum": [r[3] for r in rows],
            "sum_squares": [r[4] for r in rows],
        }
    )
    land_arrow(workspace.store, TABLES["experiment_arm_stat"], data, source="test", label="test")
    workspace.close()


def test_bad_totals_in_the_store_are_errors_naming_the_row(ws: Path) -> None:
    _new(ws)
    _arm_stats(ws, [("conversion", "treatment", 100, 10, 10)])
    assert "no totals for the control arm 'control'" in run(
        "-w", str(ws), "experiment", "analyze", EXP, code=1
    )
    _arm_stats(ws, [("conversion", "control", -5, 10, 10)])
    out = run("-w", str(ws), "experiment", "analyze", EXP, code=1)
    assert "metric 'conversion', arm 'control': units is -5" in out


def test_an_arm_without_variance_is_a_warning_not_a_crash(ws: Path) -> None:
    _new(ws)
    _arm_stats(
        ws,
        [
            ("latency_ms", "control", 100, 30000.0, 9000000.0),  # every value 300
            ("latency_ms", "treatment", 100, 31000.0, 9700000.0),
            ("conversion", "control", 0, 0.0, 0.0),
            ("conversion", "treatment", 100, 20.0, 20.0),
        ],
    )
    for method in ("frequentist", "sequential", "bayesian"):
        rows = _analysis(ws, "--method", method)["metrics"]
        warnings = {r["metric"]: r["warnings"] for r in rows}
        assert "zero_variance" in warnings["latency_ms"]
        assert "empty_arm" in warnings["conversion"]
    table = run("-w", str(ws), "experiment", "analyze", EXP)
    assert "nan" not in table.lower()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("demo") / "ws"
    ws = Workspace.init(root)
    manifest = build_demo(ws.store, ws.manifest_path)
    ws.close()
    return root, manifest


def test_demo_effect_is_significant_and_srm_is_flagged(demo: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = demo
    effect = json.loads(
        run(
            "-w",
            str(root),
            "experiment",
            "analyze",
            manifest["experiment_with_effect"],
            "-f",
            "json",
        )
    )
    assert effect["experiment"]["trustworthy"] is True
    goal = next(r for r in effect["metrics"] if r["role"] == "goal")
    assert goal["adjusted_p_value"] < 0.01
    assert goal["ci_low"] > 0
    assert "srm" not in goal["warnings"]
    srm = json.loads(
        run("-w", str(root), "experiment", "analyze", manifest["experiment_with_srm"], "-f", "json")
    )
    assert srm["experiment"]["trustworthy"] is False
    assert srm["experiment"]["srm_p_value"] < 1e-6
    assert all("srm" in r["warnings"] for r in srm["metrics"])
    table = run("-w", str(root), "experiment", "analyze", manifest["experiment_with_srm"])
    assert "sample-ratio mismatch" in table


def test_demo_others_show_no_srm_and_bayesian_agrees(demo: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = demo
    listed = json.loads(run("-w", str(root), "experiment", "list", "-f", "json"))
    analysed = [e for e in listed if e["started_at"] is not None]
    assert len(analysed) >= 10
    for e in analysed:
        result = json.loads(run("-w", str(root), "experiment", "analyze", e["id"], "-f", "json"))
        assert result["experiment"]["trustworthy"] is (e["id"] != manifest["experiment_with_srm"])
    bayes = json.loads(
        run(
            "-w",
            str(root),
            "experiment",
            "analyze",
            manifest["experiment_with_effect"],
            "--method",
            "bayesian",
            "-f",
            "json",
        )
    )
    goal = next(r for r in bayes["metrics"] if r["role"] == "goal")
    assert goal["chance_to_win"] > 0.99


def test_scorecard_setup_time_and_experiments_run(demo: tuple[Path, dict[str, Any]]) -> None:
    root, _ = demo
    ws = Workspace.open(root)
    experiment = ws.backend().table("experiment")
    per_experiment = setup_time(experiment).to_pyarrow().to_pylist()
    assert all(5 <= r["setup_days"] <= 20 for r in per_experiment)  # the demo draws 5-20 days
    monthly = experiment_setup_time(experiment, "month").to_pyarrow().to_pylist()
    assert sum(r["experiments"] for r in monthly) == len(per_experiment)
    run_ = experiments_run(experiment, "quarter").to_pyarrow().to_pylist()
    counts = ws.store.sql(
        "SELECT count(started_at), count(stopped_at), count(decided_at) FROM experiment"
    )[0]
    ws.close()
    totals = tuple(sum(r[k] for r in run_) for k in ("started", "stopped", "decided"))
    assert totals == counts


def test_power_command_gives_size_mde_power_and_days(ws: Path) -> None:
    size = json.loads(
        run("experiment", "power", "--sd", "10", "--mde", "0.3", "--power", "0.85", "-f", "json")
    )[0]
    assert size["total_n"] == 39904
    assert size["per_arm_n"] == 19952
    binomial = json.loads(
        run("experiment", "power", "--proportion", "0.34", "--relative-mde", "0.05", "-f", "json")
    )[0]
    assert binomial["mde"] == pytest.approx(0.017)
    power = json.loads(
        run("experiment", "power", "--sd", "10", "--mde", "0.3", "--units", "39904", "-f", "json")
    )[0]
    assert power["power"] == pytest.approx(0.85, abs=1e-3)
    days = json.loads(
        run(
            "experiment",
            "power",
            "--sd",
            "10",
            "--mde",
            "0.3",
            "--power",
            "0.85",
            "--accrued",
            "9976",
            "--days-running",
            "7",
            "-f",
            "json",
        )
    )[0]
    assert days["days_remaining"] == pytest.approx(21, rel=1e-3)
    assert "give --proportion" in run("experiment", "power", "--mde", "1", code=1)
    table = run("experiment", "power", "--sd", "10", "--mde", "0.3")
    assert "total_n" in table


def test_from_json_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"cases": [{"id": "a", "kind": "mean", "control": {"n": -1, "sum": 1, '
                   '"sum_squares": 1}, "treatment": {"n": 3, "sum": 1, "sum_squares": 1}}]}')  # fmt: skip
    out = run("experiment", "analyze", "--from-json", str(bad), code=1)
    assert "case 'a', control: n (units) is -1.0" in out
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "not valid JSON" in run("experiment", "analyze", "--from-json", str(broken), code=1)
    assert "name an EXPERIMENT" in run("experiment", "analyze", code=1)
