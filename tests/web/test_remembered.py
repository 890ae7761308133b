"""Remembered reads keep read-your-writes: after a write answered 2xx, the next read shows it.
A target write keeps the scorecard's remembered values (its targets are laid over at each read);
a decision write makes them be computed again. Each target write writes only `TARGET_TABLES`
(and its audit row), which is what lets the values stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from productops.ops.scorecard import latest_complete, periods_ending
from productops.registry.scorecard import TARGET_TABLES, set_target
from productops.services import scorecard as services
from productops.web.api import scorecard as route
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.web.conftest import Site, copy_site

AS_OF = "2024-07-01T00:00:00Z"  # the latest complete quarter: 2024 Q2
CRITERION = "data.decisions_informed"  # the team's decisions made in the period, with evidence


def fingerprints(root: Path) -> dict[str, tuple[int, int]]:
    """Every table's rows and a hash of their contents."""
    ws = Workspace.open(root, read_only=True)
    try:
        names = [r[0] for r in ws.store.sql("SELECT table_name FROM duckdb_tables()")]
        return {
            name: tuple(ws.store.sql(f'SELECT count(*), bit_xor(hash(t)) FROM "{name}" t')[0])
            for name in names
        }
    finally:
        ws.close()


def payments(rows: list[dict[str, Any]], criterion: str) -> dict[str, Any]:
    return next(r for r in rows if r["team_id"] == "payments" and r["criterion"] == criterion)


def test_a_target_write_shows_at_once_and_a_decision_write_recomputes(
    served: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = copy_site(served, tmp_path / "ws")
    computed: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> list[Any]:
        computed.append(1)
        return services.values(*args, **kwargs)

    monkeypatch.setattr(route, "values", counted)
    member = site.headers("member of the team")

    async def run() -> list[list[dict[str, Any]]]:
        transport = httpx.ASGITransport(app=create_app(site.root))
        seen = []
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def read() -> None:
                got = await client.get(
                    "/api/v1/scorecard", params={"as_of": AS_OF, "limit": 1000}, headers=member
                )
                assert got.status_code == 200, got.text
                seen.append(got.json()["items"])

            async def write(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
                got = await client.request(method, path, json=body, headers=member)
                assert got.status_code in (200, 201), got.text
                answer: dict[str, Any] = got.json()
                return answer

            await read()
            await write("PUT", f"/api/v1/teams/payments/targets/{CRITERION}", {"value": 0.75})
            await read()
            made = await write(
                "POST",
                "/api/v1/decisions",
                {"team_id": "payments", "title": "Ship it", "options": ["yes", "no"],
                 "at": "2024-04-02T00:00:00Z"},
            )  # fmt: skip
            await write(
                "POST",
                f"/api/v1/decisions/{made['id']}/decide",
                {"choice": "yes", "rationale": "why not", "at": "2024-04-09T10:00:00Z"},
            )
            await read()
        return seen

    before, targeted, decided = asyncio.run(run())
    assert payments(before, CRITERION)["target"] is None
    assert payments(targeted, CRITERION)["target"] == 0.75
    assert len(computed) == 2  # the first read and the one after the decision, not the target's
    assert payments(before, CRITERION)["value"] is None  # no decision made in the quarter
    assert payments(decided, CRITERION)["value"] == 0.0  # one, without evidence
    assert payments(decided, CRITERION)["met"] is False  # 0 against the target 0.75


def test_the_scorecard_with_targets_is_the_values_with_them_laid_over(
    served: Site, tmp_path: Path
) -> None:
    when = datetime(2024, 7, 1, tzinfo=UTC)
    starts = periods_ending(latest_complete(when, "quarter"), "quarter", 2)
    ws = Workspace.open(copy_site(served, tmp_path / "ws").root)
    try:
        bare = services.values(ws, starts, "quarter", when)
        some = next(s for s in bare if s.team_id == "payments" and s.value is not None)
        set_target(ws.store, some.criterion, "payments", some.value, when)  # type: ignore[arg-type]
        whole = services.compute(ws, starts, "quarter", when)
        parts = services.aimed(ws, bare)
    finally:
        ws.close()
    assert parts == whole
    key = (some.criterion, some.team_id, some.period_start)
    row = next(s for s in whole if (s.criterion, s.team_id, s.period_start) == key)
    assert (row.target, row.met) == (some.value, True)  # the value is at its target


def test_a_target_write_writes_only_the_target_tables(served: Site, tmp_path: Path) -> None:
    site = copy_site(served, tmp_path / "ws")
    before = fingerprints(site.root)

    async def run() -> int:
        transport = httpx.ASGITransport(app=create_app(site.root))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in ["/api/v1/teams/payments/targets/", "/api/v1/targets/"]:
                got = await client.put(
                    path + CRITERION, json={"value": 0.5}, headers=site.headers("admin")
                )
                assert got.status_code == 200, got.text
        return 0

    asyncio.run(run())
    after = fingerprints(site.root)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == TARGET_TABLES | {"audit_event", "api_token"}  # the token's last use
