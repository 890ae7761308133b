"""On the demo organisation, the process analytics find what was planted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from productops.demo import build_demo
from productops.pillars import process as p
from productops.workspace import Workspace

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict[str, Any]]]:
    ws = Workspace.init(tmp_path_factory.mktemp("demo") / "ws")
    build_demo(ws.store, ws.manifest_path)
    yield ws, json.loads(ws.manifest_path.read_text(encoding="utf-8"))
    ws.close()


def test_the_bottleneck_team_and_status_are_found(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, manifest = demo
    b = ws.backend()
    stays = p.status_stays(b.table("work_item"), b.table("work_item_transition"), AS_OF)
    found = p.bottleneck(stays, b.table("work_item"), "quarter").to_pandas()
    worst = found.groupby("team_id").share_of_cycle.mean().sort_values()
    assert worst.index[-1] == manifest["bottleneck"]["team_id"]
    assert worst.iloc[-1] > 2 * worst.iloc[-2]
    team = found[found.team_id == manifest["bottleneck"]["team_id"]]
    assert set(team.status) == {manifest["bottleneck"]["status"]}
    efficiency = p.flow_efficiency(
        stays, b.table("work_item"), b.table("work_item_flag"), AS_OF, "quarter"
    ).to_pandas()
    assert (
        efficiency.groupby("team_id").efficiency.mean().idxmin()
        == manifest["bottleneck"]["team_id"]
    )


def test_the_blocking_pair_tops_the_dependencies(demo: tuple[Workspace, dict[str, Any]]) -> None:
    ws, manifest = demo
    b = ws.backend()
    pairs = p.blocking_pairs(
        p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), AS_OF)
    )
    top = pairs.limit(1).to_pyarrow().to_pylist()[0]
    planted = manifest["blocking_pair"]
    assert (top["blocking_team"], top["blocked_team"]) == (
        planted["blocking_team"],
        planted["blocked_team"],
    )


def test_the_non_conforming_team_is_the_only_one_below_the_threshold(
    demo: tuple[Workspace, dict[str, Any]],
) -> None:
    ws, manifest = demo
    b = ws.backend()
    found = p.deviations(b.table("work_item"), b.table("work_item_transition"))
    shares = p.conformance(b.table("work_item"), found, "quarter").to_pandas()
    per_team = shares.groupby("team_id").share.mean()
    assert list(per_team[per_team < 0.8].index) == [manifest["non_conforming_team"]]
    kinds = p.common_deviations(found).to_pandas()
    assert {"skipped In Review", "moved backwards"} <= set(kinds.deviation)
