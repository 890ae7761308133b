"""Customer insight reads shared by `productops feedback ...` and the API (definitions:
docs/customer-insights.md): sentiment, trends and spikes per theme, ARR-weighted demand, links
from feedback to work items and how feedback reaches the roadmap. Reading changes nothing:
scoring sentiment and suggesting links are the writes of `services.feedback`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.durations import Grain
from productops.pillars.customer import demand as cd
from productops.pillars.customer import insights as ci
from productops.pillars.customer.sentiment import theme_sentiment
from productops.pillars.customer.trends import SpikeRule, theme_trend
from productops.registry import feedback_analysis as fa
from productops.services.periods import Periods
from productops.services.rows import records, typed

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from productops.workspace import Workspace

__all__ = [
    "DemandByItem",
    "DemandBySegment",
    "DemandByTheme",
    "FeedbackLink",
    "Incorporated",
    "InsightTimeToMarket",
    "ReleaseSatisfaction",
    "Roadmap",
    "ThemeSentiment",
    "ThemeSpike",
    "ThemeTrend",
    "TimeToInsight",
    "feedback_links",
    "item_demand",
    "roadmap",
    "segment_demand",
    "sentiment",
    "spikes",
    "theme_demand",
    "trends",
]


@dataclass(frozen=True)
class ThemeSentiment:
    """A theme's feedback by sentiment: the items read and their share of all (0-1), mean
    (-1 to 1), counts, requests, items in a language not read (`unknown`), negative share of
    the read (0-1)."""

    theme_id: str | None
    label: str | None
    items: int
    read: int | None
    read_share: float | None
    mean_sentiment: float | None
    negative: int | None
    neutral: int | None
    positive: int | None
    request: int | None
    unknown: int | None
    negative_share: float | None


@dataclass(frozen=True)
class ThemeTrend:
    """A theme's feedback in a period: items, the share whose sentiment was read (0-1), mean
    sentiment, complaints and requests."""

    theme_id: str | None
    label: str | None
    period_start: datetime
    items: int
    read_share: float | None
    mean_sentiment: float | None
    negative: int | None
    request: int | None


@dataclass(frozen=True)
class ThemeSpike:
    """A week in which a theme's feedback jumped over its trailing baseline; `insight_days`:
    days from the week's start to the first insight on the theme (None: none yet)."""

    theme_id: str
    label: str | None
    week_start: datetime
    items: int
    baseline: float
    threshold: float
    ratio: float | None
    insight_days: float | None


@dataclass(frozen=True)
class DemandByTheme:
    """Who asks about a theme (in a period, with a grain): requesters, accounts, ARR and
    churned ARR."""

    theme_id: str | None
    label: str | None
    period_start: datetime | None
    items: int
    requesters: int
    accounts: int
    arr: float | None
    churned_accounts: int
    churned_arr: float | None


@dataclass(frozen=True)
class DemandBySegment:
    """Accounts, ARR and churned ARR of a segment asking about a theme."""

    theme_id: str | None
    label: str | None
    segment: str | None
    accounts: int
    arr: float | None
    churned_accounts: int
    churned_arr: float | None


@dataclass(frozen=True)
class DemandByItem:
    """Who asks for a work item through linked feedback, and its highest importance (0-3)."""

    work_item_id: str
    items: int
    requesters: int
    accounts: int
    arr: float | None
    churned_accounts: int
    churned_arr: float | None
    importance: int | None


@dataclass(frozen=True)
class FeedbackLink:
    """A link from feedback to a work item: suggested, confirmed or rejected."""

    feedback_id: str
    work_item_id: str
    state: str | None
    importance: int | None
    score: float | None
    created_at: datetime | None


@dataclass(frozen=True)
class Incorporated:
    """A team's feedback in a period: linked to its items, and delivered (shares 0-1)."""

    team_id: str | None
    period_start: datetime
    feedback: int
    linked: int
    incorporated: int
    share_linked: float | None
    share_incorporated: float | None


@dataclass(frozen=True)
class TimeToInsight:
    """Days from feedback to the insight published on its theme, per team and period."""

    team_id: str | None
    period_start: datetime
    insights: int
    feedback: int
    p50_days: float | None
    p85_days: float | None


@dataclass(frozen=True)
class InsightTimeToMarket:
    """Days from feedback, and from the insight, to release of the items they asked for."""

    team_id: str | None
    period_start: datetime
    items: int
    p50_days_from_feedback: float | None
    insight_items: int
    p50_days_from_insight: float | None


