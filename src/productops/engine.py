"""The one module that knows backends.

The workspace's DuckDB file is the system of record: imports and connectors
write to it in transactions (`Store`). Analytics read Ibis tables from
`analytics_backend`: the same DuckDB connection by default, or an Apache Spark
session (local mode or a master URL) over the canonical tables kept as Parquet,
written where they changed (`Store.export_parquet`, docs/scale.md).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
import ibis
import pyarrow as pa

from productops.errors import (
    ConfigError,
    EngineError,
    ImportFileError,
    SchemaVersionError,
    StoreBusyError,
    StoreDamagedError,
    WorkspaceError,
)
from productops.schema import SCHEMA_VERSION, TABLES, statements

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from productops.config import EngineSettings

if sys.platform != "win32":
    import fcntl

__all__ = [
    "Store",
    "analytics_backend",
    "collect_union",
    "limit_duckdb",
    "quote",
    "shared_table",
    "store_error",
    "store_wanted",
]

META_TABLE = "_productops_meta"
RESTORE = "restore it from a backup, or move it aside and re-import/re-sync (a new one is made)"
# What DuckDB says of a truncated or corrupt file.
_DAMAGE = (
    "Corrupt database file",
    "not a valid DuckDB database file",
    "Could not read enough bytes",
)
_LOCK = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def quote(name: str) -> str:
    """Quote an identifier for SQL (DuckDB 2 reserves words such as `at`)."""
    return '"' + name.replace('"', '""') + '"'


# The tables analytics read: all but the access tables (users, password and token hashes, the
# audit trail) and the notifications' (recipients' addresses), which stay in the store.
ANALYTICS_TABLES = tuple(name for name, t in TABLES.items() if t.area not in ("access", "notify"))


class Store:
    """The workspace's DuckDB file, upgraded to the current schema on open.

    >>> store = Store.open(Path("ws/productops.duckdb"))  # doctest: +SKIP
    >>> store.sql("select count(*) from team")  # doctest: +SKIP
    [(6,)]
    """

    # The store opened last, which `store_error` names when DuckDB's message does not.
    last_opened: ClassVar[Path | None] = None

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        self.path = path
        self._con = con
        self._depth = 0
        self.read_only = read_only
        # Whether a transaction committed since the store was opened (see `export_parquet`).
        self.changed = False
        # Why this process may not write the store (then it is open read-only), or None.
        self.unwritable = _unwritable(path)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        read_only: bool = False,
        upgrade_to: int = SCHEMA_VERSION,
        engine: EngineSettings | None = None,
        lock_wait: float = 0.0,
        defer: bool = False,
    ) -> Store:
        """Open (or create) the store at `path` and bring its schema up to `upgrade_to`.

        `read_only` opens an existing store for reading, beside other readers; so does a store
        this process may not write (`unwritable` says why). A read-only store older than
        `upgrade_to` is opened for writing to be upgraded, which an unwritable one cannot be.
        A damaged, locked or unreadable store is a `WorkspaceError` saying what to do.
        `engine` sets DuckDB's memory limit, the folder it spills to (relative to the store's
        folder, the workspace) and its threads (`limit_duckdb`); without it DuckDB's own
        defaults hold.
        A store another process holds is tried again for up to `lock_wait` seconds, then is a
        `StoreBusyError` naming that process; meanwhile this process says it waits (see
        `store_wanted`). `defer`: first let the processes that say so open it, within the wait.
        """
        cls.last_opened = path
        _load_lazy_libraries()
        deadline = time.monotonic() + lock_wait
        reader = (read_only or _unwritable(path) is not None) and path.exists()
        while defer and store_wanted(path) and time.monotonic() + 0.005 < deadline:
            time.sleep(0.005)
        store = cls._connect(path, reader, deadline)
        try:
            if engine is not None:
                limit_duckdb(store._con, engine, path.parent)
            if store.read_only and (version := store.schema_version()) < upgrade_to:
                if store.unwritable:
                    raise WorkspaceError(
                        f"{path} has schema version {version} and this productops needs "
                        f"{upgrade_to}, but it cannot be upgraded: {store.unwritable}; "
                        "make it writable and run any command"
                    )
                store.close()
                store = cls._connect(path, False, deadline)
            store._migrate(upgrade_to)
        except duckdb.Error as exc:
            store.close()
            error = store_error(exc, path)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _connect(cls, path: Path, read_only: bool, deadline: float) -> Store:
        """Connect, trying again with short, growing pauses until `deadline` (a
        `time.monotonic()`) while another process holds the store, saying meanwhile that this
        one waits (`store_wanted`)."""
        pause = 0.005
        with ExitStack() as waiting:
            while True:
                try:
                    try:
                        con = duckdb.connect(str(path), read_only=read_only)
                    except duckdb.ConnectionException as exc:
                        if not read_only or "different configuration" not in str(exc):
                            raise
                        # This process has the store open for writing already: share that.
                        con, read_only = duckdb.connect(str(path)), False
                    break
                except duckdb.Error as exc:
                    error = store_error(exc, path)
                    if isinstance(error, StoreBusyError) and time.monotonic() + pause < deadline:
                        if pause == 0.005:
                            waiting.enter_context(_waiting(path))
                        time.sleep(pause * random.uniform(0.5, 1.0))
                        pause = min(pause * 2, 0.05)
                        continue
                    raise error or WorkspaceError(f"{path}: cannot open the store: {exc}") from exc
        con.execute("SET TimeZone = 'UTC'")
        return cls(path, con, read_only)

    def close(self) -> None:
        self._con.close()

    def cursor(self) -> Store:
        """Another view of this open store, with transactions of its own, for another thread:
        DuckDB runs the views' queries side by side, each transaction on its own snapshot
        (the server's turns, docs/server.md). Closed with this store, or before it."""
        con = self._con.cursor()
        con.execute("SET TimeZone = 'UTC'")
        return Store(self.path, con, self.read_only)

    def interrupt(self) -> None:
        """Stop the query this view runs (from another thread): it raises `duckdb.Error`."""
        self._con.interrupt()

    def bookkeep(self, query: str, params: Sequence[Any]) -> bool:
        """Run `query`, an update of bookkeeping (a token's last use), at once and in a
        transaction of its own, outside any this view has open; False (nothing written) if a
        transaction running beside it changes the same row: that one's write stands."""
        con = self._con.cursor()
        try:
            con.execute(query, params)
        except duckdb.TransactionException:
            return False
        finally:
            con.close()
        return True

    def wanted(self) -> bool:
        """Whether another process waits to open this store (`store_wanted`)."""
        return store_wanted(self.path)

    # -- schema versions ------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version the store was written at (0: empty); unreadable is damage."""
        exists = self.sql(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",  # 10x information_schema
            [META_TABLE],
        )[0][0]
        if not exists:
            return 0
        rows = self.sql(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'")
        if len(rows) == 1 and str(rows[0][0]).isdecimal():
            return int(rows[0][0])
        if not rows:
            problem = f"no schema_version in {META_TABLE}"
        elif len(rows) > 1:
            problem = f"{len(rows)} schema_version rows in {META_TABLE}"
        else:
            problem = f"schema_version {rows[0][0]!r} in {META_TABLE} is not a number"
        raise StoreDamagedError(f"{self.path} is damaged ({problem}); {RESTORE}")

    def _migrate(self, target: int) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path}: the store has schema version {current}, this productops knows up to "
                f"{SCHEMA_VERSION}; upgrade productops (pip install -U productops) to open it"
            )
        if current >= target:
            return
        with self.transaction():
            self._con.execute(
                f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR, value VARCHAR)"
            )
            for sql in statements(current, target):
                self._con.execute(sql)
            self._con.execute(f"DELETE FROM {META_TABLE} WHERE key = 'schema_version'")
            self._con.execute(
                f"INSERT INTO {META_TABLE} VALUES ('schema_version', ?)", [str(target)]
            )

    # -- queries ----------------------------------------------------------------

    def strptime_problem(self, fmt: str) -> str | None:
        """Why DuckDB's strptime rejects the format `fmt` (e.g. `%Q`), or None if it takes it."""
        try:
            self.sql("SELECT try_strptime('', ?)", [fmt])
        except duckdb.InvalidInputException as exc:
            # "Invalid Input Error: Failed to parse format specifier %Q: Unrecognized format ..."
            return str(exc).split(": ", 2)[-1]
        return None

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run `query` with `?` parameters and return all rows."""
        return self._con.execute(query, params).fetchall()

    def arrow(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run `query` and return the result as an Arrow table."""
        result: pa.Table = self._con.sql(query, params=params).to_arrow_table()
        return result

    def batches(
        self, query: str, params: Sequence[Any] | None = None, rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Run `query` and yield its result as Arrow batches of at most `rows` rows, streamed:
        the whole result is never held. Run nothing else on the store until they are read."""
        reader: pa.RecordBatchReader = self._con.sql(query, params=params).to_arrow_reader(rows)
        with reader:
            yield from reader

    def columns(self, table: str) -> list[str]:
        rows = self.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in rows]

    def copy_parquet(self, name: str, path: Path, columns: dict[str, str], line: str) -> None:
        """Make the temporary table `name` of the Parquet file at `path`: each of its `columns`
        (new name -> the file's) and `line`, the row's number in the file from 1.

        A file DuckDB cannot read is an `ImportFileError`.
        """
        picked = ", ".join(f"{quote(column)} AS {quote(new)}" for new, column in columns.items())
        try:
            self._con.execute(
                f"CREATE OR REPLACE TEMP TABLE {quote(name)} AS SELECT {picked}, "
                f"file_row_number + 1 AS {quote(line)} FROM read_parquet(?, file_row_number = true)",
                [str(path)],
            )
        except duckdb.Error as exc:
            if store_error(exc) is not None:
                raise
            problem = str(exc).splitlines()[0]
            raise ImportFileError(f"{path}: not a readable Parquet file: {problem}") from None

    @contextmanager
    def staged(self, name: str, data: pa.Table) -> Iterator[None]:
        """Make the Arrow table `data` queryable as `name` for the duration of the block."""
        self._con.register(name, data)
        try:
            yield
        finally:
            self._con.unregister(name)

    @contextmanager
    def unordered(self) -> Iterator[None]:
        """Let DuckDB keep rows written in the block in any order: a large insert then needs
        less memory and time. Outside a transaction only (else the block runs as it is)."""
        if self._depth:
            yield
            return
        self._con.execute("SET preserve_insertion_order = false")
        try:
            yield
        finally:
            self._con.execute("RESET preserve_insertion_order")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure or a killed process leaves the store as it was.

        Transactions nest: an inner one joins the outermost, which alone commits,
        so several landings can be made one (a sync page and its cursor).
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.begin()
        try:
            yield
        except BaseException:
            self.finish(commit=False)
            raise
        self.finish(commit=True)

    def begin(self) -> None:
        """Begin a transaction that `finish` ends, which those begun within join (a server's
        read turn: one snapshot of the store for its whole answer, across threads)."""
        self._con.execute("BEGIN TRANSACTION")
        self._depth = 1

    def finish(self, commit: bool) -> None:
        """Commit (or roll back) the transaction `begin` began."""
        try:
            self._con.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._depth = 0
        if commit:
            self.changed = True

    def insert_once(self, query: str, params: Sequence[Any] | None = None) -> bool:
        """Run the INSERT `query` of one row in a transaction of its own, and say whether the row
        is in: False when a unique index refuses it, because a committed row holds its key or
        because another connection committed one first (DuckDB checks at commit). Called
        inside a transaction it would join that one, so it refuses to be.

        >>> store.insert_once("INSERT INTO t VALUES (?) ON CONFLICT DO NOTHING", ["k"])  # doctest: +SKIP
        True
        """
        if self._depth:
            raise RuntimeError("insert_once must run outside a transaction")
        try:
            with self.transaction():
                inserted = self._con.execute(query, params).fetchall()
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            if "constraint" not in str(exc).lower():
                raise
            return False
        return bool(inserted and inserted[0][0])

    def ibis(self) -> BaseBackend:
        return ibis.duckdb.from_connection(self._con)

    def export_parquet(self, folder: Path) -> dict[str, list[Path]]:
        """Bring the Parquet copy of every table analytics read up to date in `folder`; return
        each table's files.

        A table is kept in partitions by the month its rows landed (`ingested_at`: an upsert
        lands a changed row again, so it moves to the month of the change), each one file. A
        partition is written again only when its rows changed: `folder/manifest.json` keeps its
        fingerprint (row count and sum of row hashes) beside the table's columns. New files get
        new names and the manifest is replaced at once (written aside, renamed), so an
        interrupted export leaves the previous set whole; files it no longer names go after.
        The access tables (users, password and token hashes, the audit trail) stay in the store.
        """
        folder.mkdir(parents=True, exist_ok=True)
        with _folder_lock(folder):  # from the fingerprints on: another export sees these
            columns = dict(
                self.sql(
                    "SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' "
                    "ORDER BY column_index) FROM duckdb_columns() WHERE NOT internal "
                    "AND schema_name = 'main' GROUP BY table_name"
                )
            )
            found: dict[str, list[tuple[str, int, str]]] = {n: [] for n in ANALYTICS_TABLES}
            for name, key, rows, digest in self.sql(
                " UNION ALL ".join(
                    f"SELECT '{name}', {_partition(columns[name])} AS part, count(*), "
                    f"coalesce(sum(hash(t)), 0)::VARCHAR FROM {quote(name)} t GROUP BY part"
                    for name in ANALYTICS_TABLES
                )
            ):
                found[name].append((key, rows, digest))
            old = _read_manifest(folder)
            tables = {
                name: self._export_table(folder, name, columns[name], found[name], old.get(name))
                for name in ANALYTICS_TABLES
            }
            _write_manifest(folder, tables)
            _remove_unnamed(folder, tables)
        return {
            name: [folder / part["file"] for part in table["parts"].values()]
            for name, table in tables.items()
        }

    def _export_table(
        self,
        folder: Path,
        name: str,
        signature: str,
        found: list[tuple[str, int, str]],
        old: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The manifest entry of table `name` (of columns `signature`) after writing to `folder`
        those of its partitions, `found` as (key, rows, hash), that differ from `old`'s."""
        kept = old["parts"] if old and old.get("columns") == signature else {}
        parts: dict[str, Any] = {}
        for key, rows, digest in sorted(found) or [("none", 0, "0")]:
            before = kept.get(key)
            if before and before["rows"] == rows and before["hash"] == digest:
                parts[key] = before
                continue
            file = f"{name}/{key}-{uuid.uuid4().hex[:12]}.parquet"
            (folder / name).mkdir(exist_ok=True)
            target = str(folder / file).replace("'", "''")
            self._con.execute(
                f"COPY (SELECT * FROM {quote(name)} WHERE {_partition(signature)} = '{key}') "
                f"TO '{target}' (FORMAT parquet)"
            )
            parts[key] = {"rows": rows, "hash": digest, "file": file}
        return {"columns": signature, "parts": parts}


def _partition(signature: str) -> str:
    """The SQL of a row's partition in a table of columns `signature`: the month it landed."""
    if not (signature.startswith("ingested_at ") or ", ingested_at " in signature):
        return "'all'"
    return "coalesce(strftime(ingested_at, '%Y-%m'), 'none')"


def limit_duckdb(con: duckdb.DuckDBPyConnection, engine: EngineSettings, workspace: Path) -> None:
    """Keep DuckDB's `con` within `engine.memory_limit`, spilling to `engine.temp_directory`
    (relative to `workspace`, made when needed), on `engine.threads` threads (0: one per core)."""
    try:
        con.execute(f"SET memory_limit = '{engine.memory_limit}'")
    except duckdb.Error as exc:
        raise ConfigError(
            f"engine.memory_limit = {engine.memory_limit!r}: DuckDB cannot work in it "
            f"({str(exc).splitlines()[0]}); set a larger one in productops.toml"
        ) from None
    folder = str(workspace / engine.temp_directory).replace("'", "''")
    con.execute(f"SET temp_directory = '{folder}'")
    con.execute(f"SET threads = {engine.threads}" if engine.threads else "RESET threads")


def store_error(exc: duckdb.Error, path: Path | None = None) -> WorkspaceError | None:
    """The user's error for DuckDB's `exc` about the store at `path` (default: the last opened):
    damaged, locked by another process, read-only or not permitted; None for any other error."""
    message = str(exc).splitlines()[0]
    name = path or Store.last_opened or "the workspace's productops.duckdb"
    if any(sign in message for sign in _DAMAGE):
        return StoreDamagedError(f"{name} is damaged ({message}); {RESTORE}")
    if "Could not set lock" in message:
        lock = _LOCK.search(message)
        holder = f"process {lock['pid']} ({lock['program']})" if lock else "another process"
        return StoreBusyError(
            f"{name} is held by {holder}, and no other process may open it while one writes: "
            "wait for that one to finish, or stop it, then retry (or raise [workspace] "
            "lock_wait_seconds in productops.toml)"
        )
    if "Out of Memory Error" in message:
        return WorkspaceError(
            f"{name}: DuckDB ran out of memory ({message}); raise [engine] memory_limit in "
            "productops.toml, or free disk space for its temp_directory"
        )
    if "read-only mode" in message:
        return WorkspaceError(
            f"{name} is open read-only and this command writes to it: "
            "make the file and its folder writable, then retry"
        )
    if "Permission denied" in message or "Read-only file system" in message:
        return WorkspaceError(f"{name}: cannot open the store ({message}); check its permissions")
    return None


def _load_lazy_libraries() -> None:
    """Load pandas, which pyarrow and DuckDB load on first use (making a table from Python
    values, registering one), before the store is taken rather than while it is held: up to a
    second or more on a loaded machine, for which a server waiting its turn would wait too."""
    import pandas  # noqa: F401


def _waiting_file(path: Path) -> Path:
    """The file beside the store at `path` on which its waiting openers hold a lock."""
    return path.with_name(path.name + ".waiting")


@contextmanager
def _waiting(path: Path) -> Iterator[None]:
    """Say, while this process waits for the store at `path`, that it does: a shared lock on
    `_waiting_file(path)`, which the system drops when the process ends, however it ends. A
    folder this process may not write (no file can be made) or Windows: wait without saying."""
    if sys.platform == "win32":
        yield
        return
    try:
        fd = os.open(_waiting_file(path), os.O_RDONLY | os.O_CREAT, 0o666)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def store_wanted(path: Path) -> bool:
    """Whether another process waits to open the store at `path`: it holds a lock on the file
    beside it. A server that keeps the store open between its requests gives it up when this is
    true (docs/server.md, "One store, two kinds of process"). Where this cannot be known
    (Windows), always true: the store is given up after every turn."""
    if sys.platform == "win32":
        return True
    try:
        fd = os.open(_waiting_file(path), os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # and with it the lock just taken
    return False


MANIFEST = "manifest.json"
"""The file in the Parquet folder naming each table's partitions, their fingerprints and files."""


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The tables of the manifest in `folder`; none if it is missing or unreadable."""
    try:
        tables: dict[str, Any] = json.loads((folder / MANIFEST).read_text("utf-8"))["tables"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return tables


def _write_manifest(folder: Path, tables: dict[str, Any]) -> None:
    """Replace the manifest in `folder` at once: written aside, flushed, renamed over it."""
    aside = folder / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    with aside.open("w", encoding="utf-8") as out:
        json.dump({"format": 1, "tables": tables}, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(aside, folder / MANIFEST)


def _remove_unnamed(folder: Path, tables: dict[str, Any]) -> None:
    """Remove what the manifest in `folder` does not name: replaced partitions, files of an
    interrupted export, manifests written aside, tables no longer exported and the
    one-file-per-table set of old."""
    named = {part["file"] for table in tables.values() for part in table["parts"].values()}
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name in tables:
            for file in entry.iterdir():
                if f"{entry.name}/{file.name}" not in named:
                    file.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name not in (MANIFEST, ".lock"):
            entry.unlink()


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold `folder`'s lock file: one export at a time, across processes (not on Windows)."""
    if sys.platform == "win32":
        yield
        return
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _unwritable(path: Path) -> str | None:
    """Why this process may not write the store at `path` (the file or its folder), or None."""
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only"
    if not os.access(path.parent, os.W_OK):
        return f"the store's folder {path.parent} is read-only"
    return None


def analytics_backend(store: Store, settings: EngineSettings, parquet_dir: Path) -> BaseBackend:
    """The Ibis backend analytics run on, holding every canonical table by name."""
    if settings.kind == "duckdb":
        return store.ibis()
    files = store.export_parquet(parquet_dir)
    session = spark_session(settings.spark_master, settings.spark_conf, _spark_token(settings))
    _register_tables(session, files)
    return ibis.pyspark.connect(session)


def _register_tables(session: Any, files: dict[str, list[Path]]) -> None:
    """Make each table's Parquet files a temporary view of its name in `session`.

    The schema is read from a file's footer here and given to Spark: left to infer it, Spark
    runs a job per table (Ibis's read_parquet too), seconds for the 47 tables. A view already
    on the same files (a file's name changes with its rows) is left as it is.
    """
    import pyarrow.parquet as pq
    from pyspark.sql.pandas.types import from_arrow_schema

    # Kept on the session, which outlives the backends made on it (one per snapshot).
    views: dict[str, list[Path]] = session.__dict__.setdefault("_productops_views", {})
    for name, paths in files.items():
        if views.get(name) == paths:
            continue
        schema = from_arrow_schema(pq.read_schema(paths[0]))
        frame = session.read.schema(schema).parquet(*(str(p) for p in paths))
        frame.createOrReplaceTempView(name)
        views[name] = paths


def shared_table(table: ir.Table) -> ir.Table:
    """`table`, which several analyses of a run read, computed once for them.

    On Spark its rows are computed now, kept by the executors (a local checkpoint: in memory,
    spilling to disk) and read back as a temporary view, so the plans that read it start from
    those rows: shallow, where Spark would otherwise compute the whole nested plan again for
    each analysis and each place an analysis reads it. The same expression asked again on the
    same backend gives the same view; a new backend (a new snapshot of the store) starts
    afresh, and the views go with the backend. On DuckDB, `table` itself: DuckDB plans the
    nested query well and keeps nothing between queries.

    >>> stays = shared_table(status_stays(b.table("work_item"), b.table("work_item_transition"), now))  # doctest: +SKIP
    """
    backend = table._find_backend()
    if backend.name != "pyspark":
        return table
    # Kept on the backend object, so that they live and go with it (Ibis hashes backends by
    # their session, which the backends of several snapshots share).
    tables: dict[Any, ir.Table] = backend.__dict__.setdefault("_productops_shared", {})
    key = table.op()
    if key not in tables:
        backend._run_pre_execute_hooks(table)  # in-memory tables and UDFs, as execute does
        frame = backend._session.sql(backend.compile(table)).localCheckpoint(eager=True)
        name = f"productops_shared_{uuid.uuid4().hex}"
        frame.createOrReplaceTempView(name)
        # Not at exit: the session may be gone by then, and the process' views with it.
        weakref.finalize(backend, backend._session.catalog.dropTempView, name).atexit = False
        tables[key] = backend.table(name)
    return tables[key]


SPARK_QUERIES_AT_ONCE = 2
"""How many queries of one `collect_union` Spark is given at once (local[2] has two cores;
four or eight at once were no faster on the scorecard at demo scale 10)."""


def collect_union(parts: Sequence[ir.Table]) -> pa.Table:
    """The rows of the union of `parts` (one or more tables of one schema), with no order.

    On DuckDB, one query: their union. On Spark, each part is a query of its own, given to
    Spark `SPARK_QUERIES_AT_ONCE` at a time (from threads) so that its cores stay busy while
    the next is planned. Spark's adaptive execution optimises a query's whole remaining plan
    again each time one of its stages ends, which for one union of the scorecard's 27
    criteria (about 100 stages) cost more: on a warm session at demo scale 10 the separate
    queries took 7-25% less CPU and time (docs/scale.md, "Spark's plans").

    >>> rows = collect_union([t.select("id"), u.select("id")])  # doctest: +SKIP
    """
    backend = parts[0]._find_backend()
    if backend.name != "pyspark":
        rows: pa.Table = ibis.union(*parts).to_pyarrow()
        return rows
    with ThreadPoolExecutor(SPARK_QUERIES_AT_ONCE) as pool:
        tables = list(pool.map(lambda part: part.to_pyarrow(), parts))
    return pa.concat_tables(tables, promote_options="default")


def spark_session(master: str, conf: dict[str, str] | None = None, token: str | None = None) -> Any:
    """A Spark session for analytics: UTC, UI off, warehouse in a temporary folder, plus `conf`.

    `master` is a master URL (local[2], spark://host:7077, yarn) or a Spark Connect URL
    (sc://host:15002, `connect_session`). The settings: `session_settings`.
    """
    if master.startswith("sc://"):
        return connect_session(master, conf, token)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineError(
            "engine.kind = 'pyspark' needs Java 17: install it (apt-get install openjdk-17-jre-headless, "
            "which scripts/setup.sh does) or set JAVA_HOME"
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "engine.kind = 'pyspark' needs PySpark: pip install 'productops[spark]'"
        ) from exc
    builder = SparkSession.builder.master(master).appName("productops")
    warehouse = {"spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="productops-spark-")}
    for key, value in {**warehouse, **session_settings(master, conf)}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def session_settings(master: str, conf: dict[str, str] | None = None) -> dict[str, str]:
    """The settings of a classic Spark session on `master`, `conf` over them.

    Every session runs in UTC, its UI off (`spark_session` adds a temporary warehouse), and keeps
    up to 1,000 of the classes it generates for queries' code, not Spark's 100: the scorecard
    alone makes several hundred, which a long-lived session (the server's) would otherwise
    compile again on every run (its second run at demo scale 10 on local[2]: 9.1-9.8 s and 14-15 JVM
    CPU s, against 11.3-12.8 s and 18-21 with 100; docs/scale.md). In local mode
    the shuffle uses two partitions (the default 200 cost more in task start-up than small
    data costs to compute), and the JVM, driver and executors in one, compiles with the JIT's
    first tier only, with room for all it compiles (`LOCAL_JVM_OPTIONS`). On a cluster the
    executors run in UTC and run this Python (`sys.executable`) unless `conf` names another
    (spark.pyspark.python): the analytics send no Python code of their own to them. Java
    options in `conf` (spark.driver.extraJavaOptions) come after productops' own, so theirs win.

    >>> session_settings("local[2]")["spark.driver.extraJavaOptions"]
    '-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m -XX:+UseSerialGC'
    >>> session_settings("spark://h:7077", {"spark.driver.extraJavaOptions": "-Xss4m"})[
    ...     "spark.driver.extraJavaOptions"]
    '-Duser.timezone=UTC -Xss4m'
    """
    local = master.startswith("local")
    theirs = conf or {}
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.codegen.cache.maxEntries": "1000",
        **({"spark.sql.shuffle.partitions": "2"} if local else _CLUSTER_SETTINGS),
        **theirs,
    }
    java = {"spark.driver.extraJavaOptions": ["-Duser.timezone=UTC"]}
    if local:
        java["spark.driver.extraJavaOptions"] += LOCAL_JVM_OPTIONS
    else:  # executors on a cluster keep the JIT's every tier
        java["spark.executor.extraJavaOptions"] = ["-Duser.timezone=UTC"]
    for key, options in java.items():
        settings[key] = " ".join([*options, theirs[key]] if key in theirs else options)
    return settings


LOCAL_JVM_OPTIONS = (
    "-XX:TieredStopAtLevel=1",
    "-XX:ReservedCodeCacheSize=240m",
    "-XX:+UseSerialGC",
)
"""The JVM of a local-mode session: its queries are many and small, and the JIT's second
tier (C2) spent more CPU compiling Spark than it saved (the scorecard at demo scale 10: 202 s
on a fresh session with it, 80 s without, bench/README.md). With C1 alone the JVM reserves
48 MB for compiled code instead of 240 MB, which the scorecard fills: the JIT then flushed
and compiled again (3.7 CPU s in its compiler on a fresh session, 1.5 s with 240 MB). The
serial collector spends less CPU than G1 on a heap this size. Options in `spark_conf` come
after these and win."""

# What a session on a cluster adds: executors running this Python.
_CLUSTER_SETTINGS = {"spark.pyspark.python": sys.executable}


def connect_session(url: str, conf: dict[str, str] | None = None, token: str | None = None) -> Any:
    """A Spark Connect session on the server at `url` (sc://host:port/;param=value), in UTC,
    with `conf`'s runtime settings (the server's own settings hold the rest), sending `token`
    (over TLS, as PySpark does whenever there is one).

    This is how a managed Spark (Databricks, EMR, Dataproc) is reached: docs/scale.md.
    A Spark Connect session and a classic one cannot share a process (PySpark's rule).
    """
    try:
        import pyspark.sql.connect.session  # noqa: F401  (checks Spark Connect's dependencies)
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            f"engine.spark_master = 'sc://...' needs PySpark with Spark Connect ({exc}): "
            "pip install 'productops[spark]'"
        ) from None
    builder = SparkSession.builder.remote(_with_token(url, token))
    for key, value in {"spark.sql.session.timeZone": "UTC", **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _with_token(url: str, token: str | None) -> str:
    """The Spark Connect `url` with `token` as its token parameter (none: `url` as it is).

    >>> _with_token("sc://h:443/;use_ssl=true", "T"), _with_token("sc://h:15002", "T")
    ('sc://h:443/;use_ssl=true;token=T', 'sc://h:15002/;token=T')
    """
    if token is None:
        return url
    return (url if "/;" in url else url.rstrip("/") + "/") + f";token={token}"


def _spark_token(settings: EngineSettings) -> str | None:
    """The Spark Connect token from the variable `settings.spark_token_env` names, or None."""
    name = settings.spark_token_env
    if name is None:
        return None
    token = os.environ.get(name)
    if not token:
        raise ConfigError(
            f"engine.spark_token_env names {name}, which is not set: export the Spark Connect "
            "token in it"
        )
    return token
