"""Time the whole scorecard: every criterion, every team and the organisation, 8 quarters.

Target (issue 7): the demo organisation at --scale 10, every team and 8 quarterly periods
(plus the quarter before, for the trend) in under 30 s. The ratio printed is time / budget
(below 1 meets it). As a baseline in the same run it times DuckDB counting every row of the
tables the scorecard reads (the floor of one pass over the data).

    .venv/bin/python bench/bench_scorecard.py [--scale 10] [--periods 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from productops.demo import build_demo
from productops.engine import collect_union
from productops.ops.scorecard import periods_ending, scorecard
from productops.schema import TABLES
from productops.workspace import Workspace

BUDGET = 30.0
LAST = datetime(2026, 7, 1, tzinfo=UTC)  # the demo's last complete quarter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--periods", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "ws")
        started = time.perf_counter()
        build_demo(ws.store, ws.manifest_path, scale=args.scale)
        built = time.perf_counter() - started
        backend = ws.backend()
        started = time.perf_counter()
        for name in TABLES:
            ws.store.sql(f'SELECT count(*) FROM "{name}"')
        baseline = time.perf_counter() - started
        starts = periods_ending(LAST, "quarter", args.periods)
        started = time.perf_counter()
        rows = scorecard(
            backend.table, starts, as_of=datetime(2026, 11, 1, tzinfo=UTC), collect=collect_union
        )
        took = time.perf_counter() - started
        teams = len({r.team_id for r in rows})
        valued = sum(r.value is not None for r in rows)
        ws.close()
    print(
        f"demo --scale {args.scale} built in {built:.1f} s; scorecard of {teams} teams "
        f"(with the organisation) x {args.periods} quarters: {len(rows)} rows ({valued} with a "
        f"value) in {took:.1f} s (budget {BUDGET:.0f} s, ratio {took / BUDGET:.2f}); counting "
        f"every table: {baseline:.2f} s"
    )


if __name__ == "__main__":
    main()
