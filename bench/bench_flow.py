"""Flow analytics on 1M work items and ~10M transitions: productops vs hand-written DuckDB SQL vs pandas.

Target (issue 3): the per-item table, the team x month lead and cycle time percentiles,
throughput and WIP per week, the bottleneck and flow efficiency per month, and conformance
per month, together, from the same Parquet files, in no more than 1.25x the time of
hand-written DuckDB SQL (bench/flow_reference.sql) and at least 4x faster than an idiomatic
pandas implementation; peak memory under 2 GB (issue 16). Both DuckDB sides keep to a
workspace's default `[engine] memory_limit` (1GB), as productops keeps its store; for DuckDB's
own default (80% of the machine's memory) pass --setting "RESET memory_limit".

Each side runs in its own process (so peak RSS is its own) and writes its tables; the
parent checks that all sides computed the same tables before printing the ratios.

    .venv/bin/python bench/bench_flow.py [--items 1000000]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
REFERENCE_SQL = HERE / "flow_reference.sql"

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)
TEAMS = 20
ROW_GROUP = 122_880  # DuckDB's own row group size, so scans run in parallel
US = 1_000_000
DAY_US = 86_400 * US

# Statuses (the standard workflow, plus Cancelled and a Blocked status outside it) and
# their categories; STOP ends an item's path.
STATUSES = ("To Do", "In Progress", "In Review", "QA", "Done", "Cancelled", "Blocked")
CATEGORIES = (
    "todo",
    "in_progress",
    "in_progress",
    "in_progress",
    "done",
    "cancelled",
    "in_progress",
)
STOP = len(STATUSES)
# Where an item goes next from each status: forward mostly, sometimes over a status, back
# (review sends work back), into Blocked, cancelled; a done item is sometimes reopened.
MOVES: dict[int, dict[int, float]] = {
    0: {1: 0.89, 2: 0.02, 4: 0.04, 5: 0.05},
    1: {2: 0.72, 3: 0.03, 4: 0.04, 0: 0.05, 6: 0.14, 5: 0.02},
    2: {1: 0.62, 3: 0.26, 4: 0.09, 6: 0.03},
    3: {4: 0.46, 1: 0.40, 2: 0.14},
    4: {1: 0.04, STOP: 0.96},
    5: {STOP: 1.0},
    6: {1: 0.85, 2: 0.10, 0: 0.05},
}
# Moves off the standard workflow (over a required status, backwards, out of it): each team
# makes them at its own rate, so some teams conform and others do not.
DEVIATING = {(0, 2), (0, 4), (1, 3), (1, 4), (1, 0), (1, 6), (2, 6), (3, 2), (4, 1)}
# Median days in each status before the next move (a done item: before it is reopened).
MEDIAN_DAYS = (4.0, 2.0, 0.6, 1.0, 6.0, 1.0, 1.5)

# The tables every side computes, their keys and the columns compared.
KEYS = ["team_id", "period_start"]
PERCENTILE_COLUMNS = ["items", "p50", "p70", "p85", "p95"]
QUANTILES = [0.5, 0.7, 0.85, 0.95]
TABLES: dict[str, tuple[list[str], list[str]]] = {
    "items": (["work_item_id"], ["team_id", "lead_time_days", "cycle_time_days", "status_changes"]),
    "lead_time": (KEYS, PERCENTILE_COLUMNS),
    "cycle_time": (KEYS, PERCENTILE_COLUMNS),
    "throughput": (KEYS, ["items"]),
    "wip": (KEYS, ["wip"]),
    "bottleneck": (
        KEYS,
        [
            "status",
            "items",
            "days",
            "share_of_waiting",
            "share_of_cycle",
            "previous_share_of_cycle",
            "trend",
        ],
    ),
    "flow_efficiency": (
        KEYS,
        ["items", "cycle_days", "waiting_days", "active_days", "efficiency"],
    ),
    "conformance": (KEYS, ["items", "conforming", "share", "team_conforms"]),
}
SIDES = ("sql", "productops", "pandas")  # and "pandas-object", on request
# The workflow's extra allowed moves: review and QA may send work back (the rest is the default).
SENT_BACK = (("In Review", "In Progress"), ("QA", "In Progress"))


# -- data ---------------------------------------------------------------------------------


def _micros(ts: datetime) -> int:
    return int(ts.timestamp()) * US


def _timestamps(
    values: np.ndarray[Any, Any], valid: np.ndarray[Any, Any] | None = None
) -> pa.Array[Any]:
    kind = pa.timestamp("us", tz="UTC")
    return pa.array(values, kind, mask=None if valid is None else ~valid)


def _strings(codes: np.ndarray[Any, Any], names: tuple[str, ...] | list[str]) -> pa.Array[Any]:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names)).cast(
        pa.string()
    )


def write_parquet(folder: Path, n_items: int, seed: int = 3) -> dict[str, int]:
    """An organisation of `n_items` work items with ~10 moves each, as Parquet in `folder`.

    Each item walks the workflow as a Markov chain (forward, back, over a status, into
    Blocked, cancelled, reopened) with lognormal stays scaled by its team's pace, from its
    creation until it stops or the as-of time; its row follows from its path.
    """
    rng = np.random.default_rng(seed)
    as_of = _micros(AS_OF)
    teams = [f"bench:team-{i:02d}" for i in range(TEAMS)]
    pace = rng.lognormal(0.0, 0.35, TEAMS)
    sloppiness = rng.lognormal(-0.5, 0.8, TEAMS)
    team = rng.integers(0, TEAMS, n_items)
    created = _micros(FIRST_DAY) + rng.integers(0, as_of - _micros(FIRST_DAY) - 7 * DAY_US, n_items)
    chances = np.zeros((TEAMS, len(STATUSES), STOP + 1))
    for origin, targets in MOVES.items():
        for target, chance in targets.items():
            deviating = (origin, target) in DEVIATING
            chances[:, origin, target] = chance * (sloppiness if deviating else 1.0)
    cumulative = (chances / chances.sum(axis=2, keepdims=True)).cumsum(axis=2)
    cumulative[:, :, -1] = 1.0
    median_us = np.array(MEDIAN_DAYS) * DAY_US

    state = np.zeros(n_items, np.int64)
    at = created.copy()
    started = np.full(n_items, -1, np.int64)
    alive = np.ones(n_items, bool)
    in_progress = np.array([c == "in_progress" for c in CATEGORIES])
    moves: list[tuple[np.ndarray[Any, Any], ...]] = []
    for _ in range(100):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        src = state[idx]
        dst = (rng.random(idx.size)[:, None] > cumulative[team[idx], src]).sum(axis=1)
        stay = median_us[src] * pace[team[idx]] * rng.lognormal(0.0, 1.0, idx.size)
        when = at[idx] + np.maximum(stay.astype(np.int64), US)
        stop = (dst == STOP) | (when >= as_of)
        alive[idx[stop]] = False
        go, src, dst, when = idx[~stop], src[~stop], dst[~stop], when[~stop]
        moves.append((go, when, src, dst))
        state[go], at[go] = dst, when
        first_start = in_progress[dst] & (started[go] < 0)
        started[go[first_start]] = when[first_start]

    item, changed, from_status, to_status = (np.concatenate(c) for c in zip(*moves, strict=True))
    order = np.argsort(changed, kind="stable")  # an event log, in time order
    item, changed, from_status, to_status = (
        item[order],
        changed[order],
        from_status[order],
        to_status[order],
    )
    category = np.array(CATEGORIES)[state]
    resolved = np.isin(category, ["done", "cancelled"])
    ids = pa.array([f"bench:W-{i}" for i in range(n_items)])

    pq.write_table(
        pa.table({"id": teams, "name": [t.split(":")[1].title() for t in teams]}),
        folder / "team.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "team_id": _strings(team, teams),
                "type": _strings(
                    rng.choice(3, n_items, p=[0.6, 0.25, 0.15]), ["story", "bug", "task"]
                ),
                "status": _strings(state, STATUSES),
                "status_category": _strings(state, CATEGORIES),
                "created_at": _timestamps(created),
                "started_at": _timestamps(started, started >= 0),
                "resolved_at": _timestamps(at, resolved),
            }
        ),
        folder / "work_item.parquet",
        row_group_size=ROW_GROUP,
    )
    pq.write_table(
        pa.table(
            {
                "work_item_id": ids.take(item),
                "changed_at": _timestamps(changed),
                "from_status": _strings(from_status, STATUSES),
                "to_status": _strings(to_status, STATUSES),
                "to_category": _strings(to_status, CATEGORIES),
            }
        ),
        folder / "work_item_transition.parquet",
        row_group_size=ROW_GROUP,
    )

    # Flagged or blocked periods of ~15% of the started items, a fifth of them twice;
    # a flag still raised at the as-of time has no end.
    flagged = np.flatnonzero((started >= 0) & (rng.random(n_items) < 0.15))
    flagged = np.concatenate([flagged, flagged[rng.random(flagged.size) < 0.2]])
    until = np.where(resolved[flagged], at[flagged], as_of)
    start = started[flagged] + (rng.random(flagged.size) * (until - started[flagged])).astype(
        np.int64
    )
    end = start + (rng.lognormal(0.0, 1.0, flagged.size) * DAY_US).astype(np.int64)
    pq.write_table(
        pa.table(
            {
                "work_item_id": ids.take(flagged),
                "kind": _strings(rng.integers(0, 2, flagged.size), ["blocked", "flagged"]),
                "started_at": _timestamps(start),
                "ended_at": _timestamps(end, end < as_of),
            }
        ),
        folder / "work_item_flag.parquet",
        row_group_size=ROW_GROUP,
    )
    return {
        "items": n_items,
        "transitions": int(item.size),
        "flags": int(flagged.size),
        "done": int((category == "done").sum()),
    }


# -- the three sides ----------------------------------------------------------------------

Tables = dict[str, pa.Table]


def productops_side(folder: Path, steps: dict[str, float], settings: list[str]) -> Tables:
    """The productops expressions on an Ibis DuckDB connection over the Parquet files."""
    import ibis

    from productops.pillars import process as p

    workflow = p.Workflow(allowed=SENT_BACK)
    from productops.engine import limit_duckdb

    con = ibis.duckdb.connect()
    limit_duckdb(con.con, _engine(), folder)  # as productops keeps its store's DuckDB
    for setting in _duckdb_settings(folder, settings):
        con.raw_sql(setting)
    read = {
        name: con.read_parquet(folder / f"{name}.parquet", table_name=name)
        for name in ("work_item", "work_item_transition", "work_item_flag")
    }
    work_item, transition, flag = (
        read["work_item"],
        read["work_item_transition"],
        read["work_item_flag"],
    )
    timer = _Timer(steps)
    with timer("stays (cached)"):
        stays = p.status_stays(work_item, transition, AS_OF).cache()
    with timer("items (cached)"):
        items = p.flow_items(work_item, stays).cache()
    expressions = {
        "items": items,
        "lead_time": p.lead_time(work_item, "month"),
        "cycle_time": p.cycle_time(items, "month"),
        "throughput": p.throughput(work_item, "week"),
        "wip": p.wip(work_item, "week"),
        "bottleneck": p.bottleneck(stays, work_item, "month"),
        "flow_efficiency": p.flow_efficiency(stays, work_item, flag, AS_OF, "month"),
        "conformance": p.conformance(
            work_item, p.deviations(work_item, transition, workflow), "month", workflow
        ),
    }
    tables = {}
    for name, expr in expressions.items():
        with timer(name):
            tables[name] = expr.to_pyarrow()
    return tables


def sql_side(folder: Path, steps: dict[str, float], settings: list[str]) -> Tables:
    """bench/flow_reference.sql on a DuckDB connection, every "-- result:" fetched as Arrow."""
    import duckdb

    con = duckdb.connect()
    for setting in _duckdb_settings(folder, settings, sql=True):
        con.execute(setting)
    literal = f"TIMESTAMPTZ '{AS_OF.isoformat()}'"
    text = Template(REFERENCE_SQL.read_text()).substitute(folder=str(folder), as_of=literal)
    timer = _Timer(steps)
    fetched: Tables = {}
    for name, statement, fetch in _statements(text):
        with timer(name):
            if fetch:
                fetched[name] = con.sql(statement).to_arrow_table()
            else:
                con.execute(statement)
    both = fetched.pop("percentiles")
    for table, prefix in (("lead_time", "lead_"), ("cycle_time", "cycle_")):
        names = ["team_id", "period_start", "items"] + [prefix + c for c in PERCENTILE_COLUMNS[1:]]
        fetched[table] = both.select(names).rename_columns(KEYS + PERCENTILE_COLUMNS)
    return fetched


def _engine() -> Any:
    """A workspace's default `[engine]` settings, spilling into the run's folder."""
    from productops.config import EngineSettings

    return EngineSettings(temp_directory=f"spill-{os.getpid()}")


def _duckdb_settings(folder: Path, extra: list[str], sql: bool = False) -> list[str]:
    """Run first on both DuckDB sides: no progress bar; for the hand-written SQL (`sql`) the
    limits productops' `limit_duckdb` sets on its side (a workspace's default memory limit, a
    spill folder in the run's folder), for a fair race; then `extra`."""
    engine = _engine()
    limits = [
        f"SET memory_limit = '{engine.memory_limit}'",
        f"SET temp_directory = '{folder / engine.temp_directory}'",
    ]
    return ["SET enable_progress_bar = false", *(limits if sql else []), *extra]


