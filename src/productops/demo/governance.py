"""Governance: KPIs, the decision log with its evidence, and improvement initiatives.

These tables are small (tens of rows per group), so plain Python builds them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from productops.demo.columns import (
    DAY,
    END,
    HOUR,
    START,
    at,
    strings,
    timestamps,
)
from productops.demo.org import Org

__all__ = ["KPIS", "decisions", "initiatives", "kpis"]

# (id, name, description, unit, direction)
KPIS = (
    (
        "activation_rate",
        "Activation rate",
        "Share of new accounts reaching first value in 14 days.",
        "%",
        "higher",
    ),
    (
        "weekly_active_accounts",
        "Weekly active accounts",
        "Accounts with a session in the week.",
        "accounts",
        "higher",
    ),
    (
        "net_revenue_retention",
        "Net revenue retention",
        "ARR kept and grown from a cohort, yearly.",
        "%",
        "higher",
    ),
    (
        "nps",
        "Net Promoter Score",
        "Promoters minus detractors, from NPS feedback.",
        "score",
        "higher",
    ),
    ("time_to_value", "Time to value", "Days from sign-up to the first report.", "days", "lower"),
    (
        "support_tickets_per_account",
        "Support tickets per account",
        "Monthly support feedback per active account.",
        "tickets",
        "lower",
    ),
    ("conversion_rate", "Trial conversion", "Share of trials that become paying.", "%", "higher"),
    ("churn_rate", "Logo churn", "Share of accounts lost per quarter.", "%", "lower"),
)
_DECISIONS = (
    "Adopt trunk-based development",
    "Move to a weekly release train",
    "Build SSO before audit logs",
    "Sunset the legacy export",
    "Raise the free plan limit",
    "Add a QA step before release",
    "Run a pricing experiment next quarter",
    "Invest a sprint in upload reliability",
    "Stop the dark mode beta",
    "Ship every change behind a feature flag",
    "Set team OKRs each quarter",
    "Move tier-1 support to the product teams",
)
# Catalog metrics a decision expects to move, and which way (delivery ones are per team).
_EXPECTED = (
    ("activation_rate", "up"),
    ("wau", "up"),
    ("stickiness", "up"),
    ("active_accounts", "up"),
    ("items_done", "up"),
    ("lead_time_p50", "down"),
    ("bugs_share", "down"),
)
_TEAM_METRICS = ("items_done", "lead_time_p50", "bugs_share")
_CONTEXTS = (
    "Raised in quarterly planning.",
    "Came up in a retrospective.",
    "Requested by customer success.",
    "Follow-up of an incident review.",
)
# (base team, title, stage, criterion, started, stage entered, baseline quarter, baseline,
# after). The baseline is the team's criterion in the latest complete quarter at the start;
# an implemented one's after-value the same at implement (its end). Values read off the
# seed-7 scorecard of the first group; other groups and seeds reuse them.
_INITIATIVES: tuple[
    tuple[int, str, str, str, str, str, str, float | None, float | None], ...
] = (
    (0, "Cut code review waits", "prototype", "process.time_to_market",
     "2026-05-15", "2026-09-07", "2026-01-01", 17.1, None),
    (4, "Agree a shared definition of done", "define", "process.workflow_adherence",
     "2026-07-14", "2026-08-25", "2026-04-01", 45.0, None),
    (1, "Unblock platform dependencies earlier", "ideate", "process.dependency_delays",
     "2026-06-24", "2026-09-14", "2026-01-01", 143.0, None),
    (2, "Name an owner for every item", "implement", "process.clarity",
     "2025-10-06", "2026-01-12", "2025-07-01", 87.4, 90.4),
    (3, "Freeze epic scope at kick-off", "test", "business.scope_creep",
     "2025-12-06", "2026-09-15", "2025-07-01", 34.1, None),
    (5, "Ship in smaller batches", "implement", "process.time_to_market",
     "2026-07-06", "2026-10-06", "2026-04-01", 12.9, 10.2),
    (4, "Metric catalog adoption", "empathize", "data.dashboard_usage",
     "2026-08-24", "2026-08-24", "2026-04-01", 25.0, None),
    (0, "Decision log for every bet", "test", "data.decisions_informed",
     "2025-02-09", "2026-06-02", "2024-10-01", 66.7, None),
)  # fmt: skip


def kpis(org: Org) -> pa.Table:
    owners = [
        str(org.person_ids[(org.person_role == "pm") & (org.person_team_index == i % 6)][0])
        for i in range(len(KPIS))
    ]
    return pa.table(
        {
            "id": strings([k[0] for k in KPIS]),
            "name": strings([k[1] for k in KPIS]),
            "description": strings([k[2] for k in KPIS]),
            "unit": strings([k[3] for k in KPIS]),
            "direction": strings([k[4] for k in KPIS]),
            "owner_id": strings(owners),
        }
    )


def _person(org: Org, role: str, team: int) -> str:
    return str(org.person_ids[(org.person_role == role) & (org.person_team_index == team)][0])


def decisions(
    rng: np.random.Generator, org: Org, experiment_ids: list[str], feedback_ids: list[str]
) -> dict[str, pa.Table]:
    """decision and decision_evidence: ten decisions per team, some without evidence."""
    rows: list[dict[str, Any]] = []
    for t in range(org.teams):  # ten rows per team: small
        when = np.sort(START + (rng.random(10) * (END - 30 * DAY - START)).astype(np.int64))
        status = rng.choice(("decided", "proposed", "superseded"), 10, p=(0.7, 0.2, 0.1))
        for i in range(10):
            metric, direction = _EXPECTED[int(rng.integers(len(_EXPECTED)))]
            decided = str(status[i]) != "proposed"
            review = int(when[i] + rng.uniform(60, 120) * DAY)
            measured = decided and rng.random() < 0.8
            rows.append(
                {
                    "id": f"demo:dec-{len(rows) + 1:05d}",
                    "team_id": org.team_ids[t],
                    "title": _DECISIONS[int(rng.integers(len(_DECISIONS)))],
                    "context": _CONTEXTS[int(rng.integers(len(_CONTEXTS)))],
                    "options": "A) do it now; B) defer a quarter; C) do nothing",
                    "decision": str(rng.choice(("Chose A.", "Chose B.", "Chose C.")))
                    if decided
                    else None,
                    "deciders": f"{_person(org, 'pm', t)},{_person(org, 'em', t)}",
                    "status": str(status[i]),
                    "decided_at": int(when[i]) if decided else -1,
                    "expected_metric": metric if measured else None,
                    "expected_direction": direction if measured else None,
                    "expected_by": int(when[i] + 90 * DAY) if measured else -1,
                    "review_at": review if measured else -1,
                    "outcome_met": bool(rng.random() < 0.65) if measured and review < END else None,
                    "outcome_value": round(float(rng.uniform(5, 80)), 2)
                    if measured and review < END
                    else None,
                    "outcome_at": review if measured and review < END else -1,
                }
            )
        team_rows = rows[-10:]
        for i, row in enumerate(team_rows):
            later = [r["id"] for r in team_rows[i + 1 :] if r["status"] == "decided"]
            if row["status"] == "superseded":
                row["superseded_by"] = later[0] if later else None
                row["status"] = "superseded" if later else "decided"
    decision = pa.table(
        {
            **{
                c: strings([r[c] for r in rows])
                for c in (
                    "id",
                    "team_id",
                    "title",
                    "context",
                    "options",
                    "decision",
                    "deciders",
                    "status",
                )
            },
            "superseded_by": strings([r.get("superseded_by") for r in rows]),
            "decided_at": timestamps(np.asarray([r["decided_at"] for r in rows])),
            "expected_metric": strings([r["expected_metric"] for r in rows]),
            "expected_direction": strings([r["expected_direction"] for r in rows]),
            "expected_by": timestamps(np.asarray([r["expected_by"] for r in rows])),
            "review_at": timestamps(np.asarray([r["review_at"] for r in rows])),
            "outcome_met": pa.array([r["outcome_met"] for r in rows], pa.bool_()),
            "outcome_value": pa.array([r["outcome_value"] for r in rows], pa.float64()),
            "outcome_at": timestamps(np.asarray([r["outcome_at"] for r in rows])),
        }
    )
    return {
        "decision": decision,
        "decision_evidence": _evidence(rng, rows, experiment_ids, feedback_ids),
    }


def _evidence(
    rng: np.random.Generator,
    decisions: list[dict[str, Any]],
    experiment_ids: list[str],
    feedback_ids: list[str],
) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for d in decisions:
        if d["decided_at"] < 0 or rng.random() >= 0.55:
            continue
        for _ in range(int(rng.integers(1, 4))):
            kind = str(
                rng.choice(("metric", "experiment", "insight", "feedback"), p=(0.5, 0.2, 0.1, 0.2))
            )
            ref, value, spec = None, None, None
            if kind == "metric":
                ref = d["expected_metric"] or _EXPECTED[int(rng.integers(len(_EXPECTED)))][0]
                value = round(float(rng.uniform(5, 80)), 2)
                spec = _spec(ref, d["team_id"])
            elif kind == "experiment":
                ref, value = (
                    experiment_ids[int(rng.integers(len(experiment_ids)))],
                    round(float(rng.normal(0.02, 0.03)), 4),
                )
            elif kind == "feedback":
                ref, value = feedback_ids[int(rng.integers(len(feedback_ids)))], 1.0
            rows.append(
                {
                    "id": f"demo:evidence-{len(rows) + 1:05d}",
                    "decision_id": d["id"],
                    "kind": kind,
                    "ref_id": ref,
                    "value": value,
                    "spec": spec,
                    "data_as_of": d["decided_at"] - DAY,
                    "captured_at": d["decided_at"] - 2 * HOUR,
                }
            )
    return pa.table(
        {
            **{c: strings([r[c] for r in rows]) for c in ("id", "decision_id", "kind", "ref_id")},
            "value": pa.array([r["value"] for r in rows], pa.float64()),
            "spec": strings([r["spec"] for r in rows]),
            "data_as_of": timestamps(np.asarray([r["data_as_of"] for r in rows], dtype=np.int64)),
            "captured_at": timestamps(np.asarray([r["captured_at"] for r in rows], dtype=np.int64)),
        }
    )


def _spec(metric: str, team: str) -> str:
    """The request a metric evidence entry asked: weekly, for the team when the metric has teams.

    The demo keeps the request and the value seen but no frozen rows: its history was never
    queried live, so `productops decision verify` reports these entries as not frozen.
    """
    where = [f"team = {team}"] if metric in _TEAM_METRICS else []
    request = {"metric": metric, "by": [], "grain": "week", "where": where}
    return json.dumps(request | {"since": None, "until": None}, sort_keys=True)


def initiatives(org: Org) -> pa.Table:
    """The same eight initiatives per group, at their design-thinking stages."""
    rows = [(g, *spec) for g in range(org.scale) for spec in _INITIATIVES]
    done = [r[3] == "implement" for r in rows]
    return pa.table(
        {
            "id": strings(
                [
                    f"demo:init-{g + 1}-{i + 1}"
                    for g in range(org.scale)
                    for i in range(len(_INITIATIVES))
                ]
            ),
            "team_id": strings([org.team_ids[r[0] * 6 + r[1]] for r in rows]),
            "title": strings([r[2] for r in rows]),
            "stage": strings([r[3] for r in rows]),
            "target_metric": strings([r[4] for r in rows]),
            "baseline": pa.array([r[8] for r in rows], pa.float64()),
            "after": pa.array([r[9] for r in rows], pa.float64()),
            "started_at": timestamps(np.asarray([at(r[5]) for r in rows])),
            "ended_at": timestamps(
                np.asarray([at(r[6]) if d else -1 for r, d in zip(rows, done, strict=True)])
            ),
            "stage_at": timestamps(np.asarray([at(r[6]) for r in rows])),
            "baseline_period": strings([f"quarter:{r[7]}" for r in rows]),
        }
    )
