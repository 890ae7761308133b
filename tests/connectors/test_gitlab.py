"""GitLab against a local server paging the real DevLake payloads; values computed by hand."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops.config import GitLabSettings
from productops.connectors import RetryPolicy, parse_time
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.code_sites import GitLabSite
from tests.connectors.fixtures import (
    GITLAB_PROJECT,
    configure,
    gitlab_fixture,
    sync_gitlab_fixtures,
)
from tests.connectors.server import FixtureServer, Reply, utc
from tests.test_cli import run

MERGES = list(
    {
        m["id"]: m
        for name in (
            "merge_requests",
            "merge_requests_for_mr_commit_test",
            "merge_requests_for_mr_notes_test",
        )
        for m in gitlab_fixture(name)
    }.values()
)
COMMITS = gitlab_fixture("merge_request_commits")
NOTES = gitlab_fixture("merge_request_notes")
ISSUES = gitlab_fixture("issues")
PIPELINES = gitlab_fixture("pipeline")
JOBS = gitlab_fixture("job") + gitlab_fixture("trigger_job")
DEPLOYMENTS = gitlab_fixture("deployments")
MEMBERS = gitlab_fixture("users")
TOKEN = "glpat-secretTokenValue0123456789"
KEY = f"gitlab:{GITLAB_PROJECT}"


def by_hand_changes() -> dict[str, tuple[Any, ...]]:
    """id -> (created, first commit, first review, merged, merge sha).

    A review is a note by someone else than the author: a comment (not a system
    note), or the system note "approved this merge request".
    """
    found = {}
    for merge in MERGES:
        author = merge["author"]["username"]
        commits = [
            utc(c["response"]["authored_date"])
            for c in COMMITS
            if c["request"]["GitlabId"] == merge["id"]
        ]
        reviews = [
            utc(n["response"]["created_at"])
            for n in NOTES
            if n["request"]["GitlabId"] == merge["id"]
            and n["response"]["author"]["username"] != author
            and (
                not n["response"]["system"]
                or n["response"]["body"] == "approved this merge request"
            )
        ]
        found[f"{KEY}!{merge['iid']}"] = (
            utc(merge["created_at"]),
            min(commits) if commits else None,
            min(reviews) if reviews else None,
            parse_time(merge["merged_at"]),
            merge["merge_commit_sha"] if merge["merged_at"] else None,
        )
    return found


def stored_changes(ws: Workspace) -> dict[str, tuple[Any, ...]]:
    rows = ws.store.sql(
        "SELECT id, created_at, first_commit_at, first_review_at, merged_at, merge_sha FROM change"
    )
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture
def site() -> GitLabSite:
    return GitLabSite(
        GITLAB_PROJECT,
        merge_requests=MERGES,
        commits=COMMITS,
        notes=NOTES,
        issues=ISSUES,
        pipelines=PIPELINES,
        jobs=JOBS,
        deployments=DEPLOYMENTS,
        members=MEMBERS,
    )


@pytest.fixture
def server(site: GitLabSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    settings = {
        "url": f"{url}/api/v4",
        "projects": [GITLAB_PROJECT],
        "default_team": "data",
        "deploy_from": ["deployments", "jobs"],
        "deploy_branch": "master",
        "page_size": 5,
        **extra,
    }
    configure(ws, gitlab=GitLabSettings.model_validate(settings))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "gitlab", policy=policy)


def test_api_sync_matches_the_payloads_by_hand(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    connect(workspace, server.url)
    api_sync(workspace)
    assert stored_changes(workspace) == by_hand_changes()
    assert len(by_hand_changes()) == 24
    changes = stored_changes(workspace)
    # !3 by martinguindon: emilie's comment is the first review ("This looks good to me").
    assert changes[f"{KEY}!3"][2] == parse_time("2019-08-26T12:14:39.003Z")
    # !1: only system notes by others ("mentioned in commit", "merged"): no review.
    assert changes[f"{KEY}!1"][2] is None
    # !37: approved, unapproved, approved again: the first approval.
    assert changes[f"{KEY}!37"][2] == parse_time("2019-01-29T00:40:37.158Z")
    links = dict(workspace.store.sql("SELECT id, work_item_id FROM change"))
    assert links[f"{KEY}!1"] == f"{KEY}#1"  # "Closes #1"
    authors = dict(workspace.store.sql("SELECT id, author_id FROM change"))
    assert authors[f"{KEY}!3"] == "gitlab:martinguindon"

    items = workspace.store.sql(
        "SELECT id, status, status_category, created_at, resolved_at FROM work_item"
    )
    assert sorted(items) == sorted(
        (
            f"{KEY}#{i['iid']}",
            i["state"],
            "done" if i["state"] == "closed" else "todo",
            utc(i["created_at"]),
            parse_time(i["closed_at"]),
        )
        for i in ISSUES
    )
    # Deployments: finished ones (success, failed) of every environment; deploy jobs on master.
    results = {"success": "success", "failed": "failure"}
    expected = {
        (
            f"gitlab:merico-dev/ee/vdev.co/deployments/{d['id']}",
            d["environment"]["name"],
            utc(d["deployable"]["finished_at"] or d["updated_at"]),
            results[d["status"]],
            d["sha"],
        )
        for d in DEPLOYMENTS
        if d["status"] in results
    } | {
        (
            f"gitlab:merico/pip_test/jobs/{j['id']}",
            "production",
            utc(j["finished_at"]),
            results[j["status"]],
            j["commit"]["id"],
        )
        for j in JOBS
        if "deploy" in j["name"] + j["stage"] and j["ref"] == "master" and j["status"] in results
    }
    stored = workspace.store.sql(
        "SELECT id, environment, finished_at, result, commit_sha FROM deployment"
    )
    assert set(stored) == expected
    assert len(expected) == 3
    people = workspace.store.sql("SELECT id, team_id, joined_at FROM person ORDER BY id")
    assert people == sorted(
        (f"gitlab:{m['username']}", "data", utc(m["created_at"])) for m in MEMBERS
    )

    # Offset pages through X-Next-Page (the site sends no Link), keyset pages through Link.
    merges = [r for r in server.requests if r.path.endswith("/merge_requests")]
    assert [r.query.get("page", "1") for r in merges] == ["1", "2", "3", "4", "5"]
    jobs = [r for r in server.requests if r.path.endswith("/jobs")]
    assert len(jobs) == -(-len(JOBS) // 5)
    assert all("cursor" in r.query for r in jobs[1:])
    assert all("gitlab-data%2Fsnowflake_spend" in r.path for r in server.requests)
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)


def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    connect(workspace, server.url, deploy_from=["deployments", "jobs", "pipelines"])
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        sync_gitlab_fixtures(
            replayed, deploy_from=["deployments", "jobs", "pipelines"], deploy_branch="master"
        )
        for table in ("change", "deployment", "incident", "work_item", "person"):
            query = f"SELECT * EXCLUDE (ingested_at) FROM {table} ORDER BY ALL"
            assert workspace.store.sql(query) == replayed.store.sql(query), table
    finally:
        replayed.close()


def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    cursors = dict(workspace.store.sql("SELECT stream, cursor FROM sync_state"))
    newest = max(utc(m["updated_at"]) for m in MERGES)
    assert cursors[f"gitlab:{GITLAB_PROJECT}:merge_requests"] == newest.isoformat()
    unfinished = min(
        j["id"] for j in JOBS if j["status"] not in ("success", "failed", "canceled", "skipped")
    )
    assert cursors[f"gitlab:{GITLAB_PROJECT}:jobs"] == str(unfinished)
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    merges = [r for r in server.requests if r.path.endswith("/merge_requests")]
    assert [r.query["updated_after"] for r in merges] == [newest.isoformat()]


def test_rate_limit_429_waits_for_ratelimit_reset(
    workspace: Workspace, server: FixtureServer
) -> None:
    # GitLab's 429: RateLimit-Remaining 0 and RateLimit-Reset (a Unix time), no Retry-After.
    # The reset is a minute away: the wait is capped at max_wait_seconds (5), not the 0.5 s
    # backoff a 429 without a readable reset gets.
    reset = str(int(time.time()) + 60)
    limited = Reply(
        429,
        {"message": "Retry later"},
        {"RateLimit-Remaining": "0", "RateLimit-Reset": reset},
    )
    server.fault("/issues?", limited)
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [5.0]
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]


def test_a_5xx_is_retried_with_backoff(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/deployments?", Reply(502, {"message": "bad gateway"}))
    server.fault("/deployments?", Reply(500, {"message": "oops"}), nth=2)
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [0.5, 1.0]
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(3,)]


def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    broken = Reply(200, raw=b'[{"id": 53627854, "iid": 6, "title": "')
    server.fault("/merge_requests?", broken, nth=3)  # the third page
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"merge_requests\?.*not valid JSON"):
        api_sync(workspace)
    ordered = sorted(MERGES, key=lambda m: (utc(m["updated_at"]), m["id"]))
    first_two = ordered[:10]
    stored = {r[0] for r in workspace.store.sql("SELECT id FROM change")}
    assert stored == {f"{KEY}!{m['iid']}" for m in first_two}
    cursor = max(utc(m["updated_at"]) for m in first_two)
    assert workspace.store.sql(
        "SELECT cursor FROM sync_state WHERE stream LIKE '%merge_requests'"
    ) == [(cursor.isoformat(),)]
    api_sync(workspace)
    assert len(stored_changes(workspace)) == len(MERGES)


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = {**MERGES[0], "id": 1, "iid": 999, "created_at": "yesterday"}
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(MERGES[1]), json.dumps(broken), "{not json", json.dumps({"a": 1})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    configure(workspace, gitlab=GitLabSettings(projects=[GITLAB_PROJECT], default_team="data"))
    report = sync_source(
        workspace.store, workspace.config.connectors, workspace.root, "gitlab", files=[path]
    )
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["change"][0] == 1
    assert report.counts["change"][3] == 1
    reasons = workspace.store.sql("SELECT line, reason FROM quarantine ORDER BY reason")
    assert any("not valid JSON" in r for _, r in reasons)
    assert any(r.startswith("not a GitLab API object") for _, r in reasons)
    assert any("created_at" in r for _, r in reasons)
    assert workspace.store.sql("SELECT id FROM change") == [(f"{KEY}!{MERGES[1]['iid']}",)]


def test_dora_computes_on_a_workspace_synced_from_gitlab(workspace: Workspace) -> None:
    # The fixture's production deployments were cancelled or blocked: staging stands in.
    sync_gitlab_fixtures(
        workspace,
        deploy_from=["deployments", "jobs"],
        deploy_branch="master",
        production_environment="^staging$",
    )
    ws = str(workspace.root)
    workspace.close()
    frequency = json.loads(run("-w", ws, "dora", "frequency", "-f", "json"))
    assert [(r["period_start"][:7], r["deployments"]) for r in frequency] == [
        ("2019-03", 1),
        ("2022-08", 1),
    ]
    # Every merge came after the staging deployment of 2019-03-13: the deploy job of
    # 2022-08-25 shipped each merged change with commits.
    shipped = utc(next(j for j in JOBS if j["name"] == "deploy")["finished_at"])
    first_commits = [
        min(
            utc(c["response"]["authored_date"])
            for c in COMMITS
            if c["request"]["GitlabId"] == m["id"]
        )
        for m in MERGES
        if m["merged_at"] and any(c["request"]["GitlabId"] == m["id"] for c in COMMITS)
    ]
    # In whole seconds, as docs/metrics.md counts durations.
    seconds = [int(shipped.timestamp()) - int(t.timestamp()) for t in first_commits]
    hours = statistics.median(s / 3600 for s in seconds)
    lead = json.loads(run("-w", ws, "dora", "lead-time", "-f", "json"))
    assert [(r["period_start"][:7], r["changes"]) for r in lead] == [("2022-08", 7)]
    assert lead[0]["lead_time_hours"] == pytest.approx(hours, abs=1e-6)


def test_connect_and_sync_on_the_command_line_never_store_the_token(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    ws = str(tmp_path / "ws")
    run("init", ws)
    run(
        "-w", ws, "connect", "gitlab", "--url", f"{server.url}/api/v4",
        "--project", GITLAB_PROJECT, "--token-env", "GITLAB_TOKEN", "--default-team", "data",
        "--deploy-from", "deployments", "--deploy-from", "jobs", "--deploy-branch", "master",
    )  # fmt: skip
    rows = json.loads(run("-w", ws, "sync", "gitlab", "-f", "json"))
    landed = {r["table"]: r["landed"] for r in rows}
    assert landed["change"] == len(MERGES)
    assert landed["deployment"] == 3
    stored = b"".join(p.read_bytes() for p in Path(ws).rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
