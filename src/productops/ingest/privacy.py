"""Privacy of feedback: redact contact and card details from text; keep people only as salted hashes.

- `redact(text)`: e-mail addresses, IBANs, card numbers, IP addresses and
  phone numbers replaced by `[email]`, `[iban]`, `[card]`, `[ip]`, `[phone]`
  (`ingest.redaction`).
- `scrub(payload, salt, identities)`: a raw payload with every string
  redacted (ids, URLs, dates and types keep their digits, but an e-mail address
  in them becomes a pseudonym), a person's name (`name`, `first name`, ... in an
  object that holds an e-mail address) removed, and a whole-value e-mail, or
  the value of an identity key (a nickname, a user id), replaced by a
  pseudonym (`pseudonym-<hash>`, `@domain` kept for an e-mail), so raw
  records can be re-mapped and matched to accounts without holding the person.
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
from collections.abc import Collection
from pathlib import Path
from typing import Any

from productops.errors import ConfigError, WorkspaceError
from productops.ingest.redaction import EMAIL, luhn_valid, redact, redact_all

__all__ = [
    "SALT_ENV",
    "SALT_FILE",
    "domain_of",
    "key_dir",
    "luhn_valid",
    "person_hash",
    "pseudonym",
    "redact",
    "redact_all",
    "scrub",
    "scrub_line",
    "text_hash",
    "workspace_salt",
]

SALT_FILE = ".survey-salt"
"""Where older versions kept the salt, inside the workspace; moved out on first use."""
SALT_ENV = "PRODUCTOPS_SALT"
WORKSPACE_ID_FILE = ".workspace-id"
_WHOLE_EMAIL = re.compile(r"[\w.%+-]+@((?:[\w-]+\.)+(?:[^\W\d_]{2,}|xn--[\w-]+))")
# Keys whose values identify records rather than hold text: never redacted.
_KEEP = re.compile(r"(?:id|ids|url|uri|link|_at|date|cursor|timestamp|type|key)$")
# Keys of a person's name, dropped from an object that also holds an e-mail.
_NAMES = re.compile(r"(?:first|last|full|given|family|contact|respondent|customer)?[ _]?name")
_NAME_VALUE = re.compile(
    r'("(?:first|last|full|given|family|contact|respondent|customer)?[ _]?name"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)
_PERSON_TYPES = {"user", "contact", "lead", "admin", "author", "end-user", "agent", "customer"}


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


def scrub(payload: Any, salt: str, identities: Collection[str] = ()) -> Any:
    """A raw payload safe to keep: see the module docstring.

    `identities` are keys (folded: lower case, no spaces, dashes or
    underscores) whose whole values name a person, such as an app-store
    nickname or a user id: they become pseudonyms.
    """
    if isinstance(payload, dict):
        person = _is_person(payload)
        return {
            key: _scrub_value(str(key), value, salt, identities)
            for key, value in payload.items()
            if not (person and _NAMES.fullmatch(str(key).casefold()))
        }
    if isinstance(payload, list):
        return [scrub(item, salt, identities) for item in payload]
    if isinstance(payload, str):
        return _scrub_text(payload, salt)
    return payload


def _is_person(payload: dict[Any, Any]) -> bool:
    """Whether an object describes a person: it holds an e-mail address, a phone or a role,
    or its type is a user, contact, lead, admin or author."""
    if any(isinstance(v, str) and domain_of(v) for v in payload.values()):
        return True
    if {"email", "phone", "role"} & {str(k).casefold() for k in payload}:
        return True
    return str(payload.get("type", "")).casefold() in _PERSON_TYPES


def scrub_line(text: str) -> str:
    """An unreadable line of a personal source, safe to keep in `quarantine`: redacted, and
    the values of name keys (`"name": "..."`, as JSON would write them) blanked."""
    return _NAME_VALUE.sub(r'\1"[name]"', redact(text))


def pseudonym(salt: str, identity: str) -> str:
    """`pseudonym-<24 hex digits of the salted hash>`, `@domain` kept for an e-mail address."""
    if identity.startswith("pseudonym-"):
        return identity
    domain = domain_of(identity)
    return f"pseudonym-{person_hash(salt, identity)[:24]}" + (f"@{domain}" if domain else "")


def _scrub_value(key: str, value: Any, salt: str, identities: Collection[str]) -> Any:
    if not isinstance(value, str):
        return scrub(value, salt, identities)
    folded = re.sub(r"[\s_\-]+", "", key.casefold())
    if folded in identities:
        return pseudonym(salt, value)
    if _KEEP.search(key.casefold()):  # ids and URLs keep their digits, not their e-mails
        return EMAIL.sub(lambda m: pseudonym(salt, m.group(0)), value)
    return _scrub_text(value, salt)


def _scrub_text(text: str, salt: str) -> str:
    if domain_of(text) is not None:
        return pseudonym(salt, text.strip())
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
