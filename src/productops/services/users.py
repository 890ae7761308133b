"""Users, roles, passwords and API tokens, and `authorize`: who may read and write what.

Roles (docs/server.md): `admin` may do everything; `member` reads, and writes for the teams
they belong to; `viewer` reads. A token acts for its user within its scope: `read` only
reads, `write` does what the user's role allows. A disabled user, an expired or a revoked
token may do nothing. Every write here appends one audit row (`services.audit.record`).

Passwords are hashed with argon2id (argon2-cffi): slow and salted, since people choose
guessable passwords. A token is 32 random bytes (256 bits): no one can guess it, so a
fast unsalted SHA-256 is as safe for it and lets a request's token be found by its hash
with one indexed lookup; only the hash is stored and the token is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from productops.errors import AuthenticationError, NotAllowedError, UsageError
from productops.registry.lookup import pick
from productops.schema.access import ROLES, Role, Scope
from productops.services import audit
from productops.services.actor import Actor

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = [
    "ROLES",
    "STAMP_EVERY",
    "Access",
    "Action",
    "NewToken",
    "Role",
    "Scope",
    "Token",
    "User",
    "access_of",
    "add_user",
    "authenticate_token",
    "authorize",
    "create_token",
    "disable_user",
    "find_role",
    "find_user",
    "list_tokens",
    "list_users",
    "revoke_token",
    "set_password",
    "set_role",
    "stamp_due",
    "verify_password",
]

# read: any reading; write: a change that belongs to `team` (None: to the organisation);
# admin: users, tokens, connectors, settings and the audit trail.
Action = Literal["read", "write", "admin"]

MIN_PASSWORD = 8
MAX_TOKEN_DAYS = 3650
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_HASHER = PasswordHasher()
_SIGN_IN_FAILED = "wrong user name or password"


@cache
def _dummy_hash() -> str:
    """Verified when the user is unknown, so that a wrong name costs what a wrong password does."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A user of productops; `has_password`: may sign in with a password."""

    id: str
    display_name: str | None
    role: Role
    teams: tuple[str, ...]
    has_password: bool
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Token:
    """An API token as stored: never the token itself, nor its hash."""

    id: str
    user_id: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is the token, shown this once and stored nowhere."""

    token: Token
    secret: str


@dataclass(frozen=True)
class Access:
    """Who acts and what they may do: what `authorize` decides on.

    >>> authorize(Access(Actor("user:ben"), "member", ("payments",)), "write", "payments")
    """

    actor: Actor
    role: Role
    teams: tuple[str, ...] = ()
    scope: Scope = "write"
    disabled_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    user: str | None = None  # the user it acts for, by itself or through a token; None: a process

    @classmethod
    def cli(cls) -> Access:
        """The command line at the machine: an admin, since whoever runs it can open the
        workspace's store file directly anyway."""
        return cls(Actor.cli(), "admin")


def authorize(
    access: Access, action: Action, team: str | None = None, *, now: datetime | None = None
) -> None:
    """Allow `action` (for `team`, when it is a team's write) or refuse it: a disabled user,
    an expired or revoked token is an `AuthenticationError`, a role or scope that does not
    allow the action a `NotAllowedError`."""
    now = now or datetime.now(UTC)
    who = access.actor.id
    if access.disabled_at is not None:
        raise AuthenticationError(f"{who}: the user is disabled")
    if access.revoked_at is not None:
        raise AuthenticationError(f"{who}: the token was revoked; create a new one")
    if access.expires_at is not None and access.expires_at <= now:
        raise AuthenticationError(f"{who}: the token expired; create a new one")
    if action == "read":
        return
    if access.scope == "read" and access.role != "viewer":  # a viewer hears of its role
        raise NotAllowedError(f"{who}: a read token cannot {action}; use a write token")
    if access.role == "admin":
        return
    if action == "write" and access.role == "member" and team is not None and team in access.teams:
        return
    if action == "admin":
        what = "manage users, tokens, connectors, settings or the audit trail"
    else:
        what = f"write for team {team}" if team else "write for the whole organisation"
    raise NotAllowedError(f"{who} ({access.role}) may not {what}; ask an admin")


