"""The demo's admin: added through the audited service, with a password generated per run."""

from __future__ import annotations

from pathlib import Path

from productops.services.actor import Actor
from productops.services.demo import DEMO_ADMIN, add_demo_admin
from productops.services.users import verify_password
from productops.workspace import Workspace


def test_the_demo_admin_signs_in_and_is_audited_once(workspace: Workspace, tmp_path: Path) -> None:
    admin = add_demo_admin(workspace, Actor("cli:tester"))
    assert admin.name == DEMO_ADMIN
    assert len(admin.password) == 16
    assert verify_password(workspace, DEMO_ADMIN, admin.password).role == "admin"
    rows = workspace.store.sql("SELECT actor, action, object, after FROM audit_event")
    assert [r[:3] for r in rows] == [("cli:tester", "user.add", "app_user:demo-admin")]
    stored = workspace.store.sql("SELECT password_hash FROM app_user")[0][0]
    assert stored.startswith("$argon2id$")
    assert admin.password not in stored + str(rows[0][3])
    other = Workspace.init(tmp_path / "other")
    try:
        assert add_demo_admin(other, Actor("cli:tester")).password != admin.password
    finally:
        other.close()
