"""Spark's plans: every parity metric on Spark local[2] at demo scale 1, and the whole scorecard
at demo scale 10 (with the analyses `productops demo` runs: themes, sentiment, repeats) on
Spark against DuckDB in the same run.

Targets (issue 16, item 2): each parity metric under 10 s on Spark at scale 1; the scorecard
at scale 10 on Spark within 5x DuckDB's time (the ratio printed: Spark / DuckDB, the
baseline), on a warm session (a server's steady state); a fresh session's first scorecard,
which also loads and compiles Spark, is printed beside it. Also printed: the time to bring the
Spark tables up to date, first in full, then after nothing changed (the incremental export,
item 3), and the load average before and after.

With `--per-criterion`, each criterion then runs alone through `scorecard` on both engines
(Spark's session warm by then): seconds on each and Spark's jobs, the costliest first.

    PYTHONPATH=src .venv/bin/python bench/bench_spark.py [--metrics NAME,...] [--skip-scorecard]
        [--skip-metrics] [--per-criterion] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.parity.metrics

from tests.parity.metrics import PARITY_METRICS

from productops.config import EngineSettings
from productops.demo import build_demo
from productops.engine import analytics_backend, collect_union
from productops.ops.criteria import CRITERIA
from productops.ops.scorecard import periods_ending, scorecard
from productops.services.actor import Actor
from productops.services.demo import analyse, demo_as_of
from productops.services.themes import pick_embedder
from productops.workspace import Workspace

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

METRIC_BUDGET = 10.0
RATIO_BUDGET = 5.0
RUNS = 5
LAST = datetime(2026, 7, 1, tzinfo=UTC)  # the demo's last complete quarter
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SPARK = EngineSettings(
    kind="pyspark", spark_master="local[2]", spark_conf={"spark.ui.showConsoleProgress": "false"}
)


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _workspace(folder: Path, scale: int, analysed: bool = False) -> tuple[Workspace, float]:
    """A demo at `scale` in `folder`, and the seconds it took to build. `analysed`: with the
    analyses `productops demo` runs on it (themes, sentiment, repeats, insights re-pointed),
    which criteria such as time to insight read."""
    ws = Workspace.init(folder / f"scale{scale}")
    started = time.perf_counter()
    manifest = build_demo(ws.store, ws.manifest_path, scale=scale)
    if analysed:
        analyse(ws, Actor.cli(), demo_as_of(manifest), pick_embedder(ws))
    return ws, time.perf_counter() - started


def _spark_backend(ws: Workspace) -> tuple[BaseBackend, float, float]:
    """The Spark backend over `ws`, the seconds of its first (full) export and of a second one
    with nothing changed."""
    started = time.perf_counter()
    backend = analytics_backend(ws.store, SPARK, ws.root / "parquet")
    full = time.perf_counter() - started
    started = time.perf_counter()
    analytics_backend(ws.store, SPARK, ws.root / "parquet")
    again = time.perf_counter() - started
    return backend, full, again


def per_metric(folder: Path, names: list[str]) -> None:
    """Each metric on a fresh Spark backend, so that it pays for the shared tables it reads."""
    ws, built = _workspace(folder, 1)
    spark, full, again = _spark_backend(ws)
    print(f"scale 1 built in {built:.1f} s; Spark tables: {full:.1f} s, unchanged {again:.2f} s")
    started = time.perf_counter()  # the JVM's first queries load and compile its classes
    PARITY_METRICS["lead_time_by_month"](spark).to_pyarrow()
    print(f"warm-up (lead_time_by_month, not counted): {time.perf_counter() - started:.1f} s")
    slow = []
    for name in names:
        spark = analytics_backend(ws.store, SPARK, ws.root / "parquet")
        started = time.perf_counter()
        rows = PARITY_METRICS[name](spark).to_pyarrow().num_rows
        took = time.perf_counter() - started
        if took >= METRIC_BUDGET:
            slow.append(name)
        print(f"  {name:48s} {took:6.2f} s  {rows:6d} rows  (load {_load()})", flush=True)
    print(f"metrics over {METRIC_BUDGET:.0f} s: {len(slow)} of {len(names)} {slow or ''}")
    ws.close()


def _last_job(spark: BaseBackend) -> int:
    """The id of Spark's latest job (ids count up from 0; jobs run from threads too)."""
    ids = spark._session.sparkContext.statusTracker().getJobIdsForGroup(None)
    return max(ids, default=-1)


