"""A small hand-made scorecard history landed straight into the tables a report reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from productops.engine import Store
from productops.ops.criteria import ORG
from tests.pillars.builders import land

QUARTERS = [
    datetime(y, m, 1, tzinfo=UTC)
    for y, m in ((2024, 10), (2025, 1), (2025, 4), (2025, 7), (2025, 10))
]
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
NEEDS = "not enough data: needs usage_event"

# criterion -> team -> value per quarter (None: no value); targets per team
VALUES: dict[str, dict[str, list[float | None]]] = {
    "process.workflow_adherence": {
        ORG: [70.0, 72.0, 75.0, 78.0, 81.5],
        "payments": [60.0, 62.0, 65.0, 70.0, 55.0],
        "growth": [80.0, 82.0, 85.0, 86.0, 90.0],
    },
    "process.time_to_market": {
        ORG: [30.0, 28.0, 26.0, 25.0, 21.0],
        "payments": [35.0, 33.0, 31.0, 29.0, 27.0],
        "growth": [25.0, 23.0, 21.0, 20.0, 15.0],
    },
    "data.time_to_locate": {ORG: [None] * 5, "payments": [None] * 5},
    "customer.time_to_insight": {
        ORG: [12.0, None, 9.0, 8.0, 6.5],
        "growth": [12.0, None, 9.0, 8.0, 6.5],
    },
    "team.custom_metric": {ORG: [1.0, 2.0, 3.0, 4.0, 5.0]},
}
TARGETS = {
    ("process.workflow_adherence", ORG): 80.0,
    ("process.workflow_adherence", "payments"): 70.0,
    ("process.workflow_adherence", "growth"): 85.0,
    ("process.time_to_market", ORG): 20.0,
    ("process.time_to_market", "payments"): 30.0,
    ("process.time_to_market", "growth"): 20.0,
}
UNITS = {
    "process.workflow_adherence": "%",
    "customer.time_to_insight": "days",
    "process.time_to_market": "days",
    "data.time_to_locate": "seconds",
}


def snapshots() -> list[dict[str, Any]]:
    rows = []
    for metric, teams in VALUES.items():
        for team, values in teams.items():
            for start, value in zip(QUARTERS, values, strict=True):
                rows.append(
                    {
                        "metric": metric,
                        "team_id": team,
                        "grain": "quarter",
                        "period_start": start,
                        "value": value,
                        "unit": UNITS.get(metric, ""),
                        "reason": NEEDS if value is None else None,
                        "target": TARGETS.get((metric, team)),
                        "computed_at": NOW,
                    }
                )
    return rows


def land_history(store: Store) -> None:
    """Teams, five quarters of snapshots, maturity readings, nudges and initiatives."""
    land(
        store,
        "team",
        [
            {"id": "product", "name": "Product"},
            {
                "id": "payments",
                "name": "Payments Squad",
                "parent_id": "product",
                "focus_pillar": "process",
            },
            {
                "id": "growth",
                "name": "Growth Tribe",
                "parent_id": "product",
                "focus_pillar": "customer",
            },
        ],
    )
    land(store, "metric_snapshot", snapshots())
    land(
        store,
        "maturity_reading",
        [
            _reading("payments", "process", QUARTERS[3], "unaware", ["old reading"]),
            _reading(
                "payments",
                "process",
                QUARTERS[4],
                "aware",
                ["rates itself practising", "adherence 55% below target 70%"],
            ),
            _reading("payments", "data", QUARTERS[4], "practising", ["targets met 2 of 3 periods"]),
            _reading(
                "growth",
                "customer",
                QUARTERS[4],
                "habitual",
                ["targets met 4 periods without support"],
            ),
        ],
    )
    land(
        store,
        "nudge",
        [
            _nudge(
                "n1", "payments", "standard-workflow", "offered", "process.workflow_adherence", 2
            ),
            _nudge("n2", "growth", "insight-cadence", "accepted", "customer.time_to_insight", 3),
            _nudge("n3", "payments", "catalog-tour", "dismissed", "data.time_to_locate", 4),
            _nudge("n4", "growth", "ship-smaller", "done", "process.time_to_market", 5),
        ],
    )
    land(
        store,
        "initiative",
        [
            {
                "id": "i1",
                "team_id": "payments",
                "title": "Review queue pairing",
                "stage": "prototype",
                "target_metric": "process.time_to_market",
                "baseline": 33.0,
                "started_at": QUARTERS[2],
            }
        ],
    )


def _reading(
    team: str, pillar: str, start: datetime, stage: str, reasons: list[str]
) -> dict[str, Any]:
    return {
        "team_id": team,
        "pillar": pillar,
        "period_start": start,
        "stage": stage,
        "reasons": json.dumps(reasons),
    }


def _nudge(id: str, team: str, rule: str, status: str, criterion: str, day: int) -> dict[str, Any]:
    offered = datetime(2025, 11, day, tzinfo=UTC)
    return {
        "id": id,
        "team_id": team,
        "rule": rule,
        "status": status,
        "criterion": criterion,
        "offered_at": offered,
    }
