"""Use of productops itself, from `usage_event` (definitions: docs/decisions.md).

Time to locate key data (a catalog search followed by an open), the share of a
team's members using the central dashboards, and self-sufficiency (work done by
the team rather than by Product Ops).

>>> time_to_locate(b.table("usage_event"), "month")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "DASHBOARD_KINDS",
    "LOCATE_WITHIN_SECONDS",
    "dashboard_usage",
    "search_to_open",
    "self_sufficiency",
    "time_to_locate",
]

LOCATE_WITHIN_SECONDS = 30 * 60
DASHBOARD_KINDS = ("page_view", "open", "query")
OPS_ROLE = "product_ops"


def search_to_open(usage_event: ir.Table) -> ir.Table:
    """Per search by a known person: `located` when that person's next search-or-open event is an
    open within 30 minutes, and `seconds` from the search to that open (else null)."""
    u = usage_event.filter(
        usage_event.kind.isin(("search", "open")) & usage_event.person_id.notnull()
    )
    # At equal times the search comes first ("search" sorts after "open").
    w = ibis.window(group_by=u.person_id, order_by=[u.ts, u.kind.desc(), u.id])
    u = u.mutate(
        next_kind=u.kind.lead().over(w), next_ts=u.ts.lead().over(w), next=u.target.lead().over(w)
    )
    s = u.filter(u.kind == "search")
    gap = seconds_between(s.ts, s.next_ts)
    located = (s.next_kind == "open") & (gap <= LOCATE_WITHIN_SECONDS)
    return s.select(
        "person_id",
        "team_id",
        searched_at=s.ts,
        query=s.target,
        opened=ibis.ifelse(located, s.next, ibis.null("string")),
        located=located.fill_null(False),
        seconds=ibis.ifelse(located, gap, ibis.null("int64")),
    )


def time_to_locate(usage_event: ir.Table, grain: Grain) -> ir.Table:
    """Per team and period of the search: `searches`, `located`, `located_share` (0-1) and
    `median_seconds` from search to open among the located ones."""
    s = search_to_open(usage_event)
    counts = s.group_by("team_id", period_start=period(s.searched_at, grain)).aggregate(
        searches=s.count(),
        located=s.located.cast("int64").sum(),
        median_seconds=s.seconds.quantile(0.5),
    )
    return counts.mutate(located_share=counts.located.cast("float64") / counts.searches).order_by(
        "team_id", "period_start"
    )


def dashboard_usage(usage_event: ir.Table, person: ir.Table, grain: Grain) -> ir.Table:
    """Per team (with members in `person`) and period with any use: `members`, `users` (members
    who viewed a page, opened or queried a metric) and `usage_share` (users / members, 0-1)."""
    teams = person.filter(person.team_id.notnull())
    teams = teams.group_by("team_id").aggregate(members=teams.count())
    periods = usage_event.select(period_start=period(usage_event.ts, grain)).distinct()
    grid = teams.cross_join(periods)
    used = usage_event.filter(usage_event.kind.isin(DASHBOARD_KINDS))
    who = person.select(pid=person.id, member_of=person.team_id)
    used = used.inner_join(who, used.person_id == who.pid)
    active = (
        used.select("pid", "member_of", start=period(used.ts, grain))
        .distinct()
        .group_by("member_of", "start")
        .aggregate(users=ibis._.count())
    )
    joined = grid.left_join(
        active, (grid.team_id == active.member_of) & (grid.period_start == active.start)
    )
    users = joined.users.fill_null(0)
    return joined.select(
        "team_id",
        "period_start",
        "members",
        users=users,
        usage_share=users.cast("float64") / joined.members,
    ).order_by("team_id", "period_start")


def self_sufficiency(
    usage_event: ir.Table, person: ir.Table, insight: ir.Table, grain: Grain
) -> ir.Table:
    """Per team and period: `items` (queries run and insights, reports and decisions authored for
    the team, by known people), `by_team` (those made by someone whose role is not product_ops)
    and `self_share` (by_team / items, 0-1).

    Insights count from `insight.author_id` unless an `author` event already names them.
    """
    u = usage_event
    work = u.filter(u.kind.isin(("query", "author"))).select("person_id", "team_id", "ts")
    logged = u.filter(u.kind == "author").select(logged=u.target)
    ins = insight.filter(insight.author_id.notnull() & insight.published_at.notnull())
    ins = ins.anti_join(logged, ins.id == logged.logged)
    work = work.union(ins.select(person_id=ins.author_id, team_id=ins.team_id, ts=ins.published_at))
    who = person.select(pid=person.id, role=person.role)
    work = work.filter(work.team_id.notnull()).inner_join(who, work.person_id == who.pid)
    own = work.role.isnull() | (work.role != OPS_ROLE)
    counts = work.group_by("team_id", period_start=period(work.ts, grain)).aggregate(
        items=work.count(), by_team=own.cast("int64").sum()
    )
    return counts.mutate(self_share=counts.by_team.cast("float64") / counts.items).order_by(
        "team_id", "period_start"
    )
