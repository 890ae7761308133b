"""Feedback made ready to store: redacted text, its hash, language, hashed requester, account.

Every path that writes `feedback` (API syncs, feedback files, the demo) goes
through `prepare_feedback`, so the same rules hold whatever the channel
(docs/feedback.md):

1. `text` is redacted (`privacy.redact`) and `text_hash` is the SHA-256 of it;
2. `language` is the source's tag when it gives one, else detected;
3. `requester_hash` is the salted hash of the requester's identity (e-mail or
   id); the identity itself is dropped;
4. `account_id` is the one the source gives, else the account whose `domain`
   is the requester e-mail's domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.ingest.language import detect_languages, normalise_language
from productops.ingest.privacy import domain_of, person_hash, redact_all, text_hash

__all__ = ["account_domains", "prepare_feedback"]


def account_domains(store: Store) -> dict[str, str]:
    """Lower-case e-mail domain -> account id, for every account with a domain."""
    rows = store.sql("SELECT lower(trim(domain)), id FROM account WHERE domain IS NOT NULL")
    return {str(domain): str(account) for domain, account in rows if domain}


def _column(data: pa.Table, name: str) -> list[object]:
    return data[name].to_pylist() if name in data.column_names else [None] * data.num_rows


def prepare_feedback(
    data: pa.Table,
    salt: str,
    requesters: Sequence[str | None] | None = None,
    domains: dict[str, str] | None = None,
) -> pa.Table:
    """`data` (feedback columns) with the rules of the module docstring applied.

    `requesters` holds each row's requester identity (None where unknown; its
    row keeps the `requester_hash` it has); `domains` maps e-mail domains to
    account ids (`account_domains`).
    """
    texts = [None if t is None else str(t) for t in _column(data, "text")]
    clean = redact_all(texts)
    given = [normalise_language(None if v is None else str(v)) for v in _column(data, "language")]
    missing = [i for i, lang in enumerate(given) if lang is None]
    for i, lang in zip(missing, detect_languages(clean[i] for i in missing), strict=True):
        given[i] = lang
    who = list(requesters) if requesters is not None else [None] * data.num_rows
    hashes = [
        person_hash(salt, person) if person else (None if h is None else str(h))
        for person, h in zip(who, _column(data, "requester_hash"), strict=True)
    ]
    accounts = _column(data, "account_id")
    if domains:
        accounts = [
            account if account is not None else domains.get(domain_of(person) or "")
            for account, person in zip(accounts, who, strict=True)
        ]
    updates: dict[str, pa.Array[Any]] = {
        "text": pa.array(clean, pa.string()),
        "text_hash": pa.array([None if t is None else text_hash(t) for t in clean], pa.string()),
        "language": pa.array(given, pa.string()),
        "requester_hash": pa.array(hashes, pa.string()),
        "account_id": pa.array([None if a is None else str(a) for a in accounts], pa.string()),
    }
    for name, values in updates.items():
        if name in data.column_names:
            data = data.set_column(data.column_names.index(name), name, values)
        else:
            data = data.append_column(name, values)
    return data
