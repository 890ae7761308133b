"""Product usage: customers' events in the product, and the organisation's use of productops.

Users sign up within their account's life, stay for an exponential lifetime and
come back in sessions (a login plus feature use), so DAU, retention and feature
adoption have realistic shapes; the `ai_assistant` feature launches mid-period.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from productops.demo.columns import (
    DAY,
    END,
    MINUTE,
    START,
    Column,
    Ints,
    at,
    choose,
    concat,
    lognormal,
    numbered,
    strings,
    take,
    timestamps,
)
from productops.demo.customers import Accounts
from productops.demo.org import BASE_TEAMS, Org

__all__ = ["AI_LAUNCH", "FEATURES", "events", "usage_events"]

FEATURES = (
    "dashboard",
    "reports",
    "export",
    "search",
    "alerts",
    "integrations",
    "automations",
    "comments",
    "ai_assistant",
)
_FEATURE_P = (0.25, 0.15, 0.08, 0.15, 0.08, 0.06, 0.08, 0.1, 0.05)
AI_LAUNCH = at("2026-04-01")
ADOPTED = at("2025-09-01")  # when the organisation started using productops
_QUERIES = (
    ("activation", "activation_rate"),
    ("churn", "churn_rate"),
    ("cycle time", "cycle_time"),
    ("nps", "nps"),
    ("weekly active", "weekly_active_accounts"),
    ("lead time", "lead_time"),
    ("revenue", "net_revenue_retention"),
    ("deploy", "deployment_frequency"),
)
_PAGES = ("/scorecard", "/catalog", "/feedback/themes", "/decisions", "/experiments", "/teams/")


def events(rng: np.random.Generator, acc: Accounts, scale: int) -> pa.Table:
    """sign_up, login and feature_used events: about 100k per scale unit."""
    seg = acc.segment
    users = rng.integers(np.asarray((3, 10, 30))[seg], np.asarray((13, 41, 121))[seg])
    account = np.repeat(np.arange(len(seg)), users)
    u_count = len(account)
    lo = np.maximum(acc.created[account], START)
    hi = acc.active_until[account]
    signup = lo + (rng.random(u_count) * (hi - lo) * 0.9).astype(np.int64)
    life = (rng.exponential(240, u_count) * DAY).astype(np.int64)
    leaves = np.minimum(signup + life, hi)
    weight = rng.gamma(0.8, 1.0, u_count) * (leaves - signup)
    sessions = 40_000 * scale
    who = rng.choice(u_count, sessions, p=weight / weight.sum())
    login = signup[who] + 1 + (rng.random(sessions) * (leaves - signup)[who]).astype(np.int64)
    uses = rng.poisson(1.2, sessions)
    session = np.repeat(np.arange(sessions), uses)
    step = np.arange(len(session)) - np.repeat(np.cumsum(uses) - uses, uses) + 1
    used_at = login[session] + (step * lognormal(rng, 3.0, 0.7, len(session)) * MINUTE).astype(
        np.int64
    )
    feature, index = choose(rng, FEATURES, len(session), _FEATURE_P)
    early = (index == FEATURES.index("ai_assistant")) & (used_at < AI_LAUNCH)
    feature = pc.if_else(pa.array(early), "dashboard", feature)
    platform, _ = choose(rng, ("web", "ios", "android"), sessions, (0.7, 0.18, 0.12))
    plan = take(acc.table["plan"], account)

    user = np.concatenate((np.arange(u_count), who, who[session]))
    ts = np.concatenate((signup, login, used_at))
    name = np.concatenate(
        (np.zeros(u_count, np.int64), np.ones(sessions, np.int64), np.full(len(session), 2))
    )
    properties = pa.concat_arrays(
        [
            concat('{"plan": "', plan, '"}'),
            concat('{"platform": "', platform, '"}'),
            concat('{"feature": "', feature, '"}'),
        ]
    )
    keep = ts < END
    order = np.flatnonzero(keep)[np.argsort(ts[keep], kind="stable")]
    user_ids = numbered("u-", user[order] + 1, 6)
    return pa.table(
        {
            "id": numbered("demo:ev-", np.arange(1, len(order) + 1), 8),
            "ts": timestamps(ts[order]),
            "user_id": user_ids,
            "account_id": take(acc.ids, account[user[order]]),
            "name": take(strings(("sign_up", "login", "feature_used")), name[order]),
            "properties": take(properties, order),
        }
    )


def usage_events(rng: np.random.Generator, org: Org, decision: pa.Table) -> pa.Table:
    """Use of productops by pms, ems, data people and Product Ops: catalog searches (most followed
    by opening a metric within a minute or so), metric queries, page views, and who wrote each
    decided decision. Product Ops query and write for the product teams of their group."""
    eligible = np.flatnonzero(np.isin(org.person_role, ("pm", "em", "product_ops", "data")))
    sessions = 700 * org.scale
    person = eligible[rng.integers(0, len(eligible), sessions)]
    # Use grows after adoption: later sessions are more frequent.
    at_ = ADOPTED + (np.sqrt(rng.random(sessions)) * (END - ADOPTED - DAY)).astype(np.int64)
    draw = rng.random(sessions)
    search, query = draw < 0.4, (draw >= 0.4) & (draw < 0.55)
    opened = search & (rng.random(sessions) < 0.7)
    query_index = rng.integers(0, len(_QUERIES), sessions)
    page, page_index = choose(rng, _PAGES, sessions)
    team_page = page_index == len(_PAGES) - 1
    page = pc.if_else(
        pa.array(team_page), concat(page, strings(org.person_team[person]), "/flow"), page
    )
    served = org.person_group[person] * len(BASE_TEAMS) + rng.integers(0, len(BASE_TEAMS), sessions)
    for_team = np.where(
        org.person_role[person] == "product_ops",
        np.asarray(org.team_ids)[served],
        org.person_team[person],
    )
    s_idx, o_idx = np.flatnonzero(search), np.flatnonzero(opened)
    q_idx, p_idx = np.flatnonzero(query), np.flatnonzero(~search & ~query)
    gap = (lognormal(rng, 20.0, 0.6, len(o_idx)) * 1_000_000).astype(np.int64)
    queries = strings([q for q, _ in _QUERIES])
    metrics = strings([m for _, m in _QUERIES])
    results = pc.cast(pa.array(rng.integers(1, 12, len(s_idx))), pa.string())
    rank = pc.cast(pa.array(rng.choice((1, 1, 1, 2, 3), len(o_idx))), pa.string())
    rows = pa.concat_tables(
        [
            _usage(person[s_idx], at_[s_idx], org.person_team[person[s_idx]], "search",
                   take(queries, query_index[s_idx]), concat('{"results": ', results, "}")),
            _usage(person[o_idx], at_[o_idx] + gap, org.person_team[person[o_idx]], "open",
                   take(metrics, query_index[o_idx]), concat('{"rank": ', rank, "}")),
            _usage(person[q_idx], at_[q_idx], for_team[q_idx], "query",
                   take(metrics, query_index[q_idx]), strings(['{"grain": "week"}'] * len(q_idx))),
            _usage(person[p_idx], at_[p_idx], org.person_team[person[p_idx]], "page_view",
                   take(page, p_idx), pa.nulls(len(p_idx), pa.string())),
            _authors(rng, org, decision),
        ]
    )  # fmt: skip
    order = np.argsort(np.asarray(rows["ts"]), kind="stable")
    rows = rows.take(order)
    return pa.table(
        {
            "id": numbered("demo:ue-", np.arange(1, rows.num_rows + 1), 6),
            "ts": timestamps(np.asarray(rows["ts"])),
            "person_id": strings(org.person_ids[np.asarray(rows["p"])]),
            **{c: rows[c].combine_chunks() for c in ("team_id", "kind", "target", "properties")},
        }
    )


def _usage(
    person: Ints, ts: Ints, team: npt.NDArray[np.object_], kind: str, target: Column, props: Column
) -> pa.Table:
    return pa.table(
        {
            "p": pa.array(person, pa.int64()),
            "ts": pa.array(ts, pa.int64()),
            "team_id": strings(team),
            "kind": strings([kind] * len(person)),
            "target": target,
            "properties": props,
        }
    )


def _authors(rng: np.random.Generator, org: Org, decision: pa.Table) -> pa.Table:
    """Each decided decision written two days before, by its team's pm or, one time in three, by
    a Product Ops person of the team's group."""
    decided = decision.filter(pc.is_valid(decision["decided_at"]))
    team = np.asarray(
        [org.team_ids.index(str(t)) for t in decided["team_id"].to_pylist()], np.int64
    )
    pm = org.pick(rng, "pm", team)
    ops = np.flatnonzero(org.person_role == "product_ops")
    ops_of_team = ops[np.searchsorted(org.person_group[ops], org.team_group[team])]
    index = {str(p): i for i, p in enumerate(org.person_ids)}
    author = np.where(
        rng.random(len(team)) < 1 / 3, ops_of_team, [index[str(p)] for p in pm]
    ).astype(np.int64)
    when = pc.cast(decided["decided_at"], pa.int64()).to_numpy() - 2 * DAY
    return _usage(
        author, when, np.asarray(decided["team_id"].to_pylist(), dtype=object), "author",
        decided["id"].combine_chunks(), strings(['{"table": "decision"}'] * decided.num_rows),
    )  # fmt: skip