def _statements(text: str) -> list[tuple[str, str, bool]]:
    """The statements of a SQL script as (name, text, fetched): a statement marked
    "-- result: NAME" is fetched as NAME; the others are named by their first line."""
    out, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            code = [ln for ln in current if ln.strip() and not ln.lstrip().startswith("--")]
            marks = [ln.split(":", 1)[1].strip() for ln in current if ln.startswith("-- result:")]
            name = code[0].replace("CREATE OR REPLACE TEMP ", "").split(" AS")[0].rstrip(";")
            if name.startswith("TABLE "):
                name = name.removeprefix("TABLE ") + " (temp table)"
            name = marks[0] if marks else name
            out.append((name, "\n".join(current), bool(marks)))
            current = []
    return out


def pandas_side(
    folder: Path, steps: dict[str, float], settings: list[str], arrow_strings: bool = True
) -> Tables:
    """An idiomatic pandas implementation: sort + groupby/shift, merge, groupby quantile.

    Strings are Arrow-backed (pandas 3's default, opt-in on pandas 2), or with
    `arrow_strings=False` NumPy objects (pandas 2's default), about 1.5x as slow here.
    """
    import pandas as pd

    pd.options.future.infer_string = arrow_strings
    timer = _Timer(steps)
    as_of = pd.Timestamp(AS_OF)
    waits = [
        "in review",
        "code review",
        "ready for review",
        "waiting for review",
        "ready for qa",
        "ready for release",
        "ready to deploy",
        "waiting",
        "blocked",
        "on hold",
    ]

    def seconds_between(start: pd.Series[Any], end: pd.Series[Any]) -> pd.Series[Any]:
        seconds: pd.Series[Any] = (end.dt.floor("s") - start.dt.floor("s")).dt.total_seconds()
        return seconds

    def period(ts: pd.Series[Any], freq: str) -> pd.Series[Any]:
        naive = ts.dt.tz_localize(None).dt.to_period(freq).dt.start_time
        start: pd.Series[Any] = naive.dt.tz_localize("UTC")
        return start

    with timer("read"):
        wi = pd.read_parquet(folder / "work_item.parquet")
        tr = pd.read_parquet(folder / "work_item_transition.parquet")
        fl = pd.read_parquet(folder / "work_item_flag.parquet")

    with timer("stays"):
        tr = tr.sort_values(["work_item_id", "changed_at", "to_status"], ignore_index=True)
        tr["left_at"] = tr.groupby("work_item_id")["changed_at"].shift(-1)
        known = tr.groupby("to_status")["to_category"].max()
        owner = wi[["id", "team_id", "created_at"]].rename(columns={"id": "work_item_id"})
        first = tr[~tr["work_item_id"].duplicated() & tr["from_status"].notna()]
        first = first.merge(owner, on="work_item_id")
        first = first[first["changed_at"] > first["created_at"]]
        initial = pd.DataFrame(
            {
                "work_item_id": first["work_item_id"],
                "status": first["from_status"],
                "category": first["from_status"].map(known),
                "entered_at": first["created_at"],
                "left_at": first["changed_at"],
            }
        )
        moves = tr[["work_item_id", "to_status", "to_category", "changed_at", "left_at"]]
        moves = moves.set_axis(initial.columns, axis=1)
        stays = pd.concat([moves, initial], ignore_index=True)
        stays = stays.merge(owner[["work_item_id", "team_id"]], on="work_item_id")
        still_open = (
            stays["left_at"].isna()
            & stays["category"].notna()
            & ~stays["category"].isin(["done", "cancelled"])
        )
        end = stays["left_at"].mask(still_open, as_of)
        stays["seconds"] = seconds_between(stays["entered_at"], end)

    with timer("items"):
        active_seconds = stays["seconds"].where(stays["category"] == "in_progress")
        per_item = (
            stays.assign(active=active_seconds)
            .groupby("work_item_id")
            .agg(active_seconds=("active", "sum"), stays=("status", "size"))
        )
        items = wi.rename(columns={"id": "work_item_id"}).merge(
            per_item, left_on="work_item_id", right_index=True, how="left"
        )
        done_mask = (items["status_category"] == "done") & items["resolved_at"].notna()
        lead = seconds_between(items["created_at"], items["resolved_at"]) / 86_400
        items["lead_time_days"] = lead.where(done_mask)
        items["cycle_time_days"] = items["active_seconds"].fillna(0) / 86_400
        items["status_changes"] = (items["stays"].fillna(1) - 1).clip(lower=0).astype("int64")
        items = items.drop(columns=["active_seconds", "stays"])

    with timer("percentiles"):
        done = items[done_mask].assign(period_start=lambda d: period(d["resolved_at"], "M"))
        groups = done.groupby(["team_id", "period_start"])
        percentiles = {}
        for table, column in (("lead_time", "lead_time_days"), ("cycle_time", "cycle_time_days")):
            q = groups[column].quantile(np.array(QUANTILES)).unstack()
            q.columns = PERCENTILE_COLUMNS[1:]
            percentiles[table] = groups.size().rename("items").to_frame().join(q).reset_index()

    with timer("throughput"):
        week = period(done["resolved_at"], "W-SUN").rename("period_start")
        throughput = done.groupby(["team_id", week]).size().rename("items").reset_index()

    with timer("wip"):
        begun = wi[wi["started_at"].notna()]
        ended = begun[begun["resolved_at"].notna()]
        events = pd.concat(
            [
                pd.DataFrame({"team_id": begun["team_id"], "ts": begun["started_at"], "delta": 1}),
                pd.DataFrame(
                    {"team_id": ended["team_id"], "ts": ended["resolved_at"], "delta": -1}
                ),
            ]
        )
        net = events.groupby(["team_id", "ts"], as_index=False)["delta"].sum()
        net["wip"] = net.groupby("team_id")["delta"].cumsum()
        net["period_start"] = period(net["ts"], "W-SUN")
        wip = net.groupby(["team_id", "period_start"], as_index=False)["wip"].last()

    with timer("bottleneck"):
        active = stays[(stays["category"] == "in_progress") & stays["seconds"].notna()]
        active = active.merge(done[["work_item_id", "period_start"]], on="work_item_id")
        active["waiting"] = active["status"].str.lower().isin(waits)
        per = active.groupby([*KEYS, "status", "waiting"], as_index=False).agg(
            items=("work_item_id", "nunique"), seconds=("seconds", "sum")
        )
        team_period = [per["team_id"], per["period_start"]]
        per["share_of_cycle"] = per["seconds"] / per.groupby(KEYS)["seconds"].transform("sum")
        waiting_total = per["seconds"].where(per["waiting"]).groupby(team_period).transform("sum")
        per["share_of_waiting"] = per["seconds"] / waiting_total
        per = per.sort_values(["team_id", "status", "period_start"])
        per["previous_share_of_cycle"] = per.groupby(["team_id", "status"])[
            "share_of_cycle"
        ].shift()
        per["trend"] = per["share_of_cycle"] - per["previous_share_of_cycle"]
        per["days"] = per["seconds"] / 86_400
        bottleneck = (
            per[per["waiting"]]
            .sort_values([*KEYS, "seconds", "status"], ascending=[True, True, False, True])
            .drop_duplicates(KEYS)
            .sort_values(KEYS)
        )

    with timer("flow_efficiency"):
        active = active.reset_index(drop=True)
        working = active[~active["waiting"]].reset_index(names="stay")
        flags = fl.rename(columns={"started_at": "flag_start", "ended_at": "flag_end"})
        pairs = working.merge(flags, on="work_item_id")
        flag_end = pairs["flag_end"].fillna(as_of)
        start = pairs["entered_at"].where(
            pairs["entered_at"] > pairs["flag_start"], pairs["flag_start"]
        )
        end = pairs["left_at"].where(pairs["left_at"] < flag_end, flag_end)
        overlap = seconds_between(start, end).clip(lower=0)
        flagged = overlap.groupby(pairs["stay"]).sum().reindex(active.index, fill_value=0)
        active["waiting_seconds"] = active["seconds"].where(
            active["waiting"], flagged.clip(upper=active["seconds"])
        )
        efficiency = (
            active.groupby(KEYS)
            .agg(
                items=("work_item_id", "nunique"),
                cycle=("seconds", "sum"),
                waiting=("waiting_seconds", "sum"),
            )
            .reset_index()
        )
        efficiency["cycle_days"] = efficiency["cycle"] / 86_400
        efficiency["waiting_days"] = efficiency["waiting"] / 86_400
        efficiency["active_days"] = (efficiency["cycle"] - efficiency["waiting"]) / 86_400
        efficiency["efficiency"] = (
            (efficiency["cycle"] - efficiency["waiting"]) / efficiency["cycle"]
        ).where(efficiency["cycle"] > 0)

    with timer("conformance"):
        rank = {"to do": 0, "in progress": 1, "in review": 2, "qa": 3, "done": 4}
        moved = tr[tr["from_status"].notna()]
        src = moved["from_status"].str.lower().map(rank)
        dst = moved["to_status"].str.lower().map(rank)
        over_required = (dst > src + 1) & ~((src == 2) & (dst == 4))  # QA is optional
        allowed = (moved["to_category"] == "cancelled") | (src.isin([2, 3]) & (dst == 1))
        deviates = ~allowed & (dst.isna() | (src.notna() & ((dst < src) | over_required)))
        deviating = moved.loc[deviates, "work_item_id"].unique()
        conform = done.assign(ok=~done["work_item_id"].isin(deviating))
        conformance = conform.groupby(KEYS, as_index=False).agg(
            items=("ok", "size"), conforming=("ok", "sum")
        )
        conformance["share"] = conformance["conforming"] / conformance["items"]
        conformance["team_conforms"] = conformance["share"] >= 0.8

    frames = {
        "items": items,
        **percentiles,
        "throughput": throughput,
        "wip": wip,
        "bottleneck": bottleneck,
        "flow_efficiency": efficiency,
        "conformance": conformance,
    }
    return {
        name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in frames.items()
    }


