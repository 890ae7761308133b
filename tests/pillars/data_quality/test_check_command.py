"""`productops check`: runs, stores, exits 1 on error-severity failures; on the demo it finds
exactly the accounts billed other than their CRM ARR."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.demo import build_demo
from productops.pillars.data.quality import load_checks
from productops.pillars.data.reconcile import reconcile
from productops.workspace import Workspace
from tests.pillars.builders import land

runner = CliRunner()
WARN = """\
checks:
  - id: segment_known
    kind: accepted_values
    target: account
    params: {column: segment, values: [smb, enterprise]}
    severity: warn
"""
ERROR = """\
  - id: arr_set
    kind: not_null
    target: account
    params: {column: arr}
"""


def invoke(ws: Workspace, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["-w", str(ws.root), *args])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "json" in args else result.output


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    land(
        workspace.store,
        "account",
        [{"id": "a1", "segment": "mid"}, {"id": "a2", "segment": "smb", "arr": 5.0}],
    )
    (workspace.root / "checks").mkdir()
    return workspace


def test_a_failing_warn_check_exits_0_and_an_error_check_1(ws: Workspace) -> None:
    (ws.root / "checks" / "mine.yml").write_text(WARN, encoding="utf-8")
    rows = invoke(ws, "check", "-f", "json")
    mine = {r["id"]: r for r in rows}["segment_known"]
    assert (mine["status"], mine["observed"], mine["incident"]) == ("warn", 1, "opened")
    assert all(r["status"] == "pass" for r in rows if r["id"] != "segment_known")
    (ws.root / "checks" / "mine.yml").write_text(WARN + ERROR, encoding="utf-8")
    rows = invoke(ws, "check", "--only", "arr_set", "--only", "segment_known", "-f", "json", code=1)
    assert [(r["id"], r["status"], r["incident"]) for r in rows] == [
        ("segment_known", "warn", "still open"),
        ("arr_set", "error", "opened"),
    ]
    assert "arr_set" in invoke(ws, "check", code=1)


def test_history_and_incidents(ws: Workspace) -> None:
    (ws.root / "checks" / "mine.yml").write_text(WARN, encoding="utf-8")
    invoke(ws, "check", "--only", "segment_known")
    ws.store.sql("UPDATE account SET segment = 'smb' WHERE id = 'a1'")
    rows = invoke(ws, "check", "--only", "segment_known", "-f", "json")
    assert rows[0]["incident"] == "resolved"
    history = invoke(ws, "check", "history", "segment_known", "-f", "json")
    assert [h["status"] for h in history] == ["pass", "warn"]
    incidents = invoke(ws, "check", "incidents", "-f", "json")
    assert [(i["check_id"], i["status"]) for i in incidents] == [("segment_known", "resolved")]
    assert invoke(ws, "check", "incidents", "--status", "open", "-f", "json") == []
    assert "--status 'shut'" in invoke(ws, "check", "incidents", "--status", "shut", code=1)


def test_unknown_checks_and_bad_definitions_are_one_line_errors(ws: Workspace) -> None:
    assert "unknown check 'nope'" in invoke(ws, "check", "--only", "nope", code=1)
    (ws.root / "checks" / "bad.yml").write_text(
        "checks:\n  - id: x\n    kind: nope\n", encoding="utf-8"
    )
    assert "bad.yml:3: checks.0.kind (of x)" in invoke(ws, "check", code=1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    manifest = build_demo(ws.store, ws.manifest_path)
    yield ws, manifest
    ws.close()


def test_the_planted_discrepancy_is_in_the_store(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, manifest = demo
    rows = ws.store.sql(
        "SELECT a.id, a.segment FROM account a LEFT JOIN subscription s ON s.account_id = a.id "
        "WHERE s.id IS NULL OR abs(s.mrr * 12 - a.arr) > 1 ORDER BY a.id"
    )
    planted = manifest["arr_discrepancy"]
    assert [r[0] for r in rows] == planted["account_ids"]
    assert {r[1] for r in rows} == {planted["segment"]}
    assert len(rows) == 5


def test_check_finds_exactly_the_planted_accounts(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, manifest = demo
    declared = load_checks([ws.root / "checks"], builtins=False)
    found = reconcile(declared.reconciliations["crm_vs_billing_arr"], ws.backend().table)
    assert found.details["failing_keys"] == manifest["arr_discrepancy"]["account_ids"]
    assert [c["segment"] for c in found.details["cell_sample"]] == [
        manifest["arr_discrepancy"]["segment"]
    ]
    rows = invoke(ws, "check", "-f", "json", code=1)
    assert [r["id"] for r in rows if r["status"] != "pass"] == ["crm_vs_billing_arr"]
