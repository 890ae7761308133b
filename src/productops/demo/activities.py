"""Activities (retrospectives, reviews, workshops, insight sessions, trainings, tool and
people onboarding) and a few nudges offered to teams.
"""

from __future__ import annotations

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
from productops.demo.org import Org

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
        }
    )


def nudges(org: Org) -> pa.Table:
    """A few suggestions offered to first-group teams near the end of the period."""
    specs = (
        (0, "review_wait_high", "offered", None),
        (4, "workflow_nonconforming", "offered", None),
        (1, "blocked_dependencies", "accepted", "Dependency workshop planned"),
        (2, "health_check_low_response", "dismissed", None),
    )
    return pa.table(
        {
            "id": strings([f"demo:nudge-{i + 1}" for i in range(len(specs))]),
            "team_id": strings([org.team_ids[s[0]] for s in specs]),
            "rule": strings([s[1] for s in specs]),
            "readiness": strings(
                ['{"stage": "conscious_incompetence", "score": 0.6}'] * len(specs)
            ),
            "status": strings([s[2] for s in specs]),
            "outcome": strings([s[3] for s in specs]),
            "offered_at": timestamps(
                np.asarray([at("2026-10-01") + i * DAY for i in range(len(specs))])
            ),
        }
    )
