"""Signing in through OpenID Connect, end to end against a real provider on 127.0.0.1
(`oidc_provider`, Authlib's authorization server): the test is the browser, following each
redirect itself, from productops to the provider and back; and the refusals: a wrong state, a
wrong nonce, a changed PKCE challenge, a callback in another browser, unknown, unverified and
disabled identities, a wrong client secret."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from starlette.testclient import TestClient

from productops.config import CONFIG_FILE, OidcSettings, load_config, write_config
from productops.errors import ConfigError
from productops.services.audit import events
from productops.services.users import add_user, disable_user, find_user
from productops.web.app import create_app
from productops.web.auth import COOKIE
from productops.web.signin import FLOW_COOKIE
from productops.workspace import Workspace
from tests.web.conftest import ME, Site, copy_site
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, serving

if TYPE_CHECKING:
    import httpx2  # what Starlette's TestClient answers with

APP = "http://productops.test"  # where the browser reaches productops
CALLBACK = APP + "/signin/oidc/callback"
BEN = {"sub": "u-1", "email": "ben@acme.example", "email_verified": True, "name": "Ben"}
SECRET_ENV = "TEST_PRODUCTOPS_OIDC_SECRET"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with serving(Provider(person=dict(BEN), redirect_uris=[CALLBACK])) as running:
        yield running


def configure(root: Path, **oidc: Any) -> None:
    config = load_config(root / CONFIG_FILE)
    server = config.server.model_copy(update={"oidc": OidcSettings.model_validate(oidc)})
    write_config(root / CONFIG_FILE, config.model_copy(update={"server": server}))


@pytest.fixture
def site(served: Site, tmp_path: Path, provider: Provider, monkeypatch: pytest.MonkeyPatch) -> Site:
    copied = copy_site(served, tmp_path / "ws")
    ws = Workspace.open(copied.root)
    try:
        add_user(ws, ME, "ben@acme.example", role="member", teams=["payments"])
    finally:
        ws.close()
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    configure(
        copied.root,
        server_metadata_url=provider.discovery_url,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        label="Acme SSO",
    )
    return copied


def browser(root: Path) -> TestClient:
    return TestClient(create_app(root), base_url=APP, follow_redirects=False)


def leave(app: TestClient, next: str = "/") -> str:
    """Click "sign in with the provider": where productops sends the browser."""
    response = app.get("/signin/oidc", params={"next": next})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def at_provider(url: str) -> str:
    """The provider's authorization page (which approves at once): where it sends the
    browser back."""
    with httpx.Client(timeout=10) as http:
        response = http.get(url)
    assert response.status_code == 302, response.text
    return str(response.headers["location"])


def back(app: TestClient, url: str) -> httpx2.Response:
    """The browser back at productops' callback."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return app.get(f"{parts.path}?{parts.query}")