class _Timer:
    """Records the seconds of each `with timer(name):` block into `steps`."""

    def __init__(self, steps: dict[str, float]) -> None:
        self.steps = steps
        self.name = ""
        self.started = 0.0

    def __call__(self, name: str) -> _Timer:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.steps[self.name] = self.steps.get(self.name, 0.0) + time.perf_counter() - self.started


RUNNERS: dict[str, Callable[[Path, dict[str, float], list[str]], Tables]] = {
    "sql": sql_side,
    "productops": productops_side,
    "pandas": pandas_side,
    "pandas-object": functools.partial(pandas_side, arrow_strings=False),
}


def run_side(side: str, folder: Path, settings: list[str], write: bool) -> dict[str, Any]:
    """Runs in a child process: one side, timed from the Parquet files to every table in Arrow;
    with `write`, the tables go to folder/side for the parent to compare."""
    if side == "productops":
        import ibis  # noqa: F401

        import productops.pillars.process  # noqa: F401
    elif side.startswith("pandas"):
        import pandas  # noqa: F401
    else:
        import duckdb  # noqa: F401
    steps: dict[str, float] = {}
    started = time.perf_counter()
    tables = RUNNERS[side](folder, steps, settings)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if write:
        (folder / side).mkdir()
        for name, table in tables.items():
            pq.write_table(table, folder / side / f"{name}.parquet")
    return {"seconds": seconds, "peak_rss_mb": peak, "steps": steps}


