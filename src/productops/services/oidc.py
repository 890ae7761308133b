"""Signing in through an OpenID Connect provider (`[server.oidc]`: Google, Okta, Entra ID,
Keycloak, any with a discovery document), with Authlib.

The authorization code flow, with the three checks that tie the answer to this browser's
request: `state` (the callback's must be the one sent, else another site's code could be
slipped in), `nonce` (the ID token must carry the one sent, else an old token could be
replayed) and PKCE S256 (the provider hands out tokens only to whoever holds the code
verifier). The ID token is checked against the provider's keys (JWKS), issuer, audience (the
client id) and expiry. `begin` and `identify` talk to the provider and never open the store;
`sign_in_identity` maps the identity to a productops user and starts a session
(`services.sessions`). The client secret is read from the environment (or a file outside the
workspace) when needed and never shown.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from productops.config import (
    CONFIG_FILE,
    OidcSettings,
    ServerSettings,
    api_url_problem,
    load_config,
)
from productops.connectors.base import ConnectorError
from productops.connectors.secrets import read_secret
from productops.errors import AuthenticationError, SignInProviderError
from productops.services.actor import Actor
from productops.services.sessions import NewSession, start_session
from productops.services.users import add_user

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["Pending", "Provider", "begin", "identify", "provider", "sign_in_identity"]

TIMEOUT_SECONDS = 10.0  # each request to the provider
LEEWAY_SECONDS = 120  # clock skew allowed on the ID token's times
_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class Provider:
    """The configured provider (`server.oidc`), its discovery document and the client secret
    (None: a public client, protected by PKCE alone)."""

    server: ServerSettings
    metadata: dict[str, Any]
    client_secret: str | None

    @property
    def settings(self) -> OidcSettings:
        assert self.server.oidc is not None
        return self.server.oidc

    def client(self, redirect_uri: str) -> OAuth2Client:
        """Authlib's client for this provider, sending PKCE S256."""
        return OAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
            scope=" ".join(self.settings.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
        )


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to the provider, kept by the server until the browser comes back."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str


def _get(url: str, what: str) -> dict[str, Any]:
    """A JSON document of the provider's; a fault is a `SignInProviderError` naming `what`."""
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        found = response.json()
    except (httpx.HTTPError, ValueError) as exc:  # network, HTTP status, JSON
        raise SignInProviderError(
            f"the sign-in provider's {what} ({url}) cannot be read: {type(exc).__name__}; "
            "check [server.oidc] server_metadata_url and that the provider is reachable"
        ) from None
    if not isinstance(found, dict):
        raise SignInProviderError(f"the sign-in provider's {what} ({url}) is not a JSON object")
    return found


def provider(root: Path) -> Provider | None:
    """The provider `[server.oidc]` of the workspace in `root` configures (None: passwords
    only), with its discovery document fetched now."""
    server = load_config(root / CONFIG_FILE).server
    settings = server.oidc
    if settings is None:
        return None
    if "openid" not in settings.scopes:
        raise SignInProviderError("[server.oidc] scopes must include openid")
    metadata = _get(settings.server_metadata_url, "discovery document")
    for key in ("issuer", *_ENDPOINTS):
        value = metadata.get(key)
        problem = "is missing" if not isinstance(value, str) else api_url_problem(value)
        if problem:
            raise SignInProviderError(
                f"{settings.server_metadata_url}: {key} {problem}; is it an OpenID Connect "
                "discovery document?"
            )
    try:
        secret = read_secret(
            env=settings.client_secret_env,
            file=settings.client_secret_file,
            workspace=root,
            what="[server.oidc] client secret",
            required=bool(settings.client_secret_env or settings.client_secret_file),
        )
    except ConnectorError as exc:
        raise SignInProviderError(str(exc)) from None
    return Provider(server, metadata, secret)


