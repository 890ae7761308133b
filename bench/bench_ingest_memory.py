"""Peak memory of `productops import` as the file grows: work items from Parquet and CSV.

Target (issue 16): 10M work-item rows import from Parquet with peak RSS under 1.5 GB,
and peak memory does not grow with the file. Each import runs in its own process on
a fresh workspace; the baseline is the code before streaming (`--baseline-rev`, read
with `git archive`), run on the sizes given to `--baseline-rows` (it holds the
whole file in memory: about 1 GB per 1M rows, so it is not run at 10M).

    .venv/bin/python bench/bench_ingest_memory.py [--rows 1000000,10000000]
        [--formats parquet,csv] [--baseline-rows 1000000] [--baseline-rev 951b3e5]
        [--memory-limit 1GB] [--dir DIR]

Generating the files takes about 3 s per 1M rows (both formats); importing 10M rows
about 40 s from Parquet and 150 s from CSV on 2 cores (the whole default run: 5 min).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

TEAMS = [f"team-{i}" for i in range(12)]
CHUNK = 500_000
ROOT = Path(__file__).resolve().parent.parent


def chunks(rows: int, seed: int = 3) -> Iterator[pa.Table]:
    """Work items `CHUNK` at a time, the same for both formats."""
    rng = np.random.default_rng(seed)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    for first in range(0, rows, CHUNK):
        n = min(CHUNK, rows - first)
        ids = np.arange(first, first + n).astype(str)
        created = start + rng.integers(0, 700 * 86_400 * 10**6, n)
        resolved = created + rng.lognormal(13, 1, n).astype(np.int64) * 10**6
        done = rng.random(n) < 0.7
        yield pa.table(
            {
                "id": pc.binary_join_element_wise("bench:W-", pa.array(ids), ""),
                "team_id": pa.array(rng.choice(TEAMS, n)),
                "type": pa.array(rng.choice(["story", "bug", "task"], n)),
                "title": pc.binary_join_element_wise("Item ", pa.array(ids), ""),
                "status_category": pa.array(np.where(done, "done", "in_progress")),
                "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
                "resolved_at": pa.array(
                    np.where(done, resolved, 0), pa.timestamp("us", tz="UTC"), mask=~done
                ),
                "estimate": pa.array(rng.integers(1, 13, n).astype(float)),
            }
        )


def write_files(folder: Path, rows: int, formats: list[str]) -> dict[str, Path]:
    """One file per format of `rows` work items, written a chunk at a time."""
    paths = {kind: folder / f"items-{rows}.{kind}" for kind in formats}
    parquet = csv = None
    try:
        for chunk in chunks(rows):
            if "parquet" in paths:
                parquet = parquet or pq.ParquetWriter(paths["parquet"], chunk.schema)
                parquet.write_table(chunk)
            if "csv" in paths:
                text = chunk
                for name in ("created_at", "resolved_at"):
                    as_text = pc.strftime(chunk[name], format="%Y-%m-%dT%H:%M:%SZ")
                    text = text.set_column(text.schema.get_field_index(name), name, as_text)
                csv = csv or pacsv.CSVWriter(paths["csv"], text.schema)
                csv.write_table(text)
    finally:
        for writer in (parquet, csv):
            if writer is not None:
                writer.close()
    return paths


def child(path: Path, folder: Path, memory_limit: str | None) -> dict[str, float]:
    """Runs in a child process: import `path` into a fresh workspace in `folder`."""
    from productops.config import CONFIG_FILE, write_config
    from productops.ingest import import_file, land_arrow
    from productops.schema import TABLES
    from productops.workspace import Workspace

    ws = Workspace.init(folder)
    if memory_limit:
        engine = ws.config.engine.model_copy(update={"memory_limit": memory_limit})
        write_config(folder / CONFIG_FILE, ws.config.model_copy(update={"engine": engine}))
        ws.close()
        ws = Workspace.open(folder)
    land_arrow(
        ws.store, TABLES["team"], pa.table({"id": TEAMS, "name": TEAMS}), source="b", label="b"
    )
    started = time.perf_counter()
    counts = import_file(ws.store, "work_item", path)
    seconds = time.perf_counter() - started
    ws.close()
    return {
        "seconds": seconds,
        "landed": counts.landed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def old_source(rev: str, folder: Path) -> Path:
    """The package's `src` at `rev`, unpacked into `folder`."""
    packed = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(packed)) as archive:
        archive.extractall(folder, filter="data")
    return folder / "src"


def run(path: Path, folder: Path, src: Path, memory_limit: str | None) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", str(path), "--dir", str(folder)]
    if memory_limit:
        args += ["--memory-limit", memory_limit]
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(args, check=False, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{path} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--baseline-rows", default="1000000")
    parser.add_argument("--baseline-rev", default="951b3e5")
    parser.add_argument("--memory-limit", help="[engine] memory_limit of the workspace")
    parser.add_argument("--dir", help="where the files go (default: a temporary folder)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), Path(args.dir), args.memory_limit)))
        return
    formats = args.formats.split(",")
    baseline = {int(n) for n in args.baseline_rows.split(",") if n}
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        old = old_source(args.baseline_rev, folder / "old")
        for rows in (int(n) for n in args.rows.split(",")):
            started = time.perf_counter()
            paths = write_files(folder, rows, formats)
            written = time.perf_counter() - started
            print(f"{rows:,} rows written in {written:.1f} s", flush=True)
            for kind, path in paths.items():
                sides = [("streaming", ROOT / "src", args.memory_limit)]
                if rows in baseline:
                    sides.append((f"old ({args.baseline_rev})", old, None))
                for side, src, limit in sides:
                    ws = folder / f"ws-{rows}-{kind}-{len(side)}"
                    found = run(path, ws, src, limit)
                    assert found["landed"] == rows, found
                    print(
                        f"  {kind:8} {side:18} {found['seconds']:7.1f} s "
                        f"{rows / found['seconds']:>9,.0f} rows/s  "
                        f"peak RSS {found['peak_rss_mb']:6,.0f} MB",
                        flush=True,
                    )
                    shutil.rmtree(ws)
            for path in paths.values():
                path.unlink()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
