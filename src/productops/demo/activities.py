"""Activities (retrospectives, reviews, workshops, insight sessions, trainings, tool and
people onboarding) and the nudges offered to first-group teams, each with its rule's criterion.

Quarterly process reviews name the status work waits in (`Bottleneck: ...`), an action and,
once done, `Done: ...`: the planted bottleneck team names In Review, the others In Progress.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from productops.demo.columns import (
    DAY,
    END,
    HOUR,
    START,
    Times,
    at,
    lognormal,
    numbered,
    strings,
    timestamps,
    within,
)
from productops.demo.org import BOTTLENECK, Org

__all__ = ["activities", "nudges"]

_WORKSHOPS = (
    "Opportunity mapping",
    "Story mapping",
    "Metric definition workshop",
    "Customer journey mapping",
)
_TRAININGS = (
    "Experiment design basics",
    "SQL for product managers",
    "Writing good hypotheses",
    "Using the metric catalog",
)


def activities(rng: np.random.Generator, org: Org) -> pa.Table:
    """Retrospectives, reviews, workshops, sessions, trainings and onboardings."""
    parts: list[
        tuple[
            npt.NDArray[np.object_],
            Times,
            Times,
            npt.NDArray[np.object_],
            str,
            npt.NDArray[np.object_],
        ]
    ] = []
    none = np.asarray([], dtype=object)

    def add(
        team: list[str],
        held: Times,
        length_hours: float,
        kind: str,
        titles: tuple[str, ...],
        person: npt.NDArray[np.object_] = none,
        ended: Times | None = None,
    ) -> None:
        title = np.asarray(titles, dtype=object)[rng.integers(0, len(titles), len(team))]
        end = held + int(length_hours * HOUR) if ended is None else ended
        parts.append(
            (
                np.asarray(team, dtype=object),
                held,
                end,
                person if len(person) else np.full(len(team), None),
                kind,
                title,
            )
        )

    for t, tid in enumerate(org.team_ids):
        offset = int(rng.integers(0, 14)) * DAY + 14 * HOUR
        add(
            [tid] * 52,
            START + offset + np.arange(52) * 14 * DAY,
            1,
            "retrospective",
            ("Sprint retro",),
        )
        add(
            [tid] * 8,
            START + 30 * DAY + np.arange(8) * 91 * DAY + t * HOUR,
            1.5,
            "process_review",
            ("Quarterly process review",),
        )
    for g, gid in enumerate(org.group_ids):
        teams = [org.team_ids[g * 6 + int(i)] for i in rng.integers(0, 6, 10)]
        add(
            teams,
            np.sort(START + (rng.random(10) * (END - START)).astype(np.int64)),
            3,
            "workshop",
            _WORKSHOPS,
        )
        add(
            [gid] * 24,
            START + 20 * DAY + np.arange(24) * 30 * DAY,
            1,
            "insight_session",
            ("Customer insight session",),
        )
        add([gid] * 8, START + 45 * DAY + np.arange(8) * 90 * DAY, 2, "training", _TRAININGS)
        add(
            [gid] * 6,
            at("2025-09-02") + np.arange(6) * 14 * DAY,
            1,
            "tool_onboarding",
            ("productops onboarding",),
        )
    joiners = np.flatnonzero(org.person_joined >= START)
    joined = org.person_joined[joiners]
    add(
        list(org.person_team[joiners]),
        joined + rng.integers(1, 4, len(joiners)) * DAY,
        0,
        "onboarding",
        ("Onboarding",),
        org.person_ids[joiners],
        within(joined + (lognormal(rng, 30.0, 0.4, len(joiners)) * DAY).astype(np.int64)),
    )
    team = np.concatenate([p[0] for p in parts])
    held = np.concatenate([p[1] for p in parts])
    ended = np.concatenate([p[2] for p in parts])
    person = np.concatenate([p[3] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[4], dtype=object) for p in parts])
    title = np.concatenate([p[5] for p in parts])
    keep = np.flatnonzero(held < END)
    keep = keep[np.argsort(held[keep], kind="stable")]
    size = {tid: int(np.count_nonzero(org.person_team == tid)) for tid in set(team)}
    attendees = np.asarray([size[tid] for tid in team[keep]]) - rng.integers(0, 3, len(keep))
    return pa.table(
        {
            "id": numbered("demo:act-", np.arange(1, len(keep) + 1), 5),
            "team_id": strings(team[keep]),
            "kind": strings(kind[keep]),
            "title": strings(title[keep]),
            "person_id": strings(person[keep]),
            "held_at": timestamps(held[keep]),
            "ended_at": timestamps(ended[keep]),
            "attendees": pa.array(
                np.where(kind[keep] == "onboarding", 2, np.maximum(attendees, 2))
            ),
            "notes": strings(
                [
                    _review_notes(org, str(t), int(h)) if k == "process_review" else None
                    for t, k, h in zip(team[keep], kind[keep], held[keep], strict=True)
                ]
            ),
        }
    )


def _review_notes(org: Org, team: str, held: int) -> str:
    """A process review's notes: the status work waits in, the action agreed and, if done, that.

    The planted bottleneck team names In Review; actions of the last quarter are not done yet.
    """
    t = org.team_ids.index(team)
    planted = org.team_group[t] == 0 and org.team_base[t] == BOTTLENECK
    status, action = (
        ("In Review", "Review in pairs every morning")
        if planted
        else ("In Progress", "Limit work in progress to the team's size")
    )
    notes = f"Bottleneck: {status}\nAction: {action}"
    return notes + (f"\nDone: {action}" if held < END - 91 * DAY else "")


@dataclass(frozen=True)
class _Nudge:
    """A demo nudge: a rule of `productops.ops.nudges` offered to a first-group team.

    `value` is the criterion when offered and `baseline` when accepted (each the latest complete
    quarter then), `after` when measured 90 days after acceptance: read off the seed-7 scorecard.
    """

    team: int
    rule: str
    criterion: str
    stage: str
    focus: str
    offered: str
    value: float
    target: float | None = None
    status: str = "offered"
    status_at: str | None = None
    accepted: str | None = None
    baseline: float | None = None
    after: float | None = None
    measured: str | None = None
    reason: str | None = None
    outcome: str | None = None


_NUDGES = (
    _Nudge(
        5, "ownership_gaps", "process.clarity", "aware", "process", "2026-01-05", 85.2,
        status="done", status_at="2026-03-20", accepted="2026-01-12", baseline=85.2,
        after=88.5, measured="2026-04-13", outcome="Unowned items reviewed in every stand-up",
    ),
    _Nudge(
        4, "slow_insight", "customer.time_to_insight", "aware", "customer", "2026-04-06",
        34.1, status="dismissed", status_at="2026-04-20",
        reason="The crash spike had its insight within ten days; the rest can wait",
    ),
    _Nudge(
        1, "slow_insight", "customer.time_to_insight", "aware", "customer", "2026-07-06",
        45.6, status="accepted", status_at="2026-07-13", accepted="2026-07-13", baseline=45.6,
    ),
    _Nudge(
        0, "review_wait_high", "process.time_to_market", "aware", "process", "2026-10-05",
        16.9, target=12.0,
    ),
    _Nudge(
        2, "feedback_not_shipped", "customer.feedback_incorporated", "aware", "customer",
        "2026-10-05", 0.0,
    ),
)  # fmt: skip


def _when(text: str | None) -> int:
    return -1 if text is None else at(text)


def nudges(org: Org) -> pa.Table:
    """Nudges offered to first-group teams in the last year: done, dismissed, accepted, open."""
    ready = [
        {"stage": n.stage, "focus": n.focus, "open": 0, "value": n.value, "target": n.target}
        | ({"accepted_at": f"{n.accepted}T00:00:00+00:00"} if n.accepted else {})
        for n in _NUDGES
    ]
    return pa.table(
        {
            "id": strings([f"demo:nudge-{i + 1}" for i in range(len(_NUDGES))]),
            "team_id": strings([org.team_ids[n.team] for n in _NUDGES]),
            "rule": strings([n.rule for n in _NUDGES]),
            "readiness": strings([json.dumps(r) for r in ready]),
            "status": strings([n.status for n in _NUDGES]),
            "outcome": strings([n.outcome for n in _NUDGES]),
            "offered_at": timestamps(np.asarray([at(n.offered) for n in _NUDGES])),
            "criterion": strings([n.criterion for n in _NUDGES]),
            "reason": strings([n.reason for n in _NUDGES]),
            "status_at": timestamps(np.asarray([_when(n.status_at or n.offered) for n in _NUDGES])),
            "baseline": pa.array([n.baseline for n in _NUDGES], pa.float64()),
            "after": pa.array([n.after for n in _NUDGES], pa.float64()),
            "measured_at": timestamps(np.asarray([_when(n.measured) for n in _NUDGES])),
        }
    )
