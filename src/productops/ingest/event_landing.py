"""Landing a request's worth of product events (the Segment endpoint's batches) in `event`.

`landing.land` types and checks rows in SQL, which pays a dozen statements per call: right
for a file, too slow for batches of 100 arriving many times a second. Here the few rows are
checked in Python with the same rules and reasons (an id and a name; a timestamp in ISO
8601, between 1900 and 2199; a key once per request), and written in three statements: an
event stored already and identical is left (`unchanged`; properties compared as JSON, not
as text), a changed one replaced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa

from productops.engine import Store
from productops.ingest.coerce import EARLIEST, LATEST
from productops.ingest.events import EVENT_COLUMNS
from productops.ingest.landing import ImportCounts
from productops.ingest.read import Rejection

__all__ = ["land_events"]

_LOW = datetime.fromisoformat(EARLIEST).replace(tzinfo=UTC)
_HIGH = datetime.fromisoformat(LATEST).replace(tzinfo=UTC)
_SCHEMA = pa.schema(
    [(c, pa.timestamp("us", "UTC") if c == "ts" else pa.string()) for c in EVENT_COLUMNS]
)
_COMPARED = ("ts", "user_id", "account_id", "name")


def _time(text: str) -> datetime | str:
    """`text` as a UTC time, or why not (the reasons `coerce` gives)."""
    shown = f'"{text[:60]}"'
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return f"ts: cannot read {shown} as timestamp"
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not _LOW <= value < _HIGH:
        return f"ts: {shown} is before 1900 or after 2199: a placeholder or a typo"
    return value


def _checked(
    rows: Sequence[tuple[int, tuple[str | None, ...]]], label: str
) -> tuple[dict[str, tuple[object, ...]], list[Rejection]]:
    """The valid rows by id (first of a repeated id kept) and the rejections of the rest."""
    valid: dict[str, tuple[object, ...]] = {}
    first: dict[str, int] = {}
    rejected = []
    for line, row in rows:
        ident, ts, user, account, name, properties = row
        reasons = []
        if ident is None:
            reasons.append("missing key id")
        when = _time(ts) if ts is not None else "missing required value ts"
        if isinstance(when, str):
            reasons.append(when)
        if name is None:
            reasons.append("missing required value name")
        if not reasons and ident in first:
            reasons.append(f"duplicate key in this {label}, first at call {first[ident]}")
        if reasons:
            record = json.dumps(dict(zip(EVENT_COLUMNS, row, strict=True)), ensure_ascii=False)
            rejected.append(Rejection(line, "; ".join(reasons), record))
        else:
            assert ident is not None
            first[ident] = line
            valid[ident] = (ident, when, user, account, name, properties)
    return valid, rejected


def land_events(
    store: Store,
    rows: Sequence[tuple[int, tuple[str | None, ...]]],
    rejected: Sequence[Rejection],
    *,
    source: str,
    where: str,
) -> ImportCounts:
    """Land numbered `event` rows (text, `EVENT_COLUMNS`) and quarantine `rejected` and the
    rows that fail the checks, with `where` as their file; call inside a transaction."""
    valid, bad = _checked(rows, "request")
    bad = [*rejected, *bad]
    table = pa.Table.from_pylist(
        [dict(zip(EVENT_COLUMNS, v, strict=True)) for v in valid.values()], schema=_SCHEMA
    )
    unchanged = updated = 0
    with store.staged("_events", table):
        same = " AND ".join(f"e.{c} IS NOT DISTINCT FROM g.{c}" for c in _COMPARED)
        found = store.sql(
            f"SELECT g.id, {same} AND json(CAST(e.properties AS VARCHAR)) IS NOT DISTINCT FROM "
            "json(g.properties) FROM event e JOIN _events g ON e.id = g.id"
        )
        keep = [ident for ident, equal in found if equal]
        changed = [ident for ident, equal in found if not equal]
        unchanged, updated = len(keep), len(changed)
        if changed:
            store.sql("DELETE FROM event WHERE list_contains(?, id)", [changed])
        if len(valid) > unchanged:
            store.sql(
                f"INSERT INTO event ({', '.join(EVENT_COLUMNS)}, source, ingested_at) "
                f"SELECT {', '.join(EVENT_COLUMNS)}, ?, now() FROM _events "
                "WHERE NOT list_contains(?, id)",
                [source, keep],
            )
    if bad:
        _quarantine(store, bad, where)
    return ImportCounts(
        "event", where, len(valid) - unchanged - updated, updated, unchanged, len(bad)
    )


def _quarantine(store: Store, bad: Sequence[Rejection], where: str) -> None:
    """Set aside `bad` as `landing` does: one row per table, file, line, reason and record."""
    for r in bad:
        ident = hashlib.md5("|".join(("event", where, str(r.line), r.reason, r.record)).encode())
        store.sql(
            "INSERT INTO quarantine (id, table_name, file, line, reason, record, source, "
            "ingested_at) SELECT ?, 'event', ?, ?, ?, ?, 'import', now() WHERE NOT EXISTS "
            "(SELECT 1 FROM quarantine q WHERE q.id = ?)",
            [ident.hexdigest(), where, r.line, r.reason, r.record, ident.hexdigest()],
        )
