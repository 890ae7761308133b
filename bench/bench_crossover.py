"""The crossover: the scorecard and the flow tables on DuckDB and on Spark, at demo scale 1x, 10x.

Target (issue 16): time and peak memory of each engine at each scale, each engine's per-row
cost, and where Spark on a real cluster would overtake DuckDB on one machine, projected from
those costs (a projection, not a measurement).

Each engine runs in its own process on the same demo workspace (`productops demo --scale N`),
selected as a user would: `[engine] kind` and `spark_master` in productops.toml.

- duckdb: the store's DuckDB, with the workspace's memory limit and temp directory.
- spark-local: Spark local[2] (the store is exported to Parquet first, as every Spark run does).
- spark-cluster: the standalone cluster of scripts/spark-cluster.sh (started and stopped here
  when the script exists and it is not running already); not run without the script.

Times (seconds): setup (open the workspace and its analytics backend: for Spark, start the
session and export the store), scorecard (every criterion, every team and the organisation,
8 quarters), flow (status stays and flow items cached, then the per-item table, lead and cycle
time percentiles, throughput, WIP, bottleneck, flow efficiency and conformance, each fetched).
Peak memory (MB): the engine process's peak resident set (VmHWM); for Spark the driver
JVM, a separate child process, is reported beside it (its peak, VmHWM from /proc, Linux);
the cluster's executor JVMs are not counted.

Per-row cost: the line t(n) = a + b * n fitted (least squares) to the work seconds (or peak MB)
at n work items over the scales run: b, the marginal cost, per 1,000 work items; a, the fixed
cost.

    .venv/bin/python bench/bench_crossover.py [--scales 1,10] [--engines duckdb,spark-local]
        [--data DIR] [--cluster-cores 32]

--scales 1,10,100 adds the 100x run (demo --scale 100 takes over an hour to build here).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLUSTER = HERE.parent / "scripts" / "spark-cluster.sh"
CLUSTER_MASTER = "spark://127.0.0.1:{port}"
ENGINES = {  # name -> (engine.kind, engine.spark_master)
    "duckdb": ("duckdb", "local[2]"),
    "spark-local": ("pyspark", "local[2]"),
    "spark-cluster": ("pyspark", ""),  # the cluster's master URL, set when it runs
}
LOCAL_CORES = 2  # Spark local[2]
LAST = datetime(2026, 7, 1, tzinfo=UTC)  # the demo's last complete quarter
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
STEPS = ("setup", "scorecard", "flow")


# -- one engine, in its own process -------------------------------------------------------


def run_engine(root: Path, kind: str, master: str) -> dict[str, Any]:
    """Runs in a child process: the scorecard and the flow tables on the workspace at `root`."""
    from productops.config import CONFIG_FILE, load_config, write_config
    from productops.engine import collect_union
    from productops.ops.scorecard import periods_ending, scorecard
    from productops.pillars import process as p
    from productops.workspace import Workspace

    config = load_config(root / CONFIG_FILE)
    update: dict[str, Any] = {"kind": kind, "spark_master": master}
    if master.startswith("spark://"):  # one shuffle partition per worker core (docs/scale.md)
        cores = int(os.environ.get("SPARK_WORKER_INSTANCES", "2")) * int(
            os.environ.get("SPARK_WORKER_CORES", "1")
        )
        update["spark_conf"] = {"spark.sql.shuffle.partitions": str(cores)}
    engine = config.engine.model_copy(update=update)
    write_config(root / CONFIG_FILE, config.model_copy(update={"engine": engine}))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    ws = Workspace.open(root)
    backend = ws.backend()
    seconds["setup"] = time.perf_counter() - started

    started = time.perf_counter()
    rows = scorecard(
        backend.table, periods_ending(LAST, "quarter", 8), as_of=AS_OF, collect=collect_union
    )
    seconds["scorecard"] = time.perf_counter() - started

    started = time.perf_counter()
    work_item, transition = backend.table("work_item"), backend.table("work_item_transition")
    stays = p.status_stays(work_item, transition, AS_OF).cache()
    items = p.flow_items(work_item, stays).cache()
    tables = [
        items,
        p.lead_time(work_item, "month"),
        p.cycle_time(items, "month"),
        p.throughput(work_item, "week", AS_OF),
        p.wip(work_item, "week"),
        p.bottleneck(stays, work_item, "month"),
        p.flow_efficiency(stays, work_item, backend.table("work_item_flag"), AS_OF, "month"),
        p.conformance(work_item, p.deviations(work_item, transition), "month"),
    ]
    flow_rows = sum(t.to_pyarrow().num_rows for t in tables)
    seconds["flow"] = time.perf_counter() - started

    jvm_mb = sum(_peak_mb(pid) for pid in _descendants(os.getpid()))
    ws.close()
    return {
        "seconds": seconds,
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report
        # the parent's peak (the parent builds the demo) whenever that is the larger.
        "peak_rss_mb": _peak_mb(os.getpid()),
        "jvm_peak_mb": jvm_mb,
        "scorecard_rows": len(rows),
        "flow_rows": flow_rows,
    }


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (for Spark: the driver JVM), from /proc; none elsewhere."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _peak_mb(pid: int) -> float:
    """The peak resident set of process `pid` in MB (VmHWM), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- the workspaces and the cluster -------------------------------------------------------


