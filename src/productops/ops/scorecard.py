"""The scorecard: every success criterion per team and period, with trend, target and rollup.

Values come from `ops.measures` (built-in criteria) or the metric catalog (a workspace's own
criteria, `[scorecard] custom`); a team and period without data gets a reason instead of a
number. The organisation's row (`ORG`) rolls the team values up as each criterion states, or
comes from the measure itself (`organisation` and `pooled` criteria).

>>> starts = periods_ending(latest_complete(now, "quarter"), "quarter", 4)  # doctest: +SKIP
>>> rows = scorecard(backend.table, starts, collect=collect_union)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.operations as operations

from productops.durations import Grain
from productops.errors import UsageError
from productops.ops.criteria import CRITERIA, ORG, Criterion
from productops.ops.measures import MEASURES, Inputs, Measure
from productops.pillars.data import Catalog, compile_metric, dimensions_of

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

    from productops.config import CustomCriterion

__all__ = [
    "ORGANISATION_WIDE",
    "Score",
    "criteria_in_use",
    "latest_complete",
    "leaf_teams",
    "period_start",
    "periods_ending",
    "scorecard",
    "shift",
    "with_targets",
]

ORGANISATION_WIDE = f"organisation-wide: see the {ORG} row"


@dataclass(frozen=True)
class Score:
    """One criterion for one team (or `ORG`) and period."""

    criterion: str
    pillar: str
    team_id: str
    grain: str
    period_start: datetime
    value: float | None
    unit: str
    n: int | None
    reason: str | None
    target: float | None
    previous: float | None
    trend: str | None
    met: bool | None


def period_start(ts: datetime, grain: Grain) -> datetime:
    """The start (UTC) of the period holding `ts`, as `durations.period` computes it in queries."""
    t = ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "week":
        return t - timedelta(days=t.weekday())
    if grain == "month":
        return t.replace(day=1)
    if grain == "quarter":
        return t.replace(month=(t.month - 1) // 3 * 3 + 1, day=1)
    return t


def shift(start: datetime, grain: Grain, k: int) -> datetime:
    """The start of the period `k` periods after (negative: before) the one starting at `start`."""
    if grain in ("day", "week"):
        return start + timedelta(days=k * (7 if grain == "week" else 1))
    months = k * (3 if grain == "quarter" else 1)
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def latest_complete(as_of: datetime, grain: Grain) -> datetime:
    """The start of the last period that ended before `as_of`."""
    return shift(period_start(as_of, grain), grain, -1)


def periods_ending(last: datetime, grain: Grain, count: int) -> list[datetime]:
    """`count` period starts, oldest first, the last being the period holding `last`."""
    if count < 1:
        raise UsageError(f"--periods {count}: give 1 or more")
    end = period_start(last, grain)
    return [shift(end, grain, -i) for i in reversed(range(count))]


def leaf_teams(team: ir.Table) -> list[str]:
    """The product teams: teams that are no other team's parent (groups are left out)."""
    rows = team.select("id", "parent_id").to_pyarrow().to_pylist()
    parents = {r["parent_id"] for r in rows}
    return sorted(r["id"] for r in rows if r["id"] not in parents)


def criteria_in_use(
    disabled: Iterable[str] = (), custom: Sequence[CustomCriterion] = ()
) -> list[Criterion]:
    """The built-in criteria not switched off, then the workspace's own ones."""
    off = set(disabled)
    unknown = off - set(CRITERIA)
    if unknown:
        raise UsageError(
            f"scorecard.disabled: unknown criteria {', '.join(sorted(unknown))}; "
            "see docs/scorecard.md for the ids"
        )
    own = [
        Criterion(
            c.id,
            c.pillar,
            "The workspace's own criterion",
            c.name or c.metric,
            f"Catalog metric {c.metric} per team and period.",
            c.unit or "",
            c.direction,
            (f"metric {c.metric}",),
        )
        for c in custom
    ]
    clash = {c.id for c in own} & set(CRITERIA)
    if clash:
        raise UsageError(f"scorecard.custom: {', '.join(sorted(clash))} is a built-in criterion id")
    return [c for c in CRITERIA.values() if c.id not in off] + own


