"""The first group's own targets for a few success criteria (ids: `productops.ops.criteria`).

Chosen so that the scorecard and the maturity grid show every case: the bottleneck team
misses its time-to-market target, the non-conforming team its workflow-adherence one, the
blocked team its dependency-delay one, and activation meets both of its process targets.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from productops.demo.columns import at, strings, timestamps
from productops.demo.org import BLOCKED, BOTTLENECK, NON_CONFORMING, Org

__all__ = ["targets"]

ACTIVATION, SEARCH, PLATFORM = 2, 3, 5
# (base team, criterion, target)
_TARGETS = (
    (BOTTLENECK, "process.time_to_market", 12.0),
    (BOTTLENECK, "process.workflow_adherence", 90.0),
    (BLOCKED, "process.dependency_delays", 10.0),
    (ACTIVATION, "process.time_to_market", 15.0),
    (ACTIVATION, "process.workflow_adherence", 90.0),
    (SEARCH, "data.time_to_locate", 60.0),
    (NON_CONFORMING, "process.workflow_adherence", 80.0),
    (PLATFORM, "customer.insight_sessions", 2.0),
)


def targets(org: Org) -> pa.Table:
    """criterion_target: the targets above, for the first group's teams, set at the start."""
    return pa.table(
        {
            "criterion": strings([c for _, c, _ in _TARGETS]),
            "team_id": strings([str(org.team_ids[t]) for t, _, _ in _TARGETS]),
            "target": pa.array([v for _, _, v in _TARGETS], pa.float64()),
            "set_at": timestamps(np.full(len(_TARGETS), at("2025-01-06"), dtype=np.int64)),
        }
    )
