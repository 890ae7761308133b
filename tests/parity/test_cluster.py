"""Parity on a real cluster: the same metrics on DuckDB, on a Spark standalone cluster (a master
and 2 workers started by scripts/spark-cluster.sh) and over Spark Connect give equal results.

CI runs `CLUSTER_METRICS`; PRODUCTOPS_PARITY_FULL=1 runs every parity metric (docs/scale.md).
Each Spark runs in a process of its own (`tests.parity.remote`), as PySpark allows one Spark
context per process and a Spark Connect session beside none. The Connect server runs in local
mode beside the cluster: a standalone application takes every free core, so a second one on
the cluster would wait for the first to end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from productops.demo import build_demo
from productops.workspace import Workspace
from tests.parity.metrics import PARITY_METRICS
from tests.parity.test_parity import _normalised

pytestmark = [pytest.mark.spark, pytest.mark.cluster]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "spark-cluster.sh"
# One metric of each kind: flow (windows over status changes), links, delivery (DORA),
# experiments, the metric catalog (cohorts), reconciliation, customers (themes).
CLUSTER_METRICS = (
    "throughput_by_week",
    "status_stays",
    "cross_team_blocks",
    "change_failure_rate",
    "experiment_arm_totals",
    "catalog_cohort_retention_by_month",
    "reconciliation_keys_crm_billing",
    "customer_theme_sentiment",
)
METRICS = sorted(PARITY_METRICS) if os.environ.get("PRODUCTOPS_PARITY_FULL") else CLUSTER_METRICS
TARGETS = ("cluster", "connect")
# Bounds on every wait: the script's start (it says what failed), each Spark's whole run.
START_SECONDS = 150
RUN_SECONDS = 300 + 60 * len(METRICS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(log: Path, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `command` with its output to `log` (a pipe left unread could fill and block it)."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(process: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait up to `seconds` for `process`, killed past them."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _finish(process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Wait up to `seconds` for `process` (killed past them); it must succeed."""
    _wait(process, seconds)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    assert process.returncode == 0, f"{process.args!r}:\n{tail}"


def _script(env: dict[str, str], *args: str) -> None:
    log = Path(env["SPARK_CLUSTER_DIR"]) / f"script-{args[0]}.log"
    _finish(_start(log, ["bash", str(SCRIPT), *args], env), log, START_SECONDS + 30)


@pytest.fixture(scope="session")
def cluster_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The script's environment: a Spark standalone cluster and a Spark Connect server (in local
    mode) on free ports, all stopped at the end."""
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "SPARK_CLUSTER_DIR": str(tmp_path_factory.mktemp("spark-cluster")),
        "SPARK_MASTER_PORT": str(_free_port()),
        "SPARK_MASTER_WEBUI_PORT": str(_free_port()),
        "SPARK_CONNECT_PORT": str(_free_port()),
        "SPARK_CONNECT_MASTER": "local[2]",
        "SPARK_CLUSTER_TIMEOUT": str(START_SECONDS),
    }
    try:
        yield env
    finally:
        _script(env, "stop")


@pytest.fixture(scope="module")
def results(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, pd.DataFrame], Path]]:
    """DuckDB's result of each metric, and the folder of each Spark's results.

    The cluster and the Connect server start while the demo is built; the two Sparks then run
    at the same time, each in a process of its own.
    """
    root = tmp_path_factory.mktemp("cluster-parity")
    logs = Path(cluster_env["SPARK_CLUSTER_DIR"])
    starting = {
        command: _start(logs / f"script-{command}.log", ["bash", str(SCRIPT), command], cluster_env)
        for command in ("start", "connect-start")
    }
    ws = Workspace.init(root / "ws")
    build_demo(ws.store, ws.manifest_path)
    duck = {name: PARITY_METRICS[name](ws.backend()).to_pandas() for name in METRICS}
    ws.close()  # the Sparks' processes open it
    for process in starting.values():  # each waited for, so that none is left if one fails
        _wait(process, START_SECONDS + 30)
    for command, process in starting.items():
        _finish(process, logs / f"script-{command}.log", 0)
    urls = {
        "cluster": f"spark://127.0.0.1:{cluster_env['SPARK_MASTER_PORT']}",
        "connect": f"sc://127.0.0.1:{cluster_env['SPARK_CONNECT_PORT']}",
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    running = {}
    for target, url in urls.items():
        out = root / target
        out.mkdir()
        argv = [sys.executable, "-m", "tests.parity.remote", url, str(ws.root), str(out)]
        running[target] = _start(root / f"{target}.log", [*argv, *METRICS], env)
    for target, process in running.items():
        _finish(process, root / f"{target}.log", RUN_SECONDS)
    return {target: (duck, root / target) for target in urls}


@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("target", TARGETS)
def test_duckdb_and_the_cluster_agree(
    target: str, name: str, results: dict[str, tuple[dict[str, pd.DataFrame], Path]]
) -> None:
    duck, folder = results[target]
    error = folder / f"{name}.error"
    assert not error.exists(), error.read_text(encoding="utf-8")
    on_spark = _normalised(pd.read_parquet(folder / f"{name}.parquet"))
    on_duckdb = _normalised(duck[name])
    assert len(on_duckdb) > 0
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, rtol=1e-9)


def test_stop_leaves_no_process(cluster_env: dict[str, str]) -> None:
    """After `stop`, no process of the pid files lives, and no Java process names the folder."""
    folder = Path(cluster_env["SPARK_CLUSTER_DIR"])
    pids = [int(p.read_text()) for p in folder.glob("*.pid")]
    assert len(pids) == 4  # the master, 2 workers and the Connect server
    _script(cluster_env, "stop")
    assert not list(folder.glob("*.pid"))
    processes = subprocess.run(
        ["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    columns = (line.split(None, 2) for line in processes)
    living = [c for c in columns if len(c) == 3 and not c[1].startswith("Z")]
    assert not {pid for pid, _, _ in living} & {str(pid) for pid in pids}
    java = [args for _, _, args in living if args.split()[0].endswith("java")]
    assert not [args for args in java if str(folder) in args]


def test_start_says_which_process_failed(cluster_env: dict[str, str], tmp_path: Path) -> None:
    """A master whose port is taken: `start` fails naming its log, and leaves nothing behind."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **cluster_env,
            "SPARK_CLUSTER_DIR": str(tmp_path / "cluster"),
            "SPARK_MASTER_PORT": str(taken.getsockname()[1]),
            "SPARK_MASTER_WEBUI_PORT": str(_free_port()),
            "SPARK_WORKER_INSTANCES": "0",
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), "start"],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_SECONDS + 30,
            check=False,
        )
    assert done.returncode == 1
    assert f"start: master exited; see {tmp_path / 'cluster'}/logs/master.log" in done.stderr
    assert "Address already in use" in (tmp_path / "cluster" / "logs" / "master.log").read_text()
    assert not list((tmp_path / "cluster").glob("*.pid"))
