"""Azure DevOps against a local server paging the real DevLake payloads; values by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops.config import AzureDevOpsSettings
from productops.connectors import RetryPolicy
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.code_sites import AzureDevOpsSite
from tests.connectors.fixtures import azure_fixture, configure, sync_azure_fixtures
from tests.connectors.server import FixtureServer, Reply, utc

PULLS = azure_fixture("pull_requests")
COMMITS = azure_fixture("pull_request_commits")
BUILDS = [b["response"] for b in azure_fixture("builds")]
TIMELINES = azure_fixture("timeline_records")
TOKEN = "azdo-pat-0123456789abcdefghijklmnopqrstuvwxyz"
PROJECT, REPO = "test-project", "test-repo2"
SETTINGS = {"project": PROJECT, "repos": [REPO], "default_team": "platform"}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    site = AzureDevOpsSite(
        "johndoe",
        PROJECT,
        REPO,
        pullrequests=PULLS,
        commits=COMMITS,
        builds=BUILDS,
        timelines=TIMELINES,
    )
    with FixtureServer(site) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    given = {**SETTINGS, "url": f"{url}/johndoe", "page_size": 2, **extra}
    configure(ws, azure_devops=AzureDevOpsSettings.model_validate(given))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "azure-devops", policy=policy)


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_DEVOPS_TOKEN", TOKEN)


@pytest.mark.usefixtures("token")
def test_api_sync_matches_the_payloads_by_hand(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url, deploy_from=["builds", "timeline"])
    api_sync(workspace)
    pull = PULLS[0]
    assert workspace.store.sql(
        "SELECT id, repo, title, created_at, first_commit_at, merged_at, merge_sha FROM change"
    ) == [
        (
            f"azure-devops:{PROJECT}/{REPO}#{pull['pullRequestId']}",
            f"{PROJECT}/{REPO}",
            pull["title"],
            utc(pull["creationDate"]),
            min(utc(c["response"]["author"]["date"]) for c in COMMITS),
            None,  # still active
            None,
        )
    ]
    # Builds of deploy_to_prod (the default deploy_pipeline) that completed: 12 and 13
    # succeeded; 14 and 15 are of other pipelines; 16, 17 unfinished; 18 cancelled.
    # Build 12's timeline job "deploy production" succeeded too.
    expected = {
        (
            f"azure-devops:Testproject/builds/{b['id']}",
            utc(b["finishTime"]),
            "success",
            b["sourceVersion"],
        )
        for b in BUILDS
        if b["definition"]["name"] == "deploy_to_prod" and b["result"] == "succeeded"
    }
    job = next(t["response"] for t in TIMELINES if t["response"]["name"] == "deploy production")
    expected.add(
        (
            f"azure-devops:Testproject/builds/12/{job['id']}",
            utc(job["finishTime"]),
            "success",
            BUILDS[0]["sourceVersion"],
        )
    )
    stored = workspace.store.sql("SELECT id, finished_at, result, commit_sha FROM deployment")
    assert set(stored) == expected
    assert len(expected) == 3
    # Continuation tokens: 7 builds at 2 a page; a personal access token as basic auth.
    builds = [r for r in server.requests if r.path.endswith("/build/builds")]
    assert len(builds) == 4
    assert all("continuationToken" in r.query for r in builds[1:])
    assert all(r.headers["Authorization"].startswith("Basic ") for r in server.requests)


@pytest.mark.usefixtures("token")
def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    connect(workspace, server.url, deploy_from=["builds", "timeline"])
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        sync_azure_fixtures(replayed, deploy_from=["builds", "timeline"])
        for table in ("change", "deployment"):
            query = f"SELECT * EXCLUDE (ingested_at) FROM {table} ORDER BY ALL"
            assert workspace.store.sql(query) == replayed.store.sql(query), table
    finally:
        replayed.close()


@pytest.mark.usefixtures("token")
def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    cursor = min(utc(b["queueTime"]) for b in BUILDS if b["status"] != "completed")
    assert workspace.store.sql("SELECT cursor FROM sync_state") == [(cursor.isoformat(),)]
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    builds = [r for r in server.requests if r.path.endswith("/build/builds")]
    assert builds[0].query["minTime"] == cursor.isoformat()


@pytest.mark.usefixtures("token")
def test_429_and_5xx_are_retried(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/build/builds?", Reply(429, {"message": "slow down"}, {"Retry-After": "2"}))
    server.fault("/timeline?", Reply(503, {"message": "unavailable"}))
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [2.0, 0.5]
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(2,)]


@pytest.mark.usefixtures("token")
def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/build/builds?", Reply(200, raw=b'{"count": 2, "value": [{"id": 1'), nth=2)
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"build/builds\?.*not valid JSON"):
        api_sync(workspace)
    # The first page (builds 12, 13) landed; nothing of the second; the cursor stayed unset.
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(2,)]
    assert workspace.store.sql("SELECT count(*) FROM sync_state") == [(0,)]


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = {**PULLS[0], "pullRequestId": 2, "creationDate": "soon"}
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(PULLS[0]), json.dumps(broken), "[1, 2", json.dumps({"value": 1})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    configure(workspace, azure_devops=AzureDevOpsSettings.model_validate(SETTINGS))
    report = sync_source(
        workspace.store, workspace.config.connectors, workspace.root, "azure-devops", files=[path]
    )
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["change"][0] == 1
    assert report.counts["change"][3] == 1
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any("created_at" in r for r in reasons)
    assert any(r.startswith("not an Azure DevOps API object") for r in reasons)
