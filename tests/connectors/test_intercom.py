"""Intercom against a local server paging conversations with `starting_after`.

The payloads are hand-written after Intercom's API reference (see
fixtures_feedback/README.md): no real Intercom export ships with the project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from productops.config import IntercomSettings
from productops.connectors import RetryPolicy
from productops.connectors.intercom import html_text, intercom_stream_of
from productops.ingest.privacy import person_hash, workspace_salt
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.feedback_sites import IntercomSite, fixture
from tests.connectors.fixtures import configure
from tests.connectors.server import FixtureServer, Reply

TOKEN, VERSION = "dG9rOmhhbmRXcml0dGVuVG9rZW4=", "2.11"
DATA = fixture("intercom_conversations.json")


@pytest.fixture
def site() -> IntercomSite:
    return IntercomSite(DATA["conversations"], TOKEN, VERSION)


@pytest.fixture
def server(site: IntercomSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as running:
        yield running


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("INTERCOM_TOKEN", TOKEN)
    workspace.store.sql(
        "INSERT INTO account (id, domain, source, ingested_at) VALUES "
        "('acc-1', 'acme.io', 'crm', now()), ('acc-2', 'globex.com', 'crm', now())"
    )
    return workspace


def sync(ws: Workspace, url: str) -> SyncReport:
    configure(ws, intercom=IntercomSettings(url=url, page_size=2))
    policy = RetryPolicy(max_attempts=3, sleep=lambda s: None)
    return sync_source(ws.store, ws.config.connectors, ws.root, "intercom", policy=policy)


def feedback(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.store.sql(
        "SELECT id, channel, account_id, language, rating, created_at, text FROM feedback ORDER BY id"
    )


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_conversations_become_feedback(ws: Workspace, server: FixtureServer) -> None:
    report = sync(ws, server.url)
    assert feedback(ws) == [
        (
            "intercom:1911149811",
            "support",
            None,
            "en",
            4.0,
            at(1707300000),
            "Hi there,\nthe Slack integration stopped posting alerts & reminders since Monday.\n"
            "Reach me at [email]",
        ),
        (
            "intercom:1911149812",
            "support",
            "acc-1",  # julie@acme.io
            "fr",
            None,
            at(1707400000),
            "Mode sombre ?\n\nBonjour, est-ce qu'un mode sombre est prévu pour l'application "
            "mobile ? L'écran est beaucoup trop lumineux le soir.",
        ),
        (
            "intercom:1911149814",
            "support",
            None,
            "en",
            2.0,
            at(1707600000),
            "The dashboard takes more than 30 seconds to load every morning.\nPlease fix this, "
            "my whole team waits.",
        ),
        (
            "intercom:1911149815",
            "support",
            "acc-2",
            "es",
            None,
            at(1707700000),
            "¿Podéis añadir exportación a Excel? Ahora copiamos los datos a mano cada semana.",
        ),
    ]
    assert "1 conversations started by admins or bots left out" in report.notes
    assert len(server.requests) == 3  # five conversations, two per page
    assert all(r.headers["Intercom-Version"] == VERSION for r in server.requests)
    assert [r.query.get("starting_after") is None for r in server.requests] == [
        True,
        False,
        False,
    ]


def test_requesters_are_hashed_pseudonyms(ws: Workspace, server: FixtureServer) -> None:
    sync(ws, server.url)
    salt = workspace_salt(ws.root)
    hashes = dict(ws.store.sql("SELECT id, requester_hash FROM feedback"))
    pseudonym = f"pseudonym-{person_hash(salt, 'tom.baker@initech.com')[:24]}@initech.com"
    assert hashes["intercom:1911149811"] == person_hash(salt, pseudonym)
    # No e-mail on the author: the contact's external id stands for the person.
    assert hashes["intercom:1911149814"] == person_hash(salt, "intercom-contact:u-2002")
    raw = " ".join(p for (p,) in ws.store.sql("SELECT payload FROM raw_record"))
    for secret in ("tom.baker", "Tom Baker", "julie@", "Pablo Ruiz"):
        assert secret not in raw


def test_incremental_sync_stops_at_what_it_has(
    ws: Workspace, server: FixtureServer, site: IntercomSite
) -> None:
    sync(ws, server.url)
    cursors = ws.store.sql("SELECT cursor FROM sync_state WHERE stream = 'intercom:conversations'")
    assert cursors == [("1707700100",)]  # the newest updated_at
    server.requests.clear()
    site.conversations += DATA["later"]
    report = sync(ws, server.url)
    # Page 1: the new conversation and the one of the cursor's second; page 2 reaches older ones.
    assert len(server.requests) == 2
    assert [r["landed"] for r in report.rows() if r["table"] == "feedback"] == [1]
    assert len(feedback(ws)) == 5
    assert ws.store.sql(
        "SELECT cursor FROM sync_state WHERE stream = 'intercom:conversations'"
    ) == [("1707800500",)]


def test_unauthorised_and_server_errors(ws: Workspace, server: FixtureServer) -> None:
    server.fault("conversations", Reply(503, {"type": "error.list"}))
    sync(ws, server.url)
    assert len(feedback(ws)) == 4


def test_replay(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "intercom.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in DATA["conversations"]), encoding="utf-8")
    configure(ws, intercom=IntercomSettings())
    sync_source(ws.store, ws.config.connectors, ws.root, "intercom", files=[path])
    assert [row[0] for row in feedback(ws)] == [
        "intercom:1911149811",
        "intercom:1911149812",
        "intercom:1911149814",
        "intercom:1911149815",
    ]


def test_html_and_streams() -> None:
    assert html_text("<p>a&nbsp;b</p><ul><li>one</li><li>two</li></ul>") == "a\xa0b\none\ntwo"
    assert html_text(None) == ""
    assert intercom_stream_of(DATA["conversations"][0]) == "conversations"
    assert intercom_stream_of({"type": "contact", "id": "1"}) is None
