"""A damaged, locked or read-only store, and a bad workspace, give one-line errors that say what to do."""

from __future__ import annotations

import ctypes
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from productops.cli import app

runner = CliRunner()
BLOCK = 262144  # DuckDB's block size; blocks start after three 4 KiB headers
HEADERS = 12288

# Holds the store open (for writing, or reading with "ro") until its standard input closes.
HOLDER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("ready", flush=True)
    sys.stdin.read()
""")


def run(*args: str, code: int = 0) -> str:
    """All output of a command, which must exit with `code`; an error must be one line."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    if code:
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with one team, as `productops init w && productops import team t.csv` makes."""
    teams = tmp_path / "t.csv"
    teams.write_text("id,name\nalpha,Alpha\n", encoding="utf-8")
    run("init", str(tmp_path / "w"))
    run("-w", str(tmp_path / "w"), "import", "team", str(teams))
    return tmp_path / "w"


def team_rows(status_json: str) -> int:
    """Rows in the team table, as `status -f json` shows them."""
    tables = json.loads(status_json)["tables"]
    rows: int = next(t["rows"] for t in tables if t["table"] == "team")
    return rows


def _truncate(store: Path) -> None:
    with store.open("r+b") as f:
        f.truncate(store.stat().st_size // 2)


def _garbage_in_a_middle_block(store: Path) -> None:
    middle = HEADERS + (store.stat().st_size // 2 - HEADERS) // BLOCK * BLOCK
    with store.open("r+b") as f:
        f.seek(middle)
        f.write(bytes(range(256)) * 16)


def _meta(sql: str) -> Callable[[Path], None]:
    def change(store: Path) -> None:
        con = duckdb.connect(str(store))
        con.execute(sql)
        con.close()

    return change


DAMAGE = {
    "truncated": (_truncate, "Could not read enough bytes"),
    "corrupt block": (_garbage_in_a_middle_block, "Corrupt database file"),
    "schema_version abc": (
        _meta("UPDATE _productops_meta SET value = 'abc' WHERE key = 'schema_version'"),
        "schema_version 'abc' in _productops_meta is not a number",
    ),
    "no meta row": (
        _meta("DELETE FROM _productops_meta WHERE key = 'schema_version'"),
        "no schema_version in _productops_meta",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_store_says_to_restore_it(ws: Path, damage: str) -> None:
    harm, says = DAMAGE[damage]
    store = ws / "productops.duckdb"
    harm(store)
    for command in (["status"], ["import", "team", str(ws.parent / "t.csv")]):
        out = run("-w", str(ws), *command, code=1)
        assert f"{store} is damaged" in out
        assert says in out
        assert "restore it from a backup, or move it aside and re-import/re-sync" in out
    store.rename(ws / "damaged.duckdb")
    assert team_rows(run("-w", str(ws), "status", "-f", "json")) == 0


def test_init_on_a_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("mine", encoding="utf-8")
    assert "is a file: give `productops init` a folder" in run("init", str(path), code=1)
    assert path.read_text(encoding="utf-8") == "mine"


def test_a_settings_file_that_is_a_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "productops.toml").mkdir()
    out = run("-w", str(tmp_path), "status", code=1)
    assert "productops.toml is a folder, not the settings file: move it aside" in out


def test_a_bad_timestamp_format_is_refused_before_importing(ws: Path) -> None:
    items = ws.parent / "items.csv"
    items.write_text("id,team_id,created_at\nA-1,alpha,2024-01-01\n", encoding="utf-8")
    out = run("-w", str(ws), "import", "work_item", str(items), "--timestamp-format", "%Q", code=1)
    assert "--timestamp-format '%Q': Unrecognized format for strftime/strptime" in out
    config = ws / "productops.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[imports.work_item]\ntimestamp_formats = ["%d/%m/%Y %"]\n',
        encoding="utf-8",
    )
    out = run("-w", str(ws), "import", "work_item", str(items), code=1)
    assert "imports.work_item.timestamp_formats '%d/%m/%Y %': Trailing format character" in out
    imports = json.loads(run("-w", str(ws), "status", "-f", "json"))["imports"]
    assert [i["table"] for i in imports] == ["team"]


# -- read-only stores ------------------------------------------------------------


def _obey_file_modes() -> None:
    """In a child run as root: drop the capabilities that let root ignore file modes
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), so that chmod binds it as anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`productops ARGS` in a child process bound by file modes, even when tests run as root."""
    return subprocess.run(
        [sys.executable, "-m", "productops", *args],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_obey_file_modes if os.geteuid() == 0 else None,
    )


@pytest.mark.parametrize("read_only", ["store file", "workspace folder"])
def test_a_read_only_store_can_still_be_read(ws: Path, read_only: str) -> None:
    store = ws / "productops.duckdb"
    before = store.read_bytes()
    target = store if read_only == "store file" else ws
    mode = target.stat().st_mode
    target.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        shown = cli("-w", str(ws), "status", "-f", "json")
        assert shown.returncode == 0, shown.stderr
        assert team_rows(shown.stdout) == 1
        assert cli("-w", str(ws), "quarantine").returncode == 0
        written = cli("-w", str(ws), "import", "team", str(ws.parent / "t.csv"))
    finally:
        target.chmod(mode)
    assert written.returncode == 1
    note, error = written.stderr.strip().splitlines()
    reason = f"{store} is" if target == store else f"the store's folder {ws} is"
    assert (
        note == f"note: {reason} read-only: the store is open read-only, commands that write fail"
    )
    assert error == f"error: {store} is open read-only and this command writes to it: " + (
        "make the file and its folder writable, then retry"
    )
    assert store.read_bytes() == before


# -- another process holds the store ---------------------------------------------


@pytest.fixture
def holder(ws: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    """A second process holding the workspace's store open ("rw" or "ro")."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ws / "productops.duckdb"), request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    yield child
    child.communicate("")


@pytest.mark.parametrize("holder", ["rw"], indirect=True)
def test_a_store_another_process_writes_names_it(ws: Path, holder: subprocess.Popen[str]) -> None:
    for command in (["status"], ["import", "team", str(ws.parent / "t.csv")]):
        out = run("-w", str(ws), *command, code=1)
        assert f"is held by process {holder.pid} (" in out
        assert "wait for that one to finish, or stop it, then retry" in out


@pytest.mark.parametrize("holder", ["ro"], indirect=True)
def test_status_reads_beside_another_reader(ws: Path, holder: subprocess.Popen[str]) -> None:
    assert team_rows(run("-w", str(ws), "status", "-f", "json")) == 1
    run("-w", str(ws), "import", "team", str(ws.parent / "t.csv"), code=1)


def test_status_shares_a_store_this_process_writes(ws: Path) -> None:
    from productops.workspace import Workspace

    open_for_writing = Workspace.open(ws)
    try:
        assert team_rows(run("-w", str(ws), "status", "-f", "json")) == 1
    finally:
        open_for_writing.close()
