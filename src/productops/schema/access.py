"""Who may use productops, and what they did: users, their teams, API tokens, signed-in
sessions of the web pages, the audit trail.

Kept by productops itself (`system`): `productops import` refuses them, so a password hash or a
token hash is only ever written by `productops.services.users`, and an audit row only by
`productops.services.audit` (which only appends). docs/server.md says what each role may do.
"""

from __future__ import annotations

from typing import Literal, get_args

from productops.schema.model import COMMON_COLUMNS, Table
from productops.schema.model import Column as C

__all__ = ["ACCESS_TABLES", "ROLES", "SCOPES", "Role", "Scope"]

Role = Literal["admin", "member", "viewer"]
Scope = Literal["read", "write"]
ROLES: tuple[str, ...] = get_args(Role)
SCOPES: tuple[str, ...] = get_args(Scope)


def _t(name: str, doc: str, key: tuple[str, ...], *cols: C) -> Table:
    return Table(name, "access", doc, key, (*cols, *COMMON_COLUMNS), qualified=False, system=True)


ACCESS_TABLES = (
    _t(
        "app_user",
        "A person who may use productops: a role, and a password hash if they sign in with one.",
        ("id",),
        C("id", required=True, doc="User name, e.g. ana."),
        C("display_name", doc="Name shown in the web pages."),
        C(
            "role",
            required=True,
            choices=ROLES,
            doc="admin, member (writes for their teams), viewer.",
        ),
        C("password_hash", doc="argon2id hash (PHC string); empty: no password sign-in."),
        C("created_at", "timestamp", required=True),
        C("disabled_at", "timestamp", "Set: the user can neither sign in nor use a token."),
    ),
    _t(
        "app_user_team",
        "A team a user belongs to: a member writes for these teams only.",
        ("user_id", "team_id"),
        C("user_id", required=True, ref="app_user"),
        C("team_id", required=True, ref="team"),
    ),
    _t(
        "api_token",
        "An API token for scripts; only its SHA-256 is stored, the token is shown once.",
        ("id",),
        C("id", required=True, doc="USER-N, e.g. ana-1; names the token in the audit trail."),
        C("user_id", required=True, ref="app_user"),
        C("token_hash", required=True, doc="Hex SHA-256 of the token."),
        C("scope", required=True, choices=SCOPES, doc="read, or write (what the role allows)."),
        C("created_at", "timestamp", required=True),
        C("expires_at", "timestamp", not_before="created_at"),
        C("last_used_at", "timestamp"),
        C("revoked_at", "timestamp"),
    ),
    _t(
        "web_session",
        "A signed-in browser: only the SHA-256 of its cookie is stored; sign-out deletes the row.",
        ("id",),
        C(
            "id",
            required=True,
            doc="A random id naming the session in the audit trail; not secret.",
        ),
        C("user_id", required=True, ref="app_user"),
        C("session_hash", required=True, doc="Hex SHA-256 of the session cookie's value."),
        C("method", required=True, choices=("password", "oidc"), doc="How the user signed in."),
        C("created_at", "timestamp", required=True, doc="Sign-in."),
        C(
            "expires_at",
            "timestamp",
            required=True,
            not_before="created_at",
            doc="Sign-in plus [server] session_hours: the session ends then, used or not.",
        ),
        C(
            "last_seen_at",
            "timestamp",
            required=True,
            doc="Last request; idle past [server] session_idle_minutes ends the session.",
        ),
    ),
    _t(
        "audit_event",
        "One write to the workspace, appended and never changed: who, when, what, before, after.",
        ("id",),
        C("id", required=True),
        C("at", "timestamp", required=True, doc="When the write happened (UTC)."),
        C("actor", required=True, doc="user:NAME, token:ID, cli:OS_USER or schedule:NAME."),
        C("action", required=True, doc="What was done, e.g. user.add, token.revoke."),
        C("object", required=True, doc="TABLE:ID of what was written."),
        C("before", "json", "The object before, secrets redacted (empty: created)."),
        C("after", "json", "The object after, secrets redacted."),
        C("request_id", doc="The API request or CLI run that made the write."),
    ),
)
