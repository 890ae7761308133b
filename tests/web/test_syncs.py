"""Syncs through the API: started by an admin, run in the background of the server's process
against a real local HTTP server replaying Jira's payloads (tests/connectors/server.py), one at a
time per source, followed to succeeded or failed, audited, and never showing a secret."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from productops.config import JiraSettings
from productops.services.audit import events
from productops.sync import load_cursors
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.connectors.fixtures import JIRA_CATEGORIES, JIRA_TEAMS, configure, jira_fixture
from tests.connectors.server import FixtureServer, JiraSite, Reply, Request
from tests.web.conftest import Site, build, get
from tests.web.writing import send

ISSUES = jira_fixture("issues") + jira_fixture("issues_with_links")
EMAIL, TOKEN = "bot@example.com", "jira-secret-token-5f3a9c"


def jira() -> JiraSite:
    changelogs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in jira_fixture("issue_changelogs"):
        changelogs[str(entry["request"]["issue_id"])].append(entry["response"])
    return JiraSite(ISSUES, jira_fixture("statuses"), changelogs, embed=5, cap=10)


class Held:
    """A site whose searches wait until the test lets them go (at most 30 s)."""

    def __init__(self, site: JiraSite) -> None:
        self.site = site
        self.go = threading.Event()

    def __call__(self, request: Request, base: str) -> Reply:
        if request.path.endswith("/search/jql"):
            self.go.wait(30)
        return self.site(request, base)


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)


def connected(tmp_path: Path, url: str) -> Site:
    """A served workspace whose Jira source is the replay server at `url`."""
    site = build(tmp_path / "ws")
    ws = Workspace.open(site.root)
    try:
        configure(
            ws,
            jira=JiraSettings(url=url, project_teams=dict(JIRA_TEAMS), page_size=7),
            status_categories=JIRA_CATEGORIES,
        )
    finally:
        ws.close()
    return site


def finished(app: FastAPI, token: str, ident: str) -> dict[str, Any]:
    """The sync `ident` once it is no longer running (polled at most 600 times, 60 s)."""
    deadline = time.monotonic() + 60
    for _ in range(600):
        body: dict[str, Any] = get(app, f"/api/v1/syncs/{ident}", token).json()
        if body["status"] != "running" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)
    return body


def trail(root: Path, action: str) -> list[Any]:
    ws = Workspace.open(root)
    try:
        return [e for e in events(ws) if e.action == action]
    finally:
        ws.close()


def test_a_sync_runs_in_the_background_and_lands_the_source(tmp_path: Path) -> None:
    with FixtureServer(jira()) as server:
        site = connected(tmp_path, server.url)
        app, admin = create_app(site.root), site.tokens["admin"]
        started = send(app, "POST", "/api/v1/syncs", admin, {"source": "jira"}, "req-sync-1")
        assert started.status_code == 200, started.text
        run = started.json()
        assert (run["source"], run["status"], run["error"]) == ("jira", "running", None)
        done = finished(app, admin, run["id"])
        listed = get(app, "/api/v1/syncs", admin).json()
    assert done["status"] == "succeeded", done
    assert done["error"] is None
    assert done["finished_at"] is not None
    counts = {r["table"]: r for r in done["rows"]}
    assert counts["work_item"]["landed"] == len(ISSUES)
    assert done["pages"] >= -(-len(ISSUES) // 7)  # searched 7 at a time
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert listed["total"] == 1
    ws = Workspace.open(site.root)
    try:
        assert ws.store.sql("SELECT count(*) FROM work_item WHERE source = 'jira'") == [
            (len(ISSUES),)
        ]
        assert done["cursor"] == load_cursors(ws.store, "jira")
        assert done["cursor"]
    finally:
        ws.close()
    [row] = trail(site.root, "sync.start")
    assert (row.object, row.after, row.request_id) == (
        "sync_state:jira",
        {"run": run["id"], "source": "jira", "how": "pull"},
        "req-sync-1",
    )
    assert row.actor.startswith("token:ana-")
    assert all(r.headers.get("Authorization", "").startswith("Basic ") for r in server.requests)
    assert TOKEN not in started.text + str(done) + str(listed)


def test_one_sync_of_a_source_at_a_time(tmp_path: Path) -> None:
    held = Held(jira())
    with FixtureServer(held) as server:
        site = connected(tmp_path, server.url)
        app, admin = create_app(site.root), site.tokens["admin"]
        try:
            first = send(app, "POST", "/api/v1/syncs", admin, {"source": "jira"}).json()
            again = send(app, "POST", "/api/v1/syncs", admin, {"source": "jira"})
            assert again.status_code == 409, again.text
            assert again.json()["error"]["code"] == "conflict"
            assert first["id"] in again.json()["error"]["message"]
            assert get(app, f"/api/v1/syncs/{first['id']}", admin).json()["status"] == "running"
        finally:
            held.go.set()
        assert finished(app, admin, first["id"])["status"] == "succeeded"
        later = send(app, "POST", "/api/v1/syncs", admin, {"source": "jira"})
        assert later.status_code == 200, later.text
        second = finished(app, admin, later.json()["id"])
    assert second["status"] == "succeeded"
    landed = {r["table"]: r["landed"] for r in second["rows"]}
    assert landed.get("work_item", 0) == 0  # from the first's cursor: nothing new
    assert len(trail(site.root, "sync.start")) == 2  # the refused start left none


def test_a_failing_sync_says_why_and_shows_no_secret(tmp_path: Path) -> None:
    with FixtureServer(jira()) as server:
        server.fault("/search/jql", Reply(401, {"errorMessages": ["Unauthorized"]}))
        site = connected(tmp_path, server.url)
        app, admin = create_app(site.root), site.tokens["admin"]
        run = send(app, "POST", "/api/v1/syncs", admin, {"source": "jira"}).json()
        done = finished(app, admin, run["id"])
    assert done["status"] == "failed"
    assert "401" in done["error"]
    assert "\n" not in done["error"]
    assert TOKEN not in str(done)
    assert EMAIL not in str(done)


@pytest.mark.parametrize(
    ("body", "status"), [({"source": "github"}, 400), ({"source": "nothing"}, 400), ({}, 422)]
)
def test_a_source_not_connected_is_refused_and_not_audited(
    tmp_path: Path, body: dict[str, Any], status: int
) -> None:
    site = connected(tmp_path, "http://127.0.0.1:9")
    app = create_app(site.root)
    refused = send(app, "POST", "/api/v1/syncs", site.tokens["admin"], body)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == "invalid"
    assert trail(site.root, "sync.start") == []
    assert get(app, "/api/v1/syncs", site.tokens["admin"]).json()["total"] == 0


def test_sync_routes_are_an_admins(tmp_path: Path) -> None:
    site = connected(tmp_path, "http://127.0.0.1:9")
    app = create_app(site.root)
    for caller in ("member of the team", "viewer", "admin's read token"):
        token = site.tokens[caller]
        assert send(app, "POST", "/api/v1/syncs", token, {"source": "jira"}).status_code == 403
        assert get(app, "/api/v1/syncs", token).status_code == 403
    assert get(app, "/api/v1/syncs", None).status_code == 401
