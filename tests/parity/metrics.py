"""The metrics that must give equal results on DuckDB and on Spark.

Every analytics issue adds its metrics here: a name and a function from an
Ibis backend (holding the canonical tables) to an Ibis expression.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from productops.pillars.process import lead_time, throughput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

PARITY_METRICS: dict[str, Callable[[BaseBackend], ir.Table]] = {
    "lead_time_by_month": lambda b: lead_time(b.table("work_item"), "month"),
    "lead_time_by_quarter": lambda b: lead_time(b.table("work_item"), "quarter"),
    "throughput_by_week": lambda b: throughput(b.table("work_item"), "week"),
    "throughput_by_day": lambda b: throughput(b.table("work_item"), "day"),
}