def per_criterion(ws: Workspace, spark: BaseBackend, starts: list[datetime]) -> None:
    """Each criterion alone, on DuckDB and on the (warm) Spark backend, as the services run it."""
    rows = []
    for cid, c in CRITERIA.items():
        times = []
        first = _last_job(spark)
        for backend in (ws.backend(), spark):
            started = time.perf_counter()
            scorecard(backend.table, starts, as_of=AS_OF, criteria=[c], collect=collect_union)
            times.append(time.perf_counter() - started)
        rows.append((times[1], times[0], _last_job(spark) - first, cid))
    print("criterion alone (Spark warm)                  DuckDB s  Spark s  Spark jobs")
    for took, duck, jobs, cid in sorted(rows, reverse=True):
        print(f"  {cid:44s} {duck:7.2f} {took:8.2f} {jobs:8d}")
    spark_s, duck_s, jobs = (
        sum(r[0] for r in rows),
        sum(r[1] for r in rows),
        sum(r[2] for r in rows),
    )
    print(f"  {'sum':44s} {duck_s:7.2f} {spark_s:8.2f} {jobs:8d}  (load {_load()})")


def _seconds(times: list[float]) -> str:
    return " ".join(f"{t:.2f}" for t in times)


def _timed(backend: BaseBackend, starts: list[datetime]) -> float:
    """Seconds of one scorecard on `backend`."""
    started = time.perf_counter()
    scorecard(backend.table, starts, as_of=AS_OF, collect=collect_union)
    return time.perf_counter() - started


def scorecard_ratio(folder: Path, given: Path | None, criteria: bool) -> None:
    """The scorecard on `given`, a demo at scale 10 (else one built in `folder` with its
    analyses, as `productops demo --scale 10` builds it): on Spark once on a fresh session (its
    JVM loads and compiles Spark's classes and every query's generated code), then `RUNS`
    times on DuckDB and on the same Spark session in turn (a server's long-lived session), so
    that the machine's drift falls on both alike. The budget holds the warm session's median to
    DuckDB's median; the fresh session's ratio is printed beside it."""
    if given is None:
        ws, built = _workspace(folder, 10, analysed=True)
        print(f"scale 10 built and analysed in {built:.1f} s")
    else:
        ws = Workspace.open(given)
    starts = periods_ending(LAST, "quarter", 8)
    spark, full, again = _spark_backend(ws)
    print(f"Spark tables: {full:.1f} s, unchanged {again:.2f} s")
    duckdb = ws.backend()
    _timed(duckdb, starts)  # DuckDB's first run, not counted, as Spark's fresh one is not
    first = _last_job(spark)
    fresh = _timed(spark, starts)
    jobs = _last_job(spark) - first
    duck, warm = [], []
    for _ in range(RUNS):
        duck.append(_timed(duckdb, starts))
        warm.append(_timed(spark, starts))
    print(
        f"scorecard: Spark fresh {fresh:.2f} s ({jobs} jobs); in turn, DuckDB {_seconds(duck)} s "
        f"and Spark warm {_seconds(warm)} s (load {_load()})"
    )
    print(
        f"ratio Spark / DuckDB (medians): warm {statistics.median(warm) / statistics.median(duck):.2f}"
        f" (budget {RATIO_BUDGET:.0f}), fresh {fresh / statistics.median(duck):.2f}"
    )
    if criteria:
        per_criterion(ws, spark, starts)
    ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", help="comma-separated parity metrics (default: all)")
    parser.add_argument("--skip-scorecard", action="store_true")
    parser.add_argument("--skip-metrics", action="store_true")
    parser.add_argument("--per-criterion", action="store_true", help="then each criterion alone")
    parser.add_argument(
        "--workspace",
        type=Path,
        help="the scorecard on this demo (`productops demo --scale 10 DIR`; default: built here)",
    )
    args = parser.parse_args()
    names = args.metrics.split(",") if args.metrics else sorted(PARITY_METRICS)
    print(f"load average before: {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_metrics:
            per_metric(Path(tmp), names)
        if not args.skip_scorecard:
            scorecard_ratio(Path(tmp), args.workspace, args.per_criterion)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
