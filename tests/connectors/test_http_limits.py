"""A slow or huge answer: `timeout_seconds` bounds the whole response, `max_page_bytes` its size.

A real local server trickles a body a byte at a time (each byte well within
the timeout of one read, the whole body not: about 3 s at most) or sends one
larger than a small cap, with and without Content-Length.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import HttpSettings, JiraSettings
from productops.connectors import ConnectorError, HttpClient, RetryPolicy
from productops.workspace import Workspace
from tests.connectors.fixtures import configure, jira_fixture
from tests.connectors.server import FixtureServer, JiraSite, Reply, Request

CAP = 4096
LARGE = json.dumps(["x" * 100] * 100).encode()  # about 10 kB, over CAP


def slow_or_large(request: Request, base: str) -> Reply:
    """/slow: 30 bytes, 0.1 s apart; /large and /unsized: LARGE, with and without its length."""
    if request.path == "/slow":
        return Reply(raw=json.dumps(list(range(10))).encode(), trickle=0.1)
    return Reply(raw=LARGE, sized=request.path == "/large")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(slow_or_large) as running:
        yield running


def client(server: FixtureServer) -> HttpClient:
    settings = HttpSettings(max_attempts=1, timeout_seconds=0.5, max_page_bytes=CAP)
    return HttpClient(server.url, policy=RetryPolicy.from_settings(settings), bearer="tok")


def test_a_server_trickling_bytes_is_cut_off_at_the_timeout(server: FixtureServer) -> None:
    with client(server) as http, pytest.raises(ConnectorError) as caught:
        http.get("/slow")
    message = str(caught.value)
    assert f"GET {server.url}/slow: still failing after 1 attempts" in message
    assert "no whole answer within 0.5s (connectors.http.timeout_seconds)" in message


@pytest.mark.parametrize("path", ["/large", "/unsized"])
def test_an_answer_over_the_cap_is_refused(server: FixtureServer, path: str) -> None:
    with client(server) as http, pytest.raises(ConnectorError) as caught:
        http.get(path)
    assert str(caught.value).startswith(
        f"GET {server.url}{path}: the answer is larger than 4,096 bytes "
        "(connectors.http.max_page_bytes); nothing from this page was stored"
    )


def test_a_sync_refuses_a_page_over_the_cap_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
    monkeypatch.setenv("JIRA_TOKEN", "jira-token")
    site = JiraSite(jira_fixture("issues"), jira_fixture("statuses"))
    with FixtureServer(site) as running:
        running.fault("/rest/api/3/status", Reply(raw=LARGE))
        workspace = Workspace.init(tmp_path / "ws")
        try:
            configure(
                workspace,
                http=HttpSettings(max_page_bytes=CAP),
                jira=JiraSettings(url=running.url, default_team="ee"),
            )
        finally:
            workspace.close()
        result = CliRunner().invoke(app, ["-w", str(tmp_path / "ws"), "sync", "jira"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "larger than 4,096 bytes (connectors.http.max_page_bytes)" in result.output
    workspace = Workspace.open(tmp_path / "ws")
    try:
        assert workspace.store.sql("SELECT count(*) FROM raw_record") == [(0,)]
    finally:
        workspace.close()
