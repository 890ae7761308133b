"""Secrets planted in URLs, as an attacker would: never stored, echoed or sent in clear.

A secret in a connector's URL (`user:password@`, `?token=`) is refused at
`connect`, when productops.toml is read, and by the HTTP client; a secret in a
URL the server hands back is redacted before it is shown or stored. Each test
greps the output, productops.toml and every table of the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import GitHubSettings, HttpSettings
from productops.connectors import ConnectorError, HttpClient
from productops.workspace import Workspace
from tests.connectors.fixtures import GITHUB_REPO, configure, github_fixture
from tests.connectors.server import FixtureServer, GitHubSite, Reply, Request

runner = CliRunner()
SECRET = "Pa55-planted-secret-7f3a"
TOKEN = "ghp_tokenFromTheEnvironment0123456789"


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    return tmp_path / "ws"


def stored_text(root: Path) -> str:
    """Every row of every table of the workspace's store, and productops.toml, as text."""
    workspace = Workspace.open(root)
    try:
        names = workspace.store.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        )
        tables = [str(workspace.store.sql(f'SELECT * FROM "{name}"')) for (name,) in names]
    finally:
        workspace.close()
    return "\n".join([*tables, (root / "productops.toml").read_text(encoding="utf-8")])


def assert_one_line_without(out: str, *secrets: str) -> None:
    assert len(out.strip().splitlines()) == 1, out
    for secret in secrets:
        assert secret not in out


PLANTED = [
    f"https://me:{SECRET}@acme.atlassian.net",
    f"http://me:{SECRET}@127.0.0.1:9",
    f"https://acme.atlassian.net/?token={SECRET}",
    f"https://acme.atlassian.net/rest?api_key={SECRET}",
]


@pytest.mark.parametrize(
    ("command", "option", "url"),
    [("jira", "--url", url) for url in PLANTED]
    + [
        (command, option, PLANTED[0])
        for command, option in (
            ("github", "--api-url"),
            ("linear", "--url"),
            ("zendesk", "--url"),
            ("intercom", "--url"),
        )
    ],
)
def test_connect_refuses_a_url_holding_a_secret_unseen(
    ws: Path, command: str, option: str, url: str
) -> None:
    out = run("-w", str(ws), "connect", command, option, url, code=1)
    assert_one_line_without(out, SECRET)
    assert "must not hold" in out
    assert SECRET not in stored_text(ws)


@pytest.mark.parametrize("url", PLANTED)
def test_a_secret_planted_in_productops_toml_is_refused_unseen(ws: Path, url: str) -> None:
    with (ws / "productops.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[connectors.zendesk]\nurl = "{url}"\n')
    for args in (["sync", "zendesk"], ["connect", "status-category", "Doing", "done"]):
        out = run("-w", str(ws), *args, code=1)
        assert_one_line_without(out, SECRET)
        assert "connectors.zendesk.url: the URL must not hold" in out
    out = run("--debug", "-w", str(ws), "sync", "zendesk", code=1)
    assert SECRET not in out


def test_plain_http_is_refused_off_this_machine(ws: Path) -> None:
    out = run("-w", str(ws), "connect", "jira", "--url", "http://jira.example.com", code=1)
    assert "must use https://" in out
    assert "[connectors.jira]" not in (ws / "productops.toml").read_text(encoding="utf-8")
    run("-w", str(ws), "connect", "jira", "--url", "http://localhost:8080")
    run("-w", str(ws), "connect", "jira", "--url", "http://[::1]:8080")


def test_the_http_client_refuses_secrets_in_urls_and_in_clear() -> None:
    """Settings built in code, not read from productops.toml, are checked at sync too."""
    for url in (f"http://me:{SECRET}@127.0.0.1:9", f"https://h.example/?access_token={SECRET}"):
        with pytest.raises(ConnectorError, match="must not hold") as caught:
            HttpClient(url, bearer=TOKEN)
        assert SECRET not in str(caught.value)
    with pytest.raises(ConnectorError, match="must use https://"):
        HttpClient("http://api.example.com", bearer=TOKEN)


def elsewhere(request: Request, base: str) -> Reply:
    """/start links its next page to another host, or to a plain-http one."""
    target = {"/start": "https://collector.example/steal", "/clear": "http://api.example/next"}
    return Reply(body=[1], headers={"Link": f'<{target[request.path]}>; rel="next"'})


def test_the_token_never_follows_a_link_to_another_host_or_to_plain_http() -> None:
    with FixtureServer(elsewhere) as server, HttpClient(server.url, bearer=TOKEN) as http:
        with pytest.raises(ConnectorError, match="links to another host"):
            list(http.paginate("/start"))
        with pytest.raises(ConnectorError, match="over plain http://"):
            list(http.paginate("/clear"))
        assert len(server.requests) == 2


class TokenInLinks(GitHubSite):
    """GitHub whose `Link` headers carry `access_token=SECRET`, as some APIs do."""

    def __call__(self, request: Request, base: str) -> Reply:
        reply = super().__call__(request, base)
        if "Link" in reply.headers:
            links = re.sub(r">;", f"&access_token={SECRET}>;", reply.headers["Link"])
            reply.headers["Link"] = links
        return reply


@pytest.fixture
def github() -> Iterator[FixtureServer]:
    site = TokenInLinks(
        GITHUB_REPO,
        pulls=[],
        pull_commits=[],
        pull_reviews=[],
        issues=github_fixture("issues"),
        issue_events=github_fixture("issue_events"),
        actions_runs=github_fixture("actions_runs"),
    )
    with FixtureServer(site) as running:
        yield running


def test_a_secret_in_urls_the_server_sends_is_never_stored_or_shown(
    ws: Path, github: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    workspace = Workspace.open(ws)
    try:
        configure(
            workspace,
            http=HttpSettings(max_attempts=1),
            github=GitHubSettings(
                api_url=github.url, repos=[GITHUB_REPO], default_team="ants", page_size=10
            ),
        )
    finally:
        workspace.close()
    github.fault("page=2", Reply(400, {"message": f"bad access_token {SECRET}"}))
    failed = run("-w", str(ws), "sync", "github", code=1)
    assert_one_line_without(failed, SECRET, TOKEN)
    assert "access_token=***" in failed
    assert 'HTTP 400: {"message": "bad access_token ***"}' in failed
    out = run("-w", str(ws), "sync", "github", "-f", "csv")
    assert "github,work_item," in out
    assert any(r.query.get("access_token") == SECRET for r in github.requests)
    assert "access_token=***" in stored_text(ws)
    for text in (out, stored_text(ws)):
        assert SECRET not in text
        assert TOKEN not in text
