"""CircleCI against a local server paging the real DevLake pipelines, workflows and jobs;
values computed by hand from tests/fixtures/circleci."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from productops.config import CircleCISettings
from productops.connectors import RetryPolicy
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.fixtures import configure
from tests.connectors.ops_sites import CircleCISite
from tests.connectors.server import FixtureServer, Reply, load_jsonl, utc
from tests.test_cli import run

DIR = FIXTURES / "circleci"
FILES = [DIR / f"{name}.jsonl" for name in ("pipelines", "workflows", "jobs")]
PIPELINES = load_jsonl(FILES[0])
WORKFLOWS = load_jsonl(FILES[1])
JOBS = load_jsonl(FILES[2])
PROJECT = "gh/coldgust/coldgust.github.io"
TOKEN = "CCIPAT_0123456789abcdef0123456789abcdef"
SETTINGS = {
    "projects": [PROJECT],
    "default_team": "site",
    "deploy_from": ["workflows", "jobs"],
    "deploy_workflow": "^workflow$",
    "deploy_job": "^build$",
    "deploy_branch": "master",
}
QUERY = "SELECT id, started_at, finished_at, result, commit_sha FROM deployment"


def by_hand() -> set[tuple[Any, ...]]:
    """Workflows named `workflow` and jobs named `build` of master pipelines (4 to 9), finished
    success or failed. Workflow of pipeline 8 stopped before it was created (quarantined)."""
    sha = {
        p["id"]: p["vcs"]["revision"]
        for p in PIPELINES
        if p.get("vcs", {}).get("branch") == "master"
    }
    found = set()
    for item in WORKFLOWS:
        w = item["response"]
        if w["name"] == "workflow" and w["pipeline_id"] in sha and w["pipeline_number"] != 8:
            result = "success" if w["status"] == "success" else "failure"
            found.add(
                (
                    f"circleci:{PROJECT}/workflows/{w['id']}",
                    utc(w["created_at"]),
                    utc(w["stopped_at"]),
                    result,
                    sha[w["pipeline_id"]],
                )
            )
    for item in JOBS:
        j, pipeline = item["response"], item["request"]["pipeline_id"]
        if j["name"] == "build" and pipeline in sha:
            result = "success" if j["status"] == "success" else "failure"
            found.add(
                (
                    f"circleci:{PROJECT}/jobs/{j['job_number']}",
                    utc(j["started_at"]),
                    utc(j["stopped_at"]),
                    result,
                    sha[pipeline],
                )
            )
    return found


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(CircleCISite(PROJECT, PIPELINES, WORKFLOWS, JOBS, TOKEN)) as running:
        yield running


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRCLECI_TOKEN", TOKEN)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str) -> None:
    configure(ws, circleci=CircleCISettings.model_validate({**SETTINGS, "url": f"{url}/api/v2"}))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "circleci", policy=policy)


def replay(ws: Workspace, files: list[Path]) -> SyncReport:
    configure(ws, circleci=CircleCISettings.model_validate(SETTINGS))
    return sync_source(ws.store, ws.config.connectors, ws.root, "circleci", files=files)


@pytest.mark.usefixtures("token")
def test_api_sync_matches_the_payloads_by_hand(workspace: Workspace, server: FixtureServer) -> None:
    report = api_sync_connected(workspace, server)
    expected = by_hand()
    assert len(expected) == 11  # 5 workflows (pipelines 4-7, 9) and 6 jobs (4-9)
    assert set(workspace.store.sql(QUERY)) == expected
    assert report.counts["deployment"][3] == 1  # pipeline 8's workflow: stopped before created
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert reasons == [
        'finished_at "2023-03-25 18:05:28+00" is before started_at "2023-03-25 18:06:13+00"'
    ]
    # 10 pipelines at 3 a page: 4 pages, each after the first by its page-token.
    lists = [r for r in server.requests if r.path.endswith("/pipeline")]
    assert len(lists) == 4
    assert all("page-token" in r.query for r in lists[1:])


def api_sync_connected(
    ws: Workspace, server: FixtureServer, sleeps: Sleeps | None = None
) -> SyncReport:
    connect(ws, server.url)
    return api_sync(ws, sleeps)


@pytest.mark.usefixtures("token")
def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    api_sync_connected(workspace, server)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        replay(replayed, FILES)
        query = "SELECT * EXCLUDE (ingested_at) FROM deployment ORDER BY ALL"
        assert workspace.store.sql(query) == replayed.store.sql(query)
    finally:
        replayed.close()


@pytest.mark.usefixtures("token")
def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    api_sync_connected(workspace, server)
    newest = max(utc(p["created_at"]) for p in PIPELINES)  # every workflow has finished
    assert workspace.store.sql("SELECT cursor FROM sync_state") == [(newest.isoformat(),)]
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    assert sum(r.path.endswith("/pipeline") for r in server.requests) == 1


@pytest.mark.usefixtures("token")
def test_429_and_5xx_are_retried(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/pipeline?", Reply(429, {"message": "Rate limit exceeded"}, {"Retry-After": "4"}))
    server.fault("/job?", Reply(500, {"message": "oops"}))
    sleeps = Sleeps()
    api_sync_connected(workspace, server, sleeps)
    assert sleeps == [4.0, 0.5]
    assert set(workspace.store.sql(QUERY)) == by_hand()


@pytest.mark.usefixtures("token")
def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/pipeline?", Reply(200, raw=b'{"items": [{"id": "x'), nth=2)
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"/pipeline\?page-token=.*not valid JSON"):
        api_sync(workspace)
    # The first page (pipelines 10, 9, 8) landed: pipeline 9's workflow and job, and 8's
    # job (8's workflow is quarantined).
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(3,)]
    assert workspace.store.sql("SELECT count(*) FROM sync_state") == [(0,)]


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(PIPELINES[1]),
        json.dumps(WORKFLOWS[3]),
        "nope",
        json.dumps({"items": [{"a": 1}]}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay(workspace, [path])
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["deployment"][0] == 1  # pipeline 9's workflow
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any(r.startswith("not valid JSON") for r in reasons), reasons
    assert any(r.startswith("not a CircleCI pipeline") for r in reasons), reasons


def test_connect_and_sync_on_the_command_line_never_store_the_token(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIRCLECI_TOKEN", TOKEN)
    ws = str(tmp_path / "ws")
    run("init", ws)
    run(
        "-w", ws, "connect", "circleci", "--url", f"{server.url}/api/v2", "--project", PROJECT,
        "--deploy-workflow", "^workflow$", "--deploy-branch", "master", "--default-team", "site",
    )  # fmt: skip
    rows = json.loads(run("-w", ws, "sync", "circleci", "-f", "json"))
    assert {r["table"]: r["landed"] for r in rows}["deployment"] == 5
    frequency = json.loads(
        run("-w", ws, "dora", "frequency", "--as-of", "2023-04-01", "-f", "json")
    )
    # Of the five master workflows only pipeline 9's succeeded: one deployment.
    assert [(r["period_start"][:7], r["deployments"], r["deployment_days"]) for r in frequency] == [
        ("2023-03", 1, 1)
    ]
    stored = b"".join(p.read_bytes() for p in Path(ws).rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
