"""A consistent copy of the workspace, taken while it is in use (docs/server.md, "Backups").

The store is copied as of one moment: written through (`CHECKPOINT`, so its write-ahead log is
empty), then copied while this process holds it, so that no other process (a running
`productops serve` included) writes it meanwhile. The other files of the workspace are copied
as they are; what is only DuckDB's working state (its write-ahead log, the file its waiting
openers lock, its spill folder) is left out.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from productops.errors import UsageError
from productops.workspace import STORE_FILE, Workspace

__all__ = ["Backup", "backup"]


@dataclass(frozen=True)
class Backup:
    """Where the copy is, how many files it holds and their bytes."""

    folder: Path
    files: int
    bytes: int


def backup(ws: Workspace, dest: Path) -> Backup:
    """Copy the open workspace `ws` into `dest`, a new or empty folder outside it; the copy is
    a workspace of its own (`productops -w DEST ...`), and restoring is copying it back.

    >>> backup(Workspace.open(Path("acme")), Path("/backups/acme-2026-12-07"))  # doctest: +SKIP
    Backup(folder=PosixPath('/backups/acme-2026-12-07'), files=9, bytes=36438016)
    """
    root, dest = ws.root.resolve(), dest.resolve()
    if dest == root or root in dest.parents:
        raise UsageError(f"{dest} is inside the workspace {root}: back it up to a folder outside")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} exists and is not an empty folder: choose a new one")
    working = {f"{STORE_FILE}.wal", f"{STORE_FILE}.waiting"}
    spill = (root / ws.config.engine.temp_directory).resolve()
    ws.store.sql("CHECKPOINT")
    files = size = 0
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name in working or spill == path or spill in path.parents:
            continue
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files, size = files + 1, size + target.stat().st_size
    return Backup(dest, files, size)
