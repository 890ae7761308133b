"""`productops report` on real workspaces: the files it writes, an empty store, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from productops.cli import app
from productops.reports import write_atomic
from productops.workspace import Workspace
from tests.reports.rows import land_history
from tests.test_cli import run, runner


@pytest.fixture
def ws(workspace: Workspace) -> Path:
    land_history(workspace.store)
    workspace.close()
    return workspace.root


def test_writes_the_three_files_and_prints_their_paths(ws: Path) -> None:
    out = run("-w", str(ws), "report", "--periods", "2")
    paths = [Path(p) for p in out.split()]
    assert paths == [ws / "reports" / n for n in ("report.html", "report.pdf", "report.md")]
    assert paths[1].read_bytes().startswith(b"%PDF-")
    digest = paths[2].read_text(encoding="utf-8")
    assert "Product Ops digest, 2025 Q4" in digest
    assert [f.name for f in (ws / "reports").iterdir() if f.name.startswith(".")] == []


def test_chosen_formats_into_a_folder(ws: Path, tmp_path: Path) -> None:
    out = run("-w", str(ws), "report", "--out", str(tmp_path / "o"), "--format", "md")
    assert out.split() == [str(tmp_path / "o" / "report.md")]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["report.md"]


def test_bad_format(workspace: Workspace) -> None:
    out = run("-w", str(workspace.root), "report", "--format", "docx", code=1)
    assert "--format 'docx': use one or more of html, pdf, md" in out
    assert not (workspace.root / "reports").exists()


def test_out_that_is_a_file_is_one_line(ws: Path, tmp_path: Path) -> None:
    file = tmp_path / "taken"
    file.write_text("keep", encoding="utf-8")
    for out in (file, file / "sub"):
        said = run("-w", str(ws), "report", "--out", str(out), "-f", "md", code=1)
        assert said.startswith(f"error: --out {out}: cannot hold the reports (")
        assert len(said.strip().splitlines()) == 1
    assert file.read_text(encoding="utf-8") == "keep"


def test_empty_workspace_computes_the_scorecard_first(workspace: Workspace) -> None:
    result = runner.invoke(app, ["-w", str(workspace.root), "report", "--periods", "1", "-f", "md"])
    assert result.exit_code == 0, result.output
    assert "No scorecard kept yet: computing it for the last 1 quarters first" in result.stderr
    digest = (workspace.root / "reports" / "report.md").read_text(encoding="utf-8")
    assert "| Decisions informed by data | not enough data: needs" in digest


def test_atomic_write_keeps_the_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.md"
    write_atomic(path, "old")
    write_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    assert path.stat().st_mode == (tmp_path / "plain").stat().st_mode  # not private
    (tmp_path / "plain").unlink()

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "half")
    assert path.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