def demo_workspace(folder: Path, scale: int) -> tuple[Path, dict[str, int]]:
    """The demo workspace at `scale` in `folder` (built once; kept there) and its row counts."""
    from productops.demo import build_demo
    from productops.workspace import Workspace

    root = folder / f"scale-{scale}"
    stamp = root / "bench-counts.json"
    if not stamp.exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        ws = Workspace.init(root)
        build_demo(ws.store, ws.manifest_path, scale=scale)
        counts = {
            name: int(ws.store.sql(f"SELECT count(*) FROM {name}")[0][0])
            for name in ("work_item", "work_item_transition", "work_item_flag")
        }
        ws.close()
        counts["built_seconds"] = round(time.perf_counter() - started)
        stamp.write_text(json.dumps(counts))
    return root, json.loads(stamp.read_text())


def cluster_up() -> tuple[str, bool] | None:
    """The standalone cluster's master URL and whether this run started it; None without
    scripts/spark-cluster.sh."""
    if not CLUSTER.exists():
        return None
    running = subprocess.run(["bash", str(CLUSTER), "status"], capture_output=True).returncode == 0
    if not running:
        subprocess.run(["bash", str(CLUSTER), "start"], check=True)
    return CLUSTER_MASTER.format(port=os.environ.get("SPARK_MASTER_PORT", "7077")), not running


# -- costs and the projection -------------------------------------------------------------


