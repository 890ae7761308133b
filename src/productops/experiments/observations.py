"""Per-unit rows to per-arm sufficient statistics, as an Ibis expression (any backend).

Definitions: docs/experiments.md#inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["TOTAL_COLUMNS", "arm_totals"]

# The columns of `experiment_arm_stat` that `arm_totals` fills, in order.
TOTAL_COLUMNS = (
    "experiment_id",
    "metric",
    "arm",
    "units",
    "sum",
    "sum_squares",
    "covariate_sum",
    "covariate_sum_squares",
    "sum_product",
    "denominator_sum",
    "denominator_sum_squares",
    "denominator_sum_product",
)


def arm_totals(observation: ir.Table) -> ir.Table:
    """Units and sums per experiment, metric and arm from `experiment_observation` rows.

    A unit without a covariate (or denominator) counts as 0 when others in the
    same arm have one (GrowthBook fills a missing pre-period the same way); when
    no unit has one the sums are null. Returns the columns of
    `experiment_arm_stat` (`TOTAL_COLUMNS`).

    >>> arm_totals(backend.table("experiment_observation")).execute()  # doctest: +SKIP
    """
    o = observation
    value = o.value.cast("float64")

    def _sums(column: ir.FloatingColumn, prefix: str) -> dict[str, ir.Value]:
        filled = column.cast("float64").fill_null(0.0)
        present = column.count() > 0
        missing = ibis.null("float64")
        return {
            f"{prefix}_sum": ibis.ifelse(present, filled.sum(), missing),
            f"{prefix}_sum_squares": ibis.ifelse(present, (filled * filled).sum(), missing),
            f"{prefix}_product": ibis.ifelse(present, (value * filled).sum(), missing),
        }

    covariate = _sums(o.covariate, "covariate")
    denominator = _sums(o.denominator, "denominator")
    return (
        o.group_by("experiment_id", "metric", "arm")
        .aggregate(
            units=o.count(),
            sum=value.sum(),
            sum_squares=(value * value).sum(),
            covariate_sum=covariate["covariate_sum"],
            covariate_sum_squares=covariate["covariate_sum_squares"],
            sum_product=covariate["covariate_product"],
            denominator_sum=denominator["denominator_sum"],
            denominator_sum_squares=denominator["denominator_sum_squares"],
            denominator_sum_product=denominator["denominator_product"],
        )
        .order_by("experiment_id", "metric", "arm")
    )
