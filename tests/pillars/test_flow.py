"""Flow metrics on small hand-made histories whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from productops.ingest import land_arrow
from productops.pillars.process import lead_time, throughput
from productops.schema import TABLES
from productops.workspace import Workspace

DAY = timedelta(days=1)
T0 = datetime(2024, 4, 1, 9, tzinfo=UTC)  # a Monday


@pytest.fixture
def flow_ws(workspace: Workspace) -> Workspace:
    land_arrow(
        workspace.store,
        TABLES["team"],
        pa.table({"id": ["a", "b"], "name": ["A", "B"]}),
        source="t",
        label="t",
    )
    # team a: five items done in April with lead times 1, 2, 3, 4 and 10 days (+ 0.4 s, dropped);
    # one cancelled and one open item that must not count; team b: one item done in May.
    leads = [1, 2, 3, 4, 10]
    rows: list[tuple[str, str, datetime, datetime | None]] = [
        ("a", "done", T0, T0 + d * DAY + timedelta(seconds=0.4)) for d in leads
    ]
    rows += [("a", "cancelled", T0, T0 + DAY), ("a", "in_progress", T0, None)]
    rows += [("b", "done", T0, datetime(2024, 5, 2, 9, tzinfo=UTC))]
    land_arrow(
        workspace.store,
        TABLES["work_item"],
        pa.table(
            {
                "id": [f"t:{i}" for i in range(len(rows))],
                "team_id": [r[0] for r in rows],
                "status_category": [r[1] for r in rows],
                "created_at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
                "resolved_at": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
            }
        ),
        source="t",
        label="t",
    )
    return workspace


def test_lead_time_percentiles_interpolate_linearly(flow_ws: Workspace) -> None:
    rows = lead_time(flow_ws.backend().table("work_item"), "month").to_pyarrow().to_pylist()
    a, b = rows
    assert (a["team_id"], a["items"]) == ("a", 5)
    assert a["period_start"].date().isoformat() == "2024-04-01"
    for p in (50, 70, 85, 95):
        assert a[f"p{p}"] == pytest.approx(float(np.percentile([1, 2, 3, 4, 10], p)))
    assert a["p50"] == pytest.approx(3.0)
    assert a["p95"] == pytest.approx(8.8)
    assert (b["team_id"], b["items"], b["p50"]) == ("b", 1, pytest.approx(31.0))
    assert b["period_start"].date().isoformat() == "2024-05-01"


def test_throughput_counts_done_items_per_week(flow_ws: Workspace) -> None:
    rows = throughput(flow_ws.backend().table("work_item"), "week").to_pyarrow().to_pylist()
    got = [(r["team_id"], r["period_start"].date().isoformat(), r["items"]) for r in rows]
    # Done on Apr 2, 3, 4, 5 (week of Apr 1) and Apr 11 (week of Apr 8); b on May 2 (week of Apr 29).
    assert got == [("a", "2024-04-01", 4), ("a", "2024-04-08", 1), ("b", "2024-04-29", 1)]
