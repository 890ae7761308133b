"""Surveys and their anonymous answers: team health checks each quarter, stakeholder,
Product Ops support, PM time and onboarding surveys.

Health checks answer 1 = red, 2 = amber, 3 = green. Planted: the bottleneck
team is red on speed and release, and one first-group team has a quarter with
only two respondents (below the anonymity threshold of three).

Each team also rates itself each quarter per maturity pillar (`self_assessment`, questions
`data`, `customer`, `process`, 1-4): high (3 or 4) where it meets its own targets, low
otherwise, except the planted overconfident team, which rates its process high while it
misses its workflow-adherence target (its process maturity reads unaware).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from productops.demo.columns import DAY, END, at, hex_strings, numbered, strings, timestamps
from productops.demo.org import BOTTLENECK, NON_CONFORMING, SMALL_SURVEY_TEAM, Org
from productops.demo.targets import ACTIVATION, PLATFORM, SEARCH
from productops.schema.tables import HEALTH_CHECK_INDICATORS

__all__ = ["surveys"]

QUARTERS = tuple(
    at(d)
    for d in (
        "2024-11-01",
        "2025-02-01",
        "2025-05-01",
        "2025-08-01",
        "2025-11-01",
        "2026-02-01",
        "2026-05-01",
        "2026-08-01",
    )
)
SMALL_SURVEY_QUARTER = 5
SELF_PILLARS = ("data", "customer", "process")
OVERCONFIDENT = (NON_CONFORMING, "process")
"""The first-group team and pillar rated high while its measures are low."""
_CONFIDENT = {(ACTIVATION, "process"), (SEARCH, "data"), (PLATFORM, "customer"), OVERCONFIDENT}
"""Rated high in the first group: the pillars whose targets the team meets, and the planted one."""
_COMMENTS = (
    "More visibility into the roadmap, please.",
    "Great collaboration this quarter.",
    "Release notes come too late for sales.",
    "Priorities changed too often.",
)

Answer = Callable[[np.random.Generator, int], npt.NDArray[np.float64]]
Spec = tuple[str, str, str, str, int, int, dict[str, Answer] | None]
"""A survey to draw: id, team, kind, title, opened, respondents, answer per question."""


def _scale(low: int, high: int, mean: float) -> Answer:
    def answer(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return np.clip(np.round(rng.normal(mean, 1.0, n)), low, high).astype(np.float64)

    return answer


def _traffic(green: float, amber: float) -> Answer:
    def answer(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return rng.choice((3.0, 2.0, 1.0), n, p=(green, amber, 1 - green - amber))

    return answer


def _rating(high: bool) -> Answer:
    """Self-assessment answers (1-4): high ones are 3 or 4; low ones include a 2, so mean below 3."""

    def answer(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        if high:
            return rng.choice((3.0, 4.0), n, p=(0.45, 0.55))
        values = rng.choice((1.0, 2.0, 3.0), n, p=(0.2, 0.55, 0.25))
        values[0] = 2.0
        return values

    return answer


def _self_assessments(rng: np.random.Generator, org: Org) -> list[Spec]:
    """A self-assessment per team and quarter, answered by most of the team."""
    specs: list[Spec] = []
    for start in QUARTERS:
        opened = start + 40 * DAY
        for t, tid in enumerate(org.team_ids):
            members = int(np.count_nonzero((org.person_team == tid) & (org.person_joined < opened)))
            n = min(members, max(3, int(rng.binomial(members, 0.7))))
            first = bool(org.team_group[t] == 0)
            answers = {
                p: _rating(first and (int(org.team_base[t]), p) in _CONFIDENT) for p in SELF_PILLARS
            }
            title = f"Self-assessment {_month(start)}"
            specs.append(
                (
                    f"demo:self-{tid}-{_month(start)}",
                    tid,
                    "self_assessment",
                    title,
                    opened,
                    n,
                    answers,
                )
            )
    return specs


def _health(base: int, first_group: bool) -> dict[str, Answer]:
    answers = {q: _traffic(0.55, 0.3) for q in HEALTH_CHECK_INDICATORS}
    if first_group and base == BOTTLENECK:
        answers["speed"] = answers["easy_to_release"] = _traffic(0.1, 0.35)
    if first_group and base == NON_CONFORMING:
        answers["suitable_process"] = _traffic(0.15, 0.35)
    return answers


def _pm_time(rng: np.random.Generator, n: int) -> dict[str, npt.NDArray[np.float64]]:
    shares = np.round(rng.dirichlet((3.0, 5.0, 2.0), n) * 100, 1)
    return {
        "pct_discovery": shares[:, 0],
        "pct_delivery": shares[:, 1],
        "pct_ops_overhead": shares[:, 2],
    }


def surveys(rng: np.random.Generator, org: Org) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """survey and survey_response, with the planted small survey."""
    specs: list[Spec] = []
    small: dict[str, Any] = {}
    for q, start in enumerate(QUARTERS):
        opened = start + 45 * DAY
        label = _month(start)
        for t, tid in enumerate(org.team_ids):
            members = int(np.count_nonzero((org.person_team == tid) & (org.person_joined < opened)))
            n = min(members, max(3, int(rng.binomial(members, 0.8))))
            planted = org.team_group[t] == 0 and org.team_base[t] == SMALL_SURVEY_TEAM
            sid = f"demo:hc-{tid}-{label}"
            if planted and q == SMALL_SURVEY_QUARTER:
                n = 2
                small = {"survey_id": sid, "team_id": tid, "respondents": n}
            specs.append(
                (
                    sid,
                    tid,
                    "health_check",
                    f"Team health check {label}",
                    opened,
                    n,
                    _health(int(org.team_base[t]), org.team_group[t] == 0),
                )
            )
        for g, gid in enumerate(org.group_ids):
            suffix = f"{gid}-{label}"
            pms = int(np.count_nonzero((org.person_group == g) & (org.person_role == "pm")))
            specs.append(
                (
                    f"demo:stakeholder-{suffix}",
                    gid,
                    "stakeholder",
                    f"Stakeholder survey {label}",
                    opened + 7 * DAY,
                    int(rng.integers(8, 16)),
                    {"satisfaction": _scale(1, 5, 3.8), "clarity_of_priorities": _scale(1, 5, 3.2)},
                )
            )
            specs.append(
                (
                    f"demo:pm-time-{suffix}",
                    gid,
                    "pm_time",
                    f"Where PM time goes {label}",
                    opened + 14 * DAY,
                    max(3, pms - int(rng.integers(0, 3))),
                    None,
                )
            )
            if q % 2 == 1:
                specs.append(
                    (
                        f"demo:ops-support-{suffix}",
                        gid,
                        "ops_support",
                        f"Product Ops support {label}",
                        opened + 21 * DAY,
                        int(rng.integers(12, 26)),
                        {
                            "ops_support_helpful": _scale(1, 5, 3.9),
                            "tools_easy_to_use": _scale(1, 5, 3.4),
                        },
                    )
                )
                half = (
                    (org.person_group == g)
                    & (org.person_joined >= start - 91 * DAY)
                    & (org.person_joined < start + 91 * DAY)
                )
                specs.append(
                    (
                        f"demo:onboarding-{suffix}",
                        gid,
                        "onboarding",
                        f"Onboarding survey {label}",
                        opened,
                        int(np.count_nonzero(half)),
                        {
                            "onboarding_rating": _scale(1, 5, 3.5),
                            "days_to_first_contribution": _scale(1, 60, 12.0),
                        },
                    )
                )
    # From a child stream and answered last, so the other surveys' answers stay as they were.
    specs = [s for s in [*specs, *_self_assessments(rng.spawn(1)[0], org)] if s[4] < END]
    columns: dict[str, list[Any]] = {
        k: [] for k in ("survey", "team", "respondent", "question", "value", "text", "submitted")
    }
    for sid, tid, kind, _, opened, n, answers in specs:  # a few dozen surveys per group: small
        if n == 0:
            continue
        respondent = hex_strings(rng, n).to_pylist()
        submitted = opened + (rng.random(n) * 10 * DAY).astype(np.int64)
        values = _pm_time(rng, n) if answers is None else {q: a(rng, n) for q, a in answers.items()}
        for question, value in values.items():
            columns["survey"] += [sid] * n
            columns["team"] += [tid] * n
            columns["respondent"] += respondent
            columns["question"] += [question] * n
            columns["value"] += list(value)
            columns["text"] += [None] * n
            columns["submitted"] += list(submitted)
        if kind == "stakeholder":
            said = rng.random(n) < 0.4
            columns["survey"] += [sid] * int(said.sum())
            columns["team"] += [tid] * int(said.sum())
            columns["respondent"] += [r for r, s in zip(respondent, said, strict=True) if s]
            columns["question"] += ["comment"] * int(said.sum())
            columns["value"] += [None] * int(said.sum())
            columns["text"] += list(
                np.asarray(_COMMENTS)[rng.integers(0, len(_COMMENTS), int(said.sum()))]
            )
            columns["submitted"] += list(submitted[said])
    survey = pa.table(
        {
            "id": strings([s[0] for s in specs]),
            "team_id": strings([s[1] for s in specs]),
            "kind": strings([s[2] for s in specs]),
            "title": strings([s[3] for s in specs]),
            "opened_at": timestamps(np.asarray([s[4] for s in specs])),
            "closed_at": timestamps(np.asarray([s[4] + 10 * DAY for s in specs])),
        }
    )
    response = pa.table(
        {
            "id": numbered("demo:sr-", np.arange(1, len(columns["survey"]) + 1), 7),
            "survey_id": strings(columns["survey"]),
            "team_id": strings(columns["team"]),
            "respondent_hash": strings(columns["respondent"]),
            "question": strings(columns["question"]),
            "value": pa.array(columns["value"], pa.float64()),
            "text": strings(columns["text"]),
            "submitted_at": timestamps(np.asarray(columns["submitted"], dtype=np.int64)),
        }
    )
    planted = org.team_ids[OVERCONFIDENT[0]]
    last = max(
        (s for s in specs if s[1] == planted and s[2] == "self_assessment"), key=lambda s: s[4]
    )
    rated = [
        v
        for sid, q, v in zip(columns["survey"], columns["question"], columns["value"], strict=True)
        if sid == last[0] and q == OVERCONFIDENT[1]
    ]
    overconfident = {
        "team_id": planted,
        "pillar": OVERCONFIDENT[1],
        "survey_id": last[0],
        "rating": round(float(np.mean(rated)), 2),
    }
    tables = {"survey": survey, "survey_response": response}
    return tables, {"small_survey": small, "overconfident_team": overconfident}


def _month(us: int) -> str:
    return str(np.datetime64(us, "us").astype("datetime64[M]"))
