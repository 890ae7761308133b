"""Importing 1M work items from Parquet vs DuckDB's own read_parquet-and-insert of the same file.

Target (issue 2): productops at no less than a third of DuckDB's speed.
Each side runs in its own process on a fresh store, so peak memory is its own.

    .venv/bin/python bench/bench_import.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TEAMS = [f"team-{i}" for i in range(12)]


def write_parquet(path: Path, rows: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    created = start + rng.integers(0, 700 * 86_400 * 10**6, rows)
    resolved = created + rng.lognormal(13, 1, rows).astype(np.int64) * 10**6
    done = rng.random(rows) < 0.7
    pq.write_table(
        pa.table(
            {
                "id": pa.array([f"bench:W-{i}" for i in range(rows)]),
                "team_id": pa.array(rng.choice(TEAMS, rows).tolist()),
                "type": pa.array(rng.choice(["story", "bug", "task"], rows).tolist()),
                "title": pa.array([f"Item {i}" for i in range(rows)]),
                "status_category": pa.array(np.where(done, "done", "in_progress").tolist()),
                "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
                "resolved_at": pa.array(
                    np.where(done, resolved, 0), pa.timestamp("us", tz="UTC"), mask=~done
                ),
                "estimate": pa.array(rng.integers(1, 13, rows).astype(float)),
            }
        ),
        path,
    )


def run_side(side: str, parquet: Path, folder: Path) -> dict[str, float]:
    """Runs in a child process: one side of the comparison on a fresh store."""
    from productops.engine import Store
    from productops.ingest import import_file, land_arrow
    from productops.schema import TABLES

    store = Store.open(folder / f"{side}.duckdb")
    land_arrow(store, TABLES["team"], pa.table({"id": TEAMS, "name": TEAMS}), source="b", label="b")
    result: dict[str, float] = {}
    started = time.perf_counter()
    if side == "duckdb":
        cols = "id, team_id, type, title, status_category, created_at, resolved_at, estimate"
        store.sql(
            f"INSERT INTO work_item ({cols}, source, ingested_at) "
            f"SELECT {cols}, 'bench', now() FROM read_parquet('{parquet}')"
        )
        result["seconds"] = time.perf_counter() - started
    else:
        counts = import_file(store, "work_item", parquet)
        result["seconds"] = time.perf_counter() - started
        assert counts.landed == store.sql("SELECT count(*) FROM work_item")[0][0]
        again = time.perf_counter()
        assert import_file(store, "work_item", parquet).unchanged == counts.landed
        result["reimport_seconds"] = time.perf_counter() - again
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        folder = Path(args.folder)
        print(json.dumps(run_side(args.side, folder / "items.parquet", folder)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_parquet(folder / "items.parquet", args.rows)
        sides = {}
        for side in ("duckdb", "productops"):
            out = subprocess.run(
                [sys.executable, __file__, "--side", side, "--folder", tmp],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            sides[side] = json.loads(out.strip().splitlines()[-1])
    base, ours = sides["duckdb"], sides["productops"]
    print(f"rows: {args.rows:,}")
    print(
        f"duckdb read_parquet+insert: {base['seconds']:.2f} s "
        f"({args.rows / base['seconds']:,.0f} rows/s), peak RSS {base['peak_rss_mb']:.0f} MB"
    )
    print(
        f"productops import:          {ours['seconds']:.2f} s "
        f"({args.rows / ours['seconds']:,.0f} rows/s), peak RSS {ours['peak_rss_mb']:.0f} MB"
    )
    print(f"productops re-import (all unchanged): {ours['reimport_seconds']:.2f} s")
    ratio = base["seconds"] / ours["seconds"]
    print(f"speed ratio productops/duckdb: {ratio:.2f} (target >= 0.33)")


if __name__ == "__main__":
    main()