def begin(found: Provider, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    """Where to send the browser (the provider's authorization URL), and what to keep until
    it comes back to `redirect_uri`."""
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),
        redirect_uri=redirect_uri,
        next_path=next_path,
    )
    with found.client(redirect_uri) as client:
        url, _ = client.create_authorization_url(
            found.metadata["authorization_endpoint"],
            state=pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
    return str(url), pending


def identify(found: Provider, pending: Pending, answer: Mapping[str, str]) -> dict[str, Any]:
    """The claims of the ID token the provider gives for the callback's `answer` (its query:
    `code` and `state`, or `error`), checked; a refusal is an `AuthenticationError`."""
    if "error" in answer:
        what = answer.get("error_description") or answer["error"]
        raise AuthenticationError(f"the sign-in provider refused: {what[:200]}")
    if not hmac.compare_digest(answer.get("state", "").encode(), pending.state.encode()):
        raise AuthenticationError("the sign-in answer does not belong to this sign-in (state)")
    code = answer.get("code")
    if not code:
        raise AuthenticationError("the sign-in provider sent no code; try again")
    try:
        with found.client(pending.redirect_uri) as client:
            token = client.fetch_token(
                found.metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
            )
    except AuthlibBaseError as exc:  # the provider's refusal, e.g. invalid_grant
        raise AuthenticationError(f"the sign-in provider refused the code: {exc.error}") from None
    except Exception as exc:
        raise SignInProviderError(
            f"the sign-in provider's token endpoint cannot be used: {type(exc).__name__}"
        ) from None
    if "id_token" not in token:
        raise SignInProviderError("the sign-in provider sent no ID token; is openid in scopes?")
    return _claims(found, pending, token)


def _claims(found: Provider, pending: Pending, token: Mapping[str, Any]) -> dict[str, Any]:
    keys = KeySet.import_key_set(_get(found.metadata["jwks_uri"], "keys (JWKS)"))  # type: ignore[arg-type]
    algorithms = found.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        decoded = jwt.decode(
            token["id_token"], keys, registry=JWSRegistry(algorithms=[*algorithms])
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": found.metadata["issuer"]},
                "aud": {"essential": True, "value": found.settings.client_id},
            },
            {
                "nonce": pending.nonce,
                "client_id": found.settings.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        what = getattr(exc, "description", None) or getattr(exc, "error", None) or exc
        raise AuthenticationError(f"the ID token was refused: {what}") from None
    return dict(claims)


def sign_in_identity(
    ws: Workspace,
    claims: Mapping[str, Any],
    *,
    request_id: str | None = None,
    replacing: str | None = None,
) -> NewSession:
    """Start a session for the productops user the identity names: the value of
    `[server.oidc] user_claim` is the user name (matched ignoring case). A name with no user is
    refused, or added as a viewer when `unknown_users = "viewer"` (its own `user.add` row)."""
    settings = ws.config.server.oidc
    if settings is None:
        raise AuthenticationError("sign-in through a provider is not configured here")
    claim = settings.user_claim
    name = claims.get(claim)
    if not isinstance(name, str) or not name:
        raise AuthenticationError(f"the provider sent no {claim} claim; ask an admin")
    if claim == "email" and claims.get("email_verified") is False:
        raise AuthenticationError(f"the provider has not verified the e-mail address {name}")
    rows = ws.store.sql(
        "SELECT id, disabled_at FROM app_user WHERE lower(id) = lower(?) ORDER BY id", [name]
    )
    if not rows and settings.unknown_users == "viewer":
        shown = claims.get("name")
        add_user(
            ws,
            Actor(f"user:{name}", request_id),
            name,
            role="viewer",
            display_name=shown if isinstance(shown, str) else None,
        )
        rows = [(name, None)]
    if len(rows) != 1:
        raise AuthenticationError(
            f"{name} has no productops account; ask an admin (`productops user add {name}`)"
        )
    [(user_id, disabled_at)] = rows
    if disabled_at is not None:
        raise AuthenticationError(f"user {user_id} is disabled; ask an admin")
    return start_session(ws, user_id, "oidc", request_id=request_id, replacing=replacing)
