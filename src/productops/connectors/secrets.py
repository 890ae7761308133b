"""Secrets: read at sync time from an environment variable or a file outside the workspace.

Settings name where a secret is (`token_env`, `token_file`), never the secret
itself; no message here ever holds a secret's value. `redact_url` takes what
could be a secret out of a URL before it is shown or stored.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from productops.connectors.base import ConnectorError
from productops.errors import UsageError

__all__ = ["check_env_name", "check_secret_file", "read_secret", "redact_url", "url_secrets"]

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
# Query parameters that carry secrets: ?token=, access_token=, api_key=, key=, sig=, ...
_SECRET_PARAM = re.compile(
    r"(?i)(?<![^&])([^&=]*(?:token|secret|passw|pwd|api[_-]?key|credential|session)[^&=]*"
    r"|key|sig|signature|auth|code)=([^&]*)"
)


def redact_url(url: str) -> str:
    """`url` without `user:password@` and with the values of secret-looking query parameters as ***.

    >>> redact_url("https://me:pw@host/p?page=2&access_token=abc")
    'https://host/p?page=2&access_token=***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a URL that cannot be read)"
    host = parts.netloc.rpartition("@")[2]
    query = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", parts.query)
    if (host, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The secrets `redact_url` takes out of `url` (as written and decoded), to mask them elsewhere.

    Values shorter than 4 characters are left out: masking them in every
    message would garble it.

    >>> url_secrets("https://me:pw@host/p?page=2&access_token=a%2Bb")
    ['pw', 'a%2Bb', 'a+b']
    """
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    found += [m.group(2) for m in _SECRET_PARAM.finditer(parts.query)]
    both = [v for value in found for v in dict.fromkeys((value, unquote(value)))]
    return [value for value in both if len(value) >= 4]


def check_env_name(name: str, option: str) -> str:
    """`name` if it can be an environment variable's name; the value itself is never echoed.

    Upper case only: a token pasted by mistake (they mix cases) is refused.
    """
    if not _ENV_NAME.fullmatch(name):
        raise UsageError(
            f"{option} takes the NAME of an environment variable (A-Z, 0-9, _), e.g. JIRA_TOKEN, "
            "not the secret itself; export the secret in that variable"
        )
    return name


def check_secret_file(path: Path, workspace: Path, option: str = "--token-file") -> Path:
    """`path` resolved, refusing a file inside the workspace (whose files may be shared)."""
    resolved = path.expanduser().resolve()
    if resolved.is_relative_to(workspace.resolve()):
        raise UsageError(
            f"{option} {path}: the file is inside the workspace {workspace}; keep secrets outside "
            "it (e.g. ~/.config/productops/) so they are never shared with the workspace"
        )
    return resolved


def read_secret(
    *, env: str | None, file: str | None, workspace: Path, what: str, required: bool = True
) -> str | None:
    """The secret from `file` (outside `workspace`) or the environment variable `env`.

    `what` names it in messages, e.g. "jira API token". Returns None when it is
    not required and not set.
    """
    if file:
        try:
            path = check_secret_file(Path(file), workspace, "token_file")
        except UsageError as exc:
            raise ConnectorError(str(exc)) from None
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConnectorError(
                f"{what}: cannot read token_file {path} ({exc.strerror}); check the path in "
                "the connectors section of productops.toml"
            ) from None
        if not value:
            raise ConnectorError(f"{what}: token_file {path} is empty")
        return value
    if env:
        value = os.environ.get(env, "").strip()
        if value:
            return value
        if required:
            raise ConnectorError(
                f"{what}: the environment variable {env} is not set; export it "
                f"(e.g. `export {env}=...`) before syncing; productops never stores it"
            )
        return None
    if required:
        raise ConnectorError(
            f"{what}: no token_env or token_file in the connectors section of productops.toml; run "
            "`productops connect` again with --token-env or --token-file"
        )
    return None
