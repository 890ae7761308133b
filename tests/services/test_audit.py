"""The audit trail: one row per write, secrets redacted, rows only ever appended."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from productops.errors import AuthenticationError, UsageError
from productops.ingest import import_file
from productops.services import audit, users
from productops.services.actor import Actor
from productops.workspace import Workspace

ME = Actor("cli:tester")
PASSWORD = "correct horse battery"
SRC = Path(__file__).resolve().parents[2] / "src" / "productops"


def _count(ws: Workspace) -> int:
    return int(ws.store.sql("SELECT count(*) FROM audit_event")[0][0])


def test_every_write_leaves_exactly_one_audit_row(with_teams: Workspace) -> None:
    ws = with_teams
    made: dict[str, Any] = {}
    writes: list[tuple[str, str, Callable[[], Any]]] = [
        ("user.add", "app_user:ana", lambda: users.add_user(ws, ME, "ana", role="admin")),
        (
            "user.add",
            "app_user:ben",
            lambda: users.add_user(ws, ME, "ben", teams=["payments", "growth"], password=PASSWORD),
        ),
        ("user.role", "app_user:ben", lambda: users.set_role(ws, ME, "ben", "viewer", [])),
        ("user.password", "app_user:ana", lambda: users.set_password(ws, ME, "ana", PASSWORD)),
        (
            "token.create",
            "api_token:ana-1",
            lambda: made.setdefault("token", users.create_token(ws, ME, "ana", scope="write")),
        ),
        ("token.revoke", "api_token:ana-1", lambda: users.revoke_token(ws, ME, "ana-1")),
        ("user.disable", "app_user:ben", lambda: users.disable_user(ws, ME, "ben")),
    ]
    for action, obj, write in writes:
        before = _count(ws)
        write()
        assert _count(ws) == before + 1, action
        last = audit.events(ws)[-1]
        assert (last.actor, last.action, last.object) == ("cli:tester", action, obj)
    first = audit.events(ws, object="app_user:ben")[0]
    assert first.before is None
    assert first.after is not None
    assert first.after["teams"] == ["growth", "payments"]


def test_refused_writes_and_sign_ins_leave_no_audit_row(with_teams: Workspace) -> None:
    ws = with_teams
    users.add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    token = users.create_token(ws, ME, "ana")
    before = _count(ws)
    users.verify_password(ws, "ana", PASSWORD)
    users.authenticate_token(ws, token.secret)
    with pytest.raises(UsageError):
        users.add_user(ws, ME, "ben", teams=["nowhere"])
    with pytest.raises(UsageError):
        users.set_password(ws, ME, "ana", "short")
    with pytest.raises(AuthenticationError):
        users.verify_password(ws, "ana", "wrong password")
    assert _count(ws) == before


def test_secrets_never_reach_the_audit_trail(with_teams: Workspace) -> None:
    ws = with_teams
    users.add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    users.set_password(ws, ME, "ana", PASSWORD + "!")
    made = users.create_token(ws, ME, "ana")
    users.revoke_token(ws, ME, made.token.id)
    secrets = [PASSWORD, PASSWORD + "!", made.secret]
    secrets += [r[0] for r in ws.store.sql("SELECT password_hash FROM app_user")]
    secrets += [r[0] for r in ws.store.sql("SELECT token_hash FROM api_token")]
    [(trail,)] = ws.store.sql("SELECT string_agg(a::VARCHAR, '\n') FROM audit_event a")
    for secret in secrets:
        assert secret not in trail
    assert trail.count(audit.REDACTED) >= 4


def test_redaction_by_key_and_by_value() -> None:
    token = "pot_" + "A" * 43
    given = {
        "id": "x",
        "Password": "p",
        "api_key": "k",
        "nested": {"client_secret": "s", "list": [{"Authorization": "Bearer b"}]},
        "note": f"use {token} here",
        "token_hash": None,
    }
    assert audit.redact(given) == {
        "id": "x",
        "Password": audit.REDACTED,
        "api_key": audit.REDACTED,
        "nested": {"client_secret": audit.REDACTED, "list": [{"Authorization": audit.REDACTED}]},
        "note": f"use {audit.REDACTED} here",
        "token_hash": None,
    }


def test_the_trail_filters_by_user_object_and_time(with_teams: Workspace) -> None:
    ws = with_teams
    users.add_user(ws, ME, "ana", role="admin")
    users.add_user(ws, ME, "ben", teams=["payments"])
    token = users.create_token(ws, ME, "ana", scope="write").token
    as_token = Actor(f"token:{token.id}")
    as_ana = Actor("user:ana")
    users.disable_user(ws, as_token, "ben")
    users.set_role(ws, as_ana, "ana", "admin", ["growth"])
    assert [e.action for e in audit.events(ws, user="ana")] == ["user.disable", "user.role"]
    assert [e.action for e in audit.events(ws, user="token:ana-1")] == ["user.disable"]
    assert len(audit.events(ws, user="cli:tester")) == 3
    assert [e.action for e in audit.events(ws, object="app_user:ben")] == [
        "user.add",
        "user.disable",
    ]
    assert len(audit.events(ws, object="app_user")) == 4
    assert audit.events(ws, object="app_use") == []
    assert audit.events(ws, since=datetime.now(UTC) + timedelta(minutes=1)) == []


# Statements that would change or remove audit rows, wherever they are written.
_CHANGES = re.compile(
    r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?|DROP\s+TABLE(\s+IF\s+EXISTS)?|ALTER\s+TABLE"
    r"|INSERT\s+OR\s+REPLACE\s+INTO)\s+[\"']?audit_event\b",
    re.IGNORECASE,
)
# The generic writers that replace rows (`registry.rows.land`, `update`; `ingest.land_arrow`).
_REPLACES = re.compile(r"\b(land|land_arrow|update)\([^)]*audit_event", re.S)


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    offending = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in (_CHANGES, _REPLACES):
            offending += [f"{path.relative_to(SRC)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offending == []


def test_the_scan_finds_a_change() -> None:
    """The pattern above catches the ways a statement could be written."""
    for sql in (
        "UPDATE audit_event SET actor = 'x'",
        'delete from "audit_event" where true',
        "TRUNCATE audit_event",
        "DROP TABLE IF EXISTS audit_event",
    ):
        assert _CHANGES.search(sql), sql
    assert _REPLACES.search('land(store, "audit_event", data, "x")')


def test_audit_rows_cannot_be_imported(with_teams: Workspace, tmp_path: Path) -> None:
    forged = tmp_path / "audit.csv"
    forged.write_text("id,at,actor,action,object\nx,2026-01-01,user:ana,user.add,app_user:ana\n")
    for table in ("audit_event", "app_user", "api_token"):
        with pytest.raises(UsageError, match="kept by productops itself"):
            import_file(with_teams.store, table, forged)
    assert _count(with_teams) == 0
