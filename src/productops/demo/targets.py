"""The demo's targets for a few success criteria (ids: `productops.ops.criteria`): the first
group's own, and the organisation's.

Chosen so that the scorecard and the maturity grid show every case: the bottleneck team
misses its time-to-market target, the non-conforming team its workflow-adherence one, the
blocked team its dependency-delay one, and activation meets both of its process targets.
The organisation's targets make the report's headline count criteria on target: at scale 1,
seed 7 it meets five of them in the last quarter and misses three (dashboard use, feedback
incorporated, workflow adherence).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from productops.demo.columns import at, strings, timestamps
from productops.demo.org import BLOCKED, BOTTLENECK, NON_CONFORMING, Org

__all__ = ["ORGANISATION", "ORGANISATION_TARGETS", "targets"]

# The organisation's row id: `productops.ops.criteria.ORG`, which the demo may not import.
ORGANISATION = "(organisation)"

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
# criterion -> the organisation's target, in the criterion's unit
ORGANISATION_TARGETS = {
    "data.time_to_locate": 30.0,
    "data.dashboard_usage": 40.0,
    "customer.feedback_incorporated": 60.0,
    "customer.stakeholder_satisfaction": 4.0,
    "process.time_to_market": 14.0,
    "process.workflow_adherence": 90.0,
    "operations.self_sufficiency": 80.0,
    "business.scope_creep": 15.0,
}


def targets(org: Org) -> pa.Table:
    """criterion_target: the targets above, for the first group's teams and the organisation,
    set at the start."""
    rows = [(c, str(org.team_ids[t]), v) for t, c, v in _TARGETS]
    rows += [(c, ORGANISATION, v) for c, v in ORGANISATION_TARGETS.items()]
    return pa.table(
        {
            "criterion": strings([c for c, _, _ in rows]),
            "team_id": strings([t for _, t, _ in rows]),
            "target": pa.array([v for _, _, v in rows], pa.float64()),
            "set_at": timestamps(np.full(len(rows), at("2025-01-06"), dtype=np.int64)),
        }
    )
