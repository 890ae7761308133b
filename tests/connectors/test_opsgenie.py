"""Opsgenie against a local server paging the real DevLake incidents; values read by hand
from tests/fixtures/opsgenie/incidents.jsonl, and DORA on the linked incidents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from productops.config import OpsgenieSettings
from productops.connectors import RetryPolicy
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.fixtures import configure
from tests.connectors.ops_sites import OpsgenieSite
from tests.connectors.server import FixtureServer, Reply, load_jsonl
from tests.test_cli import run

FILE = FIXTURES / "opsgenie" / "incidents.jsonl"
INCIDENTS = load_jsonl(FILE)
KEY = "0aa1bb2c-opsgenie-key-3dd4ee5ff6"
SERVICE = "695bce3d-4621-4630-8ae1-24eb89c22d6e"
SETTINGS = {"service_teams": {SERVICE: "ops"}}
QUERY = (
    "SELECT id, team_id, service, severity, created_at, acknowledged_at, resolved_at FROM incident"
)
# By hand: Incident#1 open (P3); Incident#2 resolved at its impactEndDate (P5).
BY_HAND = {
    (
        "opsgenie:3a74524a-f492-4172-b3f5-6041c7cb404a", "ops", SERVICE, "P3",
        datetime(2023, 9, 6, 14, 30, 56, 346000, UTC), None, None,
    ),
    (
        "opsgenie:3f84e009-7548-4e7d-832a-fa82c1ceb6b1", "ops", SERVICE, "P5",
        datetime(2023, 9, 5, 18, 20, 28, 3000, UTC), None,
        datetime(2023, 9, 5, 18, 21, 21, 490000, UTC),
    ),
}  # fmt: skip


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(OpsgenieSite(INCIDENTS, KEY)) as running:
        yield running


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGENIE_TOKEN", KEY)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def api_sync(ws: Workspace, url: str, sleeps: Sleeps | None = None) -> SyncReport:
    given = {**SETTINGS, "url": url, "page_size": 1}
    configure(ws, opsgenie=OpsgenieSettings.model_validate(given))
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "opsgenie", policy=policy)


def replay(ws: Workspace, path: Path) -> SyncReport:
    configure(ws, opsgenie=OpsgenieSettings.model_validate(SETTINGS))
    return sync_source(ws.store, ws.config.connectors, ws.root, "opsgenie", files=[path])


@pytest.mark.usefixtures("key")
def test_api_sync_matches_the_payloads_by_hand_and_the_replay(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    api_sync(workspace, server.url)
    assert set(workspace.store.sql(QUERY)) == BY_HAND
    # One incident a page: the second by the first's paging.next.
    assert [r.query["offset"] for r in server.requests] == ["0", "1"]
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        replay(replayed, FILE)
        query = "SELECT * EXCLUDE (ingested_at) FROM incident ORDER BY ALL"
        assert workspace.store.sql(query) == replayed.store.sql(query)
    finally:
        replayed.close()


@pytest.mark.usefixtures("key")
def test_a_second_sync_rereads_from_the_oldest_open_and_changes_nothing(
    workspace: Workspace, server: FixtureServer
) -> None:
    api_sync(workspace, server.url)
    open_since = datetime(2023, 9, 6, 14, 30, 56, 346000, UTC)  # Incident#1, open
    assert workspace.store.sql("SELECT cursor FROM sync_state") == [(open_since.isoformat(),)]
    server.requests.clear()
    report = api_sync(workspace, server.url)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    assert [r.query["query"] for r in server.requests] == ["createdAt>=1694010656346"]


@pytest.mark.usefixtures("key")
def test_429_and_5xx_are_retried_and_a_malformed_page_lands_nothing(
    workspace: Workspace, server: FixtureServer
) -> None:
    server.fault("offset=0", Reply(429, {"message": "rate"}, {"Retry-After": "1"}))
    server.fault("offset=1", Reply(504, {"message": "timeout"}))
    sleeps = Sleeps()
    api_sync(workspace, server.url, sleeps)
    assert sleeps == [1.0, 0.5]
    assert set(workspace.store.sql(QUERY)) == BY_HAND
    fresh = Workspace.init(workspace.root.parent / "fresh")
    try:
        server.fault("offset=1", Reply(200, raw=b'{"data": [{"id": "x'))
        with pytest.raises(ProductOpsError, match=r"offset=1.*not valid JSON"):
            api_sync(fresh, server.url)
        assert fresh.store.sql("SELECT count(*) FROM incident") == [(1,)]
        assert fresh.store.sql("SELECT count(*) FROM sync_state") == [(0,)]
    finally:
        fresh.close()


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = {**INCIDENTS[0], "id": "broken", "createdAt": "yesterday"}
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(INCIDENTS[1]), json.dumps(broken), "{", json.dumps({"data": [{}]})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay(workspace, path)
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["incident"] == [1, 0, 0, 1]
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any("created_at" in r for r in reasons), reasons
    assert any(r.startswith("not an Opsgenie incident") for r in reasons), reasons


def test_dora_links_opsgenie_incidents_to_the_deployment_before_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Team ops deployed at 18:00 on 5 September (Incident#2 follows 20 minutes later,
    resolved 53.487 s after it opened) and at 12:00 on 4 September (over 24 hours before
    either incident). Incident#1 (6 September 14:30) is over 24 hours after both."""
    replay(workspace, FILE)
    deployments = tmp_path / "deployments.csv"
    deployments.write_text(
        "id,team_id,environment,finished_at,result\n"
        "d1,ops,production,2023-09-04T12:00:00Z,success\n"
        "d2,ops,production,2023-09-05T18:00:00Z,success\n",
        encoding="utf-8",
    )
    ws = str(workspace.root)
    workspace.close()
    run("-w", ws, "import", "deployment", str(deployments))
    rate = json.loads(run("-w", ws, "dora", "failure-rate", "-f", "json"))
    assert [(r["deployments"], r["failed"], r["rate"]) for r in rate] == [(2, 1, 0.5)]
    recovery = json.loads(run("-w", ws, "dora", "recovery", "-f", "json"))
    assert [r["incidents"] for r in recovery] == [1]
    # In whole seconds, as docs/metrics.md counts durations: 18:20:28 to 18:21:21.
    assert recovery[0]["median_hours"] == pytest.approx(53 / 3600, abs=1 / 3600)
