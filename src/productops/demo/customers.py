"""Customers: accounts, feedback from every channel, and feedback linked to work items.

Feedback carries a planted theme (only in the manifest, never in the store), a
language that follows the account, ratings where the channel has one, a spike
of one theme in one week, and requesters who paste the same text several times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from productops.demo.columns import (
    DAY,
    END,
    HOUR,
    MINUTE,
    START,
    WEEK,
    Column,
    Ints,
    Times,
    at,
    hex_strings,
    iso_date,
    lognormal,
    numbered,
    strings,
    take,
    timestamps,
    within,
)
from productops.demo.delivery import WorkItems
from productops.demo.org import BASE_TEAMS
from productops.demo.text import LANGUAGES, POSITIVE, THEMES, render
from productops.ingest.feedback import prepare_feedback

__all__ = ["SPIKE_THEME", "SPIKE_WEEK", "Accounts", "accounts", "feedback", "theme_id"]

SEGMENTS = ("smb", "mid_market", "enterprise")
CHANNELS = ("support", "nps", "csat", "review", "sales", "survey")
SPIKE_THEME = 1  # App crashes on upload
SPIKE_WEEK = at("2026-03-16")  # a Monday
SPIKE_INSIGHT = at("2026-03-25") + 14 * HOUR  # the spike's insight, 9.6 days on
FIRST_MONDAY = at("2024-10-28")  # weeks run Monday to Sunday, as date_trunc('week') does
DEMO_SALT = "productops-demo"  # its people are made up: a fixed salt keeps the demo reproducible
PREPARED = 100_000  # feedback rows prepared for landing at a time
_PREFIXES = (
    "North",
    "Blue",
    "Silver",
    "Bright",
    "Red",
    "Green",
    "Iron",
    "Swift",
    "Clear",
    "High",
    "Stone",
    "Oak",
    "Sun",
    "River",
    "Cloud",
    "Peak",
    "Gold",
    "Maple",
    "Coral",
    "Polar",
)
_SUFFIXES = (
    "wind",
    "peak",
    "field",
    "bridge",
    "works",
    "point",
    "line",
    "stack",
    "leaf",
    "way",
    "gate",
    "haven",
    "forge",
    "light",
    "path",
)
_INDUSTRIES = (
    "Logistics",
    "Health",
    "Retail",
    "Labs",
    "Finance",
    "Media",
    "Energy",
    "Foods",
    "Software",
    "Travel",
)


@dataclass(frozen=True)
class Accounts:
    """Accounts as parallel arrays, with the people at each who give feedback."""

    ids: Column
    segment: Ints
    language: Ints
    created: Times
    active_until: Times  # churn time, or END
    requester_account: Ints
    requester_hash: Column
    table: pa.Table


def accounts(rng: np.random.Generator, scale: int) -> Accounts:
    """About 500 accounts per scale unit, segmented, with ARR, plan and some churn."""
    n = 500 * scale
    segment = rng.choice(3, n, p=(0.6, 0.3, 0.1))
    arr = np.round(lognormal(rng, np.asarray((6e3, 45e3, 240e3))[segment], 0.6, n), -2)
    plan_index = np.where(
        segment == 2,
        3,
        np.where(rng.random(n) < np.asarray((0.3, 0.8, 1))[segment], segment + 1, segment),
    )
    before = START - (rng.random(n) * 3 * 365 * DAY).astype(np.int64)
    during = START + (rng.random(n) * (END - 60 * DAY - START)).astype(np.int64)
    created = np.where(rng.random(n) < 0.65, before, during)
    since = np.maximum(created, START) + 30 * DAY
    churn = since + (rng.random(n) * (END - since)).astype(np.int64)
    churned = (rng.random(n) < np.asarray((0.18, 0.1, 0.05))[segment]) & (churn < END)
    combos = len(_PREFIXES) * len(_SUFFIXES)
    order = rng.permutation(combos)
    names, domains = [], []
    for i in range(n):  # a few thousand rows at most
        c = int(order[i % combos])
        word = _PREFIXES[c // len(_SUFFIXES)] + _SUFFIXES[c % len(_SUFFIXES)]
        again = "" if i < combos else str(i // combos + 1)
        names.append(f"{word}{again} {_INDUSTRIES[(c + i // combos) % len(_INDUSTRIES)]}")
        domains.append(f"{word.lower()}{again}.example")
    ids = numbered("acc-", np.arange(1, n + 1), 5)
    table = pa.table(
        {
            "id": ids,
            "name": strings(names),
            "domain": strings(domains),
            "segment": take(strings(SEGMENTS), segment),
            "arr": pa.array(arr),
            "plan": take(strings(("starter", "growth", "business", "enterprise")), plan_index),
            "created_at": timestamps(created),
            "churned_at": timestamps(np.where(churned, churn, -1)),
        }
    )
    language = rng.choice(len(LANGUAGES), n, p=(0.86, 0.07, 0.04, 0.03))
    people = rng.integers(np.asarray((2, 5, 15))[segment], np.asarray((7, 16, 41))[segment])
    requester_account = np.repeat(np.arange(n), people)
    return Accounts(
        ids,
        segment,
        language,
        created,
        np.where(churned, churn, END),
        requester_account,
        hex_strings(rng, len(requester_account)),
        table,
    )


def _themes(rng: np.random.Generator, segment: Ints) -> Ints:
    """A planted theme for about 65% of rows (-1 for none), leaning by segment (-1 for none)."""
    weights = np.asarray([t.weight for t in THEMES])
    bias = np.asarray([t.segment_bias for t in THEMES]).T  # segment x theme
    probs = np.vstack((weights, weights * bias))
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(segment))
    theme = (u[:, None] > cum[segment + 1]).sum(axis=1)
    return np.where(rng.random(len(segment)) < 0.65, np.minimum(theme, len(THEMES) - 1), -1)


def _draw(
    rng: np.random.Generator,
    acc: Accounts,
    n: int,
    lo: Times | int,
    hi: Times | int,
    channel_p: tuple[float, ...],
) -> dict[str, Any]:
    """`n` feedback rows from active accounts between lo and hi (per row, or scalars)."""
    channel = rng.choice(len(CHANNELS), n, p=channel_p)
    review = channel == CHANNELS.index("review")
    requester = rng.integers(0, len(acc.requester_account), n)
    account = acc.requester_account[requester]
    start = np.maximum(lo, np.maximum(acc.created[account], START))
    stop = np.minimum(hi, acc.active_until[account])
    # A requester whose account was not active in the window is replaced by an app-store reviewer.
    review |= stop <= start
    start, stop = np.where(review, lo, start), np.where(review, hi, stop)
    created = start + (rng.random(n) * (stop - start)).astype(np.int64)
    language = np.where(
        review, rng.choice(len(LANGUAGES), n, p=(0.8, 0.1, 0.05, 0.05)), acc.language[account]
    )
    segment = np.where(review, -1, acc.segment[account])
    return {
        "channel": np.where(review, CHANNELS.index("review"), channel),
        "review": review,
        "requester": np.where(review, -1, requester),
        "account": np.where(review, -1, account),
        "created": created,
        "language": language,
        "segment": segment,
    }


def _ratings(rng: np.random.Generator, channel: Ints, theme: Ints) -> npt.NDArray[np.float64]:
    tone = np.where(theme < 0, POSITIVE, np.asarray([t.tone for t in THEMES])[np.maximum(theme, 0)])
    z = rng.normal(0, 1, len(channel)) + np.asarray((-1.2, 0.0, 0.8))[tone]
    nps = np.clip(np.round(7.5 + 2.2 * z), 0, 10)
    five = np.clip(np.round(3.6 + 1.0 * z), 1, 5)
    rated = np.choose(channel, (np.nan, nps, five, five, np.nan, np.nan))
    return np.asarray(rated, dtype=np.float64)


def feedback(
    rng: np.random.Generator, acc: Accounts, items: WorkItems, scale: int
) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """feedback and feedback_link, with the planted facts for the manifest."""
    channel_p = (0.38, 0.16, 0.16, 0.08, 0.08, 0.14)
    main = _draw(rng, acc, 19_000 * scale, START, END, channel_p)
    main["theme"] = _themes(rng, main["segment"])
    weeks = (END - START) / WEEK
    baseline = np.count_nonzero(main["theme"] == SPIKE_THEME) / weeks
    spike = _draw(
        rng,
        acc,
        round(5 * baseline),
        SPIKE_WEEK,
        SPIKE_WEEK + WEEK,
        (0.6, 0.0, 0.1, 0.3, 0.0, 0.0),
    )
    spike["theme"] = np.full(len(spike["created"]), SPIKE_THEME)
    rows = {k: np.concatenate((main[k], spike[k])) for k in main}
    rows["rating"] = _ratings(rng, rows["channel"], rows["theme"])
    rows["hash"] = np.where(rows["review"], -1, rows["requester"])
    text = _with_contacts(render(rng, rows["theme"], rows["language"]), rows, acc)

    # Some requesters paste the same support text several times within hours.
    support = np.flatnonzero((rows["channel"] == 0) & (rows["created"] < END - DAY))
    base = np.sort(rng.choice(support, 120 * scale, replace=False))
    copies = rng.choice((1, 2, 3, 4), len(base), p=(0.5, 0.25, 0.15, 0.1))
    source = np.repeat(base, copies)
    step = np.arange(len(source)) - np.repeat(np.cumsum(copies) - copies, copies) + 1
    dup_created = rows["created"][source] + (
        step * lognormal(rng, 20.0, 0.8, len(source)) * MINUTE
    ).astype(np.int64)
    keep = np.concatenate((np.arange(len(rows["created"])), source))
    rows = {k: v[keep] for k, v in rows.items()}
    rows["created"][-len(source) :] = np.minimum(dup_created, END - 1)
    text = take(text, keep)

    order = np.argsort(rows["created"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    text = take(text, order)
    n = len(order)
    reviewer = hex_strings(rng, n)
    requester_hash = pc.if_else(
        pa.array(rows["hash"] < 0), reviewer, take(acc.requester_hash, np.maximum(rows["hash"], 0))
    )
    ids = numbered("demo:fb-", np.arange(1, n + 1), 7)
    drawn = pa.table(
        {
            "id": ids,
            "channel": take(strings(CHANNELS), rows["channel"]),
            "account_id": take(acc.ids, rows["account"], rows["account"] < 0),
            "text": text,
            "created_at": timestamps(rows["created"]),
            "rating": pa.array(rows["rating"], mask=np.isnan(rows["rating"])),
        }
    )
    # Redacted, hashed and language-detected as every channel's feedback is (docs/feedback.md),
    # a slice at a time: its lists of Python strings then never hold every row.
    table = pa.concat_tables(
        prepare_feedback(
            drawn.slice(start, PREPARED),
            DEMO_SALT,
            requester_hash[start : start + PREPARED].to_pylist(),
        )
        for start in range(0, n, PREPARED)
    )
    del drawn, text, requester_hash  # the prepared table holds what is kept
    links = _links(rng, items, ids, rows)
    facts = _facts(table, rows["theme"], rows["created"])
    insight = _insights(rng)
    facts["spike"]["insight_days"] = round((SPIKE_INSIGHT - SPIKE_WEEK) / DAY, 2)
    return {"feedback": table, "feedback_link": links, "insight": insight}, facts


def _with_contacts(text: Column, rows: dict[str, Any], acc: Accounts) -> Column:
    """Every 800th text without a theme ends with an e-mail address and a phone number, as
    customers write them; landing redacts both."""
    chosen = np.flatnonzero(rows["theme"] < 0)[::800]
    domains = acc.table["domain"].to_pylist()
    written = [
        f"{text[int(i)].as_py()} (user{i}@{domains[a] if a >= 0 else 'example.com'}, "
        f"+1 415 555 {i % 10_000:04d})"
        for i, a in zip(chosen, rows["account"][chosen].tolist(), strict=True)
    ]
    # Only the chosen texts change: the others are never turned into Python strings.
    mask = np.zeros(len(text), dtype=bool)
    mask[chosen] = True
    replaced: Column = pc.replace_with_mask(text, pa.array(mask), strings(written))
    return replaced


def _links(
    rng: np.random.Generator, items: WorkItems, ids: Column, rows: dict[str, Any]
) -> pa.Table:
    """About one in eight themed items linked to the next of its theme's work items to finish
    after it arrived (none once they all had)."""
    theme = rows["theme"]
    chosen = np.flatnonzero((theme >= 0) & (rng.random(len(theme)) < 0.12))
    candidates = np.stack(items.theme_items)[theme[chosen]]  # chosen x 4
    finish = items.done[candidates]
    never = np.iinfo(np.int64).max
    waiting = np.where(finish > rows["created"][chosen, None], finish, never)
    item = candidates[np.arange(len(chosen)), waiting.argmin(axis=1)]
    open_ = waiting.min(axis=1) < never
    segment = rows["segment"][chosen]
    weights = np.asarray(
        ((0.2, 0.2, 0.2, 0.2), (0.4, 0.35, 0.3, 0.15), (0.3, 0.3, 0.3, 0.3), (0.1, 0.15, 0.2, 0.35))
    )  # importance x (no account, smb, mid, ent)
    cum = np.cumsum(weights / weights.sum(axis=0), axis=0)
    importance = (rng.random(len(chosen))[None, :] > cum[:, segment + 1]).sum(axis=0)
    confirmed = rng.random(len(chosen)) < 0.55
    score = np.round(rng.uniform(0.55, 0.95, len(chosen)), 3)
    created = np.minimum(
        rows["created"][chosen] + (lognormal(rng, 2.0, 0.8, len(chosen)) * DAY).astype(np.int64),
        END - 1,
    )
    return pa.table(
        {
            "feedback_id": take(ids, chosen),
            "work_item_id": take(items.ids, item),
            "importance": pa.array(np.minimum(importance, 3)),
            "state": pc.if_else(pa.array(confirmed), "confirmed", "suggested"),
            "score": pa.array(score, mask=confirmed & (rng.random(len(chosen)) < 0.5)),
            "created_at": timestamps(within(created)),
        }
    ).filter(pa.array(open_))


def theme_id(theme: int) -> str:
    """The id insights use for planted theme `theme` (index into THEMES): `demo:theme-01`, ...

    The demo lands no themes: theme discovery finds them. These ids name the planted themes
    for a workspace (or test) that assigns feedback to them, e.g. by their keywords.
    """
    return f"demo:theme-{theme + 1:02d}"


_INSIGHT_TITLES = (
    "what customers tell us",
    "who is asking and why",
    "evidence for the roadmap",
    "quarterly review",
)


def _insights(rng: np.random.Generator) -> pa.Table:
    """Insights the owning teams publish on each planted theme every two to four months, one
    on two themes now and then; the spiking theme gets one 9.6 days after its spike began
    (and none in between)."""
    rows: list[dict[str, Any]] = []
    for index in range(len(THEMES)):
        day = int(rng.integers(45, 150))
        while START + day * DAY < END:
            when = START + day * DAY + int(rng.integers(9, 17)) * HOUR
            if not (index == SPIKE_THEME and SPIKE_WEEK <= when <= SPIKE_INSIGHT):
                rows.append({"theme": index, "at": when})
            day += int(rng.integers(60, 120))
    rows.append({"theme": SPIKE_THEME, "at": SPIKE_INSIGHT, "spike": True})
    rows.sort(key=lambda r: (r["at"], r["theme"]))
    extra = rng.integers(0, len(THEMES), len(rows))
    paired = rng.random(len(rows)) < 0.15
    published, themes, teams, titles = [], [], [], []
    for row, other, pair in zip(rows, extra, paired, strict=True):
        theme = THEMES[row["theme"]]
        named = [row["theme"]] + ([int(other)] if pair and other != row["theme"] else [])
        title = "spike in crash reports" if row.get("spike") else rng.choice(_INSIGHT_TITLES)
        published.append(row["at"])
        themes.append("[" + ", ".join(f'"{theme_id(t)}"' for t in named) + "]")
        teams.append(BASE_TEAMS[theme.team][0])
        titles.append(f"{theme.name}: {title}")
    n = len(rows)
    return pa.table(
        {
            "id": numbered("demo:insight-", np.arange(1, n + 1), 3),
            "team_id": strings(teams),
            "title": strings(titles),
            "summary": strings(
                [f"Feedback on {t.split(':')[0].lower()}, with quotes." for t in titles]
            ),
            "theme_ids": strings(themes),
            "audience": take(
                strings(("product", "leadership", "sales", "everyone")), rng.integers(0, 4, n)
            ),
            "published_at": timestamps(np.asarray(published, dtype=np.int64)),
        }
    )


def _facts(table: pa.Table, theme: Ints, created: Times) -> dict[str, Any]:
    """Theme counts, the spike and the duplicates, measured on the rows as generated."""
    counts = np.bincount(theme[theme >= 0], minlength=len(THEMES))
    themes = [
        {"name": t.name, "keywords": list(t.keywords), "count": int(c)}
        for t, c in zip(THEMES, counts, strict=True)
    ]
    week = (created[theme == SPIKE_THEME] - FIRST_MONDAY) // WEEK
    per_week = np.bincount(week, minlength=int((END - FIRST_MONDAY) // WEEK) + 1)
    spike_index = int((SPIKE_WEEK - FIRST_MONDAY) // WEEK)
    monday = FIRST_MONDAY + np.arange(len(per_week)) * WEEK
    full = (monday >= START) & (monday + WEEK <= END) & (np.arange(len(per_week)) != spike_index)
    grouped = table.group_by(["requester_hash", "text"]).aggregate([([], "count_all")])
    repeated = np.asarray(grouped["count_all"])
    repeated = repeated[repeated > 1]
    return {
        "themes": themes,
        "spike": {
            "theme": THEMES[SPIKE_THEME].name,
            "week_start": iso_date(SPIKE_WEEK),
            "baseline_per_week": round(float(per_week[full].mean()), 2),
            "spike_count": int(per_week[spike_index]),
        },
        "duplicates": {"groups": len(repeated), "items": int(repeated.sum())},
    }
