"""Privacy of feedback: redact contact and card details from text; keep people only as salted hashes.

- `redact(text)`: e-mail addresses, IBANs, card numbers, IP addresses and
  phone numbers replaced by `[email]`, `[iban]`, `[card]`, `[ip]`, `[phone]`
  (`ingest.redaction`).
- `scrub(payload, salt)`: a raw payload with every string redacted (but the
  values of ids, URLs, dates and types), a person's name (`name`, `first name`,
  ... in an object that holds an e-mail address) removed, and a whole-value e-mail
  replaced by a pseudonym that keeps its domain (`pseudonym-<hash>@domain`),
  so raw records can be re-mapped and matched to accounts without holding
  the address.
- `person_hash(salt, identity)`: SHA-256 of the workspace salt and the
  identity (case-folded), the only trace of a person in `feedback`.
- `workspace_salt(root)`: the workspace's secret salt (shared with survey
  respondent hashes), never inside the workspace, so that a copy of the
  workspace cannot be used to match hashes against guessed names:
  `PRODUCTOPS_SALT`, else a key file in `~/.config/productops/salts/` named by
  the workspace's id (`.workspace-id`), made on first use, readable by its
  owner only.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import Any

from productops.errors import ConfigError, WorkspaceError
from productops.ingest.redaction import luhn_valid, redact, redact_all

__all__ = [
    "SALT_ENV",
    "SALT_FILE",
    "domain_of",
    "key_dir",
    "luhn_valid",
    "person_hash",
    "redact",
    "redact_all",
    "scrub",
    "text_hash",
    "workspace_salt",
]

SALT_FILE = ".survey-salt"
"""Where older versions kept the salt, inside the workspace; moved out on first use."""
SALT_ENV = "PRODUCTOPS_SALT"
WORKSPACE_ID_FILE = ".workspace-id"
_WHOLE_EMAIL = re.compile(r"[\w.%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})")
# Keys whose values identify records rather than hold text: never redacted.
_KEEP = re.compile(r"(?:id|ids|url|uri|link|_at|date|cursor|timestamp|type|key)$")
# Keys of a person's name, dropped from an object that also holds an e-mail.
_NAMES = re.compile(r"(?:first|last|full|given|family|contact|respondent|customer)?[ _]?name")


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a redacted text: the key of the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def person_hash(salt: str, identity: str) -> str:
    """SHA-256 (hex) of the salt and a person's identity (e-mail or id, case-folded)."""
    return hashlib.sha256(f"{salt}\x00{identity.strip().casefold()}".encode()).hexdigest()


def domain_of(identity: str | None) -> str | None:
    """The lower-case domain of an e-mail address (or pseudonym), else None.

    >>> domain_of("Ana.Lopez@Acme.IO")
    'acme.io'
    """
    found = _WHOLE_EMAIL.fullmatch(identity.strip()) if identity else None
    return found.group(1).lower() if found else None


def scrub(payload: Any, salt: str) -> Any:
    """A raw payload safe to keep: see the module docstring."""
    if isinstance(payload, dict):
        person = any(isinstance(v, str) and domain_of(v) for v in payload.values())
        return {
            key: _scrub_value(key, value, salt)
            for key, value in payload.items()
            if not (person and _NAMES.fullmatch(str(key).casefold()))
        }
    if isinstance(payload, list):
        return [scrub(item, salt) for item in payload]
    if isinstance(payload, str):
        return _scrub_text(payload, salt)
    return payload


def _scrub_value(key: str, value: Any, salt: str) -> Any:
    if isinstance(value, str) and _KEEP.search(str(key).casefold()):
        return value
    return scrub(value, salt)


def _scrub_text(text: str, salt: str) -> str:
    domain = domain_of(text)
    if domain is not None:
        if text.startswith("pseudonym-"):
            return text
        return f"pseudonym-{person_hash(salt, text)[:24]}@{domain}"
    return redact(text)


def workspace_salt(root: Path) -> str:
    """The workspace's secret salt, kept outside the workspace (module docstring).

    `PRODUCTOPS_SALT` when set; else the key file `salts/<workspace id>.salt` in
    `key_dir()`, made on first use (readable by its owner only). A `.survey-salt`
    left in the workspace by an older productops moves there (its value kept,
    the workspace copy removed).
    """
    given = os.environ.get(SALT_ENV, "").strip()
    path = key_dir() / "salts" / f"{_workspace_id(root)}.salt"
    old = root / SALT_FILE
    if old.exists():
        _move_old_salt(old, path, given)
    if given:
        if len(given) < 32:
            raise ConfigError(
                f"{SALT_ENV}: give at least 32 characters of secret (e.g. 64 hex digits)"
            )
        return given
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def key_dir() -> Path:
    """Where productops keeps keys outside any workspace: `$XDG_CONFIG_HOME/productops`
    (default `~/.config/productops`)."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "productops"


def _workspace_id(root: Path) -> str:
    """The workspace's random id (`.workspace-id`, not secret), made on first use."""
    path = root / WORKSPACE_ID_FILE
    if not path.exists():
        path.write_text(secrets.token_hex(16) + "\n", encoding="utf-8")
    ident = path.read_text(encoding="utf-8").strip()
    if not re.fullmatch(r"[0-9a-f]{32}", ident):
        raise WorkspaceError(
            f"{path}: not a workspace id (32 hex digits); restore it from a backup"
        )
    return ident


def _move_old_salt(old: Path, path: Path, given: str) -> None:
    """Move a salt kept in the workspace (older versions) to `path`, or check it matches."""
    value = old.read_text(encoding="utf-8").strip()
    kept = given or (path.read_text(encoding="utf-8").strip() if path.exists() else None)
    if kept is None:
        _write_private(path, value)
    elif kept != value:
        where = SALT_ENV if given else str(path)
        raise WorkspaceError(
            f"{old}: an old salt that differs from the one in {where}; keep the one the stored "
            f"hashes were made with and delete the other"
        )
    old.unlink()


def _write_private(path: Path, value: str) -> None:
    """Write `value` to a new file readable by its owner only, durably."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
        f.flush()
        os.fsync(f.fileno())
