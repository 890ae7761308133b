"""Survey results with the anonymity rule built in (definitions: docs/surveys.md).

One rule for every group (a survey's question, a whole survey, its comments):
its figures are published only when the survey is closed and the group has
at least `min_group` (at least `MIN_GROUP` = 3) distinct valid respondents,
those with a `respondent_hash` and a valid answer in the group (a number; for
comments a non-empty text). Otherwise they are null, `suppressed` is true and
`reason` says why. Publishing once, at the close, means no two published
results of a group differ by one person. The rule lives in the expressions
themselves, so no caller (CLI, scorecard, maturity, reports) can show a
suppressed figure or comment.

>>> health_check(b.table("survey"), b.table("survey_response")).execute()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period
from productops.errors import UsageError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "COLOURS",
    "FAVOURABLE",
    "MIN_GROUP",
    "OPEN_REASON",
    "PM_TIME_STRATEGIC",
    "SUPPRESSED_REASON",
    "TREND_STEP",
    "comments",
    "health_check",
    "onboarding_survey",
    "pm_time",
    "satisfaction",
    "survey_respondents",
]

MIN_GROUP = 3
"""The smallest group whose figures and comments are shown; settings may raise it, never lower."""
SUPPRESSED_REASON = "fewer than {min_group} respondents"
OPEN_REASON = "survey still open: results are published when it closes"
COLOURS = {1: "red", 2: "amber", 3: "green"}
"""Health-check answers: 1 = red, 2 = amber, 3 = green."""
FAVOURABLE = 4.0
"""On a 1-5 scale, an answer of 4 or 5 is favourable."""
TREND_STEP = 0.2
"""A health-check score (1-3) that moved by at least this much is better or worse, else the same."""
PM_TIME_STRATEGIC = ("pct_discovery", "pct_strategy", "pct_research")
"""PM-time questions counted as strategic work; every other one is operational."""


def _check(min_group: int) -> None:
    if min_group < MIN_GROUP:
        raise UsageError(
            f"min_group {min_group}: answers stay anonymous only for groups of {MIN_GROUP} or more; "
            f"set surveys.min_group to {MIN_GROUP} or higher"
        )


def _surveys(survey: ir.Table, kinds: tuple[str, ...], grain: Grain) -> ir.Table:
    s = survey.filter(survey.kind.isin(kinds))
    return s.select(
        survey_id=s.id,
        team_id=s.team_id,
        kind=s.kind,
        opened_at=s.opened_at,
        period_start=period(s.opened_at, grain),
        closed=s.closed_at.notnull(),
    )


def _valid(response: ir.Table) -> ir.Table:
    """Answers that count: with a respondent."""
    return response.filter(response.respondent_hash.notnull() & (response.respondent_hash != ""))


def _answers(response: ir.Table, surveys: ir.Table) -> ir.Table:
    """Numeric answers of the given surveys, with the survey's team (not the response's)."""
    r = _valid(response)
    r = r.filter(r.value.notnull() & ~r.value.isnan())
    r = r.select(
        answer_survey=r.survey_id,
        question=r.question,
        value=r.value,
        respondent_hash=r.respondent_hash,
    )
    joined = r.join(surveys, r.answer_survey == surveys.survey_id)
    return joined.drop("answer_survey")


def _shown(t: ir.Table, min_group: int) -> ir.BooleanValue:
    """Whether a group is published: its survey closed, `min_group` respondents or more."""
    shown: ir.BooleanValue = t.closed & (t.respondents >= min_group)
    return shown


def _suppress(t: ir.Table, figures: list[str], min_group: int) -> ir.Table:
    """Null `figures` of groups not published (`_shown`); flag them with a reason."""
    shown = _shown(t, min_group)
    reason = ibis.cases(
        (shown, ibis.null("string")),
        (t.respondents < min_group, SUPPRESSED_REASON.format(min_group=min_group)),
        else_=OPEN_REASON,
    )
    return t.mutate(
        **{f: ibis.ifelse(shown, t[f], None) for f in figures},
        suppressed=~shown,
        reason=reason,
    ).drop("closed")


def _share(count: ir.IntegerValue, total: ir.IntegerValue) -> ir.FloatingValue:
    result: ir.FloatingValue = ibis.ifelse(
        total > 0, count.cast("float64") / total.cast("float64"), None
    )
    return result


def survey_respondents(
    survey: ir.Table, response: ir.Table, min_group: int = MIN_GROUP
) -> ir.Table:
    """Respondents per survey (distinct `respondent_hash` over all its answers, comments included).

    Returns `survey_id, team_id, kind, opened_at, closed_at, respondents,
    suppressed` (open, or fewer than `min_group` respondents); surveys without
    answers have 0 respondents.
    """
    _check(min_group)
    valid = _valid(response)
    r = valid.group_by(answered=valid.survey_id).aggregate(
        respondents=valid.respondent_hash.nunique()
    )
    s = survey.left_join(r, survey.id == r.answered)
    count = s.respondents.fill_null(0)
    return s.select(
        survey_id=s.id,
        team_id=s.team_id,
        kind=s.kind,
        opened_at=s.opened_at,
        closed_at=s.closed_at,
        respondents=count,
        suppressed=s.closed_at.isnull() | (count < min_group),
    ).order_by("team_id", "opened_at", "survey_id")


def health_check(
    survey: ir.Table, response: ir.Table, min_group: int = MIN_GROUP, grain: Grain = "quarter"
) -> ir.Table:
    """Team health check per team, survey and indicator (question), with the trend.

    Shares of green, amber and red answers; `score` the mean answer (1 red to
    3 green); `colour` the median answer (the lower middle one for an even
    count); `mode_colour` the most frequent (a tie shows the worse colour);
    `trend` better, same or worse against the team's previous shown health
    check of the same indicator (`previous_score`), moving by `TREND_STEP` or
    more. Returns `team_id, survey_id, opened_at, period_start, question,
    respondents, green_share, amber_share, red_share, score, colour,
    mode_colour, previous_score, trend, suppressed, reason`.
    """
    _check(min_group)
    a = _answers(response, _surveys(survey, ("health_check",), grain))
    red, amber = a.value < 1.5, (a.value >= 1.5) & (a.value < 2.5)
    g = a.group_by(
        "team_id", "survey_id", "opened_at", "period_start", "closed", "question"
    ).aggregate(
        respondents=a.respondent_hash.nunique(),
        answers=a.count(),
        reds=red.sum(),
        ambers=amber.sum(),
        greens=(a.value >= 2.5).sum(),
        score=a.value.mean(),
    )
    shown = g.filter(_shown(g, min_group))
    earlier = ibis.window(
        group_by=[shown.team_id, shown.question], order_by=[shown.opened_at, shown.survey_id]
    )
    shown = shown.mutate(previous_score=shown.score.lag().over(earlier))
    hidden = g.filter(~_shown(g, min_group))
    hidden = hidden.mutate(previous_score=ibis.null("float64"))
    t = shown.union(hidden)
    change = t.score - t.previous_score
    t = t.mutate(
        green_share=_share(t.greens, t.answers),
        amber_share=_share(t.ambers, t.answers),
        red_share=_share(t.reds, t.answers),
        colour=ibis.cases(
            (t.reds * 2 >= t.answers, "red"),
            ((t.reds + t.ambers) * 2 >= t.answers, "amber"),
            else_="green",
        ),
        mode_colour=ibis.cases(
            ((t.reds >= t.ambers) & (t.reds >= t.greens), "red"),
            (t.ambers >= t.greens, "amber"),
            else_="green",
        ),
        trend=ibis.cases(
            (t.previous_score.isnull(), ibis.null("string")),
            (change >= TREND_STEP, "better"),
            (change <= -TREND_STEP, "worse"),
            else_="same",
        ),
    )
    figures = ["green_share", "amber_share", "red_share", "score", "colour", "mode_colour"]
    t = _suppress(t, [*figures, "previous_score", "trend"], min_group)
    return t.select(
        "team_id",
        "survey_id",
        "opened_at",
        "period_start",
        "question",
        "respondents",
        *figures,
        "previous_score",
        "trend",
        "suppressed",
        "reason",
    ).order_by("team_id", "opened_at", "survey_id", "question")


def satisfaction(
    survey: ir.Table,
    response: ir.Table,
    min_group: int = MIN_GROUP,
    grain: Grain = "quarter",
    kinds: tuple[str, ...] = ("stakeholder", "ops_support"),
) -> ir.Table:
    """Satisfaction per survey and question on a 1-5 scale (stakeholder and ops support surveys).

    `mean` is the mean answer (points on the scale), `favourable_share` the
    share of answers of `FAVOURABLE` (4) or more. Returns `team_id, survey_id,
    kind, opened_at, period_start, question, respondents, mean,
    favourable_share, suppressed, reason`.
    """
    _check(min_group)
    a = _answers(response, _surveys(survey, kinds, grain))
    g = a.group_by(
        "team_id", "survey_id", "kind", "opened_at", "period_start", "closed", "question"
    ).aggregate(
        respondents=a.respondent_hash.nunique(),
        mean=a.value.mean(),
        favourable_share=_share((a.value >= FAVOURABLE).sum(), a.count()),
    )
    return _suppress(g, ["mean", "favourable_share"], min_group).order_by(
        "team_id", "opened_at", "survey_id", "question"
    )


def pm_time(
    survey: ir.Table, response: ir.Table, min_group: int = MIN_GROUP, grain: Grain = "quarter"
) -> ir.Table:
    """Where PM time goes per pm_time survey: the share on strategic and on operational work.

    Each respondent's answers are percentages per kind of work (questions
    `pct_...`); a respondent's strategic share is the sum over
    `PM_TIME_STRATEGIC` over the sum of all their answers, and the survey's
    `strategic_share` the mean over respondents (`operational_share` = 1 -
    it). Returns `team_id, survey_id, opened_at, period_start, respondents,
    strategic_share, operational_share, suppressed, reason`.
    """
    _check(min_group)
    a = _answers(response, _surveys(survey, ("pm_time",), grain))
    a = a.filter(a.respondent_hash.notnull())
    strategic = ibis.ifelse(a.question.isin(PM_TIME_STRATEGIC), a.value, 0.0)
    keys = ["team_id", "survey_id", "opened_at", "period_start", "closed"]
    each = a.group_by(*keys, "respondent_hash").aggregate(
        total=a.value.sum(), strategic=strategic.sum()
    )
    each = each.filter(each.total > 0)
    each = each.mutate(share=each.strategic / each.total)
    g = each.group_by(*keys).aggregate(
        respondents=each.respondent_hash.nunique(), strategic_share=each.share.mean()
    )
    g = g.mutate(operational_share=1 - g.strategic_share)
    return _suppress(g, ["strategic_share", "operational_share"], min_group).order_by(
        "team_id", "opened_at", "survey_id"
    )


def onboarding_survey(
    survey: ir.Table, response: ir.Table, min_group: int = MIN_GROUP, grain: Grain = "quarter"
) -> ir.Table:
    """Onboarding survey per survey: the rating (1-5) and the days new members needed.

    A question whose name contains `days` is read as a number of days (e.g.
    `days_to_first_contribution`); every other one as a rating on 1-5.
    Returns `team_id, survey_id, opened_at, period_start, respondents,
    rating_mean, favourable_share, days_median, days_mean, suppressed, reason`.
    """
    _check(min_group)
    a = _answers(response, _surveys(survey, ("onboarding",), grain))
    days = a.question.contains("days")
    rating = ibis.ifelse(days, None, a.value)
    waited = ibis.ifelse(days, a.value, None)
    g = a.group_by("team_id", "survey_id", "opened_at", "period_start", "closed").aggregate(
        respondents=a.respondent_hash.nunique(),
        rating_mean=rating.mean(),
        favourable_share=_share((rating >= FAVOURABLE).sum(), rating.count()),
        days_median=waited.quantile(0.5),
        days_mean=waited.mean(),
    )
    figures = ["rating_mean", "favourable_share", "days_median", "days_mean"]
    return _suppress(g, figures, min_group).order_by("team_id", "opened_at", "survey_id")


def comments(survey: ir.Table, response: ir.Table, min_group: int = MIN_GROUP) -> ir.Table:
    """Free-text answers of closed surveys where at least `min_group` respondents wrote one.

    The comments of a survey are a group like any other: `respondents` counts
    the distinct respondents with a non-empty comment, so answers to other
    questions cannot lift a survey's two comments over the threshold. Never
    with a respondent, an answer id or a time, and ordered by text so the
    order does not reveal who answered when. Returns `team_id, survey_id,
    kind, question, text, respondents`.
    """
    _check(min_group)
    r = _valid(response)
    said = r.filter(r.text.notnull() & (r.text.strip() != ""))
    counts = said.group_by(counted=said.survey_id).aggregate(
        respondents=said.respondent_hash.nunique()
    )
    said = said.select(said_in=said.survey_id, question=said.question, text=said.text.strip())
    s = survey.select(
        survey_id=survey.id,
        team_id=survey.team_id,
        kind=survey.kind,
        closed=survey.closed_at.notnull(),
    )
    j = said.join(s, said.said_in == s.survey_id).join(counts, said.said_in == counts.counted)
    j = j.filter(_shown(j, min_group))
    return j.select("team_id", "survey_id", "kind", "question", "text", "respondents").order_by(
        "team_id", "survey_id", "question", "text"
    )
