"""Results with history, the incident lifecycle, and the two data-quality metrics."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from productops.config import EngineSettings
from productops.engine import Store, analytics_backend
from productops.pillars.data import load_catalog
from productops.pillars.data.checks_run import Outcome
from productops.pillars.data.incidents import (
    incidents_touching_decisions,
    metric_targets,
    source_discrepancies,
)
from productops.pillars.data.quality import Check
from productops.registry.checks import check_history, last_details, list_incidents, record_run
from productops.workspace import Workspace
from tests.pillars.builders import at, land, teams

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

CHECK = Check(id="arr", kind="not_null", target="account", params={"column": "arr"})
FAIL = Outcome("error", 2, "2 rows with no arr", {"failing_keys": ["a1", "a2"]})
PASS = Outcome("pass", 0, "0 rows with no arr", {"failing_keys": []})


def test_a_failing_check_opens_one_incident_and_a_pass_resolves_it(workspace: Workspace) -> None:
    store = workspace.store
    assert record_run(store, CHECK, PASS, at(0)) == ""
    assert record_run(store, CHECK, FAIL, at(1)) == "opened"
    assert record_run(store, CHECK, FAIL, at(2)) == "still open"
    assert [i["status"] for i in list_incidents(store)] == ["open"]
    assert record_run(store, CHECK, PASS, at(3)) == "resolved"
    assert record_run(store, CHECK, FAIL, at(4)) == "opened"
    found = list_incidents(store)
    assert [(i["status"], i["opened_at"], i["resolved_at"]) for i in found] == [
        ("open", at(4), None),
        ("resolved", at(1), at(3)),
    ]
    assert found[1]["id"] == "incident-arr-20240402T090000"
    assert found[1]["target"] == "account"
    assert found[1]["summary"] == "2 rows with no arr"
    assert [i["status"] for i in list_incidents(store, "resolved")] == ["resolved"]


def test_results_are_kept_with_their_history(workspace: Workspace) -> None:
    store = workspace.store
    assert last_details(store, "arr") is None
    record_run(store, CHECK, FAIL, at(1))
    record_run(store, CHECK, PASS, at(2))
    history = check_history(store, "arr")
    assert [(h["run_at"], h["status"], h["observed"]) for h in history] == [
        (at(2), "pass", 0.0),
        (at(1), "error", 2.0),
    ]
    assert history[1]["summary"] == "2 rows with no arr"
    assert last_details(store, "arr") == {"summary": "0 rows with no arr", "failing_keys": []}
    assert store.sql("SELECT id, kind, target, severity FROM data_check") == [
        ("productops:arr", "not_null", "account", "error")
    ]
    assert len(check_history(store, None, limit=1)) == 1


def _result(check: str, when: datetime, cells: int | None, keys: int = 0) -> dict[str, Any]:
    details = (
        {"summary": "s"} if cells is None else {"mismatched_cells": cells, "mismatched_keys": keys}
    )
    status = "pass" if not cells else "error"
    return {"check_id": check, "run_at": when, "status": status, "details": json.dumps(details)}


def _land_results(store: Store) -> None:
    land(store, "data_check", [{"id": c, "kind": "k", "target": "t"} for c in "abc"])
    land(
        store,
        "data_check_result",
        [
            _result("a", at(0), 5, 9),  # week 1: superseded by the run of day 2
            _result("a", at(2), 3, 4),
            _result("b", at(1), 0, 0),
            _result("c", at(1), None),  # not a reconciliation
            _result("a", at(7), 1, 1),  # week 2
        ],
    )


def _discrepancies(b: BaseBackend) -> list[tuple[Any, ...]]:
    rows = source_discrepancies(b.table("data_check_result"), "week").to_pyarrow().to_pylist()
    names = ("checks", "failing_checks", "mismatched_cells", "mismatched_keys", "cells_change")
    return [tuple(r[n] for n in names) for r in rows]


def test_source_discrepancies_take_each_reconciliation_s_last_run_per_period(
    workspace: Workspace,
) -> None:
    _land_results(workspace.store)
    assert _discrepancies(workspace.backend()) == [(2, 1, 3, 4, None), (1, 1, 1, 1, 1 - 3)]


def test_metric_targets_name_the_tables_a_metric_reads() -> None:
    targets = metric_targets(load_catalog())
    assert targets["items_done"] == ["metric:items_done", "work_item"]
    assert "event" in targets["dau"]


EVIDENCE = [
    ("e1", "d1", "dau", at(2)),  # inside i1 (event, open days 1-5) and i3 (metric:dau, open)
    ("e2", "d1", "dau", at(6)),  # after i1 resolved; inside i3
    ("e3", "d2", "items_done", at(3)),  # inside i2 (work_item, days 3-4): opened_at counts
    ("e4", "d2", "items_done", at(4)),  # i2 resolved at day 4: the end is left out
    ("e5", "d2", "other", at(3)),  # a metric no target concerns
]
TARGETS = {"dau": ["metric:dau", "event"], "items_done": ["metric:items_done", "work_item"]}


def _land_decisions(store: Store) -> None:
    teams(store, "a", "b")
    decisions = [
        {"id": "d1", "team_id": "a", "title": "x"},
        {"id": "d2", "team_id": "b", "title": "y"},
    ]
    land(store, "decision", decisions)
    land(
        store,
        "decision_evidence",
        [
            {
                "id": i,
                "decision_id": d,
                "kind": "metric",
                "captured_at": t,
                "spec": json.dumps({"metric": m, "grain": "week"}),
            }
            for i, d, m, t in EVIDENCE
        ],
    )
    land(store, "data_check", [{"id": c, "kind": "k", "target": "t"} for c in ("c1", "c2", "c3")])
    resolved = {"status": "resolved"}
    land(
        store,
        "data_incident",
        [
            {
                "id": "i1",
                "check_id": "c1",
                "target": "event",
                "opened_at": at(1),
                "resolved_at": at(5),
                **resolved,
            },
            {
                "id": "i2",
                "check_id": "c2",
                "target": "account,work_item",
                "opened_at": at(3),
                "resolved_at": at(4),
                **resolved,
            },
            {
                "id": "i3",
                "check_id": "c3",
                "target": "metric:dau",
                "status": "open",
                "opened_at": at(0),
            },
        ],
    )


def _touching(b: BaseBackend, as_of: datetime) -> list[tuple[Any, ...]]:
    expr = incidents_touching_decisions(
        b.table("data_incident"),
        b.table("decision_evidence"),
        b.table("decision"),
        TARGETS,
        as_of,
        "month",
    )
    rows = expr.to_pyarrow().to_pylist()
    names = ("team_id", "period_start", "incidents", "decisions", "evidence")
    return [
        tuple(r[n].replace(tzinfo=None) if n == "period_start" else r[n] for n in names)
        for r in rows
    ]


def test_incidents_that_touched_a_decision(workspace: Workspace) -> None:
    _land_decisions(workspace.store)
    april = datetime(2024, 4, 1)
    assert _touching(workspace.backend(), at(30)) == [
        ("a", april, 2, 1, 2),  # i1 and i3 over e1 and e2
        ("b", april, 1, 1, 1),  # i2 over e3
    ]
    # with as_of at day 1, the open i3 counts only up to then
    assert _touching(workspace.backend(), at(1)) == [("a", april, 1, 1, 1), ("b", april, 1, 1, 1)]


@pytest.mark.spark
def test_both_metrics_agree_on_spark(workspace: Workspace) -> None:
    _land_results(workspace.store)
    _land_decisions(workspace.store)
    spark = analytics_backend(
        workspace.store,
        EngineSettings(kind="pyspark", spark_conf={"spark.sql.shuffle.partitions": "1"}),
        workspace.root / "parquet",
    )
    duck = workspace.backend()
    assert _discrepancies(spark) == _discrepancies(duck)
    assert _touching(spark, at(30)) == _touching(duck, at(30))
