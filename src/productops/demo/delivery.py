"""Delivery: work items, their status transitions, flagged periods, links and KPI ties.

Each item follows a timeline drawn with numpy (lognormal waits and work times);
transitions are cut at the end of the period, so open items end where their
last transition before it left them. Planted in the first group: a code-review
bottleneck, a team that skips the standard workflow and a team pair with many
cross-team `blocks` links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from productops.demo.columns import (
    DAY,
    END,
    START,
    Column,
    Ints,
    Times,
    choose,
    concat,
    lognormal,
    numbered,
    strings,
    take,
    timestamps,
    within,
)
from productops.demo.governance import KPIS
from productops.demo.org import BLOCKED, BLOCKING, BOTTLENECK, NON_CONFORMING, QA_TEAMS, Org
from productops.demo.text import THEMES

__all__ = ["STATUSES", "WorkItems", "delivery_tables", "work_items"]

TYPES = ("story", "bug", "task", "epic")
STORY, BUG, TASK, EPIC = range(4)
ITEMS_PER_TEAM = (1050, 950, 900, 1000, 1000, 1100)
STATUSES = ("To Do", "In Progress", "In Review", "QA", "Done", "Won't Do")
TODO, PROGRESS, REVIEW, QA, DONE, WONT = range(6)
CATEGORIES = ("todo", "in_progress", "in_progress", "in_progress", "done", "cancelled")
STANDARD, SKIPPED, CANCELLED = range(3)
SCOPE_CREEP = 0.15  # share of an epic's children added after it started
KPI_TIED = (0.04, 0.0, 0.0, 0.7)  # per type: share tied to a KPI (epics are the roadmap's units)

_VERBS = ("Add", "Improve", "Support", "Redesign", "Show", "Allow editing of", "Simplify")
_OBJECTS = (
    "saved filters",
    "bulk edit",
    "audit history",
    "email receipts",
    "usage limits",
    "team permissions",
    "currency formatting",
    "keyboard shortcuts",
    "empty states",
    "activity feed",
    "account settings",
    "sharing links",
)
_BUGS = (
    "timeout when saving",
    "wrong totals in summary",
    "layout broken on small screens",
    "duplicate emails sent",
    "error 500 on retry",
    "stale cache after logout",
    "rounding error in totals",
    "missing translation strings",
)
_TASKS = (
    "Upgrade dependencies",
    "Add monitoring for the job queue",
    "Write runbook for on-call",
    "Clean up feature flags",
    "Migrate cron jobs",
    "Rotate service credentials",
)
_EPICS = (
    "Epic: self-serve upgrades",
    "Epic: reliability push",
    "Epic: enterprise readiness",
    "Epic: new reporting",
    "Epic: performance budget",
    "Epic: accessibility",
)
_FLAG_REASONS = (
    "waiting for design",
    "unclear requirements",
    "waiting on external vendor",
    "test environment down",
    "waiting for customer reply",
)


@dataclass(frozen=True)
class WorkItems:
    """Work items as parallel arrays; times in microseconds, not yet cut at END."""

    ids: Column
    team: Ints
    kind: Ints
    path: Ints
    created: Times
    start: Times
    review: Times  # first move to In Review
    first_review_end: Times
    review_again: Times  # back to In Review after rework
    review_end: Times
    done: Times  # end of the path: Done, skipped to Done, or Won't Do
    rework: npt.NDArray[np.bool_]
    qa: npt.NDArray[np.bool_]
    owner: npt.NDArray[np.object_]
    title: npt.NDArray[np.object_]
    theme_items: list[Ints]  # per planted theme, the items customers' feedback can link to

    def __len__(self) -> int:
        return len(self.team)


def work_items(rng: np.random.Generator, org: Org) -> WorkItems:
    """Draw every team's work items with their timelines."""
    growth = np.where(org.team_group == 0, 1.0, rng.uniform(0.9, 1.1, org.teams))
    counts = np.round(np.asarray(ITEMS_PER_TEAM)[org.team_base] * growth).astype(np.int64)
    n = int(counts.sum())
    team = np.repeat(np.arange(org.teams), counts)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    created = START + (rng.random(n) * (END - DAY - START)).astype(np.int64)
    created = created[np.lexsort((created, team))]
    number = np.arange(n) - first[team] + 1
    kind = rng.choice(len(TYPES), n, p=(0.55, 0.25, 0.17, 0.03))
    epic = kind == EPIC

    # Some items sit in the backlog for months: that is where most open work is.
    backlog = rng.random(n) < 0.12
    wait = np.where(
        backlog,
        lognormal(rng, 90.0, 0.8, n),
        lognormal(rng, np.asarray((5.0, 1.5, 3.0, 10.0))[kind], 1.1, n),
    )
    dev = lognormal(rng, np.asarray((2.5, 1.2, 1.5, 35.0))[kind], 0.8, n)
    bottleneck = (org.team_group[team] == 0) & (org.team_base[team] == BOTTLENECK)
    review = np.where(bottleneck, lognormal(rng, 3.5, 0.6, n), lognormal(rng, 0.25, 0.9, n))
    review = np.where(epic, 0.1, review)
    qa = np.isin(org.team_base[team], QA_TEAMS) & ~epic
    qa_time = np.where(qa, lognormal(rng, 0.8, 0.7, n), 0.0)
    odd = (org.team_group[team] == 0) & (org.team_base[team] == NON_CONFORMING)
    rework = ~epic & (rng.random(n) < np.where(odd, 0.3, 0.04))
    u = rng.random(n)
    p_cancel = np.where(epic, 0.02, 0.05)
    p_skip = np.where(epic, 0.0, np.where(odd, 0.4, 0.01))
    path = np.where(u < p_cancel, CANCELLED, np.where(u < p_cancel + p_skip, SKIPPED, STANDARD))

    def us(days: npt.NDArray[np.float64]) -> Times:
        return (days * DAY).astype(np.int64)

    start = created + us(wait)
    first_review = start + us(dev)
    first_review_end = first_review + us(review * np.where(rework, 0.6, 1.0))
    back_again = first_review_end + us(lognormal(rng, 0.8, 0.7, n))
    review_end = np.where(rework, back_again + us(review * 0.5), first_review_end)
    done = np.select(
        [path == STANDARD, path == SKIPPED],
        [review_end + us(qa_time), start + us(dev)],
        created + us(wait * 0.7),
    )
    started = (path == STANDARD) & (start < END)
    owner = org.pick(rng, "engineer", team)
    owner[rng.random(n) >= np.where(started, 0.9, 0.5)] = None
    title = _titles(rng, kind)
    theme_items = _theme_items(rng, team, kind, path, done, title)
    return WorkItems(
        ids=numbered(concat("demo:", take(strings(org.team_keys), team), "-"), number),
        team=team,
        kind=kind,
        path=path,
        created=created,
        start=start,
        review=first_review,
        first_review_end=first_review_end,
        review_again=back_again,
        review_end=review_end,
        done=done,
        rework=rework,
        qa=qa,
        owner=owner,
        title=title,
        theme_items=theme_items,
    )