def changed(url: str, **params: str) -> str:
    """`url` with some of its query parameters changed."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return urlunsplit(parts._replace(query=urlencode(query)))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sessions_of(root: Path, user: str) -> int:
    ws = Workspace.open(root)
    try:
        return int(ws.store.sql("SELECT count(*) FROM web_session WHERE user_id = ?", [user])[0][0])
    finally:
        ws.close()


def test_signing_in_through_the_provider_end_to_end(site: Site, provider: Provider) -> None:
    app = browser(site.root)
    assert "Sign in with Acme SSO" in app.get("/signin").text
    asked = leave(app, next="/flow?team=payments")
    sent = query(asked)
    assert asked.startswith(provider.issuer + "/authorize?")
    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == CALLBACK
    assert sent["response_type"] == "code"
    assert sent["scope"] == "openid email profile"
    assert sent["code_challenge_method"] == "S256"
    assert min(len(sent["state"]), len(sent["nonce"])) >= 43
    assert FLOW_COOKIE in app.cookies

    answer = at_provider(asked)
    assert query(answer)["state"] == sent["state"]
    done = back(app, answer)
    assert done.status_code == 303, done.text
    assert (done.status_code, done.headers["location"]) == (303, "/flow?team=payments")
    cookies = [SimpleCookie(c) for c in done.headers.get_list("set-cookie")]
    [session] = [c[COOKIE] for c in cookies if COOKIE in c]
    assert session["httponly"] is True
    assert session["samesite"].lower() == "lax"
    assert [c[FLOW_COOKIE].value for c in cookies if FLOW_COOKIE in c] == [""]  # dropped

    assert app.get("/api/v1/teams").status_code == 200
    assert app.get("/api/v1/audit").status_code == 403  # ben is a member
    # PKCE: the token request carried the verifier whose S256 is the challenge sent
    [token_request] = provider.token_requests
    verifier = token_request["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == sent["code_challenge"]
    assert token_request["redirect_uri"] == CALLBACK
    assert "client_secret" not in token_request  # sent in the Authorization header
    ws = Workspace.open(site.root)
    try:
        [row] = [e for e in events(ws, object="web_session") if e.actor == "user:ben@acme.example"]
    finally:
        ws.close()
    assert (row.action, row.after and row.after["method"]) == ("session.sign_in", "oidc")


def test_a_wrong_state_is_refused_and_ends_the_sign_in(site: Site) -> None:
    app = browser(site.root)
    answer = at_provider(leave(app))
    refused = back(app, changed(answer, state="a-state-of-another-sign-in"))
    assert refused.status_code == 401
    assert "does not belong to this sign-in (state)" in refused.text
    assert COOKIE not in app.cookies
    again = back(app, answer)  # the right answer now comes too late: the sign-in is over
    assert again.status_code == 400
    assert sessions_of(site.root, "ben@acme.example") == 0


def test_a_wrong_nonce_is_refused(site: Site) -> None:
    app = browser(site.root)
    asked = leave(app)
    refused = back(app, at_provider(changed(asked, nonce="a-nonce-of-another-sign-in")))
    assert refused.status_code == 401
    assert "the ID token was refused" in refused.text
    assert "nonce" in refused.text
    assert sessions_of(site.root, "ben@acme.example") == 0


def test_a_changed_pkce_challenge_gets_no_token(site: Site) -> None:
    app = browser(site.root)
    other = base64.urlsafe_b64encode(hashlib.sha256(b"x").digest()).decode().rstrip("=")
    refused = back(app, at_provider(changed(leave(app), code_challenge=other)))
    assert refused.status_code == 401
    assert "refused the code: invalid_grant" in refused.text
    assert sessions_of(site.root, "ben@acme.example") == 0


def test_an_answer_brought_to_another_browser_is_refused(site: Site) -> None:
    """Login CSRF: an attacker's own code, slipped into a victim's browser, signs no one in."""
    attacker, victim = browser(site.root), browser(site.root)
    answer = at_provider(leave(attacker))
    refused = back(victim, answer)
    assert refused.status_code == 400
    assert "not started here" in refused.text
    assert COOKIE not in victim.cookies


@pytest.mark.parametrize(
    ("person", "message"),
    [
        (BEN | {"email": "zed@acme.example"}, "zed@acme.example has no productops account"),
        (BEN | {"email_verified": False}, "has not verified the e-mail address"),
        ({k: v for k, v in BEN.items() if k != "email"}, "the provider sent no email claim"),
    ],
)
def test_an_identity_without_a_usable_account_is_refused(
    site: Site, provider: Provider, person: dict[str, Any], message: str
) -> None:
    provider.person = person
    app = browser(site.root)
    refused = back(app, at_provider(leave(app)))
    assert refused.status_code == 401
    assert message in refused.text
    assert COOKIE not in app.cookies


def test_unknown_identities_may_be_added_as_viewers(site: Site, provider: Provider) -> None:
    configure(
        site.root,
        server_metadata_url=provider.discovery_url,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        unknown_users="viewer",
    )
    provider.person = BEN | {"email": "zed@acme.example", "name": "Zed"}
    app = browser(site.root)
    assert back(app, at_provider(leave(app))).status_code == 303
    assert app.get("/api/v1/teams").status_code == 200
    ws = Workspace.open(site.root)
    try:
        zed = find_user(ws, "zed@acme.example")
        rows = [(e.action, e.actor) for e in events(ws, user="zed@acme.example")]
    finally:
        ws.close()
    assert (zed.role, zed.display_name, zed.has_password) == ("viewer", "Zed", False)
    assert rows == [("user.add", "user:zed@acme.example"), ("session.sign_in", "user:zed@acme.example")]  # fmt: skip


def test_a_disabled_user_cannot_sign_in_through_the_provider(site: Site) -> None:
    ws = Workspace.open(site.root)
    try:
        disable_user(ws, ME, "ben@acme.example")
    finally:
        ws.close()
    app = browser(site.root)
    refused = back(app, at_provider(leave(app)))
    assert (refused.status_code, "is disabled" in refused.text) == (401, True)


def test_the_client_secret_is_read_from_the_environment_and_never_shown(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "a-wrong-secret-" + "w" * 20
    monkeypatch.setenv(SECRET_ENV, wrong)
    app = browser(site.root)
    refused = back(app, at_provider(leave(app)))
    assert refused.status_code == 401
    assert "invalid_client" in refused.text
    monkeypatch.delenv(SECRET_ENV)
    unset = app.get("/signin/oidc")
    assert unset.status_code == 502
    assert f"the environment variable {SECRET_ENV} is not set" in unset.text
    for text in (refused.text, unset.text, *(p.read_text() for p in site.root.glob("*.toml"))):
        assert wrong not in text
        assert CLIENT_SECRET not in text


def test_a_secret_where_its_variable_name_belongs_is_refused_unseen(site: Site) -> None:
    text = (site.root / CONFIG_FILE).read_text()
    planted = "pasted-Secret-" + "9" * 20
    (site.root / CONFIG_FILE).write_text(
        text.replace(f'client_secret_env = "{SECRET_ENV}"', f'client_secret_env = "{planted}"')
    )
    with pytest.raises(ConfigError) as refused:
        load_config(site.root / CONFIG_FILE)
    assert "server.oidc.client_secret_env: takes the NAME of an environment variable" in str(
        refused.value
    )
    assert planted not in str(refused.value)


def test_the_redirect_uri_follows_public_url_or_the_trusted_proxy(site: Site) -> None:
    behind = browser(site.root)
    behind.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ops.acme.example"})
    assert query(leave(behind))["redirect_uri"] == CALLBACK  # the proxy is not trusted
    config = load_config(site.root / CONFIG_FILE)
    trusting = config.server.model_copy(update={"trust_proxy": True})
    write_config(site.root / CONFIG_FILE, config.model_copy(update={"server": trusting}))
    assert query(leave(behind))["redirect_uri"] == "https://ops.acme.example/signin/oidc/callback"
    public = trusting.model_copy(update={"public_url": "https://productops.acme.example/"})
    write_config(site.root / CONFIG_FILE, config.model_copy(update={"server": public}))
    sent = query(leave(behind))["redirect_uri"]
    assert sent == "https://productops.acme.example/signin/oidc/callback"


def test_without_a_provider_there_is_no_provider_sign_in(served: Site) -> None:
    app = browser(served.root)
    assert app.get("/signin/oidc").status_code == 404
    assert "Sign in with" not in app.get("/signin").text
