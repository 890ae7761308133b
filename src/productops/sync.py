"""`productops sync`: pull a source page by page, land raw payloads, map them, land the rows.

For each page a connector yields, in this order:

1. its raw records land in `raw_record` (the same payload lands once);
2. they are mapped (with the source's reference streams, e.g. Jira's statuses)
   and the rows land in the canonical tables (teams they name are created);
3. only then does the stream's cursor in `sync_state` move.

A page's landings and its cursor are one transaction: a page that fails to
arrive (malformed, refused) or a sync killed part-way lands nothing of that
page, and the cursor stays at the last stored page, so the next sync starts
there.

`--from-file` lands a replay file's payloads in `raw_record` (unreadable lines
go to `quarantine`) and `--replay` maps what `raw_record` holds, without
pulling: both re-map every stored payload of the source.

No secret is stored: endpoints (`raw_record.endpoint`) and what
`import_run.file` records go through `redact_url` (no `user:password@`, no
`?token=` value), whatever the connector hands over.

Sources of feedback and account files (`Source.personal`) have their payloads
scrubbed before they land (`ingest.privacy.scrub`: no e-mail, phone, card,
IBAN or IP address, no name, people as pseudonyms; a file keeps only the
columns its mapper reads and those named with `--keep-column`)
and their feedback rows redacted, hashed, language-tagged and matched to
accounts (`ingest.feedback.prepare_feedback`). `import_rows` lands a feedback
or account file the same way, quarantining a bad row with its line
(docs/feedback.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from productops.config import ConnectorSettings, ImportMapping
from productops.connectors import (
    SOURCES,
    Page,
    RawRecord,
    ReplayLine,
    RetryPolicy,
    Rows,
    Source,
    read_replay,
    redact_url,
    source,
)
from productops.connectors.feedback_files import (
    AccountFile,
    FeedbackFile,
    fold,
    identity_columns,
    read_columns,
)
from productops.engine import Store
from productops.errors import ImportFileError, UsageError
from productops.ingest import ImportCounts, ReadResult, Rejection, land, land_arrow
from productops.ingest.feedback import account_domains, prepare_feedback
from productops.ingest.privacy import scrub, scrub_line, workspace_salt
from productops.ingest.read import LINE, read_rows
from productops.schema import TABLES, Table

__all__ = ["SyncReport", "configured_sources", "import_rows", "sync_source"]

# Tables in the order they land: teams before what refers to them.
ORDER = (
    "team",
    "person",
    "work_item",
    "work_item_transition",
    "work_item_flag",
    "work_item_link",
    "change",
    "deployment",
    "deployment_change",
    "incident",
    "account",
    "feedback",
)
_TEAM_TABLES = ("person", "work_item", "change", "deployment", "incident")
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "json": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": _TIMESTAMP,
    "date": pa.date32(),
}


@dataclass
class SyncReport:
    """What one sync of one source did: counts per table, pages read, notes for the user."""

    source: str
    counts: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, counts: ImportCounts) -> None:
        total = self.counts.setdefault(counts.table, [0, 0, 0, 0])
        for i, n in enumerate(
            (counts.landed, counts.updated, counts.unchanged, counts.quarantined)
        ):
            total[i] += n

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def rows(self) -> list[dict[str, Any]]:
        """One row per table: source, table, landed, updated, unchanged, quarantined."""
        return [
            {
                "source": self.source,
                "table": table,
                "landed": c[0],
                "updated": c[1],
                "unchanged": c[2],
                "quarantined": c[3],
            }
            for table, c in sorted(self.counts.items(), key=lambda kv: _rank(kv[0]))
        ]


def _rank(table: str) -> int:
    return -1 if table == "raw_record" else ORDER.index(table) if table in ORDER else len(ORDER)


def configured_sources(connectors: ConnectorSettings) -> list[str]:
    """The sources with settings in productops.toml, in the order `sync` pulls them."""
    return [name for name, spec in SOURCES.items() if spec.settings(connectors) is not None]


def sync_source(
    store: Store,
    connectors: ConnectorSettings,
    root: Path,
    name: str,
    *,
    files: Sequence[Path] = (),
    replay: bool = False,
    policy: RetryPolicy | None = None,
    on_page: Callable[[SyncReport], None] | None = None,
) -> SyncReport:
    """Sync the source `name` into `store`: pull from its cursor, replay files, or re-map.

    `root` is the workspace folder (secret files must be outside it).

    >>> sync_source(ws.store, ws.config.connectors, ws.root, "jira").rows()  # doctest: +SKIP
    """
    spec = source(name)
    settings = spec.settings(connectors)
    if settings is None:
        raise UsageError(
            f"{name} is not connected; run `productops connect {name} --help` to see its settings"
        )
    report = SyncReport(name)
    overrides = connectors.status_categories
    salt = workspace_salt(root) if spec.personal else None
    if files:
        for path in files:
            _land_replay_file(store, spec, path, report, salt)
    if files or replay:
        records = load_raw(store, name)
        mapped = spec.mapper(records, settings, overrides)
        label = f"sync {name} (re-mapped from raw_record)"
        _land_rows(store, name, mapped.rows, label, report, salt)
        for text in mapped.notes:
            report.note(text)
        return report
    cursors = load_cursors(store, name)
    reference = load_raw(store, name, spec.reference_streams) if spec.reference_streams else []
    connector = spec.opener(settings, root, policy or RetryPolicy.from_settings(connectors.http))
    try:
        for pulled in connector.pages(cursors):
            page = _scrubbed(pulled, salt)
            with store.transaction():
                reference = _sync_page(
                    store, spec, settings, overrides, page, reference, report, salt
                )
                if page.cursor is not None and page.cursor != cursors.get(page.stream):
                    _land_cursor(store, name, page.stream, page.cursor)
            if page.cursor is not None:
                cursors[page.stream] = page.cursor
            report.pages += 1
            if on_page is not None:
                on_page(report)
    finally:
        connector.close()
    return report


def _sync_page(
    store: Store,
    spec: Source,
    settings: Any,
    overrides: Any,
    page: Page,
    reference: list[RawRecord],
    report: SyncReport,
    salt: str | None = None,
) -> list[RawRecord]:
    """Land one page's raw records and mapped rows; returns the reference records now known."""
    if not page.records:
        return reference
    label = f"sync {spec.name} {page.stream}: {redact_url(page.records[0].endpoint)}"
    report.add(_land_raw(store, spec.name, page.records, label))
    fresh = [r for r in page.records if r.stream in spec.reference_streams]
    if fresh:
        streams = {r.stream for r in fresh}
        reference = [r for r in reference if r.stream not in streams] + fresh
    others = [r for r in page.records if r.stream not in spec.reference_streams]
    if others:
        mapped = spec.mapper([*reference, *others], settings, overrides)
        _land_rows(store, spec.name, mapped.rows, label, report, salt)
        for text in mapped.notes:
            report.note(text)
    return reference