def _titles(rng: np.random.Generator, kind: Ints) -> npt.NDArray[np.object_]:
    n = len(kind)
    story = concat(choose(rng, _VERBS, n)[0], " ", choose(rng, _OBJECTS, n)[0])
    bug = concat("Fix ", choose(rng, _BUGS, n)[0])
    options = [
        a.to_numpy(zero_copy_only=False)
        for a in (story, bug, choose(rng, _TASKS, n)[0], choose(rng, _EPICS, n)[0])
    ]
    return np.asarray(np.choose(kind, options), dtype=object)


def _theme_items(
    rng: np.random.Generator,
    team: Ints,
    kind: Ints,
    path: Ints,
    done: Times,
    title: npt.NDArray[np.object_],
) -> list[Ints]:
    """Retitle four stories of the owning first-group team per theme, three finished by END and
    one still open (each theme has work in flight); returns their indices."""
    taken = np.zeros(len(team), dtype=bool)
    chosen = []
    for theme in THEMES:
        pool = (team == theme.team) & (kind == STORY) & (path == STANDARD) & ~taken
        finished = rng.choice(np.flatnonzero(pool & (done < END)), 3, replace=False)
        waiting = rng.choice(np.flatnonzero(pool & (done >= END)), 1)
        items = np.sort(np.concatenate((finished, waiting)))
        taken[items] = True
        for item, part in zip(items, ("", ": backend", ": UI", ": rollout"), strict=True):
            title[item] = theme.item_title + part
        chosen.append(items.astype(np.int64))
    return chosen