def _catalog_measure(catalog: Catalog, metric: str) -> tuple[Measure, bool]:
    """A workspace criterion: the catalog metric per team (when it has a team dimension)."""
    dims = dimensions_of(catalog, catalog.metric(metric))
    by = next((d for d in ("team", "team_id") if d in dims), None)

    def compute(x: Inputs) -> ir.Table:
        t = compile_metric(catalog, metric, x.table, by=(by,) if by else (), grain=x.grain)
        return t.select(
            team_id=t[by].cast("string") if by else ibis.literal(ORG),
            period_start=t.period_start,
            value=t.value.cast("float64"),
            n=ibis.literal(1).cast("int64"),
            reason=ibis.null().cast("string"),
        )

    return Measure(compute, f"values of metric {metric}", ()), by is not None


def _trend(value: float | None, previous: float | None, direction: str) -> str | None:
    if value is None or previous is None:
        return None
    if value == previous:
        return "same"
    return "better" if (value > previous) == (direction == "higher") else "worse"


def _met(value: float | None, target: float | None, direction: str) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if direction == "higher" else value <= target


def _rollup(c: Criterion, found: list[tuple[float, int]]) -> float | None:
    if not found:
        return None
    values = [v for v, _ in found]
    if c.rollup == "median":
        return float(statistics.median(values))
    if c.rollup == "sum":
        return float(sum(values))
    weight = sum(n for _, n in found)
    if weight <= 0:
        return float(statistics.fmean(values))
    return sum(v * n for v, n in found) / weight


Found = dict[tuple[str, datetime], dict[str, Any]]


Collect = Callable[[Sequence["ir.Table"]], "pa.Table"]
"""Gives the rows of the union of tables of one schema (`engine.collect_union`)."""


def _run(
    measures: Sequence[tuple[str, Measure]],
    x: Inputs,
    table: Callable[[str], ir.Table],
    collect: Collect,
) -> dict[str, Found | str]:
    """Each measure's rows (by criterion id) for the periods asked, or why there is no data.

    One collection, a union that `collect` runs as the engine runs it best: the row counts of
    the tables the measures need (one part, first; no criterion, the table in `team_id`), and
    every measure's rows. A measure that needs a table without rows gets the reason, whatever
    it computed.
    """
    needed = sorted({name for _, m in measures for name in m.required})
    parts = []
    if needed:
        counts = ibis.union(
            *(table(n).aggregate(n=table(n).count()).mutate(name=ibis.literal(n)) for n in needed)
        )
        parts.append(
            counts.select(
                criterion=ibis.null("string"),
                team_id=counts.name,
                period_start=ibis.null("timestamp('UTC')"),
                value=ibis.null("float64"),
                n=counts.n.cast("int64"),
                reason=ibis.null("string"),
            )
        )
    starts = [ibis.timestamp(p) for p in x.periods]
    found: dict[str, Found] = {}
    for cid, m in measures:
        e = _unsorted(m.compute(x))
        e = e.filter(e.period_start.isin(starts))
        parts.append(
            e.select(
                criterion=ibis.literal(cid),
                team_id=e.team_id.cast("string"),
                period_start=e.period_start.cast("timestamp('UTC')"),
                value=e.value.cast("float64"),
                n=e.n.cast("int64"),
                reason=e.reason.cast("string"),
            )
        )
        found[cid] = {}
    rows: dict[str, int] = {}
    for r in collect(parts).to_pylist() if parts else ():
        cid = r.pop("criterion")
        if cid is None:
            rows[r["team_id"]] = r["n"]
        else:
            found[cid][(r["team_id"], r["period_start"].astimezone(UTC))] = r
    out: dict[str, Found | str] = {}
    for cid, m in measures:
        lacking = [name for name in m.required if not rows[name]]
        if lacking:
            out[cid] = f"not enough data: needs {m.missing} (no {', '.join(lacking)} rows)"
        else:
            out[cid] = found[cid]
    return out


def _unsorted(t: ir.Table) -> ir.Table:
    """`t` without the sorts inside it, which its rows in a union do not keep and which cost
    Spark a sampling job and a shuffle each; `t` itself if it keeps the first rows of a sort."""
    if t.op().find(operations.Limit):
        return t

    def skip(node: Any, kwargs: dict[str, Any] | None) -> Any:
        if isinstance(node, operations.Sort):
            return kwargs["parent"] if kwargs else node.parent
        return node.__recreate__(kwargs) if kwargs else node

    return t.op().replace(skip).to_expr()


