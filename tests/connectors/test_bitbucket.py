"""Bitbucket Cloud against a local server paging the real DevLake payloads; values by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops.config import BitbucketSettings
from productops.connectors import RetryPolicy, parse_time
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.code_sites import BitbucketSite
from tests.connectors.fixtures import (
    BITBUCKET_REPO,
    bitbucket_fixture,
    configure,
    sync_bitbucket_fixtures,
)
from tests.connectors.server import FixtureServer, Reply, utc
from tests.test_cli import run

PULLS = bitbucket_fixture("pull_requests")
COMMITS = bitbucket_fixture("pull_request_commits")
COMMENTS = bitbucket_fixture("pullrequest_comments")
ISSUES = bitbucket_fixture("issues")
PIPELINES = bitbucket_fixture("pipelines")
STEPS = bitbucket_fixture("pipeline_steps")
DEPLOYMENTS = bitbucket_fixture("deployments")
TOKEN = "ATCTT3xFfGN0-bitbucket-access-token-0123"
KEY = f"bitbucket:{BITBUCKET_REPO}"
RESULTS = {"SUCCESSFUL": "success", "COMPLETED": "success", "FAILED": "failure", "ERROR": "failure"}


def by_hand_changes() -> dict[str, tuple[Any, ...]]:
    """id -> (created, first commit, first review, merged, merge sha)."""
    found = {}
    for pull in PULLS:
        author = pull["author"]["uuid"]
        commits = [
            utc(c["response"]["date"]) for c in COMMITS if c["request"]["BitbucketId"] == pull["id"]
        ]
        reviews = [
            utc(c["response"]["created_on"])
            for c in COMMENTS
            if c["request"]["BitbucketId"] == pull["id"] and c["response"]["user"]["uuid"] != author
        ]
        merged = pull["state"] == "MERGED"
        found[f"{KEY}#{pull['id']}"] = (
            utc(pull["created_on"]),
            min(commits) if commits else None,
            min(reviews) if reviews else None,
            utc(pull["updated_on"]) if merged else None,
            pull["merge_commit"]["hash"] if merged else None,
        )
    return found


def by_hand_deployments() -> set[tuple[Any, ...]]:
    """Finished deployments (Staging, Production, Test as named) and finished production steps."""
    found = set()
    for d in DEPLOYMENTS:
        result = RESULTS.get(d["state"]["name"])
        if result:
            name = d["environment"]["name"]
            env = "production" if name == "Production" else name
            found.add(
                (f"{KEY}/deployments/{d['uuid']}", env, utc(d["state"]["completed_on"]), result)
            )
    for s in STEPS:
        step = s["response"]
        result = RESULTS.get((step["state"].get("result") or {}).get("name", ""))
        if result and "prod" in step["name"]:
            found.add(
                (f"{KEY}/steps/{step['uuid']}", "production", utc(step["completed_on"]), result)
            )
    return found


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    site = BitbucketSite(
        BITBUCKET_REPO,
        pullrequests=PULLS,
        commits=COMMITS,
        comments=COMMENTS,
        issues=ISSUES,
        pipelines=PIPELINES,
        steps=STEPS,
        deployments=DEPLOYMENTS,
    )
    with FixtureServer(site) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    settings = {
        "url": f"{url}/2.0",
        "repos": [BITBUCKET_REPO],
        "default_team": "web",
        "deploy_from": ["deployments", "steps"],
        "page_size": 10,
        **extra,
    }
    configure(ws, bitbucket=BitbucketSettings.model_validate(settings))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "bitbucket", policy=policy)


def test_api_sync_matches_the_payloads_by_hand(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BITBUCKET_TOKEN", TOKEN)
    connect(workspace, server.url)
    api_sync(workspace)
    rows = workspace.store.sql(
        "SELECT id, created_at, first_commit_at, first_review_at, merged_at, merge_sha FROM change"
    )
    assert {r[0]: tuple(r[1:]) for r in rows} == by_hand_changes()
    assert len(rows) == 57
    # Every comment is by the authors' own account: #57's "tgp" has teoiaoe's uuid (a
    # nickname, not another person), so no pull request was reviewed by someone else.
    reviews = dict(workspace.store.sql("SELECT id, first_review_at FROM change"))
    assert set(reviews.values()) == {None}
    items = workspace.store.sql(
        "SELECT id, type, status, status_category, created_at FROM work_item"
    )
    assert sorted(items) == sorted(
        (f"{KEY}/issues/{i['id']}", i["kind"], i["state"], "todo", utc(i["created_on"]))
        for i in ISSUES
    )
    stored = workspace.store.sql("SELECT id, environment, finished_at, result FROM deployment")
    assert set(stored) == by_hand_deployments()
    # Paging by each body's `next`; the token in a header.
    pulls = [r for r in server.requests if r.path.endswith("/pullrequests")]
    assert [r.query.get("page", "1") for r in pulls] == ["1", "2", "3", "4", "5", "6"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)


def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        sync_bitbucket_fixtures(replayed, tmp_path)
        for table in ("change", "deployment", "work_item"):
            query = f"SELECT * EXCLUDE (ingested_at) FROM {table} ORDER BY ALL"
            assert workspace.store.sql(query) == replayed.store.sql(query), table
    finally:
        replayed.close()


def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    cursors = dict(workspace.store.sql("SELECT stream, cursor FROM sync_state"))
    newest = max(utc(p["updated_on"]) for p in PULLS)
    assert cursors[f"bitbucket:{BITBUCKET_REPO}:pullrequests"] == newest.isoformat()
    unfinished = min(utc(p["created_on"]) for p in PIPELINES if p["state"]["name"] != "COMPLETED")
    assert cursors[f"bitbucket:{BITBUCKET_REPO}:pipelines"] == unfinished.isoformat()
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    pulls = [r for r in server.requests if r.path.endswith("/pullrequests")]
    assert [r.query["q"] for r in pulls] == [f"updated_on >= {newest.isoformat()}"]


def test_429_and_5xx_are_retried(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/pullrequests?", Reply(429, {"type": "error"}), nth=2)
    server.fault("/deployments/?", Reply(503, {"type": "error"}))
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [0.5, 0.5]
    assert workspace.store.sql("SELECT count(*) FROM change") == [(len(PULLS),)]
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(len(by_hand_deployments()),)]


def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/issues?", Reply(200, raw=b'{"values": [{"id": 27, "'), nth=2)
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"issues\?.*not valid JSON"):
        api_sync(workspace)
    first = sorted(ISSUES, key=lambda i: (utc(i["updated_on"]), str(i["id"])))[:10]
    stored = {r[0] for r in workspace.store.sql("SELECT id FROM work_item")}
    assert stored == {f"{KEY}/issues/{i['id']}" for i in first}
    api_sync(workspace)
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]


def test_an_environment_named_by_uuid_and_a_bad_record(
    workspace: Workspace, tmp_path: Path
) -> None:
    # The deployments list may name the environment by uuid only: /environments/ names it.
    environment = {"uuid": "{env-1}", "name": "Live", "environment_type": {"name": "Production"}}
    deployment = {**DEPLOYMENTS[0], "uuid": "{dep-1}", "environment": {"uuid": "{env-1}"}}
    broken = {**PULLS[0], "id": 999, "created_on": "not a date"}
    # A comment by another account than the author's is a review.
    pull = next(p for p in PULLS if p["id"] == 31)
    other = {**COMMENTS[0]["response"], "id": 1, "user": {"uuid": "{someone-else}"}}
    reviewed = {
        "request": {"BitbucketId": 31},
        "response": {**other, "created_on": "2022-08-13T10:00:00Z"},
    }
    path = tmp_path / "mixed.jsonl"
    objects = (environment, deployment, broken, pull, *COMMENTS[:3], reviewed)
    lines = [json.dumps(o) for o in objects] + ["{oops"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    configure(workspace, bitbucket=BitbucketSettings(repos=[BITBUCKET_REPO], default_team="web"))
    report = sync_source(
        workspace.store, workspace.config.connectors, workspace.root, "bitbucket", files=[path]
    )
    assert workspace.store.sql("SELECT id, environment FROM deployment") == [
        (f"{KEY}/deployments/{{dep-1}}", "production")
    ]
    assert report.counts["change"][3] == 1
    assert workspace.store.sql("SELECT id, first_review_at FROM change") == [
        (f"{KEY}#31", parse_time("2022-08-13T10:00:00Z"))
    ]
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any("created_at" in r for r in reasons)
    assert any("not valid JSON" in r for r in reasons)


def test_dora_computes_on_a_workspace_synced_from_bitbucket(
    workspace: Workspace, tmp_path: Path
) -> None:
    sync_bitbucket_fixtures(workspace, tmp_path)
    production = sorted(
        (f, r) for i, e, f, r in by_hand_deployments() if e == "production" and r == "success"
    )
    ws = str(workspace.root)
    workspace.close()
    frequency = json.loads(run("-w", ws, "dora", "frequency", "-f", "json"))
    assert [(r["period_start"][:7], r["deployments"]) for r in frequency] == [
        ("2023-02", len(production))
    ]
    # Every merge (2022-08) precedes the first production deployment (2023-02): it shipped them.
    shipped = production[0][0]
    merged = [p for p in PULLS if p["state"] == "MERGED"]
    with_commits = [
        p for p in merged if any(c["request"]["BitbucketId"] == p["id"] for c in COMMITS)
    ]
    lead = json.loads(run("-w", ws, "dora", "lead-time", "-f", "json"))
    assert [(r["period_start"][:7], r["changes"]) for r in lead] == [("2023-02", len(with_commits))]
    first = min(
        utc(c["response"]["date"])
        for c in COMMITS
        if c["request"]["BitbucketId"] == with_commits[0]["id"]
    )
    seconds = int(shipped.timestamp()) - int(first.timestamp())
    assert lead[0]["lead_time_hours"] == pytest.approx(seconds / 3600, abs=1e-6)
