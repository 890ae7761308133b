"""Users, roles, passwords and tokens on a real workspace: who may do what, and what is stored."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from productops.errors import AuthenticationError, NotAllowedError, UsageError
from productops.schema.access import Role
from productops.services import users
from productops.services.actor import Actor
from productops.services.users import (
    STAMP_EVERY,
    Access,
    Action,
    access_of,
    add_user,
    authenticate_token,
    authorize,
    create_token,
    disable_user,
    find_user,
    list_tokens,
    revoke_token,
    set_password,
    set_role,
    verify_password,
)
from productops.workspace import STORE_FILE, Workspace

ME = Actor("cli:tester")
PASSWORD = "correct horse battery"

# (action, team): what each kind of access is asked to do, and who may.
ASKED: list[tuple[Action, str | None]] = [
    ("read", None),
    ("read", "payments"),
    ("write", "payments"),
    ("write", "growth"),
    ("write", None),
    ("admin", None),
]
MAY = {
    "admin": {0, 1, 2, 3, 4, 5},
    "member of payments": {0, 1, 2},
    "member of growth": {0, 1, 3},
    "viewer": {0, 1},
    "admin's read token": {0, 1},
    "admin's write token": {0, 1, 2, 3, 4, 5},
    "disabled member": set(),
    "expired token": set(),
    "revoked token": set(),
}
# Refused as no longer signed in (HTTP 401), not as not allowed (403).
GONE = {"disabled member", "expired token", "revoked token"}


@pytest.fixture
def people(with_teams: Workspace) -> dict[str, Access]:
    """Each kind of access, made through the services as a user or script would get it."""
    ws = with_teams
    add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    add_user(ws, ME, "ben", teams=["payments"], password=PASSWORD)
    add_user(ws, ME, "gus", teams=["growth"], password=PASSWORD)
    add_user(ws, ME, "vic", role="viewer", password=PASSWORD)
    add_user(ws, ME, "dan", teams=["payments"], password=PASSWORD)
    found = {
        "admin": verify_password(ws, "ana", PASSWORD),
        "member of payments": verify_password(ws, "ben", PASSWORD),
        "member of growth": verify_password(ws, "gus", PASSWORD),
        "viewer": verify_password(ws, "vic", PASSWORD),
        "admin's read token": authenticate_token(ws, create_token(ws, ME, "ana").secret),
        "admin's write token": authenticate_token(
            ws, create_token(ws, ME, "ana", scope="write").secret
        ),
    }
    disable_user(ws, ME, "dan")
    found["disabled member"] = access_of(find_user(ws, "dan"))
    expiring = create_token(ws, ME, "ben", scope="write", expires_days=1).token
    found["expired token"] = access_of(find_user(ws, "ben"), expiring)
    revoked = create_token(ws, ME, "ben", scope="write")
    revoke_token(ws, ME, revoked.token.id)
    [stored] = [t for t in list_tokens(ws, "ben") if t.id == revoked.token.id]
    found["revoked token"] = access_of(find_user(ws, "ben"), stored)
    return found


def test_roles_matrix(people: dict[str, Access]) -> None:
    later = datetime.now(UTC) + timedelta(days=2)  # the expiring token has expired by then
    for who, access in people.items():
        for i, (action, team) in enumerate(ASKED):
            if i in MAY[who]:
                authorize(access, action, team, now=later)
            else:
                refusal = AuthenticationError if who in GONE else NotAllowedError
                with pytest.raises(refusal) as refused:
                    authorize(access, action, team, now=later)
                assert str(refused.value).startswith(access.actor.id), (who, action, team)


def test_the_command_line_at_the_machine_is_an_admin() -> None:
    access = Access.cli()
    assert access.actor.id.startswith("cli:")
    for action, team in ASKED:
        authorize(access, action, team)


def test_expired_revoked_and_disabled_tokens_do_not_authenticate(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ben", teams=["payments"])
    expired, revoked, disabled = (create_token(ws, ME, "ben") for _ in range(3))
    ws.store.sql(
        "UPDATE api_token SET expires_at = now() - INTERVAL 1 MINUTE WHERE id = ?",
        [expired.token.id],
    )
    revoke_token(ws, ME, revoked.token.id)
    with pytest.raises(AuthenticationError, match="expired"):
        authenticate_token(ws, expired.secret)
    with pytest.raises(AuthenticationError, match="revoked"):
        authenticate_token(ws, revoked.secret)
    disable_user(ws, ME, "ben")
    with pytest.raises(AuthenticationError, match="disabled"):
        authenticate_token(ws, disabled.secret)
    with pytest.raises(AuthenticationError, match="unknown API token"):
        authenticate_token(ws, disabled.secret[:-1] + "x")


def test_a_token_authenticates_and_records_its_last_use(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ben", teams=["payments"])
    made = create_token(ws, ME, "ben", scope="write")
    assert made.token.last_used_at is None
    access = authenticate_token(ws, made.secret)
    assert access.actor.id == f"token:{made.token.id}"
    assert (access.role, access.teams, access.scope) == ("member", ("payments",), "write")
    [listed] = list_tokens(ws, "ben")
    assert listed.last_used_at is not None
    authenticate_token(ws, made.secret)  # within STAMP_EVERY: no new stamp (no commit)
    assert list_tokens(ws, "ben")[0].last_used_at == listed.last_used_at
    ws.store.sql("UPDATE api_token SET last_used_at = ?", [listed.last_used_at - STAMP_EVERY])
    authenticate_token(ws, made.secret)
    stamped = list_tokens(ws, "ben")[0].last_used_at
    assert stamped is not None
    assert stamped > listed.last_used_at


def test_passwords_are_stored_as_argon2id_hashes(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    [(stored,)] = ws.store.sql("SELECT password_hash FROM app_user WHERE id = 'ana'")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    set_password(ws, ME, "ana", "another long one")
    [(changed,)] = ws.store.sql("SELECT password_hash FROM app_user WHERE id = 'ana'")
    assert changed.startswith("$argon2id$")
    assert changed != stored
    assert verify_password(ws, "ana", "another long one").actor.id == "user:ana"


def test_a_wrong_name_or_password_is_refused_alike(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    add_user(ws, ME, "ben")  # no password: signs in through a token only
    refused = []
    for name, password in (("ana", "wrong password"), ("nobody", PASSWORD), ("ben", "")):
        with pytest.raises(AuthenticationError) as caught:
            verify_password(ws, name, password)
        refused.append(str(caught.value))
    assert refused == ["wrong user name or password"] * 3


def test_a_disabled_user_cannot_sign_in(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ana", role="admin", password=PASSWORD)
    disable_user(ws, ME, "ana")
    with pytest.raises(AuthenticationError, match="ana is disabled"):
        verify_password(ws, "ana", PASSWORD)


def test_secrets_are_compared_in_constant_time() -> None:
    """Timings cannot be tested here; the code paths can: argon2's verify (constant-time in
    the C library) runs for unknown users too, and a token's hash is compared with
    hmac.compare_digest."""
    password = inspect.getsource(users.verify_password)
    assert "_HASHER.verify(stored or _dummy_hash(), password)" in password
    assert "hmac.compare_digest(" in inspect.getsource(users.authenticate_token)


def test_a_token_is_shown_once_and_only_its_hash_is_stored(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ana", role="admin")
    made = create_token(ws, ME, "ana", scope="write")
    assert made.secret.startswith("pot_")
    assert len(made.secret) >= 40
    assert not {"secret", "token_hash"} & set(vars(list_tokens(ws)[0]))
    [(stored,)] = ws.store.sql("SELECT token_hash FROM api_token")
    assert stored == hashlib.sha256(made.secret.encode()).hexdigest()
    authenticate_token(ws, made.secret)
    revoke_token(ws, ME, made.token.id)
    tables = [r[0] for r in ws.store.sql("SELECT table_name FROM information_schema.tables")]
    for table in tables:
        text = ws.store.sql(f"SELECT coalesce(string_agg(t::VARCHAR, ''), '') FROM \"{table}\" t")
        assert made.secret not in text[0][0], table
    root = ws.root
    ws.close()
    for path in root.rglob("*"):
        if path.is_file():
            assert made.secret.encode() not in path.read_bytes(), path
    assert (root / STORE_FILE).exists()


def test_a_viewer_gets_no_write_token_and_expiry_is_bounded(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "vic", role="viewer")
    with pytest.raises(UsageError, match="viewer and cannot write"):
        create_token(ws, ME, "vic", scope="write")
    with pytest.raises(UsageError, match="--expires-days 0: give 1 to 3650"):
        create_token(ws, ME, "vic", expires_days=0)
    assert list_tokens(ws) == []


def test_unknown_users_roles_and_teams_are_one_line_errors(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ana", role="admin")
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: find_user(ws, "anna"), "unknown user 'anna': did you mean ana?"),
        (lambda: users.find_role("admn"), "unknown role 'admn': did you mean admin?"),
        (lambda: add_user(ws, ME, "ben", teams=["paymnts"]), "did you mean payments?"),
        (lambda: add_user(ws, ME, "ana"), "user ana exists already"),
        (lambda: add_user(ws, ME, "a b"), "user name 'a b': use letters"),
        (lambda: set_role(ws, ME, "bob", "viewer"), "unknown user 'bob'"),
        (lambda: add_user(ws, ME, "cy", password="short"), "at least 8 characters"),
        (lambda: add_user(ws, ME, "cy", role=cast(Role, "boss")), "unknown role 'boss'"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError) as caught:
            call()
        assert message in str(caught.value)
        assert "\n" not in str(caught.value)
    assert [u.id for u in users.list_users(ws)] == ["ana"]


def test_role_and_teams_change_together(with_teams: Workspace) -> None:
    ws = with_teams
    add_user(ws, ME, "ben", teams=["payments"])
    assert set_role(ws, ME, "ben", "viewer").teams == ("payments",)
    changed = set_role(ws, ME, "be", "member", ["growth", "pay"])
    assert (changed.role, changed.teams) == ("member", ("growth", "payments"))
