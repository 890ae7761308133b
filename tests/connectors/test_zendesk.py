"""Zendesk Support against a local server paging the incremental ticket export.

The payloads are hand-written after Zendesk's API reference (see
fixtures_feedback/README.md): no real Zendesk export ships with the project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from productops.config import ZendeskSettings
from productops.connectors import ConnectorError, RetryPolicy
from productops.ingest.privacy import person_hash, text_hash, workspace_salt
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.feedback_sites import ZendeskSite, fixture
from tests.connectors.fixtures import configure
from tests.connectors.server import FixtureServer, Reply, utc

EMAIL, TOKEN = "agent@acme-support.example", "zd-handWrittenToken0123456789"
EXPORT = fixture("zendesk_export.json")


@pytest.fixture
def site() -> ZendeskSite:
    return ZendeskSite(EXPORT, f"{EMAIL}/token:{TOKEN}")


@pytest.fixture
def server(site: ZendeskSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as running:
        yield running


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    workspace.store.sql(
        "INSERT INTO account (id, name, domain, source, ingested_at) VALUES "
        "('acc-1', 'Acme', 'acme.io', 'crm', now()), ('acc-2', 'Globex', 'globex.com', 'crm', now())"
    )
    return workspace


def sync(ws: Workspace, url: str | None, sleeps: list[float] | None = None) -> SyncReport:
    configure(ws, zendesk=ZendeskSettings(url=url, page_size=2, start="2024-01-01"))
    waits = sleeps if sleeps is not None else []
    policy = RetryPolicy(max_attempts=3, sleep=waits.append)
    return sync_source(ws.store, ws.config.connectors, ws.root, "zendesk", policy=policy)


def feedback(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.store.sql(
        "SELECT id, channel, account_id, language, rating, created_at, url, text FROM feedback "
        "ORDER BY id"
    )


def test_tickets_become_redacted_feedback(ws: Workspace, server: FixtureServer) -> None:
    report = sync(ws, server.url)
    site = server.url
    assert feedback(ws) == [
        (
            "zendesk:35436",
            "support",
            "acc-1",  # the organization's external_id
            "en",
            5.0,
            utc("2024-02-05T09:12:44Z"),
            f"{site}/agent/tickets/35436",
            "Export to CSV fails\n\nEvery export to CSV stops at 10,000 rows since the last "
            "update. Please call me back on [phone].",
        ),
        (
            "zendesk:35437",
            "support",
            "acc-2",  # no external_id: matched by the requester's e-mail domain
            "de",
            1.0,
            utc("2024-02-06T14:30:00Z"),
            f"{site}/agent/tickets/35437",
            "Dunkelmodus\n\nBitte einen Dunkelmodus für die App einbauen, die Oberfläche ist "
            "abends viel zu hell. Antwort gerne an [email].",
        ),
        (
            "zendesk:35438",
            "support",
            None,  # gmail.com is no account's domain
            "es",
            None,
            utc("2024-02-07T16:02:10Z"),
            f"{site}/agent/tickets/35438",
            "Cobro duplicado\n\nMe han cobrado dos veces en la tarjeta [card], pedido 48213 del "
            "02/02/2024. Por favor devuelvan el importe.",
        ),
        (
            "zendesk:35440",
            "support",
            "acc-1",
            "fr",
            None,  # offered, not answered
            utc("2024-02-09T10:20:00Z"),
            f"{site}/agent/tickets/35440",
            "L'application plante\n\nL'application plante à chaque fois que je télécharge une "
            "photo depuis mon téléphone. Vous pouvez me joindre au [phone].",
        ),
        (
            "zendesk:35441",
            "support",
            "acc-1",
            "en",
            None,
            utc("2024-02-10T08:45:00Z"),
            f"{site}/agent/tickets/35441",
            "Invoice INV-2024-118832\n\nOrder #123456789 from 2024-02-01 shows the wrong VAT "
            "rate on the invoice.",
        ),
    ]
    assert "1 deleted tickets left out" in report.notes
    assert report.pages == 3  # six tickets, two per page


def test_people_are_kept_only_as_salted_hashes(ws: Workspace, server: FixtureServer) -> None:
    sync(ws, server.url)
    salt = workspace_salt(ws.root)
    hashes = dict(ws.store.sql("SELECT id, requester_hash FROM feedback"))
    assert hashes["zendesk:35436"] == hashes["zendesk:35441"], "one requester, one hash"
    assert hashes["zendesk:35436"] != hashes["zendesk:35440"]
    pseudonym = f"pseudonym-{person_hash(salt, 'ana.lopez@acme.io')[:24]}@acme.io"
    assert hashes["zendesk:35436"] == person_hash(salt, pseudonym)
    for text, digest in ws.store.sql("SELECT text, text_hash FROM feedback"):
        assert digest == text_hash(text)
    stored = " ".join(
        str(v) for row in ws.store.sql("SELECT * FROM raw_record") for v in row
    ) + " ".join(str(v) for row in ws.store.sql("SELECT * FROM feedback") for v in row)
    for secret in ("ana.lopez", "Ana Lopez", "415 555", "4111 1111", "max@globex", "12 34 56"):
        assert secret not in stored


def test_incremental_sync_resumes_from_the_cursor(
    ws: Workspace, server: FixtureServer, site: ZendeskSite
) -> None:
    sync(ws, server.url)
    first = server.requests[0].query
    assert first["start_time"] == str(int(utc("2024-01-01").timestamp()))
    assert first["include"] == "users,organizations"
    (cursor,) = ws.store.sql("SELECT cursor FROM sync_state WHERE stream = 'zendesk:tickets'")[0]
    assert len(server.requests) == 3
    assert cursor != server.requests[-1].query["cursor"]
    server.requests.clear()
    site.tickets += EXPORT["later"]
    report = sync(ws, server.url)
    assert [r.query.get("cursor") for r in server.requests] == [cursor]
    assert report.rows()[-1]["table"] == "feedback"
    assert report.rows()[-1]["landed"] == 1
    assert len(feedback(ws)) == 6


def test_rate_limit_is_waited_out(ws: Workspace, server: FixtureServer) -> None:
    server.fault("cursor.json", Reply(429, {"error": "TooManyRequests"}, {"Retry-After": "7"}))
    sleeps: list[float] = []
    sync(ws, server.url, sleeps)
    assert sleeps == [7.0]
    assert len(feedback(ws)) == 5


def test_missing_token_is_named(
    ws: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZENDESK_API_TOKEN")
    with pytest.raises(ConnectorError, match="ZENDESK_API_TOKEN"):
        sync(ws, server.url)


def _replay_file(path: Path) -> Path:
    lines = [*EXPORT["organizations"], *EXPORT["users"], *EXPORT["tickets"]]
    path.write_text(
        "\n".join(json.dumps(o) for o in lines) + "\nnot json at ana@acme.io\n", encoding="utf-8"
    )
    return path


def test_replay_gives_what_the_api_gives(
    ws: Workspace, server: FixtureServer, tmp_path: Path
) -> None:
    sync(ws, server.url)
    pulled = [row[:-2] + row[-1:] for row in feedback(ws)]  # the URL needs the site
    hashes = ws.store.sql("SELECT requester_hash FROM feedback ORDER BY id")
    other = Workspace.init(tmp_path / "other")
    try:
        (other.root / ".survey-salt").write_text(workspace_salt(ws.root), encoding="utf-8")
        other.store.sql(
            "INSERT INTO account (id, domain, source, ingested_at) VALUES "
            "('acc-2', 'globex.com', 'crm', now())"
        )
        configure(other, zendesk=ZendeskSettings())
        report = sync_source(
            other.store,
            other.config.connectors,
            other.root,
            "zendesk",
            files=[_replay_file(tmp_path / "zendesk.jsonl")],
        )
        replayed = [row[:-2] + row[-1:] for row in feedback(other)]
        assert replayed == pulled
        assert other.store.sql("SELECT requester_hash FROM feedback ORDER BY id") == hashes
        raw = report.rows()[0]
        assert (raw["table"], raw["quarantined"]) == ("raw_record", 1)
        (record,) = other.store.sql("SELECT record FROM quarantine")[0]
        assert "ana@acme.io" not in record
        assert "[email]" in record
        again = sync_source(
            other.store, other.config.connectors, other.root, "zendesk", replay=True
        )
        assert [r["unchanged"] for r in again.rows() if r["table"] == "feedback"] == [5]
    finally:
        other.close()


def test_stream_of_replayed_objects() -> None:
    from productops.connectors.zendesk import zendesk_stream_of

    assert zendesk_stream_of(EXPORT["tickets"][0]) == "tickets"
    assert zendesk_stream_of(EXPORT["users"][0]) == "users"
    assert zendesk_stream_of(EXPORT["organizations"][0]) == "organizations"
    assert zendesk_stream_of({"issues": []}) is None
    assert isinstance(utc("2024-02-05T09:12:44Z"), datetime)


def test_a_ticket_without_text_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    empty = {**EXPORT["tickets"][0], "id": 35499, "subject": "", "description": "  "}
    path = tmp_path / "empty.jsonl"
    path.write_text(json.dumps(empty) + "\n", encoding="utf-8")
    configure(ws, zendesk=ZendeskSettings())
    report = sync_source(ws.store, ws.config.connectors, ws.root, "zendesk", files=[path])
    assert [r["quarantined"] for r in report.rows() if r["table"] == "feedback"] == [1]
    assert ws.store.sql("SELECT reason FROM quarantine WHERE table_name = 'feedback'") == [
        ("missing required value text",)
    ]
