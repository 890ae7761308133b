"""The experiment registry in the store: register, start, stop, decide, analyse.

Rows are written with `land_arrow` (validated and upserted as an import, source
`productops`); totals are read through the workspace's Ibis backend, so an
analysis runs on DuckDB or Spark. Ids: `productops:exp-<slug>` for experiments,
`productops:decision-exp-<slug>` for their decision-log entries.

>>> exp = register(store, team_id="growth", name="One-click checkout", hypothesis="...",
...                owner_id=None, metrics=[parse_metric("conversion:goal")],
...                arms=[parse_arm("control:0.5"), parse_arm("treatment:0.5")],
...                at=now)  # doctest: +SKIP
>>> exp.id  # doctest: +SKIP
'productops:exp-one-click-checkout'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from productops.durations import days_between
from productops.engine import Store
from productops.errors import UsageError
from productops.experiments.analysis import Settings
from productops.experiments.registry import (
    DECISIONS,
    ROLES,
    ArmSpec,
    Experiment,
    MetricSpec,
    check_arms,
    check_metrics,
    decision_of,
    experiment_id,
    slug,
)
from productops.registry.analysis import Analysis, analyze_loaded
from productops.registry.rows import SOURCE, TIMESTAMP, land, resolve, strings

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

__all__ = [
    "Analysis",
    "analyze_experiment",
    "decide",
    "experiment_status",
    "list_experiments",
    "load",
    "register",
    "start",
    "stop",
]


def register(
    store: Store,
    *,
    team_id: str,
    name: str,
    hypothesis: str | None,
    owner_id: str | None,
    metrics: Sequence[MetricSpec],
    arms: Sequence[ArmSpec],
    at: datetime,
) -> Experiment:
    """Register a new experiment (status created) with its metrics and arms; return it."""
    metrics, arms = check_metrics(metrics), check_arms(arms)
    ident = experiment_id(name, SOURCE)
    if store.sql("SELECT count(*) FROM experiment WHERE id = ?", [ident])[0][0]:
        raise UsageError(f"{ident} exists already; give the new experiment another name")
    if not store.sql("SELECT count(*) FROM team WHERE id = ?", [team_id])[0][0]:
        raise UsageError(f"unknown team {team_id!r}; import it first (productops import team FILE)")
    persons = store.sql("SELECT count(*), count(*) FILTER (WHERE id = ?) FROM person", [owner_id])
    if owner_id and persons[0][0] and not persons[0][1]:
        raise UsageError(f"unknown owner {owner_id!r}: no such id in the person table")
    label = "productops experiment new"
    experiment = pa.table(
        {
            "id": strings([ident]),
            "team_id": strings([team_id]),
            "name": strings([name]),
            "hypothesis": strings([hypothesis]),
            "owner_id": strings([owner_id]),
            "created_at": pa.array([at], TIMESTAMP),
        }
    )
    land(store, "experiment", experiment, label)
    land(
        store,
        "experiment_metric",
        pa.table(
            {
                "experiment_id": strings([ident] * len(metrics)),
                "metric": strings([m.name for m in metrics]),
                "role": strings([m.role for m in metrics]),
                "direction": strings([m.direction for m in metrics]),
            }
        ),
        label,
    )
    land(
        store,
        "experiment_arm",
        pa.table(
            {
                "experiment_id": strings([ident] * len(arms)),
                "arm": strings([a.name for a in arms]),
                "planned_share": pa.array([a.share for a in arms], pa.float64()),
                "is_control": pa.array([i == 0 for i in range(len(arms))], pa.bool_()),
            }
        ),
        label,
    )
    return load(store, ident)


def load(store: Store, ref: str) -> Experiment:
    """The registered experiment named by `ref`, with its metrics and arms (control first)."""
    ident = resolve(store, "experiment", "exp", ref, "experiment")
    row = store.arrow("SELECT * FROM experiment WHERE id = ?", [ident]).to_pylist()[0]
    order = ", ".join(f"'{r}'" for r in ROLES)
    metrics = tuple(
        MetricSpec(m, role or "secondary", "lower" if direction == "lower" else "higher")
        for m, role, direction in store.sql(
            f"SELECT metric, role, direction FROM experiment_metric WHERE experiment_id = ? "
            f"ORDER BY list_position([{order}], role) NULLS LAST, metric",
            [ident],
        )
    )
    arms = tuple(
        ArmSpec(arm, float(share) if share is not None else float("nan"))
        for arm, share in store.sql(
            "SELECT arm, planned_share FROM experiment_arm WHERE experiment_id = ? "
            "ORDER BY coalesce(is_control, false) DESC, arm = 'control' DESC, arm",
            [ident],
        )
    )
    return Experiment(
        id=ident,
        team_id=row["team_id"],
        name=row["name"],
        hypothesis=row["hypothesis"],
        owner_id=row["owner_id"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        decided_at=row["decided_at"],
        decision=row["decision"],
        metrics=metrics,
        arms=arms,
    )


def experiment_status(experiment: ir.Table) -> ir.Table:
    """Each experiment with its status and setup time in days (created to started)."""
    e = experiment
    status = ibis.cases(
        (e.decided_at.notnull() | e.decision.notnull(), "decided"),
        (e.stopped_at.notnull(), "stopped"),
        (e.started_at.notnull(), "running"),
        else_="created",
    )
    return e.select(
        "id",
        "team_id",
        "name",
        status=status,
        created_at=e.created_at,
        started_at=e.started_at,
        stopped_at=e.stopped_at,
        decision=e.decision,
        setup_days=days_between(e.created_at, e.started_at),
    )


def list_experiments(backend: BaseBackend, team_id: str | None = None) -> list[dict[str, Any]]:
    """Every experiment (of `team_id`) with its status and setup time in days (created to
    started), by team and creation."""
    listed = experiment_status(backend.table("experiment"))
    if team_id is not None:
        listed = listed.filter(listed.team_id == team_id)
    rows: list[dict[str, Any]] = (
        listed.order_by("team_id", "created_at", "id").to_pyarrow().to_pylist()
    )
    return rows


def _update(store: Store, ident: str, label: str, **changes: Any) -> None:
    data = store.arrow("SELECT * EXCLUDE (ingested_at) FROM experiment WHERE id = ?", [ident])
    for name, value in changes.items():
        i = data.schema.get_field_index(name)
        data = data.set_column(i, name, pa.array([value], data.schema.field(name).type))
    land(store, "experiment", data, label)


def start(store: Store, ref: str, at: datetime) -> Experiment:
    """Mark the experiment started at `at`."""
    exp = load(store, ref)
    exp.check_start(at)
    _update(store, exp.id, "productops experiment start", started_at=at)
    return load(store, exp.id)


def stop(store: Store, ref: str, at: datetime) -> Experiment:
    """Mark the experiment stopped at `at`."""
    exp = load(store, ref)
    exp.check_stop(at)
    _update(store, exp.id, "productops experiment stop", stopped_at=at)
    return load(store, exp.id)


def analyze_experiment(
    store: Store, backend: BaseBackend, ref: str, settings: Settings, now: datetime
) -> Analysis:
    """Analyse the registered experiment `ref` from its totals (`productops.experiments.analyze`).

    The control is the arm marked `is_control` (else the one named control);
    the sample-ratio check compares the units of the first goal metric with the
    planned shares (an even split when none are registered).
    """
    return analyze_loaded(load(store, ref), backend, settings, now)


def decide(
    store: Store,
    backend: BaseBackend,
    ref: str,
    *,
    decision: str,
    rationale: str,
    deciders: str | None,
    settings: Settings,
    at: datetime,
) -> tuple[str, Analysis]:
    """Record the decision: a decision-log entry with each goal result as evidence.

    Returns the decision's id and the analysis its evidence froze. The
    evidence's `query` is the comparison's inputs as JSON and `query_hash` its
    SHA-256; `value` is the effect; `data_as_of` when the totals last changed.
    """
    choice = decision_of(decision)
    exp = load(store, ref)
    exp.check_decide(at)
    if not rationale.strip():
        raise UsageError("give the decision's rationale: --rationale TEXT")
    analysis = analyze_experiment(store, backend, exp.id, settings, at)
    local = exp.id.split(":", 1)[1]
    decision_id = f"{SOURCE}:decision-{local}"
    goals = [r for r in analysis.rows if r["role"] == "goal"]
    first_goal = next((m.name for m in exp.metrics if m.role == "goal"), None)
    shipped = next((r for r in goals if r["metric"] == first_goal), None)
    direction = None
    if choice == "ship" and shipped is not None and shipped["effect"]:
        direction = "up" if shipped["effect"] > 0 else "down"
    land(
        store,
        "decision",
        pa.table(
            {
                "id": strings([decision_id]),
                "team_id": strings([exp.team_id]),
                "title": strings([f"Experiment {exp.name or local}: {choice}"]),
                "context": strings([exp.hypothesis]),
                "options": strings([", ".join(DECISIONS)]),
                "decision": strings([f"{choice}: {rationale.strip()}"]),
                "deciders": strings([deciders or exp.owner_id]),
                "status": strings(["decided"]),
                "decided_at": pa.array([at], TIMESTAMP),
                "expected_metric": strings([first_goal]),
                "expected_direction": strings([direction]),
            }
        ),
        "productops experiment decide",
    )
    if goals:
        queries = [analysis.inputs(r["metric"], r["arm"]) for r in goals]
        land(
            store,
            "decision_evidence",
            pa.table(
                {
                    "id": strings(
                        [
                            f"{SOURCE}:evidence-{local}-{slug(r['metric'])}-{slug(r['arm'])}"
                            for r in goals
                        ]
                    ),
                    "decision_id": strings([decision_id] * len(goals)),
                    "kind": strings(["experiment"] * len(goals)),
                    "ref_id": strings([exp.id] * len(goals)),
                    "value": pa.array([r["effect"] for r in goals], pa.float64()),
                    "query": strings(queries),
                    "query_hash": strings(
                        [hashlib.sha256(q.encode()).hexdigest() for q in queries]
                    ),
                    "data_as_of": pa.array([analysis.data_as_of] * len(goals), TIMESTAMP),
                    "captured_at": pa.array([at] * len(goals), TIMESTAMP),
                }
            ),
            "productops experiment decide",
        )
    _update(store, exp.id, "productops experiment decide", decision=choice, decided_at=at)
    return decision_id, analysis
