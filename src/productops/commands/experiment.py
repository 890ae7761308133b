"""`productops experiment ...`: the experiment registry and its analysis (docs/experiments.md)."""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from productops.commands.common import (
    FormatOption,
    TeamOption,
    err,
    known,
    moment,
    open_workspace,
)
from productops.errors import UsageError
from productops.experiments.analysis import METHODS, Settings
from productops.experiments.cases import analyze_cases
from productops.experiments.corrections import CORRECTIONS
from productops.experiments.power import (
    achieved_power,
    days_remaining,
    minimum_detectable_effect,
    sample_size,
)
from productops.experiments.registry import parse_arm, parse_metric
from productops.registry.experiments import (
    decide,
    register,
    start,
    stop,
)
from productops.render import Format, csv_cell, literal, plain, render
from productops.services import experiments
from productops.services.rows import columns

app = typer.Typer(
    help="Experiments: register, start, stop, decide, analyse, and plan their size.",
    no_args_is_help=True,
)

ExperimentArg = Annotated[
    str,
    typer.Argument(
        metavar="EXPERIMENT",
        help="Experiment id (or the part after 'source:', or its start).",
        callback=known("experiment"),
    ),
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="When, as ISO 8601 (default: now; no offset means UTC)."),
]
MethodOption = Annotated[
    str, typer.Option("--method", help="frequentist, sequential (always valid) or bayesian.")
]
AbsoluteOption = Annotated[
    bool, typer.Option("--absolute", help="Absolute effects (default: relative lift).")
]
CupedOption = Annotated[
    bool, typer.Option("--cuped/--no-cuped", help="Adjust for the pre-period covariate.")
]
AlphaOption = Annotated[float, typer.Option(help="Significance level (two-sided).")]
CorrectionOption = Annotated[
    str, typer.Option(help="Across goal metrics: holm, bh (Benjamini-Hochberg) or none.")
]
PriorMeanOption = Annotated[
    float | None, typer.Option(help="Bayesian: Gaussian prior mean of the relative lift.")
]
PriorVarianceOption = Annotated[
    float, typer.Option(help="Bayesian: Gaussian prior variance (with --prior-mean).")
]
TargetOption = Annotated[
    float, typer.Option(help="Relative lift the test should find (underpowered, days left).")
]
PowerOption = Annotated[float, typer.Option("--power", help="Wanted power, e.g. 0.8.")]


def _settings(
    method: str,
    absolute: bool,
    cuped: bool,
    alpha: float,
    correction: str,
    prior_mean: float | None,
    prior_variance: float,
    target_effect: float,
    power: float,
) -> Settings:
    methods = {m: m for m in METHODS}
    corrections = {c: c for c in CORRECTIONS}
    if method not in methods:
        raise UsageError(f"--method {method!r}: use one of {', '.join(METHODS)}")
    if correction not in corrections:
        raise UsageError(f"--correction {correction!r}: use one of {', '.join(CORRECTIONS)}")
    return experiments.analysis_settings(
        methods[method],
        absolute=absolute,
        cuped=cuped,
        alpha=alpha,
        correction=corrections[correction],
        prior_mean=prior_mean,
        prior_variance=prior_variance,
        target_effect=target_effect,
        power=power,
    )


# -- output: full precision for JSON and CSV, readable figures in tables --------------------------


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=plain, allow_nan=False) + "\n")


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = [plain(row.get(c)) for c in columns]
        writer.writerow(
            [
                "" if v is None else json.dumps(v) if isinstance(v, list) else csv_cell(v)
                for v in values
            ]
        )


def _number(value: Any, percent: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M}"
    if isinstance(value, int):
        return f"{value:,}"
    if percent:
        return f"{value:+.2%}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.3g}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _p(value: Any) -> str:
    if value is None:
        return ""
    return "<1e-300" if value == 0 else f"{value:.3g}" if value < 0.001 else f"{value:.4f}"


def _shown(rows: list[dict[str, Any]], columns: list[str], fmt: Format, title: str) -> None:
    if fmt is Format.json:
        _json([{c: r.get(c) for c in columns} for r in rows])
    elif fmt is Format.csv:
        _csv(rows, columns)
    else:
        text = [{c: v if isinstance(v, str) else _number(v) for c, v in r.items()} for r in rows]
        render(text, columns, fmt, title=title)


# -- registry ----------------------------------------------------------------------------------