def access_of(user: User, token: Token | None = None) -> Access:
    """What `user` may do, through `token` if given."""
    if token is None:
        actor = Actor(f"user:{user.id}")
        return Access(actor, user.role, user.teams, "write", user.disabled_at, user=user.id)
    return Access(
        Actor(f"token:{token.id}"),
        user.role,
        user.teams,
        token.scope,
        user.disabled_at,
        token.expires_at,
        token.revoked_at,
        user.id,
    )


# -- users ----------------------------------------------------------------------------------


def list_users(ws: Workspace, only: str | None = None) -> list[User]:
    """Every user (or the one whose name is exactly `only`), by name."""
    where, params = ("WHERE u.id = ? ", [only]) if only is not None else ("", [])
    rows = ws.store.sql(
        "SELECT u.id, u.display_name, u.role, list(t.team_id ORDER BY t.team_id) "
        "FILTER (WHERE t.team_id IS NOT NULL), u.password_hash IS NOT NULL, u.created_at, "
        "u.disabled_at FROM app_user u LEFT JOIN app_user_team t ON t.user_id = u.id "
        f"{where}GROUP BY ALL ORDER BY u.id",
        params,
    )
    return [User(i, d, r, tuple(t or ()), p, c, x) for i, d, r, t, p, c, x in rows]


def find_user(ws: Workspace, name: str) -> User:
    """The user called `name` (a unique start is enough), or a one-line `UsageError`."""
    users = {u.id: u for u in list_users(ws)}
    return users[pick("user", name, users, listing="productops user list")]


def find_role(text: str) -> Role:
    """The role `text` names, or a `UsageError` suggesting the nearest."""
    return cast(Role, pick("role", text, ROLES))


def _teams(ws: Workspace, given: Iterable[str]) -> tuple[str, ...]:
    known = [r[0] for r in ws.store.sql("SELECT id FROM team")]
    return tuple(sorted({pick("team", t, known) for t in given}))


def _snapshot(ws: Workspace, name: str) -> dict[str, Any]:
    """The user's stored row and teams, as the audit trail keeps it (hash redacted there)."""
    [row] = ws.store.arrow(
        "SELECT * EXCLUDE (source, ingested_at) FROM app_user WHERE id = ?", [name]
    ).to_pylist()
    teams = ws.store.sql(
        "SELECT team_id FROM app_user_team WHERE user_id = ? ORDER BY team_id", [name]
    )
    return {**row, "teams": [t for (t,) in teams]}


def _hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def add_user(
    ws: Workspace,
    actor: Actor,
    name: str,
    *,
    role: Role = "member",
    teams: Sequence[str] = (),
    display_name: str | None = None,
    password: str | None = None,
) -> User:
    """Add a user with a role, their teams and optionally a password (hashed with argon2id)."""
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"user name {name!r}: use letters, digits, '.', '_', '@' or '-' (at most 100), "
            "starting with a letter or digit, e.g. ana"
        )
    if ws.store.sql("SELECT count(*) FROM app_user WHERE id = ?", [name])[0][0]:
        raise UsageError(f"user {name} exists already; change it with `productops user role`")
    role = find_role(role)
    member_of = _teams(ws, teams)
    password_hash = None if password is None else _hash_password(password)
    now = datetime.now(UTC)
    with ws.store.transaction():
        ws.store.sql(
            "INSERT INTO app_user (id, display_name, role, password_hash, created_at, source, "
            "ingested_at) VALUES (?, ?, ?, ?, ?, 'productops', ?)",
            [name, display_name, role, password_hash, now, now],
        )
        _set_teams(ws, name, member_of, now)
        audit.record(ws, actor, "user.add", f"app_user:{name}", None, _snapshot(ws, name))
    return find_user(ws, name)


def _set_teams(ws: Workspace, name: str, teams: tuple[str, ...], now: datetime) -> None:
    ws.store.sql("DELETE FROM app_user_team WHERE user_id = ?", [name])
    for team in teams:
        ws.store.sql("INSERT INTO app_user_team VALUES (?, ?, 'productops', ?)", [name, team, now])


