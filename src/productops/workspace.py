"""The workspace: a folder with `productops.toml`, the DuckDB store and outputs.

`Workspace` is the one object the interfaces hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from productops.config import CONFIG_FILE, Config, load_config, write_config
from productops.engine import Store, analytics_backend
from productops.errors import WorkspaceError

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = ["STORE_FILE", "Workspace"]

STORE_FILE = "productops.duckdb"


@dataclass
class Workspace:
    """A workspace folder, its validated config and its open store.

    >>> ws = Workspace.init(Path("acme"))  # doctest: +SKIP
    >>> ws.backend().table("team").count().execute()  # doctest: +SKIP
    0
    """

    root: Path
    config: Config
    store: Store
    _backend: BaseBackend | None = field(default=None, init=False, repr=False)

    @classmethod
    def init(cls, root: Path, config: Config | None = None) -> Workspace:
        """Create a workspace in `root` (made if missing); refuse one that exists."""
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} is a file: give `productops init` a folder, new or not")
        if (root / CONFIG_FILE).exists():
            raise WorkspaceError(f"{root / CONFIG_FILE}: a workspace already exists here")
        try:
            root.mkdir(parents=True, exist_ok=True)
            write_config(root / CONFIG_FILE, config or Config())
        except OSError as exc:
            raise WorkspaceError(
                f"{root}: cannot make a workspace here ({exc.strerror}); choose a folder you may write"
            ) from exc
        return cls.open(root)

    @classmethod
    def open(
        cls, root: Path, *, read_only: bool = False, waited: float = 0.0, defer: bool = False
    ) -> Workspace:
        """Open the workspace in `root`, upgrading an older store; `read_only`: see `Store.open`.

        A store another process holds is waited for up to `[workspace] lock_wait_seconds`, less
        the `waited` seconds this opener has already spent waiting for its turn. `defer`: let
        the processes already waiting for the store have it first (the server does).
        """
        if not (root / CONFIG_FILE).exists():
            raise WorkspaceError(
                f"{root} is not a workspace (no {CONFIG_FILE}); run `productops init {root}`"
            )
        config = load_config(root / CONFIG_FILE)
        store = Store.open(
            root / STORE_FILE,
            read_only=read_only,
            engine=config.engine,
            lock_wait=max(0.0, config.workspace.lock_wait_seconds - waited),
            defer=defer,
        )
        return cls(root, config, store)

    @classmethod
    def find(cls, start: Path | None = None, *, read_only: bool = False) -> Workspace:
        """Open the workspace at `start` or the nearest folder above it holding `productops.toml`."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).exists():
                return cls.open(folder, read_only=read_only)
        raise WorkspaceError(
            f"no {CONFIG_FILE} in {here} or above; run `productops init DIR` or pass --workspace DIR"
        )

    @property
    def config_path(self) -> Path:
        """The workspace's settings file, productops.toml."""
        return self.root / CONFIG_FILE

    @property
    def manifest_path(self) -> Path:
        """Where `productops demo` writes what it planted."""
        return self.root / "demo-manifest.json"

    def backend(self) -> BaseBackend:
        """The Ibis backend analytics run on (DuckDB, or Spark per `engine.kind`).

        Made once per workspace object: on Spark that is one Parquet snapshot
        of the store per command, taken at first use.
        """
        if self._backend is None:
            self._backend = analytics_backend(self.store, self.config.engine, self.parquet_dir)
        return self._backend

    @property
    def parquet_dir(self) -> Path:
        """Where the canonical tables are kept as Parquet for Spark (docs/scale.md)."""
        return self.root / "parquet"

    def close(self) -> None:
        """Close the store. On Spark, first write what changed while it was open (an import, a
        sync: any committed write) to the Parquet tables, so the next analysis finds them
        ready; only the partitions that changed are written (`Store.export_parquet`)."""
        try:
            if self.config.engine.kind == "pyspark" and self.store.changed:
                self.store.export_parquet(self.parquet_dir)
        finally:
            self.store.close()