def _transitions(items: WorkItems) -> tuple[pa.Table, Ints]:
    """The status changes up to END, and each item's status at END (index into STATUSES)."""
    std, skip, cancel = (items.path == p for p in (STANDARD, SKIPPED, CANCELLED))
    back, again = items.first_review_end, items.review_again
    slots = [  # (from, to, at, happens), in time order within each path
        (-1, TODO, items.created, np.ones(len(items), dtype=bool)),
        (TODO, PROGRESS, items.start, std),
        (PROGRESS, REVIEW, items.review, std),
        (REVIEW, PROGRESS, back, std & items.rework),
        (PROGRESS, REVIEW, again, std & items.rework),
        (REVIEW, QA, items.review_end, std & items.qa),
        (np.where(items.qa, QA, REVIEW), DONE, items.done, std),
        (TODO, DONE, items.done, skip),
        (TODO, WONT, items.done, cancel),
    ]
    status = np.full(len(items), TODO)
    parts = []
    for source, target, moment, happens in slots:
        happened = happens & (moment < END)
        status = np.where(happened, target, status)
        index = np.flatnonzero(happened)
        from_status = np.broadcast_to(np.asarray(source), happened.shape)[index]
        parts.append((index, moment[index], from_status, np.full(len(index), target)))
    item, moment, from_status, to_status = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((moment, item))
    item, moment, from_status, to_status = (
        item[order],
        moment[order],
        from_status[order],
        to_status[order],
    )
    names, cats = strings(STATUSES), strings(CATEGORIES)
    table = pa.table(
        {
            "work_item_id": take(items.ids, item),
            "changed_at": timestamps(moment),
            "from_status": take(names, from_status, from_status < 0),
            "to_status": take(names, to_status),
            "to_category": take(cats, to_status),
        }
    )
    return table, status


def _links(rng: np.random.Generator, org: Org, items: WorkItems) -> tuple[pa.Table, Ints]:
    """blocks, relates and duplicates links, and per item the team blocking it (-1 for none).

    The planted pair has by far the most cross-team `blocks` links.
    """
    counts = np.bincount(items.team, minlength=org.teams)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def item_of(team: Ints) -> Ints:
        return first[team] + (rng.random(len(team)) * counts[team]).astype(np.int64)

    def teams(per_group: int, cross: bool) -> tuple[Ints, Ints]:
        group = np.repeat(np.arange(org.scale), per_group)
        a = rng.integers(0, 6, len(group))
        b = (a + rng.integers(1, 6, len(group))) % 6 if cross else a
        return group * 6 + a, group * 6 + b

    planted = np.full(120, BLOCKING), np.full(120, BLOCKED)
    specs = [
        (planted, "blocks"),
        (teams(40, True), "blocks"),
        (teams(60, False), "blocks"),
        (teams(150, False), "relates"),
        (teams(30, False), "duplicates"),
    ]
    kinds = ("blocks", "relates", "duplicates")
    src, dst, typ = [], [], []
    for (a, b), kind in specs:
        src.append(item_of(a))
        dst.append(item_of(b))
        typ.append(np.full(len(a), kinds.index(kind)))
    s, d, t = np.concatenate(src), np.concatenate(dst), np.concatenate(typ)
    code = (s * len(items) + d) * 3 + t
    _, keep = np.unique(code, return_index=True)
    keep = np.sort(keep[s[keep] != d[keep]])
    s, d, t = s[keep], d[keep], t[keep]
    table = pa.table(
        {
            "from_id": take(items.ids, s),
            "to_id": take(items.ids, d),
            "type": take(strings(kinds), t),
        }
    )
    across = (t == kinds.index("blocks")) & (items.team[s] != items.team[d])
    blocker = np.full(len(items), -1)
    blocker[d[across]] = items.team[s[across]]
    return table, blocker


