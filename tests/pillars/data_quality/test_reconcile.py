"""Reconciliations: cells and key drill-down against values computed here by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from productops.ingest import land_arrow
from productops.pillars.data import load_catalog
from productops.pillars.data.quality import Reconciliation, Side, Tolerance
from productops.pillars.data.reconcile import (
    reconcile,
    reconciliation_cells,
    reconciliation_keys,
)
from productops.schema import TABLES
from productops.workspace import Workspace
from tests.pillars.builders import T0, at, land, result_rows, teams


def _billing(ws: Workspace) -> None:
    land(
        ws.store,
        "account",
        [
            {"id": "a1", "segment": "smb", "arr": 1200.0},
            {"id": "a2", "segment": "smb", "arr": 2400.0},
            {"id": "a3", "segment": "smb", "arr": 600.0},
            {"id": "a4", "segment": "enterprise", "arr": 1200.0},
        ],
    )
    land(
        ws.store,
        "subscription",
        [
            {"id": "s1", "account_id": "a1", "mrr": 100.0, "started_at": T0},
            {"id": "s2", "account_id": "a2", "mrr": 150.0, "started_at": T0},
            {"id": "s4", "account_id": "a4", "mrr": 100.0, "started_at": T0},
        ],
    )


def _crm(**tolerance: float) -> Reconciliation:
    return Reconciliation(
        id="crm",
        left=Side(
            table="account", key="id", value="arr", segment="segment", where=["segment = smb"]
        ),
        right=Side(table="subscription", key="account_id", value="mrr * 12"),
        tolerance=Tolerance(**tolerance),
    )


def test_keys_present_on_one_side_or_different(workspace: Workspace) -> None:
    _billing(workspace)
    keys = result_rows(reconciliation_keys(_crm(), workspace.backend().table).order_by("key"))
    assert [(r["key"], r["segment"], r["left"], r["right"], r["issue"]) for r in keys] == [
        ("a1", "smb", 1200.0, 1200.0, "same"),
        ("a2", "smb", 2400.0, 1800.0, "different"),
        ("a3", "smb", 600.0, None, "left_only"),
        ("a4", "(none)", None, 1200.0, "right_only"),  # the left side's filter leaves a4 out
    ]


def test_cells_sum_the_keys_of_each_segment(workspace: Workspace) -> None:
    _billing(workspace)
    cells = result_rows(reconciliation_cells(_crm(), workspace.backend().table).order_by("segment"))
    assert [
        (c["segment"], c["left"], c["right"], c["keys"], c["mismatched_keys"]) for c in cells
    ] == [
        ("(none)", None, 1200.0, 1, 1),
        ("smb", 1200.0 + 2400.0 + 600.0, 1200.0 + 1800.0, 3, 2),
    ]
    assert all(c["mismatch"] for c in cells)


def test_relative_tolerance_accepts_small_differences(workspace: Workspace) -> None:
    _billing(workspace)
    found = reconcile(_crm(relative=0.3), workspace.backend().table)  # a2: 600 / 2400 = 0.25
    assert found.details["failing_keys"] == ["a3", "a4"]
    assert [k["issue"] for k in found.details["key_sample"]] == ["left_only", "right_only"]
    assert (found.details["mismatched_keys"], found.details["keys"]) == (2, 4)
    # smb totals 4200 against 3000: 1200 / 4200 = 0.29 is within; the (none) cell is not
    assert found.status == "error"
    assert found.observed == 1
    assert found.summary == "2 of 4 keys and 1 of 2 cells differ"


def test_absolute_tolerance(workspace: Workspace) -> None:
    _billing(workspace)
    rec = _crm(absolute=600)
    keys = result_rows(reconciliation_keys(rec, workspace.backend().table))
    assert sorted(k["key"] for k in keys if k["mismatch"]) == ["a3", "a4"]


def _work_items(ws: Workspace, source: str, days: list[int]) -> None:
    rows = [
        {"id": f"{source}-{i}", "team_id": "a", "created_at": at(d), "status": "To Do"}
        for i, d in enumerate(days)
    ]
    spec = TABLES["work_item"]
    data = pa.table(
        {
            n: pa.array(
                [r[n] for r in rows],
                pa.timestamp("us", tz="UTC") if n == "created_at" else pa.string(),
            )
            for n in rows[0]
        }
    )
    assert land_arrow(ws.store, spec, data, source=source, label="t").quarantined == 0


def test_counts_per_day_and_segment_without_keys(workspace: Workspace) -> None:
    teams(workspace.store, "a")
    _work_items(workspace, "jira", [0, 0, 1])
    _work_items(workspace, "github", [0, 0, 1, 1, 1, 2])
    side = {"table": "work_item", "time": "created_at", "segment": "team_id"}
    rec = Reconciliation(
        id="issues",
        grain="day",
        left=Side(**side, where=["source = jira"]),
        right=Side(**side, where=["source = github"]),
        tolerance=Tolerance(relative=0.5),
    )
    cells = result_rows(reconciliation_cells(rec, workspace.backend().table).order_by("period"))
    day = T0.date()
    assert [(c["period"], c["left"], c["right"], c["mismatch"]) for c in cells] == [
        (str(day), 2.0, 2.0, False),
        (str(day.replace(day=2)), 1.0, 3.0, True),  # 2 apart, 0.67 of 3 > 0.5
        (str(day.replace(day=3)), None, 1.0, True),
    ]
    found = reconcile(rec, workspace.backend().table)
    assert (found.observed, found.details["failing_keys"]) == (2, [])
    assert found.summary == "2 of 3 cells differ"


def test_a_catalog_metric_against_its_table(workspace: Workspace) -> None:
    teams(workspace.store, "a", "b")
    done = {"status_category": "done", "status": "Done"}
    land(
        workspace.store,
        "work_item",
        [
            {
                "id": f"w{i}",
                "team_id": "ab"[i % 2],
                "created_at": T0,
                "resolved_at": at(i * 9),
                **done,
            }
            for i in range(6)
        ],
    )
    rec = Reconciliation(
        id="done",
        grain="month",
        left=Side(metric="items_done", segment="team"),
        right=Side(
            table="work_item",
            time="resolved_at",
            segment="team_id",
            where=["status_category = done"],
        ),
    )
    table = workspace.backend().table
    found = reconcile(rec, table, load_catalog())
    assert found.status == "pass"
    assert found.details["cells"] == 4


def test_keys_need_keys_on_both_sides() -> None:
    with pytest.raises(ValueError, match="key on both sides"):
        Reconciliation(
            id="x", left=Side(table="account", key="id"), right=Side(table="subscription")
        )