def _change_user(
    ws: Workspace, actor: Actor, action: str, name: str, sql: str, params: Sequence[Any]
) -> User:
    """Run one UPDATE of the user `name` (already resolved) with its audit row."""
    before = _snapshot(ws, name)
    with ws.store.transaction():
        ws.store.sql(sql, [*params, name])
        audit.record(ws, actor, action, f"app_user:{name}", before, _snapshot(ws, name))
    return find_user(ws, name)


def disable_user(ws: Workspace, actor: Actor, name: str) -> User:
    """Disable a user: they can no longer sign in, and their tokens stop working."""
    found = find_user(ws, name)
    if found.disabled_at is not None:
        raise UsageError(
            f"user {found.id} is disabled already (since {found.disabled_at:%Y-%m-%d})"
        )
    now = datetime.now(UTC)
    return _change_user(
        ws,
        actor,
        "user.disable",
        found.id,
        "UPDATE app_user SET disabled_at = ?, ingested_at = ? WHERE id = ?",
        [now, now],
    )


def set_role(
    ws: Workspace, actor: Actor, name: str, role: Role, teams: Sequence[str] | None = None
) -> User:
    """Give a user a role and, when `teams` is given, exactly those teams."""
    found = find_user(ws, name)
    role = find_role(role)
    member_of = found.teams if teams is None else _teams(ws, teams)
    before = _snapshot(ws, found.id)
    now = datetime.now(UTC)
    with ws.store.transaction():
        ws.store.sql(
            "UPDATE app_user SET role = ?, ingested_at = ? WHERE id = ?", [role, now, found.id]
        )
        _set_teams(ws, found.id, member_of, now)
        audit.record(
            ws, actor, "user.role", f"app_user:{found.id}", before, _snapshot(ws, found.id)
        )
    return find_user(ws, found.id)


def set_password(ws: Workspace, actor: Actor, name: str, password: str) -> User:
    """Set a user's password (stored as an argon2id hash); the user's signed-in sessions end,
    so that whoever knew the old password is signed out."""
    found = find_user(ws, name)
    hashed = _hash_password(password)
    before = _snapshot(ws, found.id)
    with ws.store.transaction():
        ws.store.sql(
            "UPDATE app_user SET password_hash = ?, ingested_at = ? WHERE id = ?",
            [hashed, datetime.now(UTC), found.id],
        )
        ws.store.sql("DELETE FROM web_session WHERE user_id = ?", [found.id])
        after = _snapshot(ws, found.id)
        audit.record(ws, actor, "user.password", f"app_user:{found.id}", before, after)
    return find_user(ws, found.id)


def verify_password(ws: Workspace, name: str, password: str) -> Access:
    """Sign in with a password: what the user may do, or `AuthenticationError`.

    A wrong name, a wrong password and a user without a password get the same message and
    cost the same argon2 verification; a disabled user is refused after the password checks.
    """
    rows = ws.store.sql("SELECT password_hash FROM app_user WHERE id = ?", [name])
    stored = rows[0][0] if rows and rows[0][0] else None
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError(_SIGN_IN_FAILED) from None
    if stored is None:
        raise AuthenticationError(_SIGN_IN_FAILED)
    found = find_user(ws, name)
    if found.disabled_at is not None:
        raise AuthenticationError(f"user {name} is disabled; ask an admin")
    return access_of(found)


# -- tokens ---------------------------------------------------------------------------------


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_TOKEN_COLUMNS = "id, user_id, scope, created_at, expires_at, last_used_at, revoked_at"


def list_tokens(ws: Workspace, user_id: str | None = None) -> list[Token]:
    """Every token (or `user_id`'s), without the token or its hash, newest last."""
    where, params = ("WHERE user_id = ?", [find_user(ws, user_id).id]) if user_id else ("", [])
    rows = ws.store.sql(
        f"SELECT {_TOKEN_COLUMNS} FROM api_token {where} ORDER BY created_at, id", params
    )
    return [Token(*row) for row in rows]


def _token_snapshot(ws: Workspace, token_id: str) -> dict[str, Any]:
    [row] = ws.store.arrow(
        "SELECT * EXCLUDE (source, ingested_at) FROM api_token WHERE id = ?", [token_id]
    ).to_pylist()
    return dict(row)


