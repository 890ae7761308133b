"""Improvement initiatives: stage order without skipping, a frozen baseline, the after-value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.errors import UsageError
from productops.ops.initiatives import CYCLE, check_criterion, next_stage
from productops.registry.improvement import update_initiative
from productops.workspace import Workspace
from tests.pillars.builders import at, item, items

runner = CliRunner()


def test_stages_go_in_order_without_skipping() -> None:
    assert CYCLE == ("empathize", "define", "ideate", "prototype", "test", "implement")
    assert next_stage("empathize") == "define"
    assert next_stage("test", "implement") == "implement"
    with pytest.raises(UsageError, match="without skipping"):
        next_stage("define", "prototype")
    with pytest.raises(UsageError, match="without skipping"):
        next_stage("ideate", "define")
    with pytest.raises(UsageError, match="complete"):
        next_stage("implement")
    with pytest.raises(UsageError, match="not one of"):
        next_stage(None)
    assert check_criterion("process.time_to_market") == "process.time_to_market"
    with pytest.raises(UsageError, match="unknown criterion"):
        check_criterion("lead_time")


def _cli(ws: Workspace, *args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, ["--workspace", str(ws.root), *args])
    assert (result.exit_code == 0) == ok, result.output
    return json.loads(result.output) if ok and "json" in args else result


def _released(ident: str, created: float, released: float) -> Any:
    return item(ident, "payments", created, [], type="story", released_at=at(released))


def test_baseline_is_frozen_at_start_and_after_measured_at_implement(
    with_teams: Workspace,
) -> None:
    ws = with_teams
    items(ws.store, _released("a", 0, 30), _released("b", 0, 40), _released("c", 0, 50))
    new = ("initiative", "new", "payments", "Cut review waits", "-c", "process.time_to_market")
    row = _cli(ws, *new, "--as-of", "2024-07-05", "-f", "json")[0]
    ref = row["id"]
    assert (row["stage"], row["baseline"], row["baseline_period"]) == (
        "empathize",
        40.0,
        "quarter:2024-04-01",
    )
    _cli(ws, *new, ok=False)  # the same title twice
    _cli(ws, "initiative", "advance", ref, "--to", "ideate", ok=False)
    items(ws.store, _released("d", 95, 100))  # 2024-Q3: 5 days
    for stage in CYCLE[1:-1]:
        moved = _cli(ws, "initiative", "advance", ref, "--as-of", "2024-09-01", "-f", "json")[0]
        assert (moved["stage"], moved["baseline"], moved["after"]) == (stage, 40.0, None)
    done = _cli(
        ws, "initiative", "advance", ref, "--to", "implement", "--as-of", "2024-10-02", "-f", "json"
    )
    assert (done[0]["stage"], done[0]["baseline"], done[0]["after"]) == ("implement", 40.0, 5.0)
    _cli(ws, "initiative", "advance", ref, ok=False)
    with pytest.raises(UsageError, match="frozen"):
        update_initiative(ws.store, ref, baseline=1.0)
    shown = _cli(ws, "initiative", "show", ref, "-f", "json")
    assert shown[0]["target_metric"] == "process.time_to_market"
    assert [r["id"] for r in _cli(ws, "initiative", "list", "-t", "payments", "-f", "json")] == [
        ref
    ]
    _cli(ws, "initiative", "new", "payments", "X", "-c", "nope", ok=False)
