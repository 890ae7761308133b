"""`productops connect` and `productops sync` on the command line; secrets never leak."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from productops.cli import app
from productops.config import ConnectorSettings
from tests.connectors.fixtures import JIRA_DIR, jira_fixture
from tests.connectors.server import FixtureServer, JiraSite, Reply

runner = CliRunner()
TOKEN = "ATATT3xFfGF0-jira-api-token-never-shown-9d2c"
EMAIL = "bot@example.com"


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    run("init", str(tmp_path / "ws"))
    return tmp_path / "ws"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    site = JiraSite(jira_fixture("issues"), jira_fixture("statuses"))
    with FixtureServer(site) as running:
        yield running


def workspace_bytes(ws: Path) -> bytes:
    return b"".join(p.read_bytes() for p in ws.rglob("*") if p.is_file())


def test_connect_and_sync_never_show_or_store_the_token(
    ws: Path,
    server: FixtureServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    out = run(
        "-w", str(ws), "connect", "jira", "--url", server.url, "--email-env", "JIRA_EMAIL",
        "--token-env", "JIRA_TOKEN", "--jql", "project = EE", "--project-team", "EE=ee",
        "--project-team", "K5=k5",
    )  # fmt: skip
    assert "never stored" in out
    settings = tomllib.loads((ws / "productops.toml").read_text())["connectors"]["jira"]
    assert settings["token_env"] == "JIRA_TOKEN"
    assert settings["project_teams"] == {"EE": "ee", "K5": "k5"}
    out = run("-w", str(ws), "sync", "jira", "-f", "csv")
    assert "jira,work_item,33,0,0,0" in out
    # A server that echoes the credentials back in an error.
    echoed = f"bad credentials {TOKEN} for {EMAIL}".encode()
    server.fault("/rest/api/3/status", Reply(400, raw=echoed))
    out = run("-w", str(ws), "sync", "jira", code=1)
    assert "HTTP 400: bad credentials *** for" in out
    assert len(out.strip().splitlines()) == 1
    server.fault("/rest/api/3/status", Reply(401, {"message": "no"}))
    out = run("-w", str(ws), "sync", code=1)
    assert "HTTP 401, not authorised" in out
    everything = out + caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert TOKEN not in everything
    assert TOKEN.encode() not in workspace_bytes(ws)
    assert all(r.headers["Authorization"].startswith("Basic ") for r in server.requests)


def test_a_missing_secret_names_the_variable_only(
    ws: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN", raising=False)
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    run("-w", str(ws), "connect", "jira", "--url", server.url, "--default-team", "ee")
    out = run("-w", str(ws), "sync", "jira", code=1)
    assert "the environment variable JIRA_TOKEN is not set" in out


def test_a_token_given_where_a_variable_name_belongs_is_refused_unseen(ws: Path) -> None:
    out = run(
        "-w", str(ws), "connect", "github", "--repo", "o/r", "--token-env", "ghp_aB3dE6gH9", code=1
    )
    assert "takes the NAME of an environment variable" in out
    assert "ghp_aB3dE6gH9" not in out
    assert b"ghp_aB3dE6gH9" not in workspace_bytes(ws)


def test_token_files_live_outside_the_workspace(
    ws: Path, tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = ws / "token.txt"
    inside.write_text(TOKEN)
    out = run(
        "-w", str(ws), "connect", "jira", "--url", server.url, "--token-file", str(inside), code=1
    )
    assert "inside the workspace" in out
    inside.unlink()
    outside = tmp_path / "secrets" / "jira-token"
    outside.parent.mkdir()
    outside.write_text(TOKEN + "\n")
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    run(
        "-w",
        str(ws),
        "connect",
        "jira",
        "--url",
        server.url,
        "--token-file",
        str(outside),
        "--default-team",
        "ee",
    )
    settings = tomllib.loads((ws / "productops.toml").read_text())["connectors"]["jira"]
    assert settings["token_file"] == str(outside.resolve())
    assert "token_env" not in settings
    assert "jira,work_item,33" in run("-w", str(ws), "sync", "jira", "-f", "csv")
    assert TOKEN.encode() not in workspace_bytes(ws)


def test_sync_needs_a_connected_source(ws: Path) -> None:
    assert "no source is connected" in run("-w", str(ws), "sync", code=1)
    assert "jira is not connected" in run("-w", str(ws), "sync", "jira", code=1)
    assert "unknown source 'jora'" in run("-w", str(ws), "sync", "jora", code=1)
    out = run("-w", str(ws), "connect", "status-category", "Doing", "started", code=1)
    assert "use todo, in_progress, done, cancelled" in out


def test_replay_remaps_without_pulling(ws: Path, server: FixtureServer, tmp_path: Path) -> None:
    issues = tmp_path / "issues.jsonl"
    issues.write_text((JIRA_DIR / "issues.jsonl").read_text())
    run("-w", str(ws), "connect", "jira", "--default-team", "ee")
    assert "jira,work_item,33,0,0,0" in run(
        "-w", str(ws), "sync", "jira", "--from-file", str(issues), "-f", "csv"
    )
    run("-w", str(ws), "connect", "status-category", "Resolved", "cancelled")
    out = run("-w", str(ws), "sync", "jira", "--replay", "-f", "csv")
    assert "jira,raw_record" not in out
    assert "jira,work_item,0,0,33,0" in out  # Resolved is no item's current status
    moves = [
        item
        for issue in jira_fixture("issues")
        for history in issue["changelog"]["histories"]
        for item in history["items"]
        if item["field"] == "status"
    ]
    into_resolved = sum(1 for m in moves if m["toString"] == "Resolved")
    others = len(moves) - into_resolved
    assert f"jira,work_item_transition,0,{into_resolved},{others},0" in out
    assert server.requests == []


def _descriptions(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", field.description
        for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _descriptions(arg, f"{prefix}{name}.")


def test_every_connector_setting_has_help_text() -> None:
    for name, description in _descriptions(ConnectorSettings, "connectors."):
        assert description, f"setting {name} has no description"
