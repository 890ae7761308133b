"""How fast customer evidence reaches the roadmap: feedback linked and incorporated, time from
feedback to insight, time-to-market of insight-driven items and satisfaction after they ship
(definitions: docs/customer-insights.md). Repeats (`duplicate_of` set) are left out throughout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, Grain, days_between, period, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "feature_satisfaction",
    "feedback_incorporated",
    "feedback_linked",
    "insight_coverage",
    "insight_themes",
    "insight_time_to_market",
    "time_to_insight",
]

SATISFACTION_WINDOW_DAYS = 90
PER_SECOND = 1_000
"""Insights published within one second that `insight_coverage` can tell apart."""


def _originals(feedback: ir.Table) -> ir.Table:
    return feedback.filter(feedback.duplicate_of.isnull())


def _confirmed(feedback_link: ir.Table) -> ir.Table:
    return feedback_link.filter(feedback_link.state == "confirmed")


def feedback_linked(
    feedback: ir.Table, feedback_link: ir.Table, grain: Grain = "month"
) -> ir.Table:
    """Feedback received per period and how much of it is linked (confirmed) to a work item.

    Returns `period_start, feedback, linked, share_linked` (share 0-1).
    """
    f = _originals(feedback)
    linked = _confirmed(feedback_link).select(fid=feedback_link.feedback_id).distinct()
    j = f.left_join(linked, f.id == linked.fid)
    j = j.mutate(period_start=period(j.created_at, grain), is_linked=j.fid.notnull())
    out = j.group_by("period_start").aggregate(feedback=j.count(), linked=j.is_linked.sum())
    return out.mutate(share_linked=out.linked / out.feedback).order_by("period_start")


def feedback_incorporated(
    feedback: ir.Table, feedback_link: ir.Table, work_item: ir.Table, grain: Grain = "month"
) -> ir.Table:
    """Per team and period of receipt: feedback linked (confirmed) to the team's work items,
    and of it, feedback whose item was delivered (released, or resolved as done).

    Returns `team_id, period_start, feedback, linked, incorporated, share_linked,
    share_incorporated`: `feedback` is all feedback received in the period (the organisation's),
    the shares are of it (0-1).
    """
    f = _originals(feedback)
    f = f.mutate(period_start=period(f.created_at, grain))
    total = f.group_by("period_start").aggregate(feedback=f.count())
    links = _confirmed(feedback_link)
    w = work_item
    delivered = w.released_at.notnull() | ((w.status_category == "done") & w.resolved_at.notnull())
    items = w.select(item=w.id, team_id=w.team_id, delivered=delivered)
    j = links.join(items, links.work_item_id == items.item).join(f, links.feedback_id == f.id)
    per_feedback = j.group_by("team_id", "period_start", "feedback_id").aggregate(
        delivered=j.delivered.cast("int64").max()
    )
    teams = per_feedback.group_by("team_id", "period_start").aggregate(
        linked=per_feedback.count(), incorporated=per_feedback.delivered.sum()
    )
    out = teams.join(total, "period_start")
    return out.select(
        "team_id",
        "period_start",
        "feedback",
        "linked",
        "incorporated",
        share_linked=out.linked / out.feedback,
        share_incorporated=out.incorporated / out.feedback,
    ).order_by("team_id", "period_start")


def insight_themes(insight: ir.Table, feedback_theme: ir.Table) -> ir.Table:
    """Published insights and the themes they name: one row per (insight, theme).

    `insight.theme_ids` is a JSON list of ids; a theme is named when its id appears quoted in it.
    Returns `insight_id, team_id, published_at, theme_id`.
    """
    themes = feedback_theme.select(theme=feedback_theme.theme_id).distinct()
    i = insight.filter(insight.published_at.notnull())
    pairs = i.cross_join(themes)
    named = pairs.filter(pairs.theme_ids.contains(ibis.literal('"') + pairs.theme + '"'))
    return named.select(
        insight_id=named.id,
        team_id=named.team_id,
        published_at=named.published_at,
        theme_id=named.theme,
    )


def insight_coverage(feedback: ir.Table, feedback_theme: ir.Table, insight: ir.Table) -> ir.Table:
    """Each feedback item and the first insight published on one of its themes at or after it
    was received (the earliest insight id on a tie).

    Returns `feedback_id, created_at, insight_id, team_id, published_at, days`.
    """
    f = _originals(feedback)
    ft = feedback_theme.join(f, feedback_theme.feedback_id == f.id)
    named = insight_themes(insight, feedback_theme)
    # Each insight's place in publication order, so that a feedback's first insight is the
    # least place among its candidates: a minimum kept per feedback as the rows stream by
    # (Spark sorted every candidate to rank them: alone at demo scale 10, 2.9-3.2 s, now 1.9-2.4).
    # The place: the second published (whole: DuckDB's epoch has a fraction, Spark's not), then
    # the order within that second.
    i = insight.filter(insight.published_at.notnull())
    ins = i.select(insight_id=i.id, team_id=i.team_id, published_at=i.published_at)
    second = ins.published_at.epoch_seconds().cast("int64")
    within = ibis.row_number().over(group_by=second, order_by=[ins.published_at, ins.insight_id])
    ins = ins.mutate(place=second * PER_SECOND + within)
    j = ft.join(named.select("theme_id", "insight_id").join(ins, "insight_id"), "theme_id")
    j = j.filter(j.published_at >= j.created_at)
    first = j.group_by("feedback_id", "created_at").aggregate(place=j.place.min())
    first = first.join(ins, "place")
    return first.select(
        "feedback_id",
        "created_at",
        "insight_id",
        "team_id",
        "published_at",
        days=days_between(first.created_at, first.published_at),
    )


def time_to_insight(
    feedback: ir.Table, feedback_theme: ir.Table, insight: ir.Table, grain: Grain = "month"
) -> ir.Table:
    """Days from feedback received to the first insight covering it, per team (the insight's)
    and period of publication.

    Returns `team_id, period_start, insights, feedback, p50_days, p85_days`.
    """
    c = insight_coverage(feedback, feedback_theme, insight)
    c = c.mutate(period_start=period(c.published_at, grain))
    return (
        c.group_by("team_id", "period_start")
        .aggregate(
            insights=c.insight_id.nunique(),
            feedback=c.count(),
            p50_days=c.days.quantile(0.5),
            p85_days=c.days.quantile(0.85),
        )
        .order_by("team_id", "period_start")
    )


def _released_links(feedback: ir.Table, feedback_link: ir.Table, work_item: ir.Table) -> ir.Table:
    """Confirmed links to released items: `work_item_id, team_id, released_at, feedback_id,
    created_at, account_id`."""
    f = _originals(feedback)
    links = _confirmed(feedback_link)
    w = work_item.filter(work_item.released_at.notnull())
    items = w.select(item=w.id, team_id=w.team_id, released_at=w.released_at)
    f = f.select(fid=f.id, received_at=f.created_at, account_id=f.account_id)
    j = links.join(items, links.work_item_id == items.item).join(f, links.feedback_id == f.fid)
    return j.select(
        "work_item_id",
        "team_id",
        "released_at",
        "feedback_id",
        "account_id",
        created_at=j.received_at,
    )


def insight_time_to_market(
    feedback: ir.Table,
    feedback_link: ir.Table,
    work_item: ir.Table,
    feedback_theme: ir.Table,
    insight: ir.Table,
    grain: Grain = "quarter",
) -> ir.Table:
    """Per team and period of release, the released items with confirmed feedback received
    before the release: days from their first linked feedback to release, and, for those
    addressing an insight (one published before the release on a theme of that feedback),
    days from that insight to release.

    Returns `team_id, period_start, items, p50_days_from_feedback, insight_items,
    p50_days_from_insight`.
    """
    r = _released_links(feedback, feedback_link, work_item)
    r = r.filter(r.created_at <= r.released_at)
    per_item = r.group_by("work_item_id", "team_id", "released_at").aggregate(
        first_feedback=r.created_at.min()
    )
    named = insight_themes(insight, feedback_theme).select("theme_id", "published_at")
    t = r.join(feedback_theme, r.feedback_id == feedback_theme.feedback_id).join(named, "theme_id")
    t = t.filter(t.published_at <= t.released_at)
    first_insight = t.group_by(item=t.work_item_id).aggregate(first_insight=t.published_at.min())
    j = per_item.left_join(first_insight, per_item.work_item_id == first_insight.item)
    j = j.mutate(
        period_start=period(j.released_at, grain),
        from_feedback=days_between(j.first_feedback, j.released_at),
        from_insight=days_between(j.first_insight, j.released_at),
    )
    return (
        j.group_by("team_id", "period_start")
        .aggregate(
            items=j.count(),
            p50_days_from_feedback=j.from_feedback.quantile(0.5),
            insight_items=j.first_insight.notnull().sum(),
            p50_days_from_insight=j.from_insight.quantile(0.5),
        )
        .order_by("team_id", "period_start")
    )


def feature_satisfaction(
    feedback: ir.Table,
    feedback_link: ir.Table,
    work_item: ir.Table,
    grain: Grain = "quarter",
    window_days: int = SATISFACTION_WINDOW_DAYS,
) -> ir.Table:
    """Satisfaction of the requesting accounts before and after a linked item shipped.

    For each released item with confirmed feedback, the accounts behind that feedback; their
    rated feedback in the `window_days` before the release and in the `window_days` from it.
    A rating is scaled to 0-1 (NPS 0-10 over 10; CSAT and stars 1-5 as (r - 1) / 4). Per team
    and period of release: `items, accounts, ratings_before, ratings_after,
    satisfaction_before, satisfaction_after, sentiment_before, sentiment_after` (mean scaled
    rating and mean sentiment score of those accounts' feedback in each window).
    """
    r = _released_links(feedback, feedback_link, work_item)
    pairs = r.filter(r.account_id.notnull()).select(
        "work_item_id", "team_id", "released_at", acc=r.account_id
    )
    pairs = pairs.distinct()
    f = _originals(feedback)
    j = pairs.join(f, pairs.acc == f.account_id)
    offset = seconds_between(j.released_at, j.created_at)
    window = window_days * SECONDS_PER_DAY
    before = (offset < 0) & (offset >= -window)
    after = (offset >= 0) & (offset < window)
    j = j.filter(before | after).mutate(after=after)
    scaled = ibis.ifelse(j.channel == "nps", j.rating / 10.0, (j.rating - 1) / 4.0)
    j = j.mutate(scaled=scaled, period_start=period(j.released_at, grain))
    before_, after_ = ~j.after, j.after
    return (
        j.group_by("team_id", "period_start")
        .aggregate(
            items=j.work_item_id.nunique(),
            accounts=j.acc.nunique(),
            ratings_before=j.scaled.count(where=before_),
            ratings_after=j.scaled.count(where=after_),
            satisfaction_before=j.scaled.mean(where=before_),
            satisfaction_after=j.scaled.mean(where=after_),
            sentiment_before=j.sentiment.mean(where=before_),
            sentiment_after=j.sentiment.mean(where=after_),
        )
        .order_by("team_id", "period_start")
    )
