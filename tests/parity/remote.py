"""Run parity metrics on one Spark (a cluster or a Spark Connect server), in a process of its own.

    python -m tests.parity.remote SPARK_MASTER WORKSPACE OUT [NAME ...]

Opens the workspace read-only, makes its analytics backend with `engine.spark_master =
SPARK_MASTER` (spark://... or sc://...), and writes each metric's result to OUT/NAME.parquet,
or what it raised to OUT/NAME.error, and the seconds each took to OUT/seconds.json. A process
of its own because PySpark allows one Spark context per process, and a Spark Connect session
beside none.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from productops.config import EngineSettings
from productops.engine import analytics_backend
from productops.workspace import Workspace
from tests.parity.metrics import PARITY_METRICS


def main(master: str, root: Path, out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(root, read_only=True)
    settings = EngineSettings(
        kind="pyspark", spark_master=master, spark_conf={"spark.sql.shuffle.partitions": "2"}
    )
    started = time.perf_counter()
    backend = analytics_backend(ws.store, settings, out / "parquet")
    seconds = {"(session and tables)": time.perf_counter() - started}
    for name in names or sorted(PARITY_METRICS):
        started = time.perf_counter()
        try:
            PARITY_METRICS[name](backend).to_pandas().to_parquet(out / f"{name}.parquet")
        except Exception:
            (out / f"{name}.error").write_text(traceback.format_exc(), encoding="utf-8")
        seconds[name] = time.perf_counter() - started
        (out / "seconds.json").write_text(json.dumps(seconds, indent=1), encoding="utf-8")
    ws.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
