"""Surveys: open, answer anonymously, close, and read their results (definitions and the
anonymity rule: docs/surveys.md).

Results come only from `productops.ops.surveys`, where the anonymity rule lives: a group's
figures and comments are published once its survey is closed and it has `min_group` (3 or more)
respondents; every read here goes through it, with the workspace's `[surveys] min_group`.

Opening and closing are audited as the actor's (`survey.new`, `survey.close` on `survey:ID`,
with the survey before and after). An answer is audited too, but never as anyone's: its row
names the actor `anonymous` and the survey, and holds neither the answers nor the
respondent's token or hash (docs/server.md#audit-trail).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops import ops
from productops.durations import Grain
from productops.errors import UsageError
from productops.ingest.privacy import workspace_salt
from productops.registry import surveys as registry
from productops.registry.surveys import COMMENT, SURVEY_KINDS, Survey
from productops.services import audit, compiled
from productops.services.actor import Actor
from productops.services.rows import typed

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.workspace import Workspace

__all__ = [
    "ANONYMOUS",
    "Answered",
    "HealthCheckResult",
    "OnboardingResult",
    "PmTimeResult",
    "SatisfactionResult",
    "Survey",
    "SurveyComment",
    "SurveyListed",
    "SurveyResult",
    "SurveyResults",
    "answer_survey",
    "close_survey",
    "list_surveys",
    "open_survey",
    "questions",
    "survey_kind",
    "survey_results",
]

# Who an answer's audit row names: no one.
ANONYMOUS = Actor("anonymous")


@dataclass(frozen=True)
class Answered:
    """An answer recorded: the survey and how many answers (and a comment) it stored."""

    survey: Survey
    answers: int


def open_survey(
    ws: Workspace, actor: Actor, *, team_id: str, kind: str, title: str, at: datetime
) -> Survey:
    """Open a survey of `kind` for a team (a write: audited as `actor`'s)."""
    with ws.store.transaction():
        made = registry.create_survey(ws.store, team_id=team_id, kind=kind, title=title, at=at)
        audit.record(ws, actor, "survey.new", f"survey:{made.id}", None, asdict(made))
    return made


def answer_survey(
    ws: Workspace,
    ref: str,
    answers: Mapping[str, float],
    *,
    comment: str | None,
    token: str,
    at: datetime,
) -> Answered:
    """Record one respondent's answers to an open survey; `token` names the respondent (the
    same token again replaces their answers) and is stored only as a salted hash.

    Takes no actor: an answer is stored without who answered, and audited as `ANONYMOUS`
    with no answers and no respondent in the row.
    """
    salt = workspace_salt(ws.root)
    with ws.store.transaction():
        survey, count = registry.answer_survey(
            ws.store, ref, answers, comment=comment, salt=salt, token=token, at=at
        )
        audit.record(ws, ANONYMOUS, "survey.answer", f"survey:{survey.id}", None, None)
    return Answered(survey, count)


def close_survey(ws: Workspace, actor: Actor, ref: str, at: datetime) -> Survey:
    """Close a survey: it takes no more answers (a write: audited as `actor`'s)."""
    before = registry.load_survey(ws.store, ref)
    with ws.store.transaction():
        after = registry.close_survey(ws.store, before.id, at)
        audit.record(ws, actor, "survey.close", f"survey:{after.id}", asdict(before), asdict(after))
    return after


@dataclass(frozen=True)
class SurveyListed:
    """A survey as listed, with how many answered it (distinct respondents, no one named)."""

    id: str
    team_id: str | None
    kind: str | None
    title: str | None
    status: str
    opened_at: datetime | None
    closed_at: datetime | None
    respondents: int


@dataclass(frozen=True)
class HealthCheckResult:
    """A team health check's indicator (question): shares of green, amber and red answers,
    `score` 1 (red) to 3 (green), and the trend; null figures when `suppressed` (`reason`)."""

    team_id: str | None
    survey_id: str
    opened_at: datetime | None
    period_start: datetime | None
    question: str
    respondents: int
    green_share: float | None
    amber_share: float | None
    red_share: float | None
    score: float | None
    colour: str | None
    mode_colour: str | None
    previous_score: float | None
    trend: str | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class SatisfactionResult:
    """A stakeholder, ops-support or self-assessment question on 1-5: `mean` and the share of
    answers of 4 or 5; null figures when `suppressed` (`reason`)."""

    team_id: str | None
    survey_id: str
    kind: str | None
    opened_at: datetime | None
    period_start: datetime | None
    question: str
    respondents: int
    mean: float | None
    favourable_share: float | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class PmTimeResult:
    """Where PM time goes in a pm_time survey: strategic and operational shares (0-1)."""

    team_id: str | None
    survey_id: str
    opened_at: datetime | None
    period_start: datetime | None
    respondents: int
    strategic_share: float | None
    operational_share: float | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class OnboardingResult:
    """An onboarding survey: the rating (1-5), its favourable share and the days needed."""

    team_id: str | None
    survey_id: str
    opened_at: datetime | None
    period_start: datetime | None
    respondents: int
    rating_mean: float | None
    favourable_share: float | None
    days_median: float | None
    days_mean: float | None
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class SurveyComment:
    """A free-text answer of a closed survey where enough respondents wrote one (no one named)."""

    team_id: str | None
    survey_id: str
    text: str


SurveyResult = HealthCheckResult | SatisfactionResult | PmTimeResult | OnboardingResult
"""One group's result, by the survey's kind."""

_RESULT: dict[str, type[SurveyResult]] = {
    "health_check": HealthCheckResult,
    "stakeholder": SatisfactionResult,
    "ops_support": SatisfactionResult,
    "self_assessment": SatisfactionResult,
    "pm_time": PmTimeResult,
    "onboarding": OnboardingResult,
}


@dataclass(frozen=True)
class SurveyResults:
    """The results and comments of one survey, or of every survey of a kind."""

    kind: str
    survey: Survey | None
    results: list[SurveyResult]
    comments: list[SurveyComment]


def survey_kind(text: str | None, option: str = "kind") -> str | None:
    """A kind of survey checked (None stays None)."""
    if text is not None and text not in SURVEY_KINDS:
        raise UsageError(f"{option} {text!r}: use one of {', '.join(SURVEY_KINDS)}")
    return text


_READS = ("survey", "survey_response")
"""The tables survey lists and results read: kept until one of them changes."""


def list_surveys(
    ws: Workspace, team: str | None = None, kind: str | None = None
) -> list[SurveyListed]:
    """Surveys (of `team`, of `kind`) with their status and number of respondents, kept until
    a survey or an answer changes."""
    chosen = survey_kind(kind)
    return compiled.kept(
        ws,
        f"surveys:{team or ''}:{chosen or ''}",
        _READS,
        lambda: typed(registry.list_surveys(ws.store, team, chosen), SurveyListed),
    )


def survey_results(
    ws: Workspace,
    survey: str | None = None,
    kind: str | None = None,
    team: str | None = None,
    grain: Grain = "quarter",
) -> SurveyResults:
    """The results of survey `survey`, or of every survey of `kind` (default health_check),
    of `team`, per `grain` period, under the anonymity rule; and their comments.

    The rule's expressions are compiled once per kind, `min_group` and grain, over every
    survey of the kind, and their rows filtered to the survey and team afterwards (the rule
    decides per group, so the filter changes no group); the results are kept until a survey
    or an answer changes (`services.compiled`)."""
    chosen = None if survey is None else registry.load_survey(ws.store, survey)
    what = chosen.kind if chosen is not None else survey_kind(kind) or "health_check"
    if what is None:
        raise UsageError(f"{survey}: the survey has no kind; it has no results to compute")
    min_group = ws.config.surveys.min_group
    key = f"survey_results:{what}:{min_group}:{grain}:{chosen.id if chosen else ''}:{team or ''}"
    return compiled.kept(
        ws, key, _READS, lambda: _results(ws, what, chosen, team, grain, min_group)
    )


def _results(
    ws: Workspace, what: str, chosen: Survey | None, team: str | None, grain: Grain, min_group: int
) -> SurveyResults:

    def figures(table: Callable[[str], ir.Table]) -> ir.Table:
        s, r = table("survey"), table("survey_response")
        if what == "health_check":
            return ops.health_check(s, r, min_group, grain)
        if what == "pm_time":
            return ops.pm_time(s, r, min_group, grain)
        if what == "onboarding":
            return ops.onboarding_survey(s, r, min_group, grain)
        return ops.satisfaction(s, r, min_group, grain, kinds=(what,))

    def said(table: Callable[[str], ir.Table]) -> ir.Table:
        s = table("survey")
        return ops.comments(s.filter(s.kind == what), table("survey_response"), min_group)

    where, params = ["TRUE"], list[str]()
    if chosen is not None:
        where, params = [*where, "survey_id = ?"], [*params, chosen.id]
    if team is not None:
        where, params = [*where, "team_id = ?"], [*params, team]
    found = " AND ".join(where)
    results = compiled.rows(
        ws, f"survey_figures:{what}:{min_group}:{grain}", figures, found, params
    )
    comments = compiled.rows(ws, f"survey_comments:{what}:{min_group}", said, found, params)
    return SurveyResults(
        what, chosen, typed(results, _RESULT[what]), typed(comments, SurveyComment)
    )


def questions(ws: Workspace, ref: str) -> list[str]:
    """The questions an answer page asks: those answered before in surveys of the same kind
    (the kind's questions as the organisation asks them), by name."""
    found = registry.load_survey(ws.store, ref)
    rows = ws.store.sql(
        "SELECT DISTINCT r.question FROM survey_response r JOIN survey s ON s.id = r.survey_id "
        "WHERE s.kind = ? AND r.question <> ? ORDER BY 1",
        [found.kind, COMMENT],
    )
    return [q for (q,) in rows]