def linear(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(a, b) of the least-squares line y = a + b * x through `points` (two or more x)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def crossover(duck: tuple[float, float], spark: tuple[float, float], scale: float) -> float | None:
    """Work items where a + b * n of Spark, its per-row cost divided by `scale`, meets DuckDB's;
    None when Spark never catches up (its fixed cost is lower, or its per-row cost not)."""
    (a_d, b_d), (a_s, b_s) = duck, spark
    slope = b_d - b_s / scale
    if slope <= 0 or a_s <= a_d:
        return None
    return (a_s - a_d) / slope


def report(
    results: dict[str, dict[int, dict[str, Any]]],
    counts: dict[int, dict[str, int]],
    cores: list[int],
) -> None:
    """The table, the per-row costs and the projected crossover."""
    print(
        f"\n{'engine':14}{'scale':>6}{'items':>10}"
        + "".join(f"{s + ' s':>12}" for s in STEPS)
        + f"{'work s':>10}{'peak MB':>10}{'JVM MB':>9}{'s/1k':>8}{'MB/1k':>8}"
    )
    for engine, by_scale in results.items():
        for scale, r in sorted(by_scale.items()):
            items = counts[scale]["work_item"]
            work = _work(r["seconds"])
            memory = r["peak_rss_mb"] + r["jvm_peak_mb"]
            print(
                f"{engine:14}{scale:>6}{items:>10,}"
                + "".join(f"{r['seconds'][s]:>12.1f}" for s in STEPS)
                + f"{work:>10.1f}{r['peak_rss_mb']:>10,.0f}{r['jvm_peak_mb']:>9,.0f}"
                + f"{work / items * 1000:>8.2f}{memory / items * 1000:>8.1f}"
            )
    for scale in counts:
        shapes = {(r[scale]["scorecard_rows"], r[scale]["flow_rows"]) for r in results.values()}
        if len(shapes) > 1:
            print(f"scale {scale}: the engines DISAGREE on the rows (scorecard, flow): {shapes}")
    print(
        "work s = scorecard + flow (setup apart); s/1k = work s per 1,000 work items; MB/1k = "
        "(peak MB + JVM MB) per 1,000 work items (both include each engine's fixed cost)"
    )
    fits: dict[str, tuple[float, float]] = {}
    print("\nper-row cost: t(n) = a + b * n, least squares over the scales run (n: work items)")
    for engine, by_scale in results.items():
        if len(by_scale) < 2:
            continue
        times = [(counts[s]["work_item"], _work(r["seconds"])) for s, r in by_scale.items()]
        memory = [
            (counts[s]["work_item"], r["peak_rss_mb"] + r["jvm_peak_mb"])
            for s, r in by_scale.items()
        ]
        fits[engine] = linear(times)
        a_m, b_m = linear(memory)
        a, b = fits[engine]
        print(
            f"  {engine:14} time: a = {a:7.1f} s, b = {b * 1000:7.3f} s per 1k items;   "
            f"memory: a = {a_m:6,.0f} MB, b = {b_m * 1000:6.2f} MB per 1k items"
        )
    if "duckdb" in fits and "spark-local" in fits:
        if fits["duckdb"][1] <= 0 or fits["spark-local"][1] <= 0:
            print(
                "\nPROJECTION: none. A marginal cost b is not positive: a larger scale ran faster, "
                "so the machine's load changed\nbetween the runs more than the work did; rerun "
                "at a quieter moment, with --repeat or larger scales."
            )
            return
        b_d, b_s = fits["duckdb"][1], fits["spark-local"][1]
        print(
            f"\nPROJECTION (not measured): Spark on a cluster of C cores against DuckDB on one "
            f"machine like this one ({len(os.sched_getaffinity(0))} cores).\n"
            f"  Assumes Spark's marginal cost b_S, measured on local[{LOCAL_CORES}], divides by "
            f"C/{LOCAL_CORES} on C cores (perfect scaling,\n  optimistic for Spark: no network "
            "shuffle cost) and both fixed costs stay as measured.\n"
            f"  crossover n* = (a_S - a_D) / (b_D - b_S * {LOCAL_CORES} / C) work items; none "
            f"below C = {LOCAL_CORES} * b_S / b_D = {LOCAL_CORES * b_s / b_d:,.0f} cores"
        )
        for c in cores:
            n = crossover(fits["duckdb"], fits["spark-local"], c / LOCAL_CORES)
            where = "none (Spark never catches up)" if n is None else f"{n:,.0f} work items"
            if n is not None and 1 in counts:
                where += f" (demo scale {n / counts[1]['work_item']:,.0f})"
            print(f"  C = {c:>5}: n* = {where}")


def _work(seconds: dict[str, float]) -> float:
    """The seconds of the work measured: the scorecard and the flow tables (setup apart)."""
    return seconds["scorecard"] + seconds["flow"]


def run_child(root: Path, engine: str) -> dict[str, Any]:
    """One run of `engine` on the workspace at `root`, in a process of its own."""
    kind, master = ENGINES[engine]
    load = os.getloadavg()[0]
    command = [sys.executable, __file__, "--child", str(root), kind, master]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    r: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["seconds"].items())
    print(
        f"  {engine}: {steps}; peak {r['peak_rss_mb']:,.0f} MB + JVM {r['jvm_peak_mb']:,.0f} MB; "
        f"load {load:.1f} before, {os.getloadavg()[0]:.1f} after",
        flush=True,
    )
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated demo scales")
    parser.add_argument(
        "--engines", default="duckdb,spark-local,spark-cluster", help="comma-separated"
    )
    parser.add_argument("--data", help="keep the demo workspaces in this folder and reuse them")
    parser.add_argument(
        "--cluster-cores",
        default="16,64,256,1024",
        help="comma-separated cores of the projected Spark clusters",
    )
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of each engine, interleaved; the fastest counts"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, kind, master = args.child
        print(json.dumps(run_engine(Path(root), kind, master)))
        return

    scales = sorted(int(s) for s in args.scales.split(","))
    engines = [e for e in args.engines.split(",") if e]
    started_cluster = False
    if "spark-cluster" in engines:
        cluster = cluster_up()
        if cluster is None:
            print("cluster: not run (no scripts/spark-cluster.sh)")
            engines.remove("spark-cluster")
        else:
            ENGINES["spark-cluster"] = ("pyspark", cluster[0])
            started_cluster = cluster[1]
    results: dict[str, dict[int, dict[str, Any]]] = {e: {} for e in engines}
    counts: dict[int, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.data) if args.data else Path(tmp)
        try:
            for scale in scales:
                root, counts[scale] = demo_workspace(folder, scale)
                c = counts[scale]
                print(
                    f"demo --scale {scale}: {c['work_item']:,} work items, "
                    f"{c['work_item_transition']:,} transitions (built in {c['built_seconds']} s)"
                )
                runs: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
                for _ in range(args.repeat):
                    for engine in engines:
                        runs[engine].append(run_child(root, engine))
                for engine in engines:
                    best = min(runs[engine], key=lambda r: _work(r["seconds"]))
                    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs[engine])
                    best["jvm_peak_mb"] = max(r["jvm_peak_mb"] for r in runs[engine])
                    results[engine][scale] = best
        finally:
            if started_cluster:
                subprocess.run(["bash", str(CLUSTER), "stop"], check=False)
    report(results, counts, [int(c) for c in args.cluster_cores.split(",")])


if __name__ == "__main__":
    main()