def _flags(rng: np.random.Generator, org: Org, items: WorkItems, blocker: Ints) -> pa.Table:
    """Flagged periods at random, and blocked periods on items another team blocks (`blocker`)."""
    n = len(items)
    active = (items.path == STANDARD) & (items.start < END)
    random = active & (rng.random(n) < 0.07)
    chosen = np.flatnonzero(active & (random | (blocker >= 0)))
    by_team = blocker[chosen] >= 0
    dev = items.review[chosen] - items.start[chosen]
    started = items.start[chosen] + (rng.random(len(chosen)) * dev * 0.8).astype(np.int64)
    length = np.where(
        by_team, lognormal(rng, 3.0, 0.6, len(chosen)), lognormal(rng, 1.5, 0.8, len(chosen))
    )
    ended = within(started + (length * DAY).astype(np.int64))
    keep = started < END
    kind, _ = choose(rng, ("blocked", "flagged"), len(chosen), (0.6, 0.4))
    reason, _ = choose(rng, _FLAG_REASONS, len(chosen))
    waiting = concat("waiting on ", take(strings(org.team_names), np.maximum(blocker[chosen], 0)))
    mask = pa.array(keep)
    return pa.table(
        {
            "work_item_id": take(items.ids, chosen),
            "kind": pc.if_else(pa.array(by_team), "blocked", kind),
            "started_at": timestamps(started),
            "ended_at": timestamps(ended),
            "reason": pc.if_else(pa.array(by_team), waiting, reason),
        }
    ).filter(mask)


def delivery_tables(
    rng: np.random.Generator, org: Org, items: WorkItems, released: Times
) -> dict[str, pa.Table]:
    """work_item, work_item_transition, work_item_flag, work_item_link and work_item_kpi."""
    n = len(items)
    transitions, status = _transitions(items)
    std = items.path == STANDARD
    started = np.where(std, within(items.start), -1)
    points = np.asarray((1, 2, 3, 5, 8, 13), dtype=np.float64)
    estimate = points[rng.choice(6, n, p=(0.15, 0.25, 0.3, 0.18, 0.09, 0.03))]
    unestimated = (items.kind == EPIC) | (
        rng.random(n) < np.asarray((0.05, 0.5, 0.7, 1.0))[items.kind]
    )
    parent = _parents(rng, items)
    work_item = pa.table(
        {
            "id": items.ids,
            "team_id": take(strings(org.team_ids), items.team),
            "type": take(strings(TYPES), items.kind),
            "title": strings(items.title),
            "status": take(strings(STATUSES), status),
            "status_category": take(strings(CATEGORIES), status),
            "created_at": timestamps(items.created),
            "started_at": timestamps(started),
            "resolved_at": timestamps(within(items.done)),
            "released_at": timestamps(released),
            "parent_id": take(items.ids, parent, parent < 0),
            "estimate": pa.array(estimate, mask=unestimated),
            "owner_id": strings(items.owner),
        }
    )
    links, blocker = _links(rng, org, items)
    tied = np.flatnonzero(rng.random(n) < np.asarray(KPI_TIED)[items.kind])
    kpi, _ = choose(rng, [k[0] for k in KPIS], len(tied))
    impact, _ = choose(rng, ("+1pp", "+2pp", "+5%", "-10%", "small", "large"), len(tied))
    return {
        "work_item": work_item,
        "work_item_transition": transitions,
        "work_item_flag": _flags(rng, org, items, blocker),
        "work_item_link": links,
        "work_item_kpi": pa.table(
            {
                "work_item_id": take(items.ids, tied),
                "kpi_id": kpi,
                "expected_impact": impact,
            }
        ),
    }


def _parents(rng: np.random.Generator, items: WorkItems) -> Ints:
    """An epic of the same team for about 60% of other items, else -1.

    Teams break an epic down before it starts: a child is mostly one of the next three epics
    to start after it was created; about one in seven is added to the epic running when it
    was created (scope creep).
    """
    epics = np.flatnonzero(items.kind == EPIC)
    epics = epics[np.lexsort((items.start[epics], items.team[epics]))]
    began = (items.team[epics] << 51) | items.start[epics]
    after = np.searchsorted(began, (items.team << 51) | items.created, side="right")
    offset, u = rng.integers(0, 3, len(items)), rng.random(len(items))
    added = u < 0.6 * SCOPE_CREEP
    pos = np.where(added, after - 1, after + offset)
    ok = (pos >= 0) & (pos < len(epics)) & (items.kind != EPIC) & (u < 0.6)
    pos = np.clip(pos, 0, max(len(epics) - 1, 0))
    parent = epics[pos] if len(epics) else np.zeros(len(items), dtype=np.int64)
    running = items.done[parent] > items.created
    return np.where(ok & (items.team[parent] == items.team) & (~added | running), parent, -1)