# -- checking the answers -----------------------------------------------------------------


def _canonical(table: pa.Table, keys: list[str], columns: list[str]) -> dict[str, Any]:
    """Columns as NumPy arrays in key order; instants as UTC microseconds."""
    table = table.select(keys + columns)
    table = table.sort_by([(k, "ascending") for k in keys])
    out: dict[str, Any] = {}
    for name in keys + columns:
        col = table[name]
        if pa.types.is_timestamp(col.type):
            col = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
        elif pa.types.is_boolean(col.type) or pa.types.is_decimal(col.type):
            col = pc.cast(col, pa.float64())
        out[name] = col.to_numpy(zero_copy_only=False)
    return out


def compare(folder: Path, side: str, base: str = "productops") -> dict[str, str]:
    """Per table: 'same' when `side` has the rows and values of `base` (floats to 1e-9), else why not."""
    verdicts = {}
    for name, (keys, columns) in TABLES.items():
        a = _canonical(pq.read_table(folder / base / f"{name}.parquet"), keys, columns)
        b = _canonical(pq.read_table(folder / side / f"{name}.parquet"), keys, columns)
        if len(a[keys[0]]) != len(b[keys[0]]):
            verdicts[name] = f"{len(b[keys[0]])} rows, {base} {len(a[keys[0]])}"
            continue
        problems = []
        for column in keys + columns:
            x, y = a[column], b[column]
            if x.dtype.kind in "fiu" and y.dtype.kind in "fiu":
                x, y = x.astype(float), y.astype(float)
                ok = np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
            else:
                ok = x == y
            if not ok.all():
                problems.append(f"{column} differs in {int((~ok).sum())} rows")
        verdicts[name] = "; ".join(problems) or "same"
    return verdicts


