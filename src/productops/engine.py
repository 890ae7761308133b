"""The one module that knows backends.

The workspace's DuckDB file is the system of record: imports and connectors
write to it in transactions (`Store`). Analytics read Ibis tables from
`analytics_backend`: the same DuckDB connection by default, or an Apache Spark
session (local mode or a master URL) over the canonical tables exported as
Parquet.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import pyarrow as pa

from productops.errors import EngineError, SchemaVersionError, WorkspaceError
from productops.schema import SCHEMA_VERSION, TABLES, statements

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

    from productops.config import EngineSettings

__all__ = ["Store", "analytics_backend", "quote"]

META_TABLE = "_productops_meta"


def quote(name: str) -> str:
    """Quote an identifier for SQL (DuckDB 2 reserves words such as `at`)."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    """The workspace's DuckDB file, upgraded to the current schema on open.

    >>> store = Store.open(Path("ws/productops.duckdb"))  # doctest: +SKIP
    >>> store.sql("select count(*) from team")  # doctest: +SKIP
    [(6,)]
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._con = con
        self._depth = 0

    @classmethod
    def open(cls, path: Path, *, upgrade_to: int = SCHEMA_VERSION) -> Store:
        """Open (or create) the store at `path` and bring its schema up to `upgrade_to`."""
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise WorkspaceError(f"{path}: cannot open the store: {exc}") from exc
        con.execute("SET TimeZone = 'UTC'")
        store = cls(path, con)
        store._migrate(upgrade_to)
        return store

    def close(self) -> None:
        self._con.close()

    # -- schema versions ------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [META_TABLE]
        )[0][0]
        if not exists:
            return 0
        return int(self.sql(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'")[0][0])

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

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run `query` with `?` parameters and return all rows."""
        return self._con.execute(query, params).fetchall()

    def arrow(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run `query` and return the result as an Arrow table."""
        result: pa.Table = self._con.sql(query, params=params).to_arrow_table()
        return result

    def columns(self, table: str) -> list[str]:
        rows = self.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in rows]

    @contextmanager
    def staged(self, name: str, data: pa.Table) -> Iterator[None]:
        """Make the Arrow table `data` queryable as `name` for the duration of the block."""
        self._con.register(name, data)
        try:
            yield
        finally:
            self._con.unregister(name)

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
        self._con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self._con.execute("COMMIT")

    def ibis(self) -> BaseBackend:
        return ibis.duckdb.from_connection(self._con)

    def export_parquet(self, folder: Path) -> None:
        """Write every canonical table to `folder/TABLE.parquet`, replacing the old set at once."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=".parquet-", dir=folder.parent))
        for name in TABLES:
            target = str(fresh / f"{name}.parquet").replace("'", "''")
            self._con.execute(f"COPY {quote(name)} TO '{target}' (FORMAT parquet)")
        if folder.exists():
            shutil.rmtree(folder)
        fresh.rename(folder)


def analytics_backend(store: Store, settings: EngineSettings, parquet_dir: Path) -> BaseBackend:
    """The Ibis backend analytics run on, holding every canonical table by name."""
    if settings.kind == "duckdb":
        return store.ibis()
    store.export_parquet(parquet_dir)
    session = spark_session(settings.spark_master, settings.spark_conf)
    # Temporary views straight from Spark: Ibis's read_parquet runs a job per table.
    for name in TABLES:
        session.read.parquet(str(parquet_dir / f"{name}.parquet")).createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)


def spark_session(master: str, conf: dict[str, str] | None = None) -> Any:
    """A Spark session for analytics: UTC, UI off, warehouse in a temporary folder, plus `conf`.

    In local mode the shuffle uses two partitions: the default 200 cost more in
    task start-up than small data costs to compute.
    """
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
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="productops-spark-"),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        **({"spark.sql.shuffle.partitions": "2"} if master.startswith("local") else {}),
        **(conf or {}),
    }
    builder = SparkSession.builder.master(master).appName("productops")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
