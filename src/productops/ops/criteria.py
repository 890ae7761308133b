"""The built-in success criteria of Product Ops: what each measures, its unit and direction.

The computations live in `ops.scorecard`; definitions with their rollups in `docs/scorecard.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CRITERIA", "ORG", "PILLAR_GROUPS", "Criterion", "Rollup"]

ORG = "(organisation)"
PILLAR_GROUPS = ("data", "customer", "process", "operations", "business")

Rollup = Literal["weighted_mean", "median", "sum", "pooled", "organisation"]


@dataclass(frozen=True)
class Criterion:
    """A success criterion: computed per team and period, compared with the team's target.

    `rollup` says how the organisation row is formed: `weighted_mean` (of the team values,
    weighted by the items behind each), `median` (of the team values), `sum` (of the team
    values), `pooled` (computed as for a team, over all the teams' rows together: the median
    of every experiment, not of the team medians), or `organisation` (computed once over the
    whole organisation's rows; the criterion has no per-team value).
    """

    id: str
    pillar: str
    objective: str
    name: str
    description: str
    unit: str
    direction: Literal["higher", "lower"]
    needs: tuple[str, ...]
    rollup: Rollup = "weighted_mean"


_DATA = "Teams make decisions from trusted data they find quickly"
_CUSTOMER = "Customer and market evidence reaches the roadmap fast"
_PROCESS = "Work flows predictably through a shared, clear process"
_OPERATIONS = "Teams run their own product practice with light support"
_BUSINESS = "Product work serves the business outcomes"

_LIST = [
    Criterion(
        "data.time_to_locate",
        "data",
        _DATA,
        "Time to locate key data",
        "Median seconds from a search (of the metric catalog, or a list read through the API) "
        "to opening what was found: a metric, or through the API a decision, theme, "
        "experiment, initiative or check (the searcher's next event, within 30 minutes), for "
        "the team's searches in the period.",
        "seconds",
        "lower",
        ("usage_event",),
        "median",
    ),
    Criterion(
        "data.dashboard_usage",
        "data",
        _DATA,
        "Team using the central dashboards",
        "Share of the team's members who viewed a page or opened or queried a metric in "
        "productops in the period.",
        "%",
        "higher",
        ("usage_event", "person"),
    ),
    Criterion(
        "data.discrepancies",
        "data",
        _DATA,
        "Discrepancies across sources",
        "Reconciliations between sources failing in the period (each reconciliation's "
        "last run in it).",
        "reconciliations",
        "lower",
        ("data_check_result",),
        "organisation",
    ),
    Criterion(
        "data.incidents_affecting_decisions",
        "data",
        _DATA,
        "Data issues that affected decisions",
        "The team's decisions whose evidence was captured in the period while a data "
        "incident was open on a table or metric the evidence reads.",
        "decisions",
        "lower",
        ("decision", "decision_evidence", "data_incident"),
        "sum",
    ),
    Criterion(
        "data.decisions_informed",
        "data",
        _DATA,
        "Decisions informed by data",
        "Share of the team's decisions made in the period with at least one evidence "
        "entry (metric, experiment, insight or feedback).",
        "%",
        "higher",
        ("decision", "decision_evidence"),
    ),
    Criterion(
        "data.iteration_improvement",
        "data",
        _DATA,
        "Improvement after data-informed iterations",
        "Share of the team's data-informed decisions made in the period, with a reviewed "
        "outcome, whose expected product metric moved as expected.",
        "%",
        "higher",
        ("decision", "decision_evidence"),
    ),
    Criterion(
        "customer.feedback_incorporated",
        "customer",
        _CUSTOMER,
        "Feedback incorporated into the roadmap",
        "Of the feedback received in the period (repeats left out) and linked (confirmed) to "
        "the team's work items, the share whose item has been delivered (released, or resolved "
        "as done).",
        "%",
        "higher",
        ("feedback", "feedback_link", "work_item"),
    ),
    Criterion(
        "customer.time_to_insight",
        "customer",
        _CUSTOMER,
        "Time from feedback to insight",
        "Median days from a piece of feedback to the first insight published on one of "
        "its themes, per team and period of that insight.",
        "days",
        "lower",
        ("feedback", "feedback_theme", "insight"),
        "median",
    ),
    Criterion(
        "customer.insight_time_to_market",
        "customer",
        _CUSTOMER,
        "Time-to-market of insight-driven features",
        "Median days from the first linked feedback to release, for the team's items with "
        "confirmed feedback released in the period.",
        "days",
        "lower",
        ("feedback", "feedback_link", "work_item", "feedback_theme", "insight"),
        "median",
    ),
    Criterion(
        "customer.feature_satisfaction",
        "customer",
        _CUSTOMER,
        "Customer satisfaction with insight-driven features",
        "Mean rating (scaled 0-1) given by the requesting accounts in the 90 days after "
        "the team's feedback-linked items released in the period shipped.",
        "score 0-1",
        "higher",
        ("feedback", "feedback_link", "work_item"),
    ),
    Criterion(
        "customer.insight_sessions",
        "customer",
        _CUSTOMER,
        "Cross-team insight sessions held",
        "Insight-sharing sessions the team held in the period.",
        "sessions",
        "higher",
        ("activity",),
        "sum",
    ),
    Criterion(
        "customer.stakeholder_satisfaction",
        "customer",
        _CUSTOMER,
        "Stakeholder satisfaction with insights",
        "Mean answer (1-5) of the team's stakeholder surveys opened in the period (questions "
        "not about communication); suppressed below the anonymity threshold.",
        "score 1-5",
        "higher",
        ("survey", "survey_response"),
    ),
    Criterion(
        "process.time_to_market",
        "process",
        _PROCESS,
        "Time-to-market of features",
        "Median days from creation to release of the team's items released in the period.",
        "days",
        "lower",
        ("work_item",),
        "median",
    ),
    Criterion(
        "process.workflow_adherence",
        "process",
        _PROCESS,
        "Following the standard workflow",
        "Share of the team's items finished in the period whose status path follows the "
        "standard workflow (no skipped or backward steps).",
        "%",
        "higher",
        ("work_item", "work_item_transition"),
    ),
    Criterion(
        "process.clarity",
        "process",
        _PROCESS,
        "Clarity and accountability",
        "Share of the team's items created and decisions made in the period that name an "
        "owner (items) or deciders (decisions).",
        "%",
        "higher",
        ("work_item", "decision"),
    ),
    Criterion(
        "process.bottlenecks_removed",
        "process",
        _PROCESS,
        "Reviews that removed a bottleneck",
        "Retrospectives and process reviews held in the period after which the waiting "
        "time of the status they named fell (median days in it, the period after vs before).",
        "reviews",
        "higher",
        ("activity", "work_item_transition"),
        "sum",
    ),
    Criterion(
        "process.dependency_delays",
        "process",
        _PROCESS,
        "Delays from cross-team dependencies",
        "Days the team's items spent blocked by another team's items, ending in the period.",
        "days",
        "lower",
        ("work_item", "work_item_link"),
        "sum",
    ),
    Criterion(
        "process.communication",
        "process",
        _PROCESS,
        "Better communication and alignment",
        "Share of favourable answers (4 or 5 of 5) to the stakeholder-survey questions on "
        "communication, alignment or clarity, in the period; suppressed below the anonymity "
        "threshold.",
        "%",
        "higher",
        ("survey", "survey_response"),
    ),
    Criterion(
        "operations.experiments_run",
        "operations",
        _OPERATIONS,
        "Experiments run",
        "Experiments the team started in the period.",
        "experiments",
        "higher",
        ("experiment",),
        "sum",
    ),
    Criterion(
        "operations.experiment_setup_time",
        "operations",
        _OPERATIONS,
        "Experiment setup time",
        "Median days from an experiment's creation to its start, for experiments started "
        "in the period (the organisation's: over every team's experiments).",
        "days",
        "lower",
        ("experiment",),
        "pooled",
    ),
    Criterion(
        "operations.trainings_tools",
        "operations",
        _OPERATIONS,
        "Trainings delivered and tools onboarded",
        "Trainings and tool onboardings the team held in the period.",
        "sessions",
        "higher",
        ("activity",),
        "sum",
    ),
    Criterion(
        "operations.self_sufficiency",
        "operations",
        _OPERATIONS,
        "Self-sufficiency",
        "Share of the queries run and insights, reports and decisions authored for the "
        "team in the period that were made by people not in the Product Ops role.",
        "%",
        "higher",
        ("usage_event", "person", "insight"),
    ),
    Criterion(
        "operations.support_satisfaction",
        "operations",
        _OPERATIONS,
        "Satisfaction with operational support",
        "Mean answer (1-5) of the team's ops-support surveys opened in the period; "
        "suppressed below the anonymity threshold.",
        "score 1-5",
        "higher",
        ("survey", "survey_response"),
    ),
    Criterion(
        "operations.strategic_time",
        "operations",
        _OPERATIONS,
        "PM time on strategic work",
        "Mean share of time PMs report on strategic (rather than operational) work in the "
        "team's PM-time surveys opened in the period; suppressed below the anonymity threshold.",
        "%",
        "higher",
        ("survey", "survey_response"),
    ),
    Criterion(
        "business.kpi_alignment",
        "business",
        _BUSINESS,
        "Features tied to business KPIs",
        "Share of the team's epics and features (what the roadmap commits to; stories, bugs "
        "and tasks are their slices) delivered in the period (released, or resolved as done) "
        "that are tied to a business KPI.",
        "%",
        "higher",
        ("work_item", "work_item_kpi"),
    ),
    Criterion(
        "business.churn",
        "business",
        _BUSINESS,
        "Churn per active account",
        "Accounts that churned in the period per account active at its start.",
        "%",
        "lower",
        ("account",),
        "organisation",
    ),
    Criterion(
        "business.support_volume",
        "business",
        _BUSINESS,
        "Support volume per active account",
        "Support-channel feedback received in the period per account active in it.",
        "tickets/account",
        "lower",
        ("feedback", "account"),
        "organisation",
    ),
    Criterion(
        "business.onboarding_time",
        "business",
        _BUSINESS,
        "Time for new members to complete onboarding",
        "Median days from the start of a new member's onboarding to being productive, for "
        "onboardings completed in the period.",
        "days",
        "lower",
        ("activity",),
        "median",
    ),
    Criterion(
        "business.scope_creep",
        "business",
        _BUSINESS,
        "Scope creep",
        "Share of the children of the team's epics started in the period that were created "
        "after the epic started (added to a committed scope).",
        "%",
        "lower",
        ("work_item",),
    ),
]

CRITERIA: dict[str, Criterion] = {c.id: c for c in _LIST}