def _cell(
    c: Criterion, m: Measure, found: Found | str, team: str, start: datetime
) -> tuple[float | None, int | None, str | None]:
    if isinstance(found, str):
        return None, None, found
    if c.rollup == "organisation" and team != ORG:
        return None, None, ORGANISATION_WIDE
    r = found.get((team, start))
    if r is None:
        return None, None, f"not enough data: needs {m.missing} in the period"
    n = r["n"]
    if r["value"] is None or r["value"] != r["value"]:
        return None, n, r["reason"] or f"not enough data: needs {m.missing} in the period"
    return float(r["value"]), n, None


def scorecard(
    table: Callable[[str], ir.Table],
    periods: Sequence[datetime],
    *,
    grain: Grain = "quarter",
    criteria: Sequence[Criterion] | None = None,
    catalog: Catalog | None = None,
    custom_metrics: Mapping[str, str] | None = None,
    targets: Mapping[tuple[str, str], float] | None = None,
    teams: Sequence[str] | None = None,
    as_of: datetime | None = None,
    min_group: int = 3,
    collect: Collect,
) -> list[Score]:
    """Every criterion for every team and `ORG`, for `periods` (each compared with the one before).

    `custom_metrics` maps a workspace criterion's id to its catalog metric (needs `catalog`);
    `targets` maps (criterion, team) to the team's target, and (criterion, `ORG`) to the
    organisation's, which only its row carries; `teams` defaults to `leaf_teams`. `collect`
    runs the criteria's queries as the engine runs them best (`engine.collect_union`).
    """
    table = functools.cache(table)  # each table's schema looked up once, not per criterion
    chosen = list(CRITERIA.values()) if criteria is None else list(criteria)
    starts = sorted(period_start(p, grain) for p in periods)
    asked = [shift(starts[0], grain, -1), *starts]
    now = as_of or datetime.now(UTC)
    x = Inputs(table, grain, asked, now, min_group, catalog=catalog)
    team_ids = list(teams) if teams is not None else leaf_teams(table("team"))
    goals = targets or {}
    measured: list[tuple[Criterion, Measure]] = []
    for c in chosen:
        metric = (custom_metrics or {}).get(c.id)
        if metric is not None and catalog is None:
            raise UsageError(f"criterion {c.id}: computing catalog metric {metric} needs a catalog")
        if metric is None:
            measured.append((c, MEASURES[c.id]))
            continue
        m, by_team = _catalog_measure(catalog, metric)  # type: ignore[arg-type]
        measured.append((c if by_team else replace(c, rollup="organisation"), m))
    results = _run([(c.id, m) for c, m in measured], x, table, collect)
    out: list[Score] = []
    for c, m in measured:
        found = results[c.id]
        rows: dict[tuple[str, datetime], Score] = {}
        for team in [*team_ids, ORG]:
            for start in asked:
                value, n, reason = _cell(c, m, found, team, start)
                rows[(team, start)] = Score(
                    c.id, c.pillar, team, grain, start, value, c.unit, n, reason,
                    goals.get((c.id, team)), None, None, None,
                )  # fmt: skip
        if c.rollup not in ("organisation", "pooled"):
            for start in asked:
                got = [
                    (rows[(t, start)].value, rows[(t, start)].n or 0)
                    for t in team_ids
                    if rows[(t, start)].value is not None
                ]
                value = _rollup(c, got)  # type: ignore[arg-type]
                reason = None if value is not None else rows[(ORG, start)].reason
                if isinstance(found, str):
                    reason = found
                elif value is None:
                    reason = f"not enough data: needs {m.missing} in the period"
                n = sum(k for _, k in got) if got else None
                rows[(ORG, start)] = replace(rows[(ORG, start)], value=value, n=n, reason=reason)
        for (team, start), s in rows.items():
            if start == asked[0]:
                continue
            before = rows[(team, shift(start, grain, -1))].value
            out.append(
                replace(
                    s,
                    previous=before,
                    trend=_trend(s.value, before, c.direction),
                    met=_met(s.value, s.target, c.direction),
                )
            )
    return out


def with_targets(
    scores: Iterable[Score],
    targets: Mapping[tuple[str, str], float],
    criteria: Sequence[Criterion],
) -> list[Score]:
    """`scores` with each row's target from `targets` (as `scorecard` takes them) and whether it
    is met (by its criterion, one of `criteria`): the scorecard with targets is the scorecard
    without any, with them laid over."""
    direction = {c.id: c.direction for c in criteria}
    out = []
    for s in scores:
        target = targets.get((s.criterion, s.team_id))
        out.append(replace(s, target=target, met=_met(s.value, target, direction[s.criterion])))
    return out