@app.command("new")
def new(
    ctx: typer.Context,
    team: Annotated[
        str, typer.Argument(help="Team id that runs the experiment.", callback=known("team"))
    ],
    name: Annotated[str, typer.Argument(help="Experiment name; its id is productops:exp-<name>.")],
    hypothesis: Annotated[str, typer.Option(help="What should change and why.")],
    metric: Annotated[
        list[str],
        typer.Option(
            help="NAME:goal|guardrail|secondary[:lower], repeatable; at least one goal; "
            ":lower when a lower value is better (latency)."
        ),
    ],
    owner: Annotated[str | None, typer.Option(help="Owner's person id.")] = None,
    arm: Annotated[
        list[str] | None,
        typer.Option(help="NAME:SHARE, repeatable; the first is the control (default 50/50)."),
    ] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Register an experiment: hypothesis, owner, metrics and arms with their planned split."""
    ws = open_workspace(ctx)
    exp = register(
        ws.store,
        team_id=team,
        name=name,
        hypothesis=hypothesis,
        owner_id=owner,
        metrics=[parse_metric(m) for m in metric],
        arms=[parse_arm(a) for a in arm or ["control:0.5", "treatment:0.5"]],
        at=moment(at),
    )
    rows = [
        {"experiment_id": exp.id, "kind": "metric", "name": m.name, "value": m.role}
        for m in exp.metrics
    ] + [
        {"experiment_id": exp.id, "kind": "arm", "name": a.name, "value": f"{a.share:g}"}
        for a in exp.arms
    ]
    _shown(rows, ["experiment_id", "kind", "name", "value"], fmt, f"registered {exp.id}")
    err.print(literal(f"Next: productops experiment start {exp.id}"))


def _lifecycle(exp_id: str, status: str, when: datetime, fmt: Format) -> None:
    _shown(
        [{"experiment_id": exp_id, "status": status, "at": when.isoformat()}],
        ["experiment_id", "status", "at"],
        fmt,
        "",
    )


@app.command("start")
def start_(
    ctx: typer.Context,
    experiment: ExperimentArg,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Mark an experiment started (setup time runs from created to started)."""
    when = moment(at)
    exp = start(open_workspace(ctx).store, experiment, when)
    _lifecycle(exp.id, exp.status, when, fmt)


@app.command("stop")
def stop_(
    ctx: typer.Context,
    experiment: ExperimentArg,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Mark an experiment stopped: no more units accrue."""
    when = moment(at)
    exp = stop(open_workspace(ctx).store, experiment, when)
    _lifecycle(exp.id, exp.status, when, fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List experiments with their status and setup time in days."""
    found = experiments.list_experiments(open_workspace(ctx), team)
    rows = [asdict(r) for r in found]
    _shown(rows, columns(experiments.ExperimentListed), fmt, "experiments")


# -- analysis ----------------------------------------------------------------------------------

_METRIC_COLUMNS = {
    "frequentist": ["metric", "role", "arm", "effect", "ci", "p_value", "adjusted_p_value"],
    "sequential": ["metric", "role", "arm", "effect", "ci", "p_value", "adjusted_p_value"],
    "bayesian": ["metric", "role", "arm", "effect", "ci", "chance_to_win", "risk_treatment"],
}


def _metric_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for r in rows:
        pct = r["relative"]
        shown.append(
            {
                **{c: _number(r.get(c)) for c in ("metric", "role", "arm")},
                "effect": _number(r["effect"], pct),
                "ci": f"[{_number(r['ci_low'], pct)}, {_number(r['ci_high'], pct)}]",
                "p_value": _p(r.get("p_value")),
                "adjusted_p_value": _p(r.get("adjusted_p_value")),
                "chance_to_win": _number(r.get("chance_to_win"), False),
                "risk_treatment": _number(r.get("risk_treatment"), pct),
                "power": "" if r["power"] is None else f"{r['power']:.0%}",
                "days_remaining": _number(r["days_remaining"]),
                "warnings": ", ".join(r["warnings"]),
            }
        )
    return shown


@app.command("analyze")
def analyze_(
    ctx: typer.Context,
    experiment: Annotated[
        str | None,
        typer.Argument(
            metavar="[EXPERIMENT]", help="Experiment id to analyse.", callback=known("experiment")
        ),
    ] = None,
    from_json: Annotated[
        Path | None,
        typer.Option("--from-json", help="Analyse cases in this JSON file (no workspace needed)."),
    ] = None,
    method: MethodOption = "frequentist",
    absolute: AbsoluteOption = False,
    cuped: CupedOption = True,
    alpha: AlphaOption = 0.05,
    correction: CorrectionOption = "holm",
    prior_mean: PriorMeanOption = None,
    prior_variance: PriorVarianceOption = 0.01,
    target_effect: TargetOption = 0.05,
    power: PowerOption = 0.8,
    fmt: FormatOption = Format.table,
) -> None:
    """Per metric: effect, interval, p-value or chance to win, adjusted p, warnings (SRM, power)."""
    if from_json is not None:
        _analyze_file(from_json, fmt)
        return
    if experiment is None:
        raise UsageError("name an EXPERIMENT to analyse, or give --from-json FILE")
    settings = _settings(
        method, absolute, cuped, alpha, correction, prior_mean, prior_variance, target_effect, power
    )
    found = experiments.experiment_analysis(open_workspace(ctx), experiment, settings, moment(None))
    summary, rows = asdict(found.experiment), found.metrics
    if fmt is Format.json:
        _json({"experiment": summary, "metrics": rows})
        return
    if fmt is Format.csv:
        _csv([summary], list(summary))
        sys.stdout.write("\n")
        _csv(rows, list(rows[0]) if rows else ["metric"])
        return
    verdict = "yes" if summary["trustworthy"] else "NO: sample-ratio mismatch"
    head = [
        {"field": k, "value": v}
        for k, v in (
            ("experiment", summary["experiment_id"]),
            ("team", summary["team_id"] or ""),
            ("status", summary["status"]),
            ("units", summary["units"]),
            ("SRM p-value", _p(summary["srm_p_value"])),
            ("trustworthy", verdict),
            ("data", f"{summary['data']} as of {_number(summary['data_as_of']) or '-'}"),
        )
    ]
    render(head, ["field", "value"], fmt, title=summary["name"] or "")
    if not rows:
        err.print(
            literal(
                f"No totals for {summary['experiment_id']} in experiment_arm_stat or "
                "experiment_observation."
            )
        )
        return
    shown = _metric_table(rows)
    columns = [*_METRIC_COLUMNS[settings.method], "power", "days_remaining", "warnings"]
    # Narrow terminals: leave out columns with nothing to say, and the arm when there is one.
    columns = [c for c in columns if c in ("metric", "effect", "ci") or any(r[c] for r in shown)]
    if len({r["arm"] for r in shown}) == 1:
        columns.remove("arm")
    scale = "relative lift" if settings.relative else "absolute difference"
    render(
        shown,
        columns,
        fmt,
        title=f"{settings.method}, {scale}, {1 - settings.alpha:.0%} interval",
    )


@app.command("decide")
def decide_(
    ctx: typer.Context,
    experiment: ExperimentArg,
    decision: Annotated[str, typer.Argument(help="ship, rollback, iterate or inconclusive.")],
    rationale: Annotated[
        str, typer.Option(help="Why; kept in the decision log with the evidence.")
    ],
    decider: Annotated[
        list[str] | None, typer.Option(help="Person id of a decider, repeatable (default: owner).")
    ] = None,
    at: AtOption = None,
    method: MethodOption = "frequentist",
    absolute: AbsoluteOption = False,
    cuped: CupedOption = True,
    alpha: AlphaOption = 0.05,
    correction: CorrectionOption = "holm",
    fmt: FormatOption = Format.table,
) -> None:
    """Record the decision in the decision log, each goal metric's result frozen as evidence."""
    settings = _settings(method, absolute, cuped, alpha, correction, None, 0.01, 0.05, 0.8)
    ws = open_workspace(ctx)
    decision_id, analysis = decide(
        ws.store,
        ws.backend(),
        experiment,
        decision=decision,
        rationale=rationale,
        deciders=",".join(decider) if decider else None,
        settings=settings,
        at=moment(at),
    )
    goals = [r | {"decision_id": decision_id} for r in analysis.rows if r["role"] == "goal"]
    if fmt is Format.table:
        render(
            [{"decision_id": decision_id, **g} for g in _metric_table(goals)]
            or [{"decision_id": decision_id}],
            [
                "decision_id",
                "metric",
                "arm",
                "effect",
                "ci",
                "p_value",
                "adjusted_p_value",
                "warnings",
            ],
            fmt,
            title=f"{analysis.experiment.id}: {decision}; evidence",
        )
        return
    _shown(
        goals,
        ["decision_id", "metric", "arm", "effect", "ci_low", "ci_high", "p_value", "warnings"],
        fmt,
        "",
    )


def _analyze_file(path: Path, fmt: Format) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list):
        raise UsageError(f"{path}: expected a list of cases or an object with 'cases'")
    results = analyze_cases(cases)
    if fmt is Format.json:
        _json(results)
        return
    if fmt is Format.csv:
        fields = ["id", "kind", "method"]
        fields += [*sorted({k for r in results for k in r} - {*fields, "warnings"}), "warnings"]
        _csv(results, fields)
        return
    # One line per case and field: cases of different kinds share no columns.
    long = [
        {
            "id": r["id"],
            "method": r.get("method", ""),
            "field": field,
            "value": _case_value(field, value),
        }
        for r in results
        for field, value in r.items()
        if field not in ("id", "kind", "method", "relative")
    ]
    render(
        long, ["id", "method", "field", "value"], fmt, title=f"{path.name}: {len(results)} cases"
    )


def _case_value(field: str, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(x if isinstance(x, str) else _number(x) for x in value)
    return _p(value) if field == "p_value" else _number(value)


# -- planning ----------------------------------------------------------------------------------


@app.command("power")
def power_(
    mean: Annotated[float | None, typer.Option(help="Baseline mean of the metric.")] = None,
    sd: Annotated[float | None, typer.Option(help="Standard deviation per unit.")] = None,
    proportion: Annotated[
        float | None, typer.Option(help="Baseline rate of a 0/1 metric (instead of --mean/--sd).")
    ] = None,
    mde: Annotated[
        float | None, typer.Option(help="Effect to find, absolute (metric's units).")
    ] = None,
    relative_mde: Annotated[
        float | None, typer.Option(help="Effect to find as a relative lift, e.g. 0.05.")
    ] = None,
    units: Annotated[
        int | None, typer.Option(help="Total units available: gives the MDE (and the power).")
    ] = None,
    alpha: AlphaOption = 0.05,
    power: PowerOption = 0.8,
    arms: Annotated[int, typer.Option(help="Arms, control included (equal split).")] = 2,
    accrued: Annotated[
        int | None, typer.Option(help="Units so far of a running experiment.")
    ] = None,
    days_running: Annotated[float | None, typer.Option(help="Days it has run so far.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Sample size, minimum detectable effect or power; days remaining from the accrual so far."""
    baseline: float | None
    if proportion is not None:
        if not 0 < proportion < 1:
            raise UsageError(f"--proportion {proportion!r}: give a rate between 0 and 1")
        baseline, variance = proportion, proportion * (1 - proportion)
    elif sd is not None:
        baseline, variance = mean, sd**2
    else:
        raise UsageError("give --proportion RATE, or --sd SD (and --mean for relative effects)")
    if relative_mde is not None:
        if not baseline:
            raise UsageError("--relative-mde needs the baseline: --mean (or --proportion)")
        mde = relative_mde * abs(baseline)
    row: dict[str, Any] = {
        "baseline": baseline,
        "sd": math.sqrt(variance),
        "alpha": alpha,
        "arms": arms,
    }
    if units is not None:
        row["total_n"] = units
        row["mde"] = float(
            minimum_detectable_effect(variance, units, alpha=alpha, power=power, arms=arms)[0]
        )
        row["power"] = power
        if mde is not None:
            row["power"] = float(achieved_power(variance, units, mde, alpha=alpha, arms=arms)[0])
            row["mde"] = mde
    elif mde is not None:
        row |= {"mde": mde, "power": power}
        row["total_n"] = int(sample_size(variance, mde, alpha=alpha, power=power, arms=arms)[0])
    else:
        raise UsageError(
            "give the effect to find (--mde or --relative-mde) or the --units available"
        )
    row["per_arm_n"] = math.ceil(row["total_n"] / arms)
    row["relative_mde"] = row["mde"] / abs(baseline) if baseline else None
    columns = [
        "baseline",
        "sd",
        "mde",
        "relative_mde",
        "alpha",
        "power",
        "arms",
        "total_n",
        "per_arm_n",
    ]
    if accrued is not None or days_running is not None:
        if accrued is None or days_running is None:
            raise UsageError("days remaining needs both --accrued UNITS and --days-running DAYS")
        row["days_remaining"] = float(days_remaining(accrued, row["total_n"], days_running))
        columns.append("days_remaining")
    _shown([row], columns, fmt, "experiment size")