def headline(folder: Path, side: str) -> dict[str, float]:
    """A few aggregates to show side by side."""
    read = {name: pq.read_table(folder / side / f"{name}.parquet") for name in TABLES}
    lead = read["lead_time"].to_pandas()
    conf = read["conformance"].to_pandas()
    eff = read["flow_efficiency"].to_pandas()
    return {
        "throughput (items done)": float(pc.sum(read["throughput"]["items"]).as_py()),
        "lead p50, mean over team-months (days)": float(lead["p50"].mean()),
        "cycle p85, max over team-months (days)": float(pc.max(read["cycle_time"]["p85"]).as_py()),
        "conforming share of done items": float(conf["conforming"].sum() / conf["items"].sum()),
        "team-months conforming": float(conf["team_conforms"].astype(float).mean()),
        "flow efficiency, all done items": float(
            1 - eff["waiting_days"].sum() / eff["cycle_days"].sum()
        ),
    }


# -- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--sides",
        default=",".join(SIDES),
        help="comma-separated, of " + ", ".join([*SIDES, "pandas-object"]),
    )
    parser.add_argument(
        "--data", help="keep the generated Parquet files in this folder and reuse them next time"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each side, interleaved; the fastest counts"
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        help='a DuckDB statement run first on both DuckDB sides, e.g. "SET threads = 1" (repeatable)',
    )
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(run_side(args.side, Path(args.folder), args.setting, args.write)))
        return
    sides = [s for s in args.sides.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        if args.data:
            data = Path(args.data) / f"items-{args.items}"
            stamp = data / "counts.json"
            if not stamp.exists():
                data.mkdir(parents=True, exist_ok=True)
                stamp.write_text(json.dumps(write_parquet(data, args.items)))
            counts = json.loads(stamp.read_text())
            for name in ("team", "work_item", "work_item_transition", "work_item_flag"):
                (folder / f"{name}.parquet").symlink_to(data / f"{name}.parquet")
        else:
            counts = write_parquet(folder, args.items)
        print(
            f"data: {counts['items']:,} work items ({counts['done']:,} done), "
            f"{counts['transitions']:,} transitions, {counts['flags']:,} flags, "
            f"{TEAMS} teams; ready in {time.perf_counter() - started:.1f} s"
        )
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
        for repeat in range(args.repeat):
            for side in sides:
                command = [sys.executable, __file__, "--side", side, "--folder", tmp]
                command += [f"--setting={setting}" for setting in args.setting]
                out = subprocess.run(
                    command + (["--write"] if repeat == 0 else []),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                runs[side].append(json.loads(out.strip().splitlines()[-1]))
        print(
            f"{len(os.sched_getaffinity(0))} cores; load average (1 min) {load_before:.1f} before "
            f"the runs, {os.getloadavg()[0]:.1f} after (other work on the machine slows every side)"
        )
        results = {}
        for side in sides:
            best = min(runs[side], key=lambda r: float(r["seconds"]))
            best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs[side])
            results[side] = best
            times = ", ".join(f"{r['seconds']:.1f}" for r in runs[side])
            steps = ", ".join(f"{k} {v:.2f}" for k, v in best["steps"].items())
            print(
                f"{side:>13}: {best['seconds']:6.2f} s (runs: {times}), "
                f"peak RSS {best['peak_rss_mb']:,.0f} MB\n{'':15}best run: {steps}"
            )
        agree = True
        if "productops" in results:
            for side in (s for s in sides if s != "productops"):
                verdicts = compare(folder, side)
                same = all(v == "same" for v in verdicts.values())
                agree = agree and same
                print(f"{side} vs productops: {'all tables agree' if same else 'DISAGREE'}")
                for name, verdict in verdicts.items():
                    if verdict != "same":
                        print(f"    {name}: {verdict}")
            figures = {side: headline(folder, side) for side in sides}
            print(f"{'':42}" + "".join(f"{s:>15}" for s in sides))
            for label in figures["productops"]:
                print(f"{label:42}" + "".join(f"{figures[s][label]:15.4f}" for s in sides))
    if {"sql", "productops"} <= results.keys():
        ratio = results["productops"]["seconds"] / results["sql"]["seconds"]
        print(f"productops / sql:    {ratio:.2f} (target <= 1.25)")
    if {"pandas", "productops"} <= results.keys():
        ratio = results["pandas"]["seconds"] / results["productops"]["seconds"]
        print(f"pandas / productops: {ratio:.2f} (target >= 4)")
    if "productops" in results:
        peak = results["productops"]["peak_rss_mb"]
        print(f"productops peak RSS: {peak:,.0f} MB (target < 2,048)")
    print("answers agree" if agree else "ANSWERS DISAGREE: the timings compare different results")


if __name__ == "__main__":
    main()
