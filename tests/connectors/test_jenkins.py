"""Jenkins against a local server ranging over the real DevLake builds and stages; values
computed by hand from tests/fixtures/jenkins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from productops.config import JenkinsSettings
from productops.connectors import RetryPolicy
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.fixtures import configure
from tests.connectors.ops_sites import JenkinsSite
from tests.connectors.server import FixtureServer, Reply, load_jsonl
from tests.test_cli import run

DIR = FIXTURES / "jenkins"
BUILDS = load_jsonl(DIR / "builds_multibranch.jsonl")
STAGES = load_jsonl(DIR / "stages_multibranch.jsonl")
CLASSIC = load_jsonl(DIR / "builds.jsonl")
JOBS = sorted({b["request"]["FullName"] for b in BUILDS})
USER, TOKEN = "ci-reader", "11aa22bb33cc44dd55ee66ff77889900"
MAIN = "github_org/devlake-jenkins/main"
SETTINGS = {
    "jobs": JOBS,
    "default_team": "shop",
    "deploy_from": ["builds", "stages"],
    "deploy_job": "/main$",
    "deploy_stage": "^deploy$",
}


def ms(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)


def sha(build: dict[str, Any]) -> str | None:
    revisions = [a["lastBuiltRevision"] for a in build["actions"] if "lastBuiltRevision" in a]
    return revisions[0]["SHA1"] if revisions else None


def by_hand() -> set[tuple[Any, ...]]:
    """Builds of main (all four SUCCESS), and each `deploy` stage that finished SUCCESS
    (the ABORTED ones of PR-2#1 and feature-2#6 are left out): 4 + 11."""
    builds = {(b["request"]["FullName"], b["response"]["number"]): b["response"] for b in BUILDS}
    found = {
        (f"jenkins:{job}#{n}", ms(b["timestamp"]), ms(b["timestamp"] + b["duration"]), sha(b))
        for (job, n), b in builds.items()
        if job == MAIN
    }
    for item in STAGES:
        stage, key = item["response"], item["request"]["FullName"]
        if stage["name"] == "deploy" and stage["status"] == "SUCCESS":
            job, n = key.rsplit("#", 1)
            found.add(
                (
                    f"jenkins:{key}/{stage['id']}",
                    ms(stage["startTimeMillis"]),
                    ms(stage["startTimeMillis"] + stage["durationMillis"]),
                    sha(builds[(job, int(n))]),
                )
            )
    return found


QUERY = "SELECT id, started_at, finished_at, commit_sha FROM deployment"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(JenkinsSite(BUILDS, STAGES, USER, TOKEN)) as running:
        yield running


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JENKINS_USER", USER)
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, **extra: Any) -> None:
    given = {**SETTINGS, "url": url, "page_size": 2, **extra}
    configure(ws, jenkins=JenkinsSettings.model_validate(given))


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4,
        backoff_seconds=0.5,
        max_wait_seconds=5,
        sleep=Sleeps() if sleeps is None else sleeps,
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "jenkins", policy=policy)


def replay(ws: Workspace, files: list[Path], **extra: Any) -> SyncReport:
    configure(ws, jenkins=JenkinsSettings.model_validate({**SETTINGS, **extra}))
    return sync_source(ws.store, ws.config.connectors, ws.root, "jenkins", files=files)


