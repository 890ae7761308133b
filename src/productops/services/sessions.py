"""Signed-in sessions of the web pages: sign in (with a password here, through an OpenID Connect
provider in `services.oidc`), find the session a request's cookie names, sign out.

A session is 32 random bytes that the browser keeps as its cookie; only their SHA-256 is
stored (`web_session.session_hash`), as for API tokens (services/users.py says why a fast hash
is right for 256 random bits). Every sign-in makes a new session, so a cookie the browser held
before is never promoted (no session fixation). A session ends at `expires_at` (sign-in plus
`[server] session_hours`), when unused for `[server] session_idle_minutes`, at sign-out, and
the moment its user is disabled. Its CSRF token is derived from the cookie (`csrf_token`), so
it is stored nowhere and is useless without the cookie. Sign-in and sign-out each leave one
audit row (`session.sign_in`, `session.sign_out` on `web_session:ID`, as `user:NAME`); a
refused sign-in writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from productops.errors import AuthenticationError
from productops.services import audit
from productops.services.actor import Actor
from productops.services.users import (
    Access,
    access_of,
    find_user,
    stamp_due,
    verify_password,
)

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "Method",
    "NewSession",
    "Session",
    "authenticate_session",
    "csrf_token",
    "sign_in",
    "sign_out",
    "start_session",
]

Method = Literal["password", "oidc"]
_COLUMNS = "id, user_id, method, created_at, expires_at, last_seen_at"
_ENDED = "your session has ended; sign in again"


@dataclass(frozen=True)
class Session:
    """A signed-in session as stored: never its cookie, nor the cookie's hash."""

    id: str
    user_id: str
    method: Method
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just started: `secret` is the cookie's value, given to the browser only."""

    session: Session
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(secret: str) -> str:
    """The CSRF token of the session whose cookie is `secret`: a hash of it under its own
    label, so the token is stored nowhere, cannot be guessed without the cookie, and does not
    reveal the cookie (the pages put it in every form)."""
    digest = hashlib.sha256(b"productops csrf token\0" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _snapshot(ws: Workspace, session_id: str) -> dict[str, Any]:
    [row] = ws.store.arrow(
        f"SELECT {_COLUMNS} FROM web_session WHERE id = ?", [session_id]
    ).to_pylist()
    return dict(row)


def start_session(
    ws: Workspace,
    user_id: str,
    method: Method,
    *,
    request_id: str | None = None,
    replacing: str | None = None,
) -> NewSession:
    """Start a new session for `user_id` (who has just proved who they are) and audit it.

    `replacing`: the cookie the browser sent along, whose session (if any) ends here, so one
    browser holds one session; sessions past their expiry are cleared in the same write.
    """
    settings = ws.config.server
    now = datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    session_id = secrets.token_hex(8)
    actor = Actor(f"user:{user_id}", request_id)
    with ws.store.transaction():
        ws.store.sql(
            "DELETE FROM web_session WHERE expires_at <= ? OR last_seen_at <= ? "
            "OR session_hash = ?",
            [now, now - timedelta(minutes=settings.session_idle_minutes), _hash(replacing or "")],
        )
        ws.store.sql(
            f"INSERT INTO web_session ({_COLUMNS}, session_hash, source, ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'productops', ?)",
            [
                session_id,
                user_id,
                method,
                now,
                now + timedelta(hours=settings.session_hours),
                now,
                _hash(secret),
                now,
            ],
        )
        after = _snapshot(ws, session_id)
        audit.record(ws, actor, "session.sign_in", f"web_session:{session_id}", None, after)
    return NewSession(Session(**after), secret)


def sign_in(
    ws: Workspace,
    name: str,
    password: str,
    *,
    request_id: str | None = None,
    replacing: str | None = None,
) -> NewSession:
    """Sign in with a password (`users.verify_password`: a wrong name and a wrong password get
    one message and cost the same); a refusal is an `AuthenticationError` and writes nothing."""
    access = verify_password(ws, name, password)
    user_id = access.actor.id.removeprefix("user:")
    return start_session(ws, user_id, "password", request_id=request_id, replacing=replacing)


def _find(ws: Workspace, secret: str) -> Session | None:
    digest = _hash(secret)
    rows = ws.store.sql(
        f"SELECT session_hash, {_COLUMNS} FROM web_session WHERE session_hash = ?", [digest]
    )
    if not rows or not hmac.compare_digest(rows[0][0], digest):
        return None
    return Session(*rows[0][1:])


def authenticate_session(ws: Workspace, secret: str, *, now: datetime | None = None) -> Access:
    """What the holder of the session cookie `secret` may do, as `user:NAME`; or an
    `AuthenticationError`: unknown (never made here, signed out or cleared), expired, idle past
    `[server] session_idle_minutes`, or its user disabled. Stamps `last_seen_at` (at most
    every `STAMP_EVERY`), which is bookkeeping, not an audited write (like a token's
    `last_used_at`)."""
    now = now or datetime.now(UTC)
    session = _find(ws, secret)
    if session is None:
        raise AuthenticationError(f"not signed in ({_ENDED})")
    idle = timedelta(minutes=ws.config.server.session_idle_minutes)
    if session.expires_at <= now or session.last_seen_at + idle <= now:
        raise AuthenticationError(_ENDED)
    user = find_user(ws, session.user_id)
    if user.disabled_at is not None:
        raise AuthenticationError(f"user {user.id} is disabled; ask an admin")
    if stamp_due(ws, session.last_seen_at, now):
        ws.store.bookkeep("UPDATE web_session SET last_seen_at = ? WHERE id = ?", [now, session.id])
    return access_of(user)


def sign_out(ws: Workspace, secret: str, *, request_id: str | None = None) -> Session | None:
    """End the session of the cookie `secret` and audit it; None (and nothing written) when
    there is no such session any more."""
    session = _find(ws, secret)
    if session is None:
        return None
    actor = Actor(f"user:{session.user_id}", request_id)
    with ws.store.transaction():
        before = _snapshot(ws, session.id)
        ws.store.sql("DELETE FROM web_session WHERE id = ?", [session.id])
        audit.record(ws, actor, "session.sign_out", f"web_session:{session.id}", before, None)
    return session
