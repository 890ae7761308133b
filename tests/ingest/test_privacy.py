"""Redaction, hashing, language detection and account matching of feedback (docs/feedback.md)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from productops.demo.text import LANGUAGES, THEMES, render
from productops.ingest.feedback import account_domains, prepare_feedback
from productops.ingest.language import detect_languages, normalise_language
from productops.ingest.privacy import (
    domain_of,
    key_dir,
    luhn_valid,
    person_hash,
    redact,
    scrub,
    text_hash,
    workspace_salt,
)
from productops.workspace import Workspace


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to ana.lopez+shop@acme.co.uk today", "Write to [email] today"),
        ("Mail: Max.Mustermann@Firma.DE.", "Mail: [email]."),
        ("call +49 30 1234567 please", "call [phone] please"),
        ("my number is +1 (415) 555-2671.", "my number is [phone]."),
        ("(555) 123-4567 or 555-123-4567", "[phone] or [phone]"),
        ("appelez le 06 12 34 56 78", "appelez le [phone]"),
        ("Tel. 0171 1234567 oder 030/1234567", "Tel. [phone] oder [phone]"),
        ("card 4111 1111 1111 1111 expired", "card [card] expired"),
        ("card 5500-0000-0000-0004", "card [card]"),
        ("amex 378282246310005 works", "amex [card] works"),
    ],
)
def test_contact_and_card_details_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order #123456789 placed on 2024-05-01 at 10:30",
        "invoice INV-2024-118832 from 12/05/2024 and 05.03.2025",
        "order 88231, ticket 1234567890123",  # 13 digits, Luhn-invalid
        "card 4111111111111112 is not a valid number",  # fails the Luhn check
        "version 2.10.15 and v1.2.3.4 on build 4.18.2.1",
        "we have 1,000,000 users, 1.000.000 Nutzer, 30 000 EUR",
        "tracking 1Z999AA10123456784, order 2024 118832",
        "no digits at all, and an @ sign alone",
    ],
)
def test_order_numbers_dates_and_amounts_are_kept(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_hashes_are_salted_sha256() -> None:
    assert person_hash("s", " Ana@Acme.io ") == hashlib.sha256(b"s\x00ana@acme.io").hexdigest()
    assert person_hash("s", "ana@acme.io") != person_hash("t", "ana@acme.io")
    assert text_hash("hi [email]") == hashlib.sha256(b"hi [email]").hexdigest()
    assert domain_of("Ana@Sub.Acme.IO") == "sub.acme.io"
    assert domain_of("not an address") is None


def test_scrub_keeps_ids_and_domains_but_no_person() -> None:
    payload = {
        "id": 4111111111111111,
        "external_id": "4111111111111111",
        "url": "https://x.zendesk.com/api/v2/tickets/35436.json",
        "created_at": "2024-05-01T10:00:00Z",
        "description": "Call me on +49 30 1234567 or ana@acme.io",
        "author": {"type": "user", "name": "Ana Lopez", "email": "Ana@Acme.io"},
        "tags": ["billing", "card 4111 1111 1111 1111"],
        "score": 5,
    }
    clean = scrub(payload, "salt")
    assert clean["id"] == payload["id"]
    assert clean["external_id"] == payload["external_id"]
    assert clean["url"] == payload["url"]
    assert clean["created_at"] == payload["created_at"]
    assert clean["description"] == "Call me on [phone] or [email]"
    assert "name" not in clean["author"]
    pseudonym = clean["author"]["email"]
    assert pseudonym.endswith("@acme.io")
    assert "ana" not in pseudonym.lower().split("@")[0]
    assert pseudonym == f"pseudonym-{person_hash('salt', 'Ana@Acme.io')[:24]}@acme.io"
    assert scrub(clean, "salt") == clean, "scrubbing twice changes nothing"
    assert clean["tags"] == ["billing", "card [card]"]


def test_workspace_salt_is_made_once_and_private(tmp_path: Path) -> None:
    first = workspace_salt(tmp_path)
    assert len(first) == 64
    assert workspace_salt(tmp_path) == first
    (key,) = (key_dir() / "salts").iterdir()
    assert key.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob("*salt*"))  # never inside the workspace


def test_language_of_the_demo_texts_is_found() -> None:
    """Accuracy and speed on texts drawn as the demo draws them (EN/DE/ES/FR)."""
    rng = np.random.default_rng(3)
    n = 4000
    language = rng.choice(len(LANGUAGES), n, p=(0.7, 0.1, 0.1, 0.1))
    texts = render(rng, rng.integers(-1, len(THEMES), n), language).to_pylist()
    detect_languages(["warm up the model"])
    started = time.perf_counter()
    found = detect_languages(texts)
    seconds = time.perf_counter() - started
    truth = [LANGUAGES[i] for i in language]
    accuracy = np.mean([a == b for a, b in zip(found, truth, strict=True)])
    assert accuracy >= 0.99
    assert n / seconds > 2000, f"{n / seconds:.0f} texts/s"


def test_language_rules() -> None:
    assert detect_languages(
        [
            "The app keeps crashing when I upload a photo.",
            "Die App stürzt beim Hochladen ständig ab.",
            "La aplicación se cierra al subir fotos.",
            "L'application plante quand je télécharge une photo.",
            "ok",
            None,
        ]
    ) == ["en", "de", "es", "fr", None, None]
    assert detect_languages(["x y"]) == [None]
    assert [normalise_language(v) for v in ("en_US", "DE-at", "fr", "English", "", None)] == [
        "en",
        "de",
        "fr",
        None,
        None,
        None,
    ]


def test_prepare_feedback(workspace: Workspace) -> None:
    workspace.store.sql(
        "INSERT INTO account (id, domain, source, ingested_at) VALUES "
        "('acc-1', 'Acme.io', 'test', now()), ('acc-2', 'globex.com', 'test', now())"
    )
    data = pa.table(
        {
            "id": ["f1", "f2", "f3", "f4"],
            "text": [
                "Export fails, call me on +49 30 1234567",
                "Bitte Dunkelmodus einbauen, schreibt an max@globex.com",
                "Great support!",
                "ok",
            ],
            "language": [None, None, "en_GB", None],
            "account_id": [None, None, "acc-9", None],
            "requester_hash": [None, None, None, "kept"],
        }
    )
    requesters = ["ana@acme.io", "Max@Globex.com", "bob@unknown.org", None]
    out = prepare_feedback(data, "salt", requesters, account_domains(workspace.store))
    rows = out.to_pylist()
    assert [r["text"] for r in rows] == [
        "Export fails, call me on [phone]",
        "Bitte Dunkelmodus einbauen, schreibt an [email]",
        "Great support!",
        "ok",
    ]
    assert [r["text_hash"] for r in rows] == [text_hash(r["text"]) for r in rows]
    assert [r["language"] for r in rows] == ["en", "de", "en", None]
    assert [r["account_id"] for r in rows] == ["acc-1", "acc-2", "acc-9", None]
    assert [r["requester_hash"] for r in rows] == [
        person_hash("salt", "ana@acme.io"),
        person_hash("salt", "max@globex.com"),
        person_hash("salt", "bob@unknown.org"),
        "kept",
    ]
