"""A small workspace served by the app: teams, work items, themes, and one user (with a token
and a signed-in session) for each kind of caller the authorization matrix asks about; and the
demo organisation served, for the reads that need a whole organisation's data."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from productops.demo import build_demo
from productops.services.actor import Actor
from productops.services.checks import run_checks
from productops.services.demo import demo_as_of
from productops.services.sessions import csrf_token, start_session
from productops.services.users import add_user, create_token, disable_user, revoke_token
from productops.web.app import create_app
from productops.web.auth import COOKIE, CSRF_HEADER
from productops.workspace import Workspace
from tests.pillars.builders import item, items, land
from tests.web import demo_site as pages_demo

if TYPE_CHECKING:
    import httpx2  # what Starlette's TestClient answers with

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
ME = Actor("cli:tester")
PASSWORD = "correct horse battery"  # every user's in `build`


@dataclass(frozen=True)
class Site:
    """A served workspace's folder, a token (`Bearer` secret) for each kind of token caller
    and a session cookie for each kind of session caller."""

    root: Path
    tokens: dict[str, str]
    sessions: dict[str, str]

    def headers(self, caller: str) -> dict[str, str]:
        """What `caller` sends: its token, or its session cookie and that session's CSRF token
        (a caller named "... without CSRF token" sends none); nothing for anonymous."""
        if caller in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[caller]}"}
        if caller in self.sessions:
            cookie = self.sessions[caller]
            csrf = {} if "without CSRF" in caller else {CSRF_HEADER: csrf_token(cookie)}
            return {"Cookie": f"{COOKIE}={cookie}"} | csrf
        assert caller == "anonymous", caller
        return {}


def build(root: Path) -> Site:
    """A workspace with two teams, work items, themes, and users with tokens."""
    ws = Workspace.init(root)
    try:
        land(
            ws.store,
            "team",
            [
                {"id": "product", "name": "Product"},
                {"id": "payments", "name": "Payments", "parent_id": "product"},
                {"id": "growth", "name": "Growth", "parent_id": "product"},
            ],
        )
        items(
            ws.store,
            item("PAY-1", "payments", 0, [(1, "In Progress", "in_progress"), (4, "Done", "done")]),
            item("PAY-2", "payments", 2, [(3, "In Progress", "in_progress")]),
            item("GRO-1", "growth", 1, [(2, "In Progress", "in_progress"), (9, "Done", "done")]),
        )
        land(
            ws.store,
            "theme",
            [
                {"id": "theme-1", "label": "upload crashes", "size": 5, "status": "active"},
                {"id": "theme-2", "label": "dark mode", "size": 3, "status": "active"},
                {"id": "theme-3", "label": "old", "size": 1, "status": "merged"},
            ],
        )
        tokens: dict[str, str] = {}
        for name, role, teams in [
            ("ana", "admin", ()),
            ("ben", "member", ("payments",)),
            ("cat", "member", ("growth",)),
            ("dan", "viewer", ()),
            ("eve", "member", ("payments",)),
        ]:
            add_user(ws, ME, name, role=role, teams=teams, password=PASSWORD)  # type: ignore[arg-type]
        tokens["admin"] = create_token(ws, ME, "ana", scope="write").secret
        tokens["admin's read token"] = create_token(ws, ME, "ana", scope="read").secret
        tokens["member of the team"] = create_token(ws, ME, "ben", scope="write").secret
        tokens["member of another team"] = create_token(ws, ME, "cat", scope="write").secret
        tokens["viewer"] = create_token(ws, ME, "dan").secret
        expired = create_token(ws, ME, "ben")
        ws.store.sql(
            "UPDATE api_token SET expires_at = now() - INTERVAL 1 MINUTE WHERE id = ?",
            [expired.token.id],
        )
        tokens["expired token"] = expired.secret
        revoked = create_token(ws, ME, "ben")
        revoke_token(ws, ME, revoked.token.id)
        tokens["revoked token"] = revoked.secret
        tokens["disabled user"] = create_token(ws, ME, "eve").secret
        sessions = {
            "admin's session": start_session(ws, "ana", "password").secret,
            "session of a member of the team": start_session(ws, "ben", "password").secret,
            "viewer's session": start_session(ws, "dan", "password").secret,
            "disabled user's session": start_session(ws, "eve", "password").secret,
            "unknown session": "x" * 43,
        }
        sessions["member's session without CSRF token"] = sessions[
            "session of a member of the team"
        ]
        for ended, column in [("expired session", "expires_at"), ("idle session", "last_seen_at")]:
            new = start_session(ws, "ben", "password")
            ws.store.sql(
                f"UPDATE web_session SET {column} = now() - INTERVAL 3 HOUR WHERE id = ?",
                [new.session.id],
            )
            sessions[ended] = new.secret
        disable_user(ws, ME, "eve")
        tokens["unknown token"] = "pot_" + "x" * 43
    finally:
        ws.close()
    return Site(root, tokens, sessions)


def build_demo_site(root: Path) -> Site:
    """The demo organisation (`productops demo`'s tables, scale 1) with its data checks run,
    an admin and a viewer."""
    ws = Workspace.init(root)
    try:
        as_of = demo_as_of(build_demo(ws.store, ws.manifest_path, scale=1, seed=7))
        run_checks(ws, ME, as_of, as_of)
        add_user(ws, ME, "ana", role="admin")
        add_user(ws, ME, "dan", role="viewer")
        tokens = {
            "admin": create_token(ws, ME, "ana", scope="write").secret,
            "viewer": create_token(ws, ME, "dan").secret,
        }
    finally:
        ws.close()
    return Site(root, tokens, {})


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_demo_site(tmp_path_factory.mktemp("demo") / "ws")


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build(tmp_path_factory.mktemp("served") / "ws")


@pytest.fixture
def app(served: Site) -> FastAPI:
    return create_app(served.root)


def fetch(
    app: FastAPI, *requests: tuple[str, str | None], params: dict[str, Any] | None = None
) -> list[httpx.Response]:
    """GET each (path, token) from `app` in-process (no token: anonymous)."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.get(
                    path,
                    params=params,
                    headers={"Authorization": f"Bearer {token}"} if token else {},
                )
                for path, token in requests
            ]

    return asyncio.run(run())


def get(app: FastAPI, path: str, token: str | None, **params: Any) -> httpx.Response:
    """One GET of `path` with `params`."""
    return fetch(app, (path, token), params=params)[0]


def sign_in(
    client: TestClient, name: str, password: str = PASSWORD, next: str = "/"
) -> httpx2.Response:
    """Sign `client` (which keeps cookies) in through the sign-in form; the 303 it answers."""
    return client.post(
        "/signin",
        data={"name": name, "password": password, "next": next},
        follow_redirects=False,
    )


def copy_site(site: Site, root: Path) -> Site:
    """`site`'s workspace copied to `root`, for a test that changes it."""
    shutil.copytree(site.root, root)
    return replace(site, root=root)


@pytest.fixture(scope="package")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> pages_demo.Demo:
    """The demo organisation with a user per role (built once for the package: ~30 s)."""
    return pages_demo.build_demo(tmp_path_factory.mktemp("demo") / "demo-org")
