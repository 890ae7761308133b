"""Time the demo organisation: generation at --scale 10, and the whole demo at the default scale.

Targets (issue 2): generation at scale 10 under 60 s; the whole demo (build and
every analysis) at scale 1 under 180 s. The ratio printed is time / budget
(below 1 meets it). As baseline in the same run it also times DuckDB writing
the same rows from Parquet, the floor that validation and landing add to.
`--demo-scale 100` runs the whole demo at that scale instead (issue 16: peak RSS
under 4 GB; the ratio printed is peak / 4,096 MB). Per step: bench_demo_memory.py.

    .venv/bin/python bench/bench_demo.py [--scale 10] [--demo-scale 1]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PRODUCTOPS = [sys.executable, "-m", "productops"]


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def _generate_only(folder: Path, scale: int) -> float:
    """Seconds to build the demo organisation alone, without the analyses."""
    code = (
        "import sys, time; from pathlib import Path; from productops.engine import Store; "
        "from productops.demo import build_demo; s = Store.open(Path(sys.argv[1]) / 's.duckdb'); "
        "t = time.perf_counter(); build_demo(s, Path(sys.argv[1]) / 'm.json', scale=int(sys.argv[2])); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(scale)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _copy_baseline(store: Path, folder: Path) -> float:
    """Seconds for DuckDB to write every table of `store` to Parquet and read it into a fresh file."""
    con = duckdb.connect(str(store), read_only=True)
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    for name in tables:
        con.execute(f"COPY \"{name}\" TO '{folder / name}.parquet' (FORMAT parquet)")
    con.close()
    fresh = duckdb.connect(str(folder / "baseline.duckdb"))
    started = time.perf_counter()
    for name in tables:
        fresh.execute(
            f"CREATE TABLE \"{name}\" AS SELECT * FROM read_parquet('{folder / name}.parquet')"
        )
    fresh.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--demo-scale", type=int, default=1, help="scale of the whole demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "gen").mkdir()
        generate = _generate_only(folder / "gen", args.scale)
        baseline = _copy_baseline(folder / "gen" / "s.duckdb", folder / "gen")
        whole = _timed(
            [*PRODUCTOPS, "demo", str(folder / "demo-org"), "--scale", str(args.demo_scale)]
        )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"generate --scale {args.scale}: {generate:.1f} s (budget 60 s, ratio {generate / 60:.2f}); "
        f"DuckDB copying the same tables from Parquet: {baseline:.1f} s "
        f"(generation / copy: {generate / baseline:.1f}x)"
    )
    budget = f" (budget 180 s, ratio {whole / 180:.2f})" if args.demo_scale == 1 else ""
    print(f"whole demo at scale {args.demo_scale} (build + analyses, CLI): {whole:.1f} s{budget}")
    print(
        f"peak RSS of any child: {peak:.0f} MB (at scale 100 under 4,096 MB: ratio {peak / 4096:.2f})"
    )


if __name__ == "__main__":
    main()
