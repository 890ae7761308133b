"""PagerDuty against a local server paging the real DevLake incidents; values read by hand
from tests/fixtures/pagerduty/incidents.jsonl, and DORA on the linked incidents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops.config import PagerDutySettings
from productops.connectors import RetryPolicy
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.fixtures import configure
from tests.connectors.ops_sites import PagerDutySite
from tests.connectors.server import FixtureServer, Reply, load_jsonl, utc
from tests.test_cli import run

FILE = FIXTURES / "pagerduty" / "incidents.jsonl"
INCIDENTS = load_jsonl(FILE)
KEY = "u+pagerdutyReadOnlyKey0123"
SETTINGS = {"service_teams": {"DevService": "dev"}}

# By hand from the fixture: created, acknowledged (first acknowledge_log_entry), resolved
# (the resolve_log_entry of the one resolved incident), severity (urgency: no priority).
BY_HAND = {
    "pagerduty:Q3YON8WNWTZMRQ": (  # #4, triggered again after two acknowledgements
        "2022-11-03T06:23:06Z", "2022-11-03T06:23:07Z", None, "high",
    ),
    "pagerduty:Q3CZAU7Q4008QD": (  # #5, acknowledged
        "2022-11-03T06:44:28Z", "2022-11-03T06:44:37Z", None, "high",
    ),
    "pagerduty:Q1OHFWFP3GPXOG": (  # #6, resolved
        "2022-11-03T06:45:36Z", "2022-11-03T06:45:46Z", "2022-11-03T06:51:44Z", "low",
    ),
}  # fmt: skip


def by_hand() -> set[tuple[Any, ...]]:
    return {
        (key, "dev", "DevService", severity, utc(c), utc(a), utc(r) if r else None)
        for key, (c, a, r, severity) in BY_HAND.items()
    }


QUERY = (
    "SELECT id, team_id, service, severity, created_at, acknowledged_at, resolved_at FROM incident"
)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(PagerDutySite(INCIDENTS, KEY)) as running:
        yield running


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", KEY)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    given = {**SETTINGS, "url": url, "page_size": 2, **extra}
    configure(ws, pagerduty=PagerDutySettings.model_validate(given))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "pagerduty", policy=policy)


def replay(ws: Workspace, *files: Path) -> SyncReport:
    configure(ws, pagerduty=PagerDutySettings.model_validate(SETTINGS))
    return sync_source(ws.store, ws.config.connectors, ws.root, "pagerduty", files=list(files))


@pytest.mark.usefixtures("key")
def test_api_sync_matches_the_payloads_by_hand(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    assert set(workspace.store.sql(QUERY)) == by_hand()
    # Offset pages of 2 while `more`: offsets 0 and 2; every incident's log entries apart.
    lists = [r for r in server.requests if r.path == "/incidents"]
    assert [r.query["offset"] for r in lists] == ["0", "2"]
    assert all(r.query["date_range"] == "all" for r in lists)
    assert sum(r.path.endswith("/log_entries") for r in server.requests) == 3


@pytest.mark.usefixtures("key")
def test_replay_from_the_file_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        replay(replayed, FILE)
        query = "SELECT * EXCLUDE (ingested_at) FROM incident ORDER BY ALL"
        assert workspace.store.sql(query) == replayed.store.sql(query)
    finally:
        replayed.close()


@pytest.mark.usefixtures("key")
def test_a_second_sync_rereads_from_the_oldest_unresolved_and_changes_nothing(
    workspace: Workspace, server: FixtureServer
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    oldest_open = utc("2022-11-03T06:23:06Z")  # #4, not resolved
    assert workspace.store.sql("SELECT stream, cursor FROM sync_state") == [
        ("pagerduty:incidents", oldest_open.isoformat())
    ]
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    first = next(r for r in server.requests if r.path == "/incidents")
    assert utc(first.query["since"]) == oldest_open
    assert set(workspace.store.sql(QUERY)) == by_hand()


@pytest.mark.usefixtures("key")
def test_429_and_5xx_are_retried(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/incidents?", Reply(429, {"error": "rate"}, {"Retry-After": "3"}))
    server.fault("/log_entries?", Reply(502, {"error": "bad gateway"}))
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [3.0, 0.5]
    assert set(workspace.store.sql(QUERY)) == by_hand()


@pytest.mark.usefixtures("key")
def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/incidents?", Reply(200, raw=b'{"incidents": [{"id": "Q1'), nth=2)
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"/incidents\?.*not valid JSON"):
        api_sync(workspace)
    assert workspace.store.sql("SELECT count(*) FROM incident") == [(2,)]
    assert workspace.store.sql("SELECT count(*) FROM sync_state") == [(0,)]


def test_a_wrong_key_is_refused_without_echoing_it(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", "u+wrongKeyValue999")
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match="HTTP 401, not authorised") as caught:
        api_sync(workspace)
    assert "wrongKeyValue" not in str(caught.value)


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = {**INCIDENTS[0], "id": "QBROKEN", "created_at": "soon", "log_entries": []}
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(INCIDENTS[2]), json.dumps(broken), "{not json", json.dumps({"x": 1})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay(workspace, path)
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["incident"] == [1, 0, 0, 1]
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any("created_at" in r for r in reasons), reasons
    assert any(r.startswith("not valid JSON") for r in reasons), reasons
    assert any(r.startswith("not a PagerDuty incident") for r in reasons), reasons
    again = replay(workspace, path)
    assert again.counts["raw_record"][:2] == [0, 0]
    assert again.counts["incident"][:2] == [0, 0]


def test_dora_links_incidents_to_the_deployment_before_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Deployments of team dev: d1 on 2 November (over 24 hours before every incident),
    d2 at 06:00 and d3 at 06:40 on 3 November, d4 failed at 06:44. Incident #4 (06:23)
    follows d2; #5 (06:44:28) and #6 (06:45:36) follow d3 (d4 failed: not a candidate).
    Failure rate: 2 of 3 successful production deployments. Recovery: #6 only (resolved),
    06:45:36 to 06:51:44 = 368 s."""
    replay(workspace, FILE)
    deployments = tmp_path / "deployments.csv"
    deployments.write_text(
        "id,team_id,environment,finished_at,result\n"
        "d1,dev,production,2022-11-02T06:00:00Z,success\n"
        "d2,dev,production,2022-11-03T06:00:00Z,success\n"
        "d3,dev,production,2022-11-03T06:40:00Z,success\n"
        "d4,dev,production,2022-11-03T06:44:00Z,failure\n",
        encoding="utf-8",
    )
    ws = str(workspace.root)
    workspace.close()
    run("-w", ws, "import", "deployment", str(deployments))
    rate = json.loads(run("-w", ws, "dora", "failure-rate", "-f", "json"))
    assert [(r["team_id"], r["deployments"], r["failed"]) for r in rate] == [("dev", 3, 2)]
    assert rate[0]["rate"] == pytest.approx(2 / 3)
    recovery = json.loads(run("-w", ws, "dora", "recovery", "-f", "json"))
    assert [(r["team_id"], r["incidents"]) for r in recovery] == [("dev", 1)]
    assert recovery[0]["median_hours"] == pytest.approx(368 / 3600)
    # A window of 20 minutes: #4 (23 min after d2) is no longer linked; d3 still is.
    short = json.loads(
        run("-w", ws, "dora", "failure-rate", "--link-hours", "0.3333", "-f", "json")
    )
    assert [(r["deployments"], r["failed"]) for r in short] == [(3, 1)]


def test_connect_and_sync_on_the_command_line_never_store_the_key(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", KEY)
    ws = str(tmp_path / "ws")
    run("init", ws)
    run(
        "-w", ws, "connect", "pagerduty", "--url", server.url,
        "--service-team", "DevService=dev", "--token-env", "PAGERDUTY_TOKEN",
    )  # fmt: skip
    rows = json.loads(run("-w", ws, "sync", "pagerduty", "-f", "json"))
    assert {r["table"]: r["landed"] for r in rows}["incident"] == 3
    stored = b"".join(p.read_bytes() for p in Path(ws).rglob("*") if p.is_file())
    assert KEY.encode() not in stored