# -- raw records -------------------------------------------------------------------


def _raw_table(records: Sequence[RawRecord]) -> pa.Table:
    now = datetime.now(UTC)
    unique = list({r.id: r for r in records}.values())
    return pa.table(
        {
            "id": pa.array([r.id for r in unique], pa.string()),
            "stream": pa.array([r.stream for r in unique], pa.string()),
            "endpoint": pa.array([redact_url(r.endpoint) for r in unique], pa.string()),
            "fetched_at": pa.array([now] * len(unique), _TIMESTAMP),
            "payload": pa.array(
                [json.dumps(r.payload, ensure_ascii=False) for r in unique], pa.string()
            ),
        }
    )


def _land_raw(store: Store, name: str, records: Sequence[RawRecord], label: str) -> ImportCounts:
    """Land the payloads not stored yet; one stored before stays as it was (fetched_at too)."""
    data = _raw_table(records)
    stored = _stored_ids(store, name, data["id"].to_pylist())
    fresh = data.filter(pa.array([i not in stored for i in data["id"].to_pylist()], pa.bool_()))
    counts = land_arrow(store, TABLES["raw_record"], fresh, source=name, label=label)
    return ImportCounts(
        counts.table,
        counts.file,
        counts.landed,
        counts.updated,
        counts.unchanged + len(stored),
        counts.quarantined,
    )


def _stored_ids(store: Store, name: str, ids: list[Any]) -> set[str]:
    """Which of `ids` (unqualified) `raw_record` already holds for source `name`."""
    if not ids:
        return set()
    qualified = [f"{name}:{i}" for i in ids]
    marks = ", ".join("?" for _ in qualified)
    rows = store.sql(f"SELECT id FROM raw_record WHERE id IN ({marks})", qualified)
    return {r[0].split(":", 1)[1] for r in rows}


def _land_replay_file(
    store: Store,
    spec: Source,
    path: Path,
    report: SyncReport,
    salt: str | None = None,
) -> list[RawRecord]:
    """Land a replay file's payloads; lines that are not this source's objects are quarantined."""
    if not path.is_file():
        raise UsageError(f"--from-file {path}: no such file")
    return _land_lines(store, spec, path, list(read_replay(path, spec)), report, salt)