def create_token(
    ws: Workspace, actor: Actor, user_id: str, *, scope: Scope = "read", expires_days: int = 90
) -> NewToken:
    """Make an API token for a user; `secret` is the token, returned this once."""
    found = find_user(ws, user_id)
    if found.disabled_at is not None:
        raise UsageError(f"user {found.id} is disabled: a token of theirs would not work")
    if scope == "write" and found.role == "viewer":
        raise UsageError(f"user {found.id} is a viewer and cannot write: give --scope read")
    if not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise UsageError(f"--expires-days {expires_days}: give 1 to {MAX_TOKEN_DAYS} days")
    secret = audit.TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with ws.store.transaction():
        made = ws.store.sql("SELECT count(*) FROM api_token WHERE user_id = ?", [found.id])[0][0]
        token_id = f"{found.id}-{made + 1}"
        ws.store.sql(
            "INSERT INTO api_token (id, user_id, token_hash, scope, created_at, expires_at, "
            "source, ingested_at) VALUES (?, ?, ?, ?, ?, ?, 'productops', ?)",
            [
                token_id,
                found.id,
                _token_hash(secret),
                scope,
                now,
                now + timedelta(expires_days),
                now,
            ],
        )
        after = _token_snapshot(ws, token_id)
        audit.record(ws, actor, "token.create", f"api_token:{token_id}", None, after)
    [token] = [t for t in list_tokens(ws, found.id) if t.id == token_id]
    return NewToken(token, secret)


def revoke_token(ws: Workspace, actor: Actor, token_id: str) -> Token:
    """Revoke a token: it stops working at once."""
    ids = [r[0] for r in ws.store.sql("SELECT id FROM api_token")]
    found = pick("token", token_id, ids, listing="productops token list")
    before = _token_snapshot(ws, found)
    if before["revoked_at"] is not None:
        raise UsageError(
            f"token {found} is revoked already (since {before['revoked_at']:%Y-%m-%d})"
        )
    now = datetime.now(UTC)
    with ws.store.transaction():
        ws.store.sql(
            "UPDATE api_token SET revoked_at = ?, ingested_at = ? WHERE id = ?", [now, now, found]
        )
        audit.record(
            ws, actor, "token.revoke", f"api_token:{found}", before, _token_snapshot(ws, found)
        )
    [token] = [t for t in list_tokens(ws) if t.id == found]
    return token


STAMP_EVERY = timedelta(minutes=1)
"""How often a token's `last_used_at` and a session's `last_seen_at` are stamped at most: each
stamp is a commit, and a server answering many requests of one token need not make one each."""


def stamp_due(ws: Workspace, last: datetime | None, now: datetime) -> bool:
    """Whether a use at `now` is to be stamped over the last stamp `last`."""
    return not ws.store.read_only and (last is None or now - last >= STAMP_EVERY)


def authenticate_token(ws: Workspace, secret: str) -> Access:
    """What the bearer of `secret` may do, or `AuthenticationError` (unknown, expired,
    revoked, or its user disabled); stamps the token's `last_used_at`.

    Using a token is not a write to audit: `last_used_at` is bookkeeping, stamped at most
    every `STAMP_EVERY` and never in the way of a write (`Store.bookkeep`).
    """
    digest = _token_hash(secret)
    rows = ws.store.sql(
        f"SELECT token_hash, {_TOKEN_COLUMNS} FROM api_token WHERE token_hash = ?", [digest]
    )
    if not rows or not hmac.compare_digest(rows[0][0], digest):
        raise AuthenticationError("unknown API token; create one with `productops token create`")
    token = Token(*rows[0][1:])
    now = datetime.now(UTC)
    if token.revoked_at is not None:
        raise AuthenticationError(f"API token {token.id} was revoked; create a new one")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationError(f"API token {token.id} expired; create a new one")
    [found] = list_users(ws, token.user_id)  # a token's user is never deleted, only disabled
    if found.disabled_at is not None:
        raise AuthenticationError(f"user {found.id} is disabled; ask an admin")
    if stamp_due(ws, token.last_used_at, now) and ws.store.bookkeep(
        "UPDATE api_token SET last_used_at = ? WHERE id = ?", [now, token.id]
    ):
        token = replace(token, last_used_at=now)
    return access_of(found, token)
