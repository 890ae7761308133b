"""Signing in with a password, the session cookie and its flags, session fixation, sign-out,
ended sessions (expired, idle, disabled user), CSRF on page writes, and the audit rows of
signing in and out; each against the app in-process, on a copy of the served workspace."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from starlette.testclient import TestClient

from productops.config import CONFIG_FILE, load_config, write_config
from productops.services.audit import events
from productops.services.sessions import csrf_token as session_csrf
from productops.services.users import Access, add_user, disable_user
from productops.web.app import create_app
from productops.web.auth import COOKIE, CSRF_HEADER
from productops.web.sessions import CSRF, SIGNED_IN, csrf_token
from productops.workspace import STORE_FILE, Workspace
from tests.web.conftest import ME, PASSWORD, Site, copy_site, sign_in

MEMBER = "session of a member of the team"  # ben's


@pytest.fixture
def site(served: Site, tmp_path: Path) -> Site:
    return copy_site(served, tmp_path / "ws")


@contextmanager
def opened(root: Path) -> Iterator[Workspace]:
    ws = Workspace.open(root)
    try:
        yield ws
    finally:
        ws.close()


def probe_app(root: Path) -> FastAPI:
    """The app with a signed-in page and a page write, as the pages declare them."""
    app = create_app(root)

    @app.get("/probe")
    def page(request: Request, access: Annotated[Access, Depends(SIGNED_IN)]) -> dict[str, Any]:
        return {"actor": access.actor.id, "request": access.actor.request_id, "csrf": csrf_token(request)}  # fmt: skip

    @app.post("/probe", dependencies=[Depends(CSRF)])
    def write(access: Annotated[Access, Depends(SIGNED_IN)]) -> str:
        return access.actor.id

    return app


def client(root: Path, base_url: str = "http://test") -> TestClient:
    return TestClient(probe_app(root), base_url=base_url, follow_redirects=False)


def with_cookie(root: Path, cookie: str) -> TestClient:
    """A browser holding `cookie` as its session cookie."""
    browser = client(root)
    browser.cookies.set(COOKIE, cookie, domain="test.local")  # as the jar names host test
    return browser


def set_cookie(response: Any) -> Any:
    """The session cookie a response sets, parsed (flags and all)."""
    return SimpleCookie(response.headers["set-cookie"])[COOKIE]


def configure(root: Path, **server: Any) -> None:
    config = load_config(root / CONFIG_FILE)
    write_config(
        root / CONFIG_FILE,
        config.model_copy(update={"server": config.server.model_copy(update=server)}),
    )


def test_signing_in_sets_a_new_http_only_lax_cookie_and_goes_on(site: Site) -> None:
    browser = client(site.root)
    form = browser.get("/signin", params={"next": "/flow?team=payments"})
    assert form.status_code == 200
    assert 'name="next" value="/flow?team=payments"' in form.text
    assert browser.get("/api/v1/teams").status_code == 401
    response = sign_in(browser, "ben", PASSWORD, next="/flow?team=payments")
    assert (response.status_code, response.headers["location"]) == (303, "/flow?team=payments")
    cookie = set_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] == ""  # plain http: a Secure cookie would never come back
    assert int(cookie["max-age"]) == 12 * 3600  # [server] session_hours
    assert len(cookie.value) >= 43  # 32 random bytes
    assert browser.get("/probe").json()["actor"] == "user:ben"
    assert browser.get("/api/v1/teams").status_code == 200  # the API takes the session too


@pytest.mark.parametrize(
    ("base_url", "headers", "server", "secure"),
    [
        ("http://test", {}, {}, False),
        ("https://test", {}, {}, True),
        ("http://test", {"X-Forwarded-Proto": "https"}, {}, False),  # a proxy not trusted
        ("http://test", {"X-Forwarded-Proto": "https"}, {"trust_proxy": True}, True),
        ("http://test", {"X-Forwarded-Proto": "http"}, {"trust_proxy": True}, False),
        ("http://test", {}, {"secure_cookies": "always"}, True),
    ],
)
def test_the_cookie_is_secure_behind_tls_or_a_trusted_proxy(
    site: Site, base_url: str, headers: dict[str, str], server: dict[str, Any], secure: bool
) -> None:
    configure(site.root, **server)
    browser = client(site.root, base_url)
    browser.headers.update(headers)
    cookie = set_cookie(sign_in(browser, "ben"))
    assert cookie["secure"] is (True if secure else "")
    assert cookie["httponly"] is True


def test_a_wrong_name_or_password_gets_one_message_and_writes_nothing(site: Site) -> None:
    with opened(site.root) as ws:
        add_user(ws, ME, "fay")  # no password: signs in through OpenID Connect only
        before = (events(ws), ws.store.sql("SELECT count(*) FROM web_session"))
    messages = set()
    for name, password in [("nobody", PASSWORD), ("ben", "wrong password"), ("fay", PASSWORD)]:
        response = sign_in(client(site.root), name, password)
        assert response.status_code == 401
        assert "set-cookie" not in response.headers
        messages |= set(re.findall(r'role="alert">([^<]*)<', response.text))
    assert messages == {"wrong user name or password"}
    with opened(site.root) as ws:
        assert (events(ws), ws.store.sql("SELECT count(*) FROM web_session")) == before


def test_a_cookie_set_before_signing_in_is_never_promoted(site: Site) -> None:
    planted = "chosen-by-an-attacker-" + "a" * 30
    browser = with_cookie(site.root, planted)
    assert browser.get("/probe").status_code == 303  # no such session
    sign_in(browser, "ben")
    assert browser.cookies[COOKIE] != planted
    assert browser.get("/probe").json()["actor"] == "user:ben"
    assert with_cookie(site.root, planted).get("/probe").status_code == 303

    # a live session the browser held before (here ana's) ends: signing in makes a new one
    held = site.sessions["admin's session"]
    browser = with_cookie(site.root, held)
    assert browser.get("/probe").json()["actor"] == "user:ana"
    sign_in(browser, "ben")
    assert browser.cookies[COOKIE] not in (held, planted)
    assert browser.get("/probe").json()["actor"] == "user:ben"
    assert with_cookie(site.root, held).get("/probe").status_code == 303
    assert browser.get("/api/v1/audit").status_code == 403  # ben's rights, not ana's


def test_each_sign_in_makes_a_new_session(site: Site) -> None:
    first, second = client(site.root), client(site.root)
    sign_in(first, "ben")
    sign_in(second, "ben")
    assert first.cookies[COOKIE] != second.cookies[COOKIE]
    assert first.get("/probe").status_code == second.get("/probe").status_code == 200


def test_signing_out_needs_the_csrf_token_and_ends_the_session(site: Site) -> None:
    browser = client(site.root)
    sign_in(browser, "ben")
    cookie = browser.cookies[COOKIE]
    refused = browser.post("/signout")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")
    assert browser.post("/signout", data={"csrf_token": "guessed"}).status_code == 403
    assert browser.get("/probe").status_code == 200
    done = browser.post("/signout", data={"csrf_token": session_csrf(cookie)})
    assert (done.status_code, done.headers["location"]) == (303, "/signin")
    assert set_cookie(done).value == ""  # the browser forgets it
    assert with_cookie(site.root, cookie).get("/probe").status_code == 303
    with opened(site.root) as ws:
        digest = hashlib.sha256(cookie.encode()).hexdigest()
        assert ws.store.sql(
            "SELECT count(*) FROM web_session WHERE session_hash = ?", [digest]
        ) == [(0,)]


def test_a_disabled_user_loses_the_session_at_once(site: Site) -> None:
    browser = with_cookie(site.root, site.sessions[MEMBER])
    assert browser.get("/probe").status_code == 200
    assert browser.get("/api/v1/teams").status_code == 200
    with opened(site.root) as ws:
        disable_user(ws, ME, "ben")
    assert browser.get("/probe").status_code == 303
    assert browser.get("/api/v1/teams").status_code == 401
    assert sign_in(client(site.root), "ben").status_code == 401


@pytest.mark.parametrize(
    ("column", "ago", "alive"),
    [
        ("expires_at", timedelta(minutes=-1), True),
        ("expires_at", timedelta(seconds=1), False),  # ends at expires_at, however used
        ("last_seen_at", timedelta(minutes=119), True),  # idle under [server] 120 minutes
        ("last_seen_at", timedelta(minutes=121), False),
    ],
)
def test_a_session_ends_at_its_expiry_and_when_idle(
    site: Site, column: str, ago: timedelta, alive: bool
) -> None:
    browser = client(site.root)
    sign_in(browser, "ben")
    digest = hashlib.sha256(browser.cookies[COOKIE].encode()).hexdigest()
    with opened(site.root) as ws:
        ws.store.sql(
            f"UPDATE web_session SET {column} = ? WHERE session_hash = ?",
            [datetime.now(UTC) - ago, digest],
        )
    page = browser.get("/probe", params={"team": "payments"})
    if alive:
        assert page.status_code == 200
    else:
        assert (page.status_code, page.headers["location"]) == (
            303,
            "/signin?next=/probe%3Fteam%3Dpayments",
        )
        assert set_cookie(page).value == ""  # the ended cookie is dropped
        assert with_cookie(site.root, digest).get("/api/v1/teams").status_code == 401


def test_idle_minutes_and_session_hours_are_settings(site: Site) -> None:
    configure(site.root, session_idle_minutes=30, session_hours=1)
    browser = client(site.root)
    cookie = set_cookie(sign_in(browser, "ben"))
    assert int(cookie["max-age"]) == 3600
    digest = hashlib.sha256(cookie.value.encode()).hexdigest()
    with opened(site.root) as ws:
        [(created, expires)] = ws.store.sql(
            "SELECT created_at, expires_at FROM web_session WHERE session_hash = ?", [digest]
        )
        assert expires - created == timedelta(hours=1)
        ws.store.sql(
            "UPDATE web_session SET last_seen_at = now() - INTERVAL 31 MINUTE "
            "WHERE session_hash = ?",
            [digest],
        )
    assert browser.get("/probe").status_code == 303


def test_an_unknown_page_sends_the_browser_to_sign_in_and_back(site: Site) -> None:
    browser = client(site.root)
    page = browser.get("/probe", params={"team": "payments", "q": "a b"})
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/probe%3Fteam%3Dpayments%26q%3Da%2Bb"
    back = sign_in(browser, "ben", next="/probe?team=payments&q=a+b")
    assert back.headers["location"] == "/probe?team=payments&q=a+b"
    shown = browser.get(back.headers["location"], headers={"X-Request-Id": "page-1"}).json()
    assert shown["actor"] == "user:ben"
    assert shown["request"] == "page-1"
    assert shown["csrf"] == session_csrf(browser.cookies[COOKIE])


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/flow?team=payments", "/flow?team=payments"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_after_signing_in_the_browser_goes_only_to_a_local_path(
    site: Site, asked: str, goes: str
) -> None:
    assert sign_in(client(site.root), "ben", next=asked).headers["location"] == goes


def test_a_sign_in_form_sent_from_another_site_is_refused(site: Site) -> None:
    browser = client(site.root)
    browser.headers["Origin"] = "https://evil.example"
    refused = sign_in(browser, "ben")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")
    assert "set-cookie" not in refused.headers
    browser.headers["Origin"] = "null"
    assert sign_in(browser, "ben").status_code == 403
    browser.headers["Origin"] = "http://test"
    assert sign_in(browser, "ben").status_code == 303


def test_a_page_write_needs_the_session_s_csrf_token(site: Site) -> None:
    browser = with_cookie(site.root, site.sessions[MEMBER])
    token = browser.get("/probe").json()["csrf"]
    other = session_csrf(site.sessions["admin's session"])
    refused = [
        browser.post("/probe"),
        browser.post("/probe", data={"csrf_token": ""}),
        browser.post("/probe", data={"csrf_token": "guessed"}),
        browser.post("/probe", data={"csrf_token": other}),  # another session's
        browser.post("/probe", headers={CSRF_HEADER: other}),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [(403, "csrf")] * 5
    page = browser.post("/probe", headers={"Accept": "text/html"}, data={"x": "1"})
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "This form was refused" in page.text
    assert browser.post("/probe", data={"csrf_token": token}).json() == "user:ben"
    assert browser.post("/probe", headers={CSRF_HEADER: token}).json() == "user:ben"  # htmx
    anonymous = client(site.root).post("/probe", data={"csrf_token": token})
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (403, "csrf")


def test_the_api_takes_a_session_write_only_with_its_csrf_header(site: Site) -> None:
    body = {"team_id": "payments", "title": "Ship dark mode", "options": ["yes", "no"]}
    cookie = site.sessions[MEMBER]
    browser = with_cookie(site.root, cookie)
    refused = browser.post("/api/v1/decisions", json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf")
    made = browser.post("/api/v1/decisions", json=body, headers={CSRF_HEADER: session_csrf(cookie)})
    assert made.status_code == 200, made.text
    with opened(site.root) as ws:
        [row] = [e for e in events(ws, object="decision") if e.action == "decision.new"]
        assert row.actor == "user:ben"
    # a token needs no CSRF header, and wins over a cookie sent with it
    token = {"Authorization": f"Bearer {site.tokens['viewer']}"}
    assert browser.post("/api/v1/decisions", json=body, headers=token).status_code == 403


def test_signing_in_and_out_leave_one_audit_row_each_without_secrets(site: Site) -> None:
    with opened(site.root) as ws:
        before = len(events(ws))
    browser = client(site.root)
    browser.headers["X-Request-Id"] = "sign-in-1"
    sign_in(browser, "ben")
    cookie = browser.cookies[COOKIE]
    browser.headers["X-Request-Id"] = "sign-out-1"
    browser.post("/signout", data={"csrf_token": session_csrf(cookie)})
    with opened(site.root) as ws:
        rows = events(ws)[before:]
    assert [(r.action, r.actor, r.request_id) for r in rows] == [
        ("session.sign_in", "user:ben", "sign-in-1"),
        ("session.sign_out", "user:ben", "sign-out-1"),
    ]
    assert rows[0].object == rows[1].object
    assert rows[0].after is not None
    assert rows[0].after["method"] == "password"
    assert rows[0].after["user_id"] == "ben"
    assert rows[1].before == rows[0].after
    assert rows[1].after is None
    digest = hashlib.sha256(cookie.encode()).hexdigest()
    for secret in (cookie, digest, session_csrf(cookie)):
        assert secret not in repr(rows)


def test_only_the_hash_of_the_session_cookie_is_stored(site: Site) -> None:
    browser = client(site.root)
    sign_in(browser, "ben")
    cookie = browser.cookies[COOKIE]
    assert browser.get("/probe").status_code == 200
    with opened(site.root) as ws:
        stored = ws.store.sql("SELECT session_hash FROM web_session WHERE user_id = 'ben'")
        assert (hashlib.sha256(cookie.encode()).hexdigest(),) in stored
        tables = [r[0] for r in ws.store.sql("SELECT table_name FROM information_schema.tables")]
        for table in tables:
            text = ws.store.sql(
                f"SELECT coalesce(string_agg(t::VARCHAR, ''), '') FROM \"{table}\" t"
            )
            assert cookie not in text[0][0], table
            assert session_csrf(cookie) not in text[0][0], table
    for path in site.root.rglob("*"):
        if path.is_file():
            assert cookie.encode() not in path.read_bytes(), path
    assert (site.root / STORE_FILE).exists()