@pytest.mark.usefixtures("secrets")
def test_api_sync_matches_the_payloads_by_hand(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    expected = by_hand()
    assert len(expected) == 15
    assert set(workspace.store.sql(QUERY)) == expected
    assert workspace.store.sql("SELECT DISTINCT team_id, environment, result FROM deployment") == [
        ("shop", "production", "success")
    ]
    # main's 4 builds in ranges of 2: {0,2}, {2,4}, then {4,6} comes back empty.
    main = [
        r
        for r in server.requests
        if r.path == "/job/github_org/job/devlake-jenkins/job/main/api/json"
    ]
    assert [r.query["tree"].rsplit("]", 1)[1] for r in main] == ["{0,2}", "{2,4}", "{4,6}"]


@pytest.mark.usefixtures("secrets")
def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        replay(replayed, [DIR / "builds_multibranch.jsonl", DIR / "stages_multibranch.jsonl"])
        query = "SELECT * EXCLUDE (ingested_at) FROM deployment ORDER BY ALL"
        assert workspace.store.sql(query) == replayed.store.sql(query)
    finally:
        replayed.close()


def test_classic_builds_map_results_by_hand(workspace: Workspace) -> None:
    """builds.jsonl (a freestyle job in folders, named by Path and Name): SUCCESS builds not
    running are successes (31, 21, 11, 23, 47, 37, 17, and pipeline-test2 #1); UNSTABLE
    10005 a failure; running ones (27, 10001, 10002), ABORTED and NOT_BUILD left out."""
    replay(workspace, [DIR / "builds.jsonl"], jobs=[], deploy_job=".", deploy_from=["builds"])
    job = "jenkins:Test-jenkins-dir/test-jenkins-sub-dir/test-sub-sub-dir/devlake"
    expected = {(f"{job}#{n}", "success") for n in (31, 21, 11, 23, 47, 37, 17)}
    expected |= {("jenkins:pipeline-test2#1", "success"), (f"{job}#10005", "failure")}
    assert set(workspace.store.sql("SELECT id, result FROM deployment")) == expected
    assert len(CLASSIC) == 14


@pytest.mark.usefixtures("secrets")
def test_a_second_sync_changes_nothing(workspace: Workspace, server: FixtureServer) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    newest = {
        job: str(max(b["response"]["number"] for b in BUILDS if b["request"]["FullName"] == job))
        for job in JOBS
    }
    assert dict(workspace.store.sql("SELECT stream, cursor FROM sync_state")) == {
        f"jenkins:{job}:builds": number for job, number in newest.items()
    }
    server.requests.clear()
    report = api_sync(workspace)
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    # Each job's first range reaches below its cursor: one request per job.
    assert sum(r.path.endswith("/api/json") for r in server.requests) == len(JOBS)


@pytest.mark.usefixtures("secrets")
def test_429_and_5xx_are_retried(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/main/api/json?", Reply(429, {"message": "slow"}, {"Retry-After": "2"}))
    server.fault("/wfapi/describe?", Reply(503, {"message": "unavailable"}))
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [0.5, 2.0]
    assert set(workspace.store.sql(QUERY)) == by_hand()


@pytest.mark.usefixtures("secrets")
def test_a_malformed_page_lands_nothing_of_it(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/main/api/json?", Reply(200, raw=b'{"allBuilds": [{"number": 2'), nth=2)
    connect(workspace, server.url, jobs=[MAIN], deploy_from=["builds"])
    with pytest.raises(ProductOpsError, match=r"main/api/json\?.*not valid JSON"):
        api_sync(workspace)
    # The first range (builds 4 and 3) landed; nothing of the second; no cursor.
    assert workspace.store.sql("SELECT count(*) FROM deployment") == [(2,)]
    assert workspace.store.sql("SELECT count(*) FROM sync_state") == [(0,)]


def test_bad_records_are_quarantined_with_their_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = BUILDS[0]
    broken = {
        "request": {"FullName": MAIN},
        "response": {**good["response"], "number": 99, "timestamp": "soon"},
    }
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(good),
        json.dumps(broken),
        "[1,",
        json.dumps({"request": {}, "response": {}}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay(workspace, [path])
    assert report.counts["raw_record"] == [2, 0, 0, 2]
    assert report.counts["deployment"] == [1, 0, 0, 1]
    reasons = [r[0] for r in workspace.store.sql("SELECT reason FROM quarantine")]
    assert any("finished_at" in r for r in reasons), reasons
    assert any(r.startswith("not a Jenkins build") for r in reasons), reasons
    again = replay(workspace, [path])
    assert again.counts["deployment"][:2] == [0, 0]


def test_dora_frequency_on_jenkins_deployments(workspace: Workspace) -> None:
    replay(workspace, [DIR / "builds_multibranch.jsonl"], deploy_from=["builds"])
    ws = str(workspace.root)
    workspace.close()
    frequency = json.loads(
        run("-w", ws, "dora", "frequency", "--as-of", "2024-04-01", "-f", "json")
    )
    # main's four builds, all on 2024-03-24: one deployment day in March.
    assert [
        (r["team_id"], r["period_start"][:7], r["deployments"], r["deployment_days"])
        for r in frequency
    ] == [("shop", "2024-03", 4, 1)]
