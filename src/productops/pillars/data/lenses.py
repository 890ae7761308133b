"""Product-analytics lenses over `event` (definitions: docs/catalog.md#lenses).

Each is a function from Ibis tables to an Ibis table and is also a built-in
catalog metric (`user_activity`, `cohort_retention`, `signup_funnel`,
`feature_adoption`, `user_lifecycle`). Events without a `user_id` (or, for
adoption, an `account_id`) are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import SECONDS_PER_DAY, Grain, period, seconds_between

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "active_users",
    "cohort_retention",
    "feature_adoption",
    "funnel",
    "json_text",
    "lifecycle",
    "per_period",
    "period_index",
]

LIFECYCLE = ("new", "returning", "resurrecting", "dormant")
_EPOCH = ibis.timestamp(datetime(1970, 1, 1, tzinfo=UTC))


def json_text(column: ir.StringValue, key: str) -> ir.StringValue:
    """The string value of a top-level `key` in a JSON text column (null when absent).

    A regular expression rather than a JSON function: the same on every backend.
    `key` is checked by the catalog (letters, digits, underscores).
    """
    pattern = '"' + key + r'"\s*:\s*"([^"]*)"'
    result: ir.StringValue = column.re_extract(pattern, 1).nullif("")
    return result


def period_index(ts: ir.TimestampValue, grain: Grain) -> ir.IntegerValue:
    """Consecutive integers for consecutive periods: the number of the period holding `ts`.

    Days and weeks (from Monday) are counted in integer arithmetic on epoch seconds: on
    DuckDB, truncating a TIMESTAMPTZ or casting it to TIMESTAMP goes through ICU's
    calendar, which costs more than the rest of a query over many rows.
    """
    if grain in ("day", "week"):
        days = seconds_between(_EPOCH, ts) // SECONDS_PER_DAY
        # 1970-01-01 was a Thursday: shift by three days so weeks start on Monday.
        result: ir.IntegerValue = days if grain == "day" else (days + 3) // 7
    elif grain == "month":
        result = ts.year() * 12 + ts.month() - 1
    else:
        result = ts.year() * 4 + ts.quarter() - 1
    return result


def per_period(
    t: ir.Table, ts: str, grain: Grain, keys: Sequence[str] = (), **values: ir.Scalar
) -> ir.Table:
    """`t` aggregated per period of its column `ts` (and `keys`): `period_start, *keys, *values`.

    Groups by the period's number and truncates only each group's first instant, so
    the calendar is consulted once per group rather than once per row.
    """
    g = t.group_by(period_index(t[ts], grain).name("_p"), *keys)
    g = g.aggregate(_s=t[ts].min(), **values)
    return g.select(period(g._s, grain).name("period_start"), *keys, *values)


def _users(event: ir.Table) -> ir.Table:
    return event.filter(event.user_id.notnull())


def active_users(event: ir.Table, windows: tuple[int, int, int] = (1, 7, 28)) -> ir.Table:
    """Per day with events: users active that day (DAU), in the 7 and 28 days ending with it.

    Returns `period_start, dau, wau, mau, stickiness` (stickiness = DAU / MAU).

    >>> active_users(backend.table("event")).execute()  # doctest: +SKIP
    """
    e = _users(event)
    days = e.group_by("user_id", i=period_index(e.ts, "day")).aggregate(_s=e.ts.min())
    ends = days.group_by(end_i=days.i).aggregate(_s=days._s.min())
    ends = ends.select("end_i", period_start=period(ends._s, "day"))
    days = days.drop("_s")
    d, w, m = windows
    # Each active day counts towards the m days from it on: an equi-join, fast on every backend.
    spread = days.mutate(k=ibis.range(0, m).unnest())
    spread = spread.mutate(end_i=spread.i + spread.k)
    joined = spread.join(ends, "end_i")
    # A user counts once per day: by their nearest active day (the smallest k). Counting rows
    # of a plain grouping, not distinct users thrice, which Spark runs as three copies of
    # every row (an Expand) and two more shuffles.
    nearest = joined.group_by("period_start", "user_id").aggregate(k=joined.k.min())
    out = nearest.group_by("period_start").aggregate(
        dau=nearest.count(where=nearest.k < d),
        wau=nearest.count(where=nearest.k < w),
        mau=nearest.count(),
    )
    return out.mutate(stickiness=out.dau.cast("float64") / out.mau.cast("float64")).order_by(
        "period_start"
    )


def cohort_retention(event: ir.Table, grain: Grain = "week", signup: str = "sign_up") -> ir.Table:
    """Share of each signup cohort active in each later period.

    A user's cohort is the period of their first `signup` event; they are active
    in a period with any event. `period_offset` 0 is the signup period.
    Returns `cohort_start, period_offset, cohort_users, active_users, retention`.
    """
    e = _users(event)
    first = e.filter(e.name == signup).group_by("user_id").aggregate(signed_up=e.ts.min())
    first = first.mutate(_c=period_index(first.signed_up, grain))
    active = e.select("user_id", _i=period_index(e.ts, grain)).distinct()
    joined = first.join(active, "user_id")
    joined = joined.mutate(period_offset=joined._i - joined._c)
    joined = joined.filter(joined.period_offset >= 0)
    # One row per user and active period, so counting rows counts distinct users.
    counts = joined.group_by("_c", "period_offset").aggregate(active_users=joined.count())
    sizes = first.group_by("_c").aggregate(cohort_users=first.count(), _s=first.signed_up.min())
    out = counts.join(sizes, "_c")
    return out.select(
        cohort_start=period(out._s, grain),
        period_offset=out.period_offset,
        cohort_users=out.cohort_users,
        active_users=out.active_users,
        retention=out.active_users.cast("float64") / out.cohort_users.cast("float64"),
    ).order_by("cohort_start", "period_offset")


def funnel(
    event: ir.Table, steps: Sequence[str], window_days: int = 7, grain: Grain = "month"
) -> ir.Table:
    """Users reaching each step of an ordered funnel within `window_days` of entering it.

    A user enters at their first `steps[0]` event; step k counts when a
    `steps[k]` event follows (at or after) the step before it and no later than
    the window after entry. Periods are those of entry.
    Returns `period_start, step, event_name, users, conversion` (share of entrants).
    """
    e = _users(event)
    entered = e.filter(e.name == steps[0]).group_by("user_id").aggregate(entered=e.ts.min())
    levels = [
        entered.mutate(
            reached=entered.entered, until=entered.entered + ibis.interval(days=window_days)
        )
    ]
    for k, name in enumerate(steps[1:], start=2):
        prev = levels[-1]
        nxt = e.filter(e.name == name).select(u=e.user_id, t=e.ts)
        within = [prev.user_id == nxt.u, nxt.t >= prev.reached, nxt.t <= prev.until]
        if k == len(steps):  # the last step: whether it was reached, not when
            levels.append(prev.semi_join(nxt, within))
            continue
        joined = prev.join(nxt, within)
        levels.append(
            joined.group_by("user_id", "entered", "until").aggregate(reached=joined.t.min())
        )
    parts = [
        per_period(level, "entered", grain, users=level.count()).mutate(
            step=ibis.literal(i + 1), event_name=ibis.literal(name)
        )
        for i, (name, level) in enumerate(zip(steps, levels, strict=True))
    ]
    counts = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    entrants = parts[0].select("period_start", entrants=parts[0].users)
    out = counts.join(entrants, "period_start")
    return out.select(
        "period_start",
        "step",
        "event_name",
        "users",
        conversion=out.users.cast("float64") / out.entrants.cast("float64"),
    ).order_by("period_start", "step")


def feature_adoption(
    event: ir.Table,
    grain: Grain = "month",
    feature_event: str = "feature_used",
    key: str = "feature",
) -> ir.Table:
    """Share of the accounts active in a period that used each feature in it.

    A feature is the `key` property of a `feature_event` event; an account is
    active with any event. Returns `period_start, feature, accounts, active_accounts, adoption`.
    """
    e = event.filter(event.account_id.notnull()).mutate(period_start=period(event.ts, grain))
    active = e.group_by("period_start").aggregate(active_accounts=e.account_id.nunique())
    used = e.filter(e.name == feature_event).mutate(feature=json_text(e.properties, key))
    used = used.filter(used.feature.notnull())
    per_feature = used.group_by("period_start", "feature").aggregate(
        accounts=used.account_id.nunique()
    )
    out = per_feature.join(active, "period_start")
    return out.select(
        "period_start",
        "feature",
        "accounts",
        "active_accounts",
        adoption=out.accounts.cast("float64") / out.active_accounts.cast("float64"),
    ).order_by("period_start", "feature")


def lifecycle(event: ir.Table, grain: Grain = "week") -> ir.Table:
    """Active users per period by lifecycle stage, and those who went dormant.

    new: first active period; returning: also active the period before;
    resurrecting: active before, but not the period before; dormant: active the
    period before but not in this one (counted up to the last period with events).
    Returns `period_start, status, users`.
    """
    e = _users(event)
    active = e.group_by("user_id", i=period_index(e.ts, grain)).aggregate(_s=e.ts.min())
    by_user = ibis.window(group_by=active.user_id, order_by=active.i)
    active = active.mutate(prev=active.i.lag().over(by_user), nxt=active.i.lead().over(by_user))
    status = ibis.cases(
        (active.prev.isnull(), "new"),
        (active.prev == active.i - 1, "returning"),
        else_="resurrecting",
    )
    stages = active.group_by("i", status=status).aggregate(users=active.count(), _s=active._s.min())
    stages = stages.select(
        period_start=period(stages._s, grain), status=stages.status, users=stages.users
    )
    # Dormant users are counted in the period after their last active one of a run.
    periods = active.group_by("i").aggregate(_s=active._s.min())
    periods = periods.select("i", period_start=period(periods._s, grain))
    gone = active.filter(active.nxt.isnull() | (active.nxt > active.i + 1))
    gone = gone.select(user_id=gone.user_id, j=gone.i + 1)
    gone = gone.join(periods, gone.j == periods.i)
    dormant = gone.group_by("period_start").aggregate(
        status=ibis.literal("dormant"), users=gone.count()
    )
    return stages.union(dormant).order_by("period_start", "status")
