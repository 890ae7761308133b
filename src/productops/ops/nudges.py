"""Nudges: a library of rules, each triggered by a criterion's gap, offered only where a team is ready.

A rule fires for a team when its criterion's latest value misses the team's target (or, with
no target, the rule's default threshold). It is offered only when the team is ready
(docs/scorecard.md#nudges): its maturity stage in the rule's pillar is one the rule fits, the
pillar is the team's focus, the team has fewer than `max_open` open nudges (offered or
accepted), and it did not dismiss the same rule in the last `dismissed_days` days.
Lifecycle: offered -> accepted or dismissed (with a reason); accepted -> done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from productops.errors import ConflictError
from productops.ops.criteria import CRITERIA
from productops.ops.scorecard import Score

__all__ = ["MOVES", "OPEN", "RULES", "Offer", "Rule", "check_move", "gap", "offers", "readiness"]

OPEN = ("offered", "accepted")
MOVES = {"offered": ("accepted", "dismissed"), "accepted": ("done", "dismissed")}
"""Allowed status changes: a nudge is accepted or dismissed, and an accepted one done."""


@dataclass(frozen=True)
class Rule:
    """A nudge rule: the gap that triggers it, where it fits, and what to do."""

    id: str
    pillar: str
    criterion: str
    threshold: float
    stages: tuple[str, ...]
    next_step: str
    playbook: tuple[str, ...]


_EARLY = ("unaware", "aware")
_MIDDLE = ("aware", "practising")

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "decisions_without_evidence",
            "data",
            "data.decisions_informed",
            60.0,
            _EARLY,
            "Attach the number you looked at to your next three decisions.",
            (
                "Open the decision log after planning.",
                "For each decision, add the metric or experiment it rests on.",
                "Review in the next retro which decisions had none and why.",
            ),
        ),
        Rule(
            "slow_data_search",
            "data",
            "data.time_to_locate",
            60.0,
            _MIDDLE,
            "Give the five most searched metrics synonyms and an owner.",
            (
                "List the team's top catalog searches.",
                "Add synonyms and an owner to the metrics they should find.",
                "Check the search time again next period.",
            ),
        ),
        Rule(
            "dashboards_unused",
            "data",
            "data.dashboard_usage",
            50.0,
            _EARLY,
            "Walk the team through its flow dashboard in the next planning.",
            (
                "Open the team's flow page together for 10 minutes.",
                "Agree which one number the team looks at each week.",
            ),
        ),
        Rule(
            "outcomes_unreviewed",
            "data",
            "data.iteration_improvement",
            50.0,
            _MIDDLE,
            "Review the outcome of each data-informed decision on its review date.",
            (
                "Set a review date on every decision with an expected metric.",
                "At the review, record whether the metric moved as expected.",
                "Share what you learned with the decision's stakeholders.",
            ),
        ),
        Rule(
            "feedback_not_shipped",
            "customer",
            "customer.feedback_incorporated",
            60.0,
            _EARLY,
            "Review the roadmap items customers asked for that have not shipped.",
            (
                "List the confirmed feedback links whose items are still open, oldest first.",
                "Per item: ship it next, re-plan it with a date, or close it and say why.",
                "Tell the customers whose feedback shipped, and those whose did not.",
            ),
        ),
        Rule(
            "slow_insight",
            "customer",
            "customer.time_to_insight",
            14.0,
            _MIDDLE,
            "Hold a weekly 30-minute theme review and publish one insight from it.",
            (
                "Look at the rising themes of the week.",
                "Write one insight: what customers say, how many, what it means.",
                "Publish it to the teams it concerns.",
            ),
        ),
        Rule(
            "no_insight_sessions",
            "customer",
            "customer.insight_sessions",
            1.0,
            _EARLY,
            "Hold an insight-sharing session with a neighbouring team.",
            ("Pick two insights each.", "Share them in 30 minutes and agree on one follow-up."),
        ),
        Rule(
            "slow_insight_features",
            "customer",
            "customer.insight_time_to_market",
            30.0,
            _MIDDLE,
            "Slice the next insight-driven feature so a first version ships within a month.",
            (
                "Find the smallest version that answers the feedback.",
                "Release it behind a flag to the accounts that asked.",
            ),
        ),
        Rule(
            "review_wait_high",
            "process",
            "process.time_to_market",
            20.0,
            ("unaware", "aware", "practising"),
            "Run a process review on where work waits, and act on the largest wait.",
            (
                "Open the bottleneck view for the last period.",
                "Name the status where work waits longest and why.",
                "Agree one action (e.g. review pairs, WIP limit) and check it next period.",
            ),
        ),
        Rule(
            "workflow_nonconforming",
            "process",
            "process.workflow_adherence",
            80.0,
            _EARLY,
            "Agree the standard workflow and a definition of done as a team.",
            (
                "Look at the most common deviations together.",
                "Agree which statuses every item goes through.",
                "Fix the board so skipped statuses cannot happen by accident.",
            ),
        ),
        Rule(
            "blocked_dependencies",
            "process",
            "process.dependency_delays",
            10.0,
            _MIDDLE,
            "Map cross-team dependencies in planning and raise blockers weekly.",
            (
                "List the items another team must deliver first.",
                "Agree dates with that team at planning.",
                "Review open blockers in a weekly 15-minute sync.",
            ),
        ),
        Rule(
            "ownership_gaps",
            "process",
            "process.clarity",
            90.0,
            _EARLY,
            "Give every open item an owner and every decision its deciders.",
            (
                "Filter the board for items without an assignee.",
                "Assign or close each one; name deciders on open decisions.",
            ),
        ),
        Rule(
            "scope_creep",
            "process",
            "business.scope_creep",
            25.0,
            _MIDDLE,
            "Freeze an epic's scope at its start; put new asks into a follow-up epic.",
            (
                "At an epic's kick-off, list its stories.",
                "Route later additions to a follow-up epic unless they replace a story.",
            ),
        ),
        Rule(
            "slow_experiment_setup",
            "data",
            "operations.experiment_setup_time",
            14.0,
            _MIDDLE,
            "Use the experiment template so a test starts within two weeks of its idea.",
            (
                "Register the experiment with its goal metric and power.",
                "Ask Product Ops for the flag and tracking checklist.",
                "Start it the same sprint.",
            ),
        ),
    )
}


@dataclass(frozen=True)
class Offer:
    """A rule ready to be offered to a team, with the readiness seen."""

    team_id: str
    rule: Rule
    value: float
    target: float | None
    readiness: dict[str, Any]


def gap(rule: Rule, score: Score | None) -> bool:
    """Whether the team's latest value misses its target, or else the rule's threshold."""
    if score is None or score.value is None:
        return False
    if score.target is not None:
        return score.met is False
    better = CRITERIA[rule.criterion].direction == "higher"
    return score.value < rule.threshold if better else score.value > rule.threshold


def readiness(
    rule: Rule,
    *,
    stage: str | None,
    focus: str | None,
    open_count: int,
    dismissed_at: datetime | None,
    now: datetime,
    max_open: int = 3,
    dismissed_days: int = 90,
) -> list[str]:
    """Why the team is not ready for the rule (empty: ready)."""
    why = []
    if stage not in rule.stages:
        why.append(f"{rule.pillar} stage {stage or 'unknown'} is not {' or '.join(rule.stages)}")
    if focus != rule.pillar:
        why.append(f"the team's focus is {focus or 'not set'}, not {rule.pillar}")
    if open_count >= max_open:
        why.append(f"{open_count} nudges open (at most {max_open})")
    if dismissed_at is not None and now - dismissed_at < timedelta(days=dismissed_days):
        why.append(f"dismissed on {dismissed_at:%Y-%m-%d}, less than {dismissed_days} days ago")
    return why


def offers(
    latest: Mapping[tuple[str, str], Score],
    stages: Mapping[tuple[str, str], str],
    focus: Mapping[str, str | None],
    nudges: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    max_open: int = 3,
    dismissed_days: int = 90,
) -> list[Offer]:
    """The nudges to offer now: rules whose gap shows, for teams ready for them.

    `latest` maps (criterion, team) to its latest score; `stages` (team, pillar) to the
    maturity stage; `nudges` are the stored ones (`team_id, rule, status, status_at`).
    """
    open_count = {t: 0 for t in focus}
    dismissed: dict[tuple[str, str], datetime] = {}
    running = set()
    for n in nudges:
        if n["status"] in OPEN:
            open_count[n["team_id"]] = open_count.get(n["team_id"], 0) + 1
            running.add((n["team_id"], n["rule"]))
        when = n.get("status_at") or n.get("offered_at")
        if n["status"] == "dismissed" and when is not None:
            key = (n["team_id"], n["rule"])
            dismissed[key] = max(when, dismissed.get(key, when))
    out: list[Offer] = []
    for team in sorted(focus):
        for rule in RULES.values():
            score = latest.get((rule.criterion, team))
            if (team, rule.id) in running or not gap(rule, score) or score is None:
                continue
            stage = stages.get((team, rule.pillar))
            blocked = readiness(
                rule,
                stage=stage,
                focus=focus[team],
                open_count=open_count.get(team, 0),
                dismissed_at=dismissed.get((team, rule.id)),
                now=now,
                max_open=max_open,
                dismissed_days=dismissed_days,
            )
            if blocked:
                continue
            open_count[team] = open_count.get(team, 0) + 1
            seen = {"stage": stage, "focus": focus[team], "open": open_count[team] - 1}
            out.append(Offer(team, rule, float(score.value or 0.0), score.target, seen))
    return out


def check_move(status: str | None, to: str) -> None:
    """Raise unless a nudge in `status` may move to `to`."""
    if to not in MOVES.get(status or "", ()):
        allowed = ", ".join(MOVES.get(status or "", ())) or "nothing (it is closed)"
        raise ConflictError(
            f"a nudge that is {status} cannot be marked {to}; it can become {allowed}"
        )
