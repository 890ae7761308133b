"""Experiment measures for the scorecard, per team and period, as Ibis expressions.

- `setup_time`: days from an experiment's creation to its start.
- `experiments_run`: experiments started, stopped and decided in a period.

Definitions: docs/experiments.md#scorecard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import GRAINS, Grain, days_between, period

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["GRAINS", "Grain", "experiment_setup_time", "experiments_run", "setup_time"]


def setup_time(experiment: ir.Table) -> ir.Table:
    """One row per started experiment: `experiment_id, team_id, created_at, started_at, setup_days`.

    >>> setup_time(backend.table("experiment")).execute()  # doctest: +SKIP
    """
    e = experiment.filter(experiment.started_at.notnull())
    return e.select(
        experiment_id=e.id,
        team_id=e.team_id,
        created_at=e.created_at,
        started_at=e.started_at,
        setup_days=days_between(e.created_at, e.started_at),
    ).order_by("team_id", "started_at", "experiment_id")


def experiment_setup_time(experiment: ir.Table, grain: Grain = "month") -> ir.Table:
    """Setup time of experiments started in each period, per team.

    Returns `team_id, period_start, experiments, mean_days, p50_days, max_days`.
    """
    s = setup_time(experiment)
    s = s.mutate(period_start=period(s.started_at, grain))
    return (
        s.group_by("team_id", "period_start")
        .aggregate(
            experiments=s.count(),
            mean_days=s.setup_days.mean(),
            p50_days=s.setup_days.quantile(0.5),
            max_days=s.setup_days.max(),
        )
        .order_by("team_id", "period_start")
    )


def experiments_run(experiment: ir.Table, grain: Grain = "month") -> ir.Table:
    """Experiments started, stopped and decided in each period, per team.

    Returns `team_id, period_start, started, stopped, decided`; a period with
    none of the three has no row.

    >>> experiments_run(backend.table("experiment"), "quarter").execute()  # doctest: +SKIP
    """
    e = experiment
    events = [
        e.filter(e[column].notnull()).select(
            "team_id", ts=e[column], what=ibis.literal(column.removesuffix("_at"))
        )
        for column in ("started_at", "stopped_at", "decided_at")
    ]
    union = events[0].union(events[1]).union(events[2])
    union = union.mutate(period_start=period(union.ts, grain))
    return (
        union.group_by("team_id", "period_start")
        .aggregate(
            started=(union.what == "started").sum(),
            stopped=(union.what == "stopped").sum(),
            decided=(union.what == "decided").sum(),
        )
        .order_by("team_id", "period_start")
    )
