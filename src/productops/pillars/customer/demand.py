"""ARR-weighted demand per theme and per work item (docs/customer-insights.md#demand).

Repeats (`feedback.duplicate_of` set) are left out, so a pasted complaint counts once. An
account's ARR counts once per theme (and period) however many of its people ask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, period
from productops.pillars.customer.trends import themed_feedback

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["item_demand", "segment_demand", "theme_demand"]


def _money(
    asked: ir.Table, account: ir.Table, keys: list[str], by: tuple[str, ...] = ()
) -> ir.Table:
    """Distinct accounts per `keys` (and per account columns `by`) with their ARR and churned ARR."""
    distinct = asked.filter(asked.account_id.notnull()).select(*keys, "account_id").distinct()
    a = distinct.join(account, distinct.account_id == account.id)
    churned = a.churned_at.notnull()
    return a.group_by(*keys, *by).aggregate(
        accounts=a.count(),
        arr=a.arr.sum(),
        churned_accounts=churned.sum(),
        churned_arr=a.arr.sum(where=churned),
    )


def _demand(asked: ir.Table, account: ir.Table, keys: list[str]) -> ir.Table:
    requester = ibis.coalesce(asked.requester_hash, asked.feedback_id)
    base = asked.group_by(keys).aggregate(items=asked.count(), requesters=requester.nunique())
    money = _money(asked, account, keys)
    j = base.left_join(money, keys)
    return j.select(
        *keys,
        "items",
        "requesters",
        accounts=j.accounts.fill_null(0),
        arr=j.arr.fill_null(0.0),
        churned_accounts=j.churned_accounts.fill_null(0),
        churned_arr=j.churned_arr.fill_null(0.0),
    ).order_by(*keys)


def theme_demand(
    feedback: ir.Table, feedback_theme: ir.Table, account: ir.Table, grain: Grain | None = None
) -> ir.Table:
    """Who asks for each theme, and how much revenue they carry; per period of receipt if
    `grain` is given.

    Returns `theme_id, [period_start,] items, requesters, accounts, arr, churned_accounts,
    churned_arr`. Requesters are distinct `requester_hash` values (a feedback without one
    counts as its own requester); churned accounts have a `churned_at`.
    """
    t = themed_feedback(feedback, feedback_theme)
    keys = ["theme_id"]
    if grain is not None:
        t = t.mutate(period_start=period(t.created_at, grain))
        keys.append("period_start")
    return _demand(t, account, keys)


def segment_demand(feedback: ir.Table, feedback_theme: ir.Table, account: ir.Table) -> ir.Table:
    """Distinct accounts and their ARR per theme and account segment (no account: not counted).

    Returns `theme_id, segment, accounts, arr, churned_accounts, churned_arr`.
    """
    t = themed_feedback(feedback, feedback_theme)
    return _money(t, account, ["theme_id"], ("segment",)).order_by("theme_id", "segment")


def item_demand(
    feedback: ir.Table,
    feedback_link: ir.Table,
    account: ir.Table,
    states: tuple[str, ...] = ("confirmed",),
) -> ir.Table:
    """Demand per work item over its links in `states`: requesters, accounts, ARR and the
    customer importance score (each requester's highest link importance, 0-3, summed).

    Returns `work_item_id, items, requesters, accounts, arr, churned_accounts, churned_arr,
    importance`.
    """
    f = feedback.filter(feedback.duplicate_of.isnull())
    links = feedback_link.filter(feedback_link.state.isin(states))
    j = links.join(f, links.feedback_id == f.id)
    asked = j.select(
        "work_item_id",
        "feedback_id",
        "account_id",
        "requester_hash",
        importance=j.importance.fill_null(0),
    )
    demand = _demand(asked, account, ["work_item_id"])
    requester = ibis.coalesce(asked.requester_hash, asked.feedback_id)
    top = asked.group_by("work_item_id", requester=requester).aggregate(top=asked.importance.max())
    score = top.group_by("work_item_id").aggregate(importance=top.top.sum())
    out = demand.join(score, "work_item_id")
    return out.select(*demand.columns, "importance").order_by("work_item_id")
