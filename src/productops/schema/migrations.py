"""Versioned migrations of the canonical schema.

Each migration is a list of operations over the table definitions in
`tables.py`. Version 1 is the baseline: every table and column as of today
minus what later migrations add, so the definitions stay written once. A
migration that someday drops or renames something must carry the old
definition itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from productops.schema.model import DUCKDB_TYPES, Column, Table
from productops.schema.tables import TABLES

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AddColumn",
    "CreateTable",
    "Migration",
    "UniqueIndex",
    "statements",
]


@dataclass(frozen=True)
class CreateTable:
    table: str


@dataclass(frozen=True)
class AddColumn:
    table: str
    column: str


@dataclass(frozen=True)
class UniqueIndex:
    """No two rows of `table` share a value of `column` (an insert that would is refused, or
    skipped with `ON CONFLICT DO NOTHING`)."""

    table: str
    column: str


Operation = CreateTable | AddColumn | UniqueIndex


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    operations: tuple[Operation, ...] = ()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "canonical model: organisation, delivery, code, customers, usage, experiments, "
        "governance, platform",
    ),
    Migration(
        2,
        "work item owners (accountability) and a log of import runs",
        (AddColumn("work_item", "owner_id"), CreateTable("import_run")),
    ),
    Migration(
        3,
        "experiment arms, per-unit observations, CUPED and ratio sums; connector sync cursors",
        (
            CreateTable("experiment_arm"),
            CreateTable("experiment_observation"),
            *(
                AddColumn("experiment_arm_stat", c)
                for c in (
                    "covariate_sum",
                    "covariate_sum_squares",
                    "sum_product",
                    "denominator_sum",
                    "denominator_sum_squares",
                    "denominator_sum_product",
                )
            ),
            CreateTable("sync_state"),
        ),
    ),
    Migration(
        4,
        "connectors: the stream each raw payload came from, so stored payloads can be re-mapped",
        (AddColumn("raw_record", "stream"),),
    ),
    Migration(
        5,
        "experiment metrics: whether higher or lower is better",
        (AddColumn("experiment_metric", "direction"),),
    ),
    Migration(
        6,
        "data incidents and check severity; decision outcomes and re-runnable evidence; "
        "team targets, maturity readings, nudge and initiative tracking; billing subscriptions; feedback sentiment, duplicates, "
        "theme details and an embedding cache",
        (
            *(
                AddColumn("feedback", c)
                for c in ("text_hash", "sentiment", "sentiment_label", "duplicate_of")
            ),
            *(
                AddColumn("theme", c)
                for c in ("language", "size", "quotes", "centroid", "split_from")
            ),
            *(AddColumn("decision", c) for c in ("outcome_value", "outcome_at")),
            *(AddColumn("decision_evidence", c) for c in ("spec", "result")),
            *(AddColumn("initiative", c) for c in ("stage_at", "baseline_period")),
            *(
                AddColumn("nudge", c)
                for c in ("criterion", "reason", "status_at", "baseline", "after", "measured_at")
            ),
            *(AddColumn("metric_snapshot", c) for c in ("reason", "target")),
            CreateTable("maturity_reading"),
            CreateTable("subscription"),
            CreateTable("criterion_target"),
            *(AddColumn("data_check", c) for c in ("severity", "description")),
            CreateTable("data_incident"),
            CreateTable("embedding"),
        ),
    ),
    Migration(
        7,
        "theme groups: a coarser level over the feedback themes",
        (CreateTable("theme_group"), AddColumn("theme", "group_id")),
    ),
    Migration(
        8,
        "accounts, roles, API tokens and the audit trail",
        tuple(CreateTable(t) for t in ("app_user", "app_user_team", "api_token", "audit_event")),
    ),
    Migration(9, "signed-in sessions of the web pages", (CreateTable("web_session"),)),
    Migration(10, "runs of scheduled jobs", (CreateTable("schedule_run"),)),
    Migration(
        11,
        "notifications: an outbox with one row per idempotency key, and users' mutes",
        (
            CreateTable("outbox"),
            UniqueIndex("outbox", "idempotency_key"),
            CreateTable("notify_mute"),
        ),
    ),
    Migration(
        12,
        "incidents from paging tools: when acknowledged, and the service raised on",
        (AddColumn("incident", "acknowledged_at"), AddColumn("incident", "service")),
    ),
    Migration(
        13,
        "write-back: a ticket claimed once per theme or insight while it is being created",
        (CreateTable("ticket_claim"), UniqueIndex("ticket_claim", "subject")),
    ),
    Migration(
        14,
        "themes: each theme's median similarity (the outlier bar of later runs) and its model",
        (AddColumn("theme", "median_similarity"), AddColumn("theme", "model")),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_sql(col: Column) -> str:
    return f"{_quote(col.name)} {DUCKDB_TYPES[col.type]}"


def create_table_sql(table: Table, columns: tuple[Column, ...] | None = None) -> str:
    cols = ", ".join(_column_sql(c) for c in (columns or table.columns))
    return f"CREATE TABLE IF NOT EXISTS {_quote(table.name)} ({cols})"


def _baseline() -> list[str]:
    later = [op for m in MIGRATIONS[1:] for op in m.operations]
    created_later = {op.table for op in later if isinstance(op, CreateTable)}
    added_later = {(op.table, op.column) for op in later if isinstance(op, AddColumn)}
    return [
        create_table_sql(t, tuple(c for c in t.columns if (t.name, c.name) not in added_later))
        for t in TABLES.values()
        if t.name not in created_later
    ]


def _operation_sql(op: Operation) -> str:
    table = TABLES[op.table]
    if isinstance(op, UniqueIndex):
        index = _quote(f"{op.table}_{op.column}_unique")
        return f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {_quote(table.name)} ({_quote(op.column)})"
    if isinstance(op, CreateTable):
        return create_table_sql(table)
    return f"ALTER TABLE {_quote(table.name)} ADD COLUMN {_column_sql(table.column(op.column))}"


def statements(from_version: int, to_version: int = SCHEMA_VERSION) -> list[str]:
    """The DDL that upgrades a store at `from_version` (0: empty) to `to_version`."""
    sql: list[str] = []
    for migration in MIGRATIONS:
        if from_version < migration.version <= to_version:
            if migration.version == 1:
                sql += _baseline()
            else:
                sql += [_operation_sql(op) for op in migration.operations]
    return sql
