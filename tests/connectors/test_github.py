"""GitHub against a local server paging the real panjf2000/ants payloads; values by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from productops.config import GitHubSettings
from productops.connectors import RetryPolicy, parse_time
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import GITHUB_REPO, configure, github_fixture, sync_github_fixtures
from tests.connectors.server import FixtureServer, GitHubSite, Reply, utc

PULLS = github_fixture("pulls")
COMMITS = github_fixture("pull_commits")
REVIEWS = github_fixture("pull_reviews")
ISSUES = github_fixture("issues")
EVENTS = github_fixture("issue_events")
RUNS = github_fixture("actions_runs")
TOKEN = "ghp_secretTokenValue0123456789abcdef"


def by_hand_changes() -> dict[str, tuple[Any, ...]]:
    """id -> (title, created, first commit, first review, merged, merge sha, work item)."""
    latest = {p["number"]: p for p in PULLS}  # a repeated PR: the later line wins
    found = {}
    for number, pull in latest.items():
        commits = [
            utc(c["response"]["commit"]["author"]["date"])
            for c in COMMITS
            if c["request"]["Number"] == number
        ]
        reviews = [
            utc(r["response"]["submitted_at"])
            for r in REVIEWS
            if r["request"]["Number"] == number
            and r["response"]["user"]["login"] != pull["user"]["login"]
        ]
        merged = parse_time(pull["merged_at"])
        found[f"github:{GITHUB_REPO}#{number}"] = (
            pull["title"],
            parse_time(pull["created_at"]),
            min(commits) if commits else None,
            min(reviews) if reviews else None,
            merged,
            pull["merge_commit_sha"] if merged else None,
        )
    return found


def stored_changes(ws: Workspace) -> dict[str, tuple[Any, ...]]:
    rows = ws.store.sql(
        "SELECT id, title, created_at, first_commit_at, first_review_at, merged_at, merge_sha "
        "FROM change"
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def by_hand_deployments() -> set[tuple[Any, ...]]:
    """CodeQL runs on master that finished as success or failure."""
    results = {"success": "success", "failure": "failure", "timed_out": "failure"}
    return {
        (
            f"github:{GITHUB_REPO}/actions/runs/{r['id']}",
            parse_time(r["run_started_at"]),
            parse_time(r["updated_at"]),
            results[r["conclusion"]],
            r["head_sha"],
        )
        for r in RUNS
        if r["name"] == "CodeQL" and r["head_branch"] == "master" and r["conclusion"] in results
    }


@pytest.fixture
def site() -> GitHubSite:
    return GitHubSite(
        GITHUB_REPO,
        pulls=PULLS,
        pull_commits=COMMITS,
        pull_reviews=REVIEWS,
        issues=ISSUES,
        issue_events=EVENTS,
        actions_runs=RUNS,
    )


@pytest.fixture
def server(site: GitHubSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    settings = {
        "api_url": url,
        "repos": [GITHUB_REPO],
        "default_team": "ants",
        "deploy_from": ["actions"],
        "deploy_workflow": "^CodeQL$",
        "deploy_branch": "master",
        "incident_labels": ["bug"],
        "page_size": 10,
        **extra,
    }
    configure(ws, github=GitHubSettings.model_validate(settings))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4, max_wait_seconds=5, sleep=Sleeps() if sleeps is None else sleeps
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "github", policy=policy)


def test_api_sync_matches_the_payloads_by_hand(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    connect(workspace, server.url)
    api_sync(workspace)
    assert stored_changes(workspace) == by_hand_changes()
    links = dict(workspace.store.sql("SELECT id, work_item_id FROM change"))
    assert links[f"github:{GITHUB_REPO}#4"] == f"github:{GITHUB_REPO}#3"  # "fix #3"
    # PR 41: the author's own reviews do not count; panjf2000 reviewed first at 09:19:55.
    assert stored_changes(workspace)[f"github:{GITHUB_REPO}#41"][3] == parse_time(
        "2019-08-20T09:19:55Z"
    )
    deployments = set(
        workspace.store.sql(
            "SELECT id, started_at, finished_at, result, commit_sha FROM deployment"
        )
    )
    assert deployments == by_hand_deployments()
    issues = {i["number"]: i for i in ISSUES if "pull_request" not in i}
    items = workspace.store.sql(
        "SELECT id, status, status_category, created_at, resolved_at FROM work_item"
    )
    assert {r[0] for r in items} == {f"github:{GITHUB_REPO}#{n}" for n in issues}
    for item_id, status, category, created, resolved in items:
        issue = issues[int(item_id.rsplit("#", 1)[1])]
        assert (status, category) == (
            issue["state"],
            "done" if issue["state"] == "closed" else "todo",
        )
        assert (created, resolved) == (
            parse_time(issue["created_at"]),
            parse_time(issue["closed_at"]),
        )
    incidents = workspace.store.sql("SELECT id, created_at, resolved_at FROM incident ORDER BY id")
    assert incidents == sorted(
        (f"github:{GITHUB_REPO}#{n}", parse_time(i["created_at"]), parse_time(i["closed_at"]))
        for n, i in issues.items()
        if any(label["name"] == "bug" for label in i["labels"])
    )
    moves = set(
        workspace.store.sql("SELECT work_item_id, changed_at, to_status FROM work_item_transition")
    )
    assert moves == {
        (f"github:{GITHUB_REPO}#{e['issue']['number']}", parse_time(e["created_at"]), "closed")
        for e in EVENTS
        if e["event"] == "closed" and "pull_request" not in e["issue"]
    }
    # Link paging: 10 per page, and the token went in a header.
    pulls = [r for r in server.requests if r.path.endswith("/pulls")]
    assert [r.query.get("page", "1") for r in pulls] == ["1", "2", "3", "4", "5"]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)


def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Any
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        sync_github_fixtures(replayed)
        for table in ("change", "deployment", "incident", "work_item", "work_item_transition"):
            query = f"SELECT * EXCLUDE (ingested_at) FROM {table} ORDER BY ALL"
            assert workspace.store.sql(query) == replayed.store.sql(query), table
    finally:
        replayed.close()


def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    cursors = dict(workspace.store.sql("SELECT stream, cursor FROM sync_state"))
    newest_pull = max(utc(p["updated_at"]) for p in PULLS)
    assert cursors[f"github:{GITHUB_REPO}:pulls"] == newest_pull.isoformat()
    unfinished = min(utc(r["created_at"]) for r in RUNS if not r["conclusion"])
    assert cursors[f"github:{GITHUB_REPO}:actions_runs"] == unfinished.isoformat()
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    issues = [r for r in server.requests if r.path.endswith("/issues")]
    assert issues[0].query["since"] == cursors[f"github:{GITHUB_REPO}:issues"]
    # Newest-first lists stop at the first page holding items older than the cursor.
    assert len([r for r in server.requests if r.path.endswith("/pulls")]) == 1


def test_an_exhausted_rate_limit_waits_for_the_reset(
    workspace: Workspace, server: FixtureServer
) -> None:
    reset = str(int(time.time()) + 2)
    limited = Reply(
        403,
        {"message": "API rate limit exceeded"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    server.fault("/pulls?", limited)
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= 2
    assert len(stored_changes(workspace)) == len(by_hand_changes())


def test_deployments_and_releases(workspace: Workspace, tmp_path: Any) -> None:
    # ants has neither: these follow GitHub's documented shapes, written by hand.
    def at(day: int, hour: int) -> str:
        return datetime(2024, 5, day, hour).strftime("%Y-%m-%dT%H:%M:%SZ")

    api = f"https://api.github.com/repos/{GITHUB_REPO}"
    deployments = [
        {
            "id": 11,
            "sha": "a" * 40,
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "created_at": at(1, 9),
            "updated_at": at(1, 9),
            "url": f"{api}/deployments/11",
        },
        {
            "id": 12,
            "sha": "b" * 40,
            "ref": "main",
            "task": "deploy",
            "environment": "staging",
            "created_at": at(2, 9),
            "updated_at": at(2, 9),
            "url": f"{api}/deployments/12",
        },
        {
            "id": 13,
            "sha": "c" * 40,
            "ref": "main",
            "task": "deploy",
            "environment": "production",
            "created_at": at(3, 9),
            "updated_at": at(3, 9),
            "url": f"{api}/deployments/13",
        },
    ]
    statuses = {
        11: [
            {"id": 2, "state": "success", "created_at": at(1, 10)},
            {"id": 1, "state": "in_progress", "created_at": at(1, 9)},
        ],
        13: [{"id": 3, "state": "failure", "created_at": at(3, 11)}],
    }
    releases = [
        {
            "id": 21,
            "tag_name": "v1.0.0",
            "target_commitish": "main",
            "draft": False,
            "created_at": at(4, 8),
            "published_at": at(4, 9),
            "url": f"{api}/releases/21",
        },
        {
            "id": 22,
            "tag_name": "v1.1.0-rc",
            "target_commitish": "d" * 40,
            "draft": True,
            "created_at": at(5, 8),
            "published_at": None,
            "url": f"{api}/releases/22",
        },
    ]
    site = GitHubSite(
        GITHUB_REPO,
        pulls=[],
        pull_commits=[],
        pull_reviews=[],
        issues=[],
        issue_events=[],
        actions_runs=[],
        deployments=deployments,
        deployment_statuses=statuses,
        releases=releases,
    )
    with FixtureServer(site) as server:
        connect(workspace, server.url, deploy_from=["deployments", "releases"])
        api_sync(workspace)
    rows = workspace.store.sql(
        "SELECT id, environment, started_at, finished_at, result, commit_sha FROM deployment ORDER BY id"
    )
    assert rows == [
        (
            f"github:{GITHUB_REPO}/deployments/11",
            "production",
            parse_time(at(1, 9)),
            parse_time(at(1, 10)),
            "success",
            "a" * 40,
        ),
        (
            f"github:{GITHUB_REPO}/deployments/13",
            "production",
            parse_time(at(3, 9)),
            parse_time(at(3, 11)),
            "failure",
            "c" * 40,
        ),
        (
            f"github:{GITHUB_REPO}/releases/21",
            "production",
            parse_time(at(4, 8)),
            parse_time(at(4, 9)),
            "success",
            None,
        ),
    ]