def _land_lines(
    store: Store,
    spec: Source,
    path: Path,
    lines: Sequence[ReplayLine],
    report: SyncReport,
    salt: str | None = None,
    columns: Columns | None = None,
) -> list[RawRecord]:
    """Land the records of a file's `lines` raw; a line without one is quarantined with its reason.

    Returns the file's records (scrubbed when `salt` is given; with only
    `columns` when given).
    """
    found = [line.record for line in lines if line.record is not None]
    records = _scrubbed_records(found, salt, columns)
    numbers = [line.line for line in lines if line.record is not None]
    rejected = [
        Rejection(line.line, line.reason, scrub_line(line.text) if salt else line.text)
        for line in lines
        if line.record is None
    ]
    data = _raw_table(records)
    ids = [str(i) for i in data["id"].to_pylist()]
    stored = _stored_ids(store, spec.name, ids)
    data = data.filter(pa.array([i not in stored for i in ids], pa.bool_()))
    by_id = {r.id: n for r, n in zip(records, numbers, strict=True)}
    data = data.append_column(
        LINE, pa.array([by_id[str(i)] for i in data["id"].to_pylist()], pa.int64())
    )
    counts = land(
        store,
        TABLES["raw_record"],
        ReadResult(data, rejected),
        source=spec.name,
        file=str(path.resolve()),
    )
    report.add(
        ImportCounts(
            counts.table,
            counts.file,
            counts.landed,
            counts.updated,
            counts.unchanged + len(stored),
            counts.quarantined,
        )
    )
    if not records:
        report.note(f"{path}: no line is {spec.what}; see `productops quarantine`")
    return records


@dataclass(frozen=True)
class Columns:
    """The columns of a file's rows to keep (folded names), and those naming a person."""

    kept: frozenset[str]
    identities: frozenset[str] = frozenset()


def _scrubbed_records(
    records: list[RawRecord], salt: str | None, columns: Columns | None = None
) -> list[RawRecord]:
    """Records without the columns not kept, then scrubbed (when `salt` is given)."""
    if columns is not None:
        records = [
            RawRecord(
                r.stream,
                {k: v for k, v in r.payload.items() if fold(k) in columns.kept},
                r.endpoint,
            )
            for r in records
        ]
    if salt is None:
        return records
    ids = columns.identities if columns is not None else frozenset()
    return [RawRecord(r.stream, scrub(r.payload, salt, ids), r.endpoint) for r in records]


def _scrubbed(page: Page, salt: str | None) -> Page:
    """The page with its payloads scrubbed of personal data (when `salt` is given)."""
    if salt is None:
        return page
    return Page(page.stream, _scrubbed_records(page.records, salt), page.cursor)


def import_rows(
    store: Store,
    root: Path,
    spec: Source,
    settings: FeedbackFile | AccountFile | None,
    path: Path,
    mapping: ImportMapping | None = None,
    keep: Sequence[str] = (),
) -> SyncReport:
    """Land a feedback or account file: its rows raw, then mapped, a bad row quarantined with its line.

    The file is read as `productops import` reads it (`ingest.read.read_rows`:
    CSV, JSON Lines or Parquet, gzipped or not, UTF-8 or UTF-16). Its raw rows
    and their mapping land in one transaction: an import that fails or is
    killed part-way leaves the store as it was. `settings` is what the
    source's mapper takes (the feedback kind, the account format); `mapping`
    how its values read (`[imports.feedback]`, `[imports.account]`). Only the
    columns the mapper reads, and those named in `keep`, are stored in
    `raw_record`; the rest are dropped before anything lands.
    """
    found = read_rows(path)
    if not found.rows and not found.rejected:
        raise ImportFileError(f"{path}: no rows to import")
    lines = [
        ReplayLine(line, RawRecord("rows", _payload(found.header, fields), f"{path}:{line}"))
        for line, fields in found.rows
    ]
    lines += [ReplayLine(r.line, None, r.reason, r.record) for r in found.rejected]
    report = SyncReport(spec.name)
    salt = workspace_salt(root) if spec.personal else None
    kept = read_columns(settings) | {fold(k) for k in keep}
    columns = Columns(kept, identity_columns(settings))
    with store.transaction():
        records = _land_lines(store, spec, path, lines, report, salt, columns)
        mapped = spec.mapper(records, settings, {})
        for text in mapped.notes:
            report.note(text)
        domains = account_domains(store)
        for table_name in ORDER:
            found_rows = mapped.rows.get(table_name)
            if not found_rows:
                continue
            data = _feedback_ready(store, TABLES[table_name], found_rows, salt, domains)
            data = data.append_column(LINE, pa.array([r["_line"] for r in found_rows], pa.int64()))
            where = str(path.resolve())
            read = ReadResult(data)
            report.add(
                land(store, TABLES[table_name], read, source=spec.name, file=where, mapping=mapping)
            )
    return report