@dataclass(frozen=True)
class ReleaseSatisfaction:
    """Ratings and sentiment of the asking accounts before and after their items shipped."""

    team_id: str | None
    period_start: datetime
    items: int
    accounts: int
    ratings_before: int
    ratings_after: int
    satisfaction_before: float | None
    satisfaction_after: float | None
    sentiment_before: float | None
    sentiment_after: float | None


@dataclass(frozen=True)
class Roadmap:
    """How feedback reaches the roadmap, per team and period, in four tables."""

    feedback_incorporated: list[Incorporated]
    time_to_insight: list[TimeToInsight]
    insight_time_to_market: list[InsightTimeToMarket]
    satisfaction_around_releases: list[ReleaseSatisfaction]


def _labelled(expr: ir.Table, backend: BaseBackend) -> ir.Table:
    """`expr` with each theme's label beside its `theme_id`."""
    theme = backend.table("theme")
    labels = theme.select(tid=theme.id, label=theme.label)
    j = expr.left_join(labels, expr.theme_id == labels.tid)
    return j.select(*expr.columns, "label")


def sentiment(ws: Workspace) -> list[ThemeSentiment]:
    """Sentiment per theme of the feedback read so far."""
    b = ws.backend()
    expr = _labelled(theme_sentiment(b.table("feedback"), b.table("feedback_theme")), b)
    return records(expr, ThemeSentiment)


def trends(
    ws: Workspace,
    grain: Grain,
    theme: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ThemeTrend]:
    """Feedback per theme (only `theme`) and period."""
    b = ws.backend()
    expr = _labelled(theme_trend(b.table("feedback"), b.table("feedback_theme"), grain), b)
    if theme is not None:
        expr = expr.filter(expr.theme_id == theme)
    return records(expr, ThemeTrend, Periods(grain, since=since, until=until))


def spikes(ws: Workspace, weeks: int = 8, k: float = 5.0, min_count: int = 5) -> list[ThemeSpike]:
    """Weeks in which a theme's feedback jumped far above its own trailing baseline: more than
    `k` robust deviations above the median of the `weeks` before, with `min_count` items or
    more."""
    rule = SpikeRule(weeks=weeks, k=k, min_count=min_count, min_history=min(4, weeks))
    return typed(fa.spike_report(ws.backend(), rule), ThemeSpike)


def theme_demand(ws: Workspace, grain: Grain | None = None) -> list[DemandByTheme]:
    """Demand per theme (and period, with a `grain`)."""
    b = ws.backend()
    f, ft, acc = b.table("feedback"), b.table("feedback_theme"), b.table("account")
    return records(_labelled(cd.theme_demand(f, ft, acc, grain), b), DemandByTheme)


def segment_demand(ws: Workspace) -> list[DemandBySegment]:
    """Demand per theme and account segment."""
    b = ws.backend()
    f, ft, acc = b.table("feedback"), b.table("feedback_theme"), b.table("account")
    return records(_labelled(cd.segment_demand(f, ft, acc), b), DemandBySegment)


def item_demand(ws: Workspace, suggested: bool = False) -> list[DemandByItem]:
    """Demand per work item from confirmed links (and suggested ones, with `suggested`)."""
    b = ws.backend()
    states = ("confirmed", "suggested") if suggested else ("confirmed",)
    expr = cd.item_demand(b.table("feedback"), b.table("feedback_link"), b.table("account"), states)
    return records(expr, DemandByItem)


def feedback_links(
    ws: Workspace, state: str | None = None, limit: int | None = None
) -> list[FeedbackLink]:
    """Links from feedback to work items (only in `state`), best first; at most `limit`."""
    link = ws.backend().table("feedback_link")
    if state is not None:
        link = link.filter(link.state == state)
    link = link.order_by(link.score.desc(), "feedback_id", "work_item_id")
    return records(link.limit(limit) if limit else link, FeedbackLink)


def roadmap(ws: Workspace, periods: Periods) -> Roadmap:
    """Feedback linked to and delivered on the roadmap, time to insight, time-to-market of
    insight-driven items and satisfaction around their releases, per team and period."""
    b = ws.backend()
    f, fl, w = b.table("feedback"), b.table("feedback_link"), b.table("work_item")
    ft, ins = b.table("feedback_theme"), b.table("insight")
    return Roadmap(
        records(ci.feedback_incorporated(f, fl, w, periods.grain), Incorporated, periods),
        records(ci.time_to_insight(f, ft, ins, periods.grain), TimeToInsight, periods),
        records(
            ci.insight_time_to_market(f, fl, w, ft, ins, periods.grain),
            InsightTimeToMarket,
            periods,
        ),
        records(ci.feature_satisfaction(f, fl, w, periods.grain), ReleaseSatisfaction, periods),
    )
