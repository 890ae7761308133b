"""The demo organisation served by the app, with a signed-in user per role: what the page
tests and the browser journeys walk."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from productops.cli import app as cli
from productops.services.actor import Actor
from productops.services.surveys import open_survey
from productops.services.users import add_user, create_token
from productops.workspace import Workspace

ME = Actor("cli:tester")
PASSWORD = "demo password 42"
# role -> user name; the members are of the demo's teams payments and checkout
USERS = {
    "admin": "ana",
    "member": "ben",
    "other-team member": "cat",
    "viewer": "dan",
}
TEAM, OTHER_TEAM = "payments", "checkout"
OPEN_SURVEY = "productops:survey-payments-web-pulse"


@dataclass(frozen=True)
class Demo:
    """The demo workspace's folder; the open survey anyone may answer; a token to revoke; and
    the demo admin's sign-in as `productops demo` printed it."""

    root: Path
    survey: str
    token: str
    printed: str


def build_demo(root: Path) -> Demo:
    """`productops demo` (model-free embedder) into `root`, plus users, a token and a survey."""
    result = CliRunner().invoke(cli, ["demo", str(root), "--fallback"])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    ws = Workspace.open(root)
    try:
        for role, name in USERS.items():
            kind = role.split()[-1] if role != "other-team member" else "member"
            teams = {"member": (TEAM,), "other-team member": (OTHER_TEAM,)}.get(role, ())
            add_user(ws, ME, name, role=kind, teams=teams, password=PASSWORD)  # type: ignore[arg-type]
        token = create_token(ws, ME, "ben", scope="read").token.id
        survey = open_survey(
            ws, ME, team_id=TEAM, kind="health_check", title="Web pulse", at=datetime.now(UTC)
        )
    finally:
        ws.close()
    return Demo(root, survey.id, token, printed)


def copy_demo(demo: Demo, root: Path) -> Demo:
    """`demo`'s workspace copied to `root`, for a test that writes."""
    shutil.copytree(demo.root, root)
    return Demo(root, demo.survey, demo.token, demo.printed)
