"""`productops backup DEST`: a copy of the workspace that opens as a workspace with the same
rows; DuckDB's working files stay behind; a destination inside the workspace or not empty is
a one-line error that copies nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.schema import TABLES
from productops.workspace import STORE_FILE, Workspace

runner = CliRunner()


def counts(root: Path) -> dict[str, int]:
    ws = Workspace.open(root, read_only=True)
    try:
        return {name: ws.store.sql(f'SELECT count(*) FROM "{name}"')[0][0] for name in TABLES}
    finally:
        ws.close()


@pytest.fixture
def filled(tmp_path: Path, teams_csv: Path) -> Path:
    root = tmp_path / "ws"
    for args in (
        ["init", str(root)],
        ["-w", str(root), "import", "team", str(teams_csv)],
        ["-w", str(root), "user", "add", "ana", "--admin"],
        ["-w", str(root), "decision", "new", "Ship it", "--team", "payments"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    (root / "metrics").mkdir()
    (root / "metrics" / "mine.yml").write_text("metrics: []\n", encoding="utf-8")
    return root


def test_a_backup_is_a_workspace_with_the_same_rows(filled: Path, tmp_path: Path) -> None:
    dest = tmp_path / "backups" / "one"
    result = runner.invoke(app, ["-w", str(filled), "backup", str(dest), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert counts(dest) == counts(filled)
    assert counts(dest)["audit_event"] == 2  # user.add and decision.new: restored with the rest
    assert (dest / "metrics" / "mine.yml").read_text(encoding="utf-8") == "metrics: []\n"
    assert (dest / "productops.toml").read_bytes() == (filled / "productops.toml").read_bytes()
    assert not (dest / f"{STORE_FILE}.wal").exists()
    assert not (dest / f"{STORE_FILE}.waiting").exists()
    # restoring is copying it back: the copy works as the workspace did
    result = runner.invoke(app, ["-w", str(dest), "decision", "list", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert "Ship it" in result.output


@pytest.mark.parametrize("where", ["inside", "not empty"])
def test_a_destination_inside_the_workspace_or_not_empty_is_refused(
    filled: Path, tmp_path: Path, where: str
) -> None:
    dest = filled / "backup" if where == "inside" else tmp_path / "full"
    if where == "not empty":
        dest.mkdir()
        (dest / "keep.txt").write_text("mine", encoding="utf-8")
    before = sorted(p.name for p in dest.parent.iterdir())
    result = runner.invoke(app, ["-w", str(filled), "backup", str(dest)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert ("inside the workspace" if where == "inside" else "not an empty folder") in result.output
    assert sorted(p.name for p in dest.parent.iterdir()) == before