def _payload(header: Sequence[str], fields: Sequence[str | None]) -> dict[str, str]:
    """A row as header -> value, both trimmed; a repeated column keeps its first non-empty value."""
    row: dict[str, str] = {}
    for name, value in zip(header, fields, strict=True):
        if value is not None and value.strip() and not row.get(name.strip()):
            row[name.strip()] = value.strip()
    return row


def _feedback_ready(
    store: Store,
    table: Table,
    rows: Sequence[dict[str, Any]],
    salt: str | None,
    domains: dict[str, str] | None = None,
) -> pa.Table:
    """`rows` as Arrow; feedback redacted, hashed, language-tagged and matched to accounts."""
    data = to_arrow(table, rows)
    if table.name != "feedback":
        return data
    if salt is None:
        raise UsageError("feedback rows need the workspace salt: mark their source personal")
    requesters = [r.get("requester") for r in rows]
    known = account_domains(store) if domains is None else domains
    return prepare_feedback(data, salt, requesters, known)


def load_raw(store: Store, name: str, streams: Sequence[str] | None = None) -> list[RawRecord]:
    """The raw records `raw_record` holds for source `name` (optionally only some streams)."""
    query = "SELECT stream, endpoint, payload FROM raw_record WHERE source = ?"
    params: list[Any] = [name]
    if streams is not None:
        query += f" AND stream IN ({', '.join('?' for _ in streams)})"
        params += list(streams)
    rows = store.sql(query + " ORDER BY fetched_at, endpoint, id", params)
    return [
        RawRecord(stream or "", json.loads(payload), endpoint or "")
        for stream, endpoint, payload in rows
    ]


# -- cursors -------------------------------------------------------------------------


def load_cursors(store: Store, name: str) -> dict[str, str]:
    """stream -> cursor of source `name`, from `sync_state`."""
    prefix = f"{name}:"
    rows = store.sql("SELECT stream, cursor FROM sync_state WHERE starts_with(stream, ?)", [prefix])
    return {stream[len(prefix) :]: cursor for stream, cursor in rows if cursor is not None}


def _land_cursor(store: Store, name: str, stream: str, cursor: str) -> None:
    data = pa.table(
        {
            "stream": pa.array([f"{name}:{stream}"], pa.string()),
            "cursor": pa.array([cursor], pa.string()),
            "synced_at": pa.array([datetime.now(UTC)], _TIMESTAMP),
        }
    )
    land_arrow(store, TABLES["sync_state"], data, source=name, label=f"sync {name} cursor")


# -- canonical rows ------------------------------------------------------------------


def _land_rows(
    store: Store, name: str, rows: Rows, label: str, report: SyncReport, salt: str | None = None
) -> None:
    teams = _missing_teams(store, rows)
    if teams:
        rows = {**rows, "team": [{"id": t, "name": t} for t in teams]}
        report.note(
            f"teams created: {', '.join(teams)} (rename them with `productops import team`)"
        )
    for table_name in ORDER:
        found = rows.get(table_name)
        if found:
            data = _feedback_ready(store, TABLES[table_name], found, salt)
            report.add(land_arrow(store, TABLES[table_name], data, source=name, label=label))


def _missing_teams(store: Store, rows: Rows) -> list[str]:
    wanted = {
        r["team_id"] for t in _TEAM_TABLES for r in rows.get(t, []) if r.get("team_id") is not None
    }
    if not wanted:
        return []
    known = {r[0] for r in store.sql("SELECT id FROM team")}
    return sorted(wanted - known)


def to_arrow(table: Table, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows (dicts) as an Arrow table typed like `table`'s columns.

    A column holding text where a timestamp or number belongs stays text, so
    that landing reads it (or quarantines the row saying why).
    """
    present = {k for row in rows for k in row}
    columns: dict[str, pa.Array[Any]] = {}
    for col in table.columns:
        if col.name not in present:
            continue
        values = [row.get(col.name) for row in rows]
        if col.type not in ("string", "json") and any(isinstance(v, str) for v in values):
            values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
            columns[col.name] = pa.array(
                [None if v is None else str(v) for v in values], pa.string()
            )
        else:
            columns[col.name] = pa.array(values, _ARROW[col.type])
    return pa.table(columns)
