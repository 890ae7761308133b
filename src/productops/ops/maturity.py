"""Maturity: each team's stage of competence per pillar, from its self-assessment and its measures.

The rubric (docs/scorecard.md#maturity), for the latest period, gated so that no stage is
reached before the one below it:

- `unaware`: no criterion of the pillar has a value, or the team rates itself high (3 or
  more of 4) while fewer than half of its targets are met;
- `aware`: measures exist and the team knows its gaps: it set targets, or rates itself 2 or less;
- `practising`: every target of the pillar with a value is met in the latest period;
- `habitual`: targets met in each of the last N periods with no Product Ops effort for the
  pillar in them (no nudge accepted or done, no improvement initiative running).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from productops.durations import Grain
from productops.ops.criteria import CRITERIA
from productops.ops.scorecard import Score, period_start
from productops.ops.surveys import MIN_GROUP, satisfaction

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "HIGH_RATING",
    "MATURITY_PILLARS",
    "STAGES",
    "Reading",
    "effort_periods",
    "read_maturity",
    "self_ratings",
]

STAGES = ("unaware", "aware", "practising", "habitual")
MATURITY_PILLARS = ("data", "customer", "process")
HIGH_RATING = 3.0
"""A self-assessment (1-4) of this or more is high; 2 or less says the team knows its gaps."""
LOW_MEASURES = 0.5
"""Measures are low when fewer than this share of the pillar's targets are met."""


@dataclass(frozen=True)
class Reading:
    """A team's stage in a pillar for a period, with why (and why not the next stage)."""

    team_id: str
    pillar: str
    period_start: datetime
    stage: str
    reasons: tuple[str, ...]


def self_ratings(
    survey: ir.Table, response: ir.Table, until: datetime, min_group: int = MIN_GROUP
) -> dict[tuple[str, str], float | str]:
    """Each team's latest self-assessment (1-4) per pillar opened before `until`.

    Questions are named after the pillar (`data`, `customer`, `process`). A suppressed
    answer (too few respondents) gives the reason instead of a number.
    """
    s = satisfaction(survey, response, min_group, "quarter", ("self_assessment",))
    s = s.filter(s.question.isin(MATURITY_PILLARS) & (s.opened_at < until))
    found: dict[tuple[str, str], float | str] = {}
    for r in s.order_by("opened_at").to_pyarrow().to_pylist():
        key = (r["team_id"], r["question"])
        found[key] = r["mean"] if r["mean"] is not None else f"self-assessment: {r['reason']}"
    return found


def effort_periods(
    nudges: Iterable[Mapping[str, Any]],
    initiatives: Iterable[Mapping[str, Any]],
    periods: Sequence[datetime],
    grain: Grain,
) -> set[tuple[str, str, datetime]]:
    """(team, pillar, period) in which Product Ops put effort into the pillar.

    A nudge counts in the period of its `status_at` when accepted or done; an initiative in
    every period from its start to its end (or the last period). Pillars come from the
    criterion each names (`criterion` / `target_metric`).
    """
    out: set[tuple[str, str, datetime]] = set()
    for n in nudges:
        c = CRITERIA.get(n.get("criterion") or "")
        if c and n.get("status") in ("accepted", "done") and n.get("status_at"):
            out.add((n["team_id"], c.pillar, period_start(n["status_at"], grain)))
    for i in initiatives:
        c = CRITERIA.get(i.get("target_metric") or "")
        if c is None or i.get("started_at") is None:
            continue
        first = period_start(i["started_at"], grain)
        last = period_start(i["ended_at"], grain) if i.get("ended_at") else periods[-1]
        out |= {(i["team_id"], c.pillar, p) for p in periods if first <= p <= last}
    return out


def _met_all(scores: Sequence[Score]) -> tuple[int, int]:
    judged = [s for s in scores if s.met is not None]
    return sum(1 for s in judged if s.met), len(judged)


def _reading(
    team: str,
    pillar: str,
    by_period: Mapping[datetime, list[Score]],
    periods: Sequence[datetime],
    rating: float | str | None,
    effort: set[tuple[str, str, datetime]],
    habitual_periods: int,
) -> Reading:
    last = periods[-1]
    now = by_period.get(last, [])
    measured = [s for s in now if s.value is not None]
    met, judged = _met_all(measured)
    reasons: list[str] = []
    if isinstance(rating, str):
        reasons.append(rating)
    elif rating is not None:
        reasons.append(f"self-assessment {rating:.1f} of 4")

    def done(stage: str) -> Reading:
        return Reading(team, pillar, last, stage, tuple(reasons))

    if not measured:
        reasons.append(f"no {pillar} criterion has a value: no measures to see gaps by")
        return done("unaware")
    reasons.append(f"{len(measured)} {pillar} criteria measured, {met} of {judged} targets met")
    high = isinstance(rating, float) and rating >= HIGH_RATING
    if high and (judged == 0 or met / judged < LOW_MEASURES):
        reasons.append("rates itself high while its measures are low")
        return done("unaware")
    knows = judged > 0 or (isinstance(rating, float) and rating < HIGH_RATING)
    if not knows:
        reasons.append("not aware yet: no targets set and no self-assessment naming gaps")
        return done("unaware")
    if judged == 0 or met < judged:
        reasons.append(
            "not practising yet: " + ("no targets set" if not judged else "targets missed")
        )
        return done("aware")
    streak = periods[-habitual_periods:]
    for p in streak if len(streak) == habitual_periods else ():
        m, j = _met_all([s for s in by_period.get(p, []) if s.value is not None])
        if j == 0 or m < j:
            reasons.append(
                f"not habitual yet: targets not met in each of {habitual_periods} periods"
            )
            return done("practising")
        if (team, pillar, p) in effort:
            reasons.append(f"not habitual yet: Product Ops effort in the period of {p:%Y-%m-%d}")
            return done("practising")
    if len(streak) < habitual_periods:
        reasons.append(f"not habitual yet: fewer than {habitual_periods} periods read")
        return done("practising")
    reasons.append(f"targets met {habitual_periods} periods in a row without Product Ops effort")
    return done("habitual")


def read_maturity(
    scores: Iterable[Score],
    teams: Sequence[str],
    periods: Sequence[datetime],
    grain: Grain,
    *,
    ratings: Mapping[tuple[str, str], float | str] | None = None,
    effort: set[tuple[str, str, datetime]] | None = None,
    habitual_periods: int = 3,
) -> list[Reading]:
    """One reading per team and maturity pillar for the last of `periods`."""
    starts = sorted(period_start(p, grain) for p in periods)
    grouped: dict[tuple[str, str], dict[datetime, list[Score]]] = {}
    for s in scores:
        if s.pillar in MATURITY_PILLARS:
            by = grouped.setdefault((s.team_id, s.pillar), {})
            by.setdefault(s.period_start.astimezone(UTC), []).append(s)
    return [
        _reading(
            team,
            pillar,
            grouped.get((team, pillar), {}),
            starts,
            (ratings or {}).get((team, pillar)),
            effort or set(),
            habitual_periods,
        )
        for team in teams
        for pillar in MATURITY_PILLARS
    ]
