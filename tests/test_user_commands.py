"""`productops user`, `token` and `audit` through the CLI on a real workspace."""

from __future__ import annotations

import getpass
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.errors import AuthenticationError
from productops.ingest import import_file
from productops.services.sessions import authenticate_session, sign_in
from productops.workspace import Workspace

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def ws(tmp_path: Path, teams_csv: Path) -> Path:
    workspace = Workspace.init(tmp_path / "ws")
    import_file(workspace.store, "team", teams_csv)
    workspace.close()
    return tmp_path / "ws"


def run(ws: Path, *args: str, code: int = 0, input: str | None = None) -> str:
    result = runner.invoke(app, ["-w", str(ws), *args], input=input)
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def rows(ws: Path, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(run(ws, *args, "--format", "json"))
    return found


def test_a_new_password_ends_the_user_s_sessions_and_the_old_one(ws: Path) -> None:
    run(ws, "user", "add", "ana", "--admin", "--password-stdin", input=PASSWORD + "\n")
    opened = Workspace.open(ws)
    session = sign_in(opened, "ana", PASSWORD)
    opened.close()
    assert "user password: standard input held no password" in run(
        ws, "user", "password", "ana", code=1, input=""
    )
    run(ws, "user", "password", "an", input="a brand new secret\n")
    opened = Workspace.open(ws)
    try:
        with pytest.raises(AuthenticationError):
            authenticate_session(opened, session.secret)
        with pytest.raises(AuthenticationError):
            sign_in(opened, "ana", PASSWORD)
        assert sign_in(opened, "ana", "a brand new secret").secret
    finally:
        opened.close()
    assert "a brand new secret" not in json.dumps(rows(ws, "audit"))


def test_users_are_added_changed_listed_and_disabled(ws: Path) -> None:
    run(ws, "user", "add", "ana", "--admin", "--password-stdin", input=PASSWORD + "\n")
    run(ws, "user", "add", "ben", "--team", "payments", "--team", "gro")
    run(ws, "user", "add", "vic", "--role", "view", "--display-name", "Vic V")
    run(ws, "user", "role", "ben", "member", "--team", "growth")
    run(ws, "user", "disable", "vic")
    listed = {u["id"]: u for u in rows(ws, "user", "list")}
    assert {n: (u["role"], u["teams"], u["has_password"]) for n, u in listed.items()} == {
        "ana": ("admin", "", True),
        "ben": ("member", "growth", False),
        "vic": ("viewer", "", False),
    }
    assert listed["vic"]["disabled_at"] is not None
    assert "argon2" not in run(ws, "user", "list", "--format", "csv")
    store = Workspace.open(ws)
    [(stored,)] = store.store.sql("SELECT password_hash FROM app_user WHERE id = 'ana'")
    store.close()
    assert stored.startswith("$argon2id$")


def test_a_token_is_printed_once_and_never_listed(ws: Path) -> None:
    run(ws, "user", "add", "ana", "--admin")
    result = runner.invoke(
        app, ["-w", str(ws), "token", "create", "ana", "--scope", "write", "--expires-days", "30"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pot_")
    assert "not shown again" in result.stderr
    digest = hashlib.sha256(token.encode()).hexdigest()
    for fmt in ("table", "json", "csv"):
        listed = run(ws, "token", "list", "--user", "ana", "--format", fmt)
        assert "ana-1" in listed
        assert token not in listed
        assert digest not in listed
    run(ws, "token", "revoke", "ana-1")
    [listed_token] = rows(ws, "token", "list")
    assert listed_token["revoked_at"] is not None
    assert token not in run(ws, "audit", "--format", "json")


def test_each_write_command_leaves_one_audit_row_by_the_os_user(ws: Path) -> None:
    commands = [
        ("user.add", ["user", "add", "ana", "--admin"]),
        ("user.add", ["user", "add", "ben", "-t", "payments"]),
        ("user.role", ["user", "role", "ben", "viewer"]),
        ("token.create", ["token", "create", "ben"]),
        ("token.revoke", ["token", "revoke", "ben-1"]),
        ("user.disable", ["user", "disable", "ben"]),
    ]
    for i, (action, args) in enumerate(commands, 1):
        run(ws, *args)
        trail = rows(ws, "audit")
        assert len(trail) == i, args
        assert (trail[-1]["action"], trail[-1]["actor"]) == (action, f"cli:{getpass.getuser()}")
    for reading in (["user", "list"], ["token", "list"], ["audit"]):
        run(ws, *reading)
    assert len(rows(ws, "audit")) == len(commands)
    assert [e["action"] for e in rows(ws, "audit", "--object", "api_token")] == [
        "token.create",
        "token.revoke",
    ]
    assert len(rows(ws, "audit", "--user", f"cli:{getpass.getuser()}", "--since", "2020")) == 6
    assert rows(ws, "audit", "--user", "ben") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "role", "anna", "admin"], "error: unknown user 'anna': did you mean ana?"),
        (["user", "role", "ana", "admn"], "error: unknown role 'admn': did you mean admin?"),
        (["user", "add", "ben", "--role", "boss"], "error: unknown role 'boss'"),
        (["user", "add", "ben", "--team", "paymnts"], "did you mean payments?"),
        (["user", "add", "ben", "--admin", "--role", "viewer"], "--admin and --role viewer"),
        (["user", "add", "ana"], "error: user ana exists already"),
        (["user", "disable", "bob"], "error: unknown user 'bob'"),
        (["token", "create", "ana", "--scope", "admin"], "error: unknown scope 'admin'"),
        (["token", "create", "ana", "--expires-days", "0"], "--expires-days 0: give 1 to 3650"),
        (["token", "revoke", "ana-9"], "error: unknown token 'ana-9'"),
        (["audit", "--since", "yesterday"], "error: --since 'yesterday': expected"),
        (["user", "add", "cy", "--password-stdin"], "standard input held no password"),
    ],
)
def test_bad_input_is_a_one_line_error_and_changes_nothing(
    ws: Path, args: list[str], message: str
) -> None:
    run(ws, "user", "add", "ana", "--admin")
    before = run(ws, "audit", "--format", "json")
    out = run(ws, *args, code=1, input="")
    assert message in out
    assert len(out.strip().splitlines()) == 1, out
    assert run(ws, "audit", "--format", "json") == before
