"""Files as they come: gzipped, UTF-16, with a BOM, with bad bytes or a huge field.

`productops import`, `productops feedback import` and `productops accounts
import` read them alike (`ingest.read`): a bad row is quarantined with its
reason, the good ones land, and nothing gives a traceback.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from productops.cli import app
from productops.config import CONFIG_FILE, ImportMapping, write_config
from productops.connectors.feedback_files import FEEDBACK_KINDS
from productops.workspace import Workspace
from tests.connectors.feedback_sites import FIXTURES

TEAMS = "id,name\nops,Ops\nsales,Sales\n"
FEEDBACK = "id,text,created_at\nf-1,Checkout is slow,2024-03-01\nf-2,Exports time out,2024-03-02\n"
HUGE = 50 * 2**20  # a 50 MB field, far past the CSV field limit of 131,072 characters


def run(ws: Workspace, *args: str) -> Result:
    """The CLI on `ws`; a traceback (any exception but an exit) fails the test."""
    done = CliRunner().invoke(app, ["--workspace", str(ws.root), *args, "--format", "json"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.output
    return done


def landed(done: Result, table: str) -> tuple[int, int, int, int]:
    row = next(r for r in json.loads(done.stdout) if r["table"] == table)
    return row["landed"], row["updated"], row["unchanged"], row["quarantined"]


def reasons(ws: Workspace, table: str) -> list[tuple[int, str]]:
    rows = ws.store.sql(
        "SELECT line, reason FROM quarantine WHERE table_name = ? ORDER BY line", [table]
    )
    return [(line, reason) for line, reason in rows]


def texts(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.store.sql("SELECT text FROM feedback ORDER BY id")]


# -- productops import -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["teams.csv", "teams.csv.gz", "teams.gz.csv"])
def test_import_reads_gzip_whatever_the_name(
    workspace: Workspace, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(TEAMS.encode()))
    done = run(workspace, "import", "team", str(path))
    assert done.exit_code == 0, done.output
    assert workspace.store.sql("SELECT id FROM team ORDER BY id") == [("ops",), ("sales",)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_import_decodes_a_file_by_its_byte_order_mark(
    workspace: Workspace, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "teams.csv"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    path.write_bytes(bom + TEAMS.replace("Ops", "Opérations").encode(encoding))
    done = run(workspace, "import", "team", str(path))
    assert done.exit_code == 0, done.output
    assert workspace.store.sql("SELECT name FROM team ORDER BY id") == [("Opérations",), ("Sales",)]


def test_import_of_a_cut_gzip_file_is_one_line_error(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv.gz"
    path.write_bytes(gzip.compress(TEAMS.encode())[:20])
    done = run(workspace, "import", "team", str(path))
    assert done.exit_code == 1
    assert "cannot read the file" in done.output
    assert workspace.store.sql("SELECT count(*) FROM team") == [(0,)]


def test_import_quarantines_a_huge_field_and_lands_the_rest(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "teams.csv"
    path.write_text(TEAMS + "big," + "x" * HUGE + "\nmore,More\n", encoding="utf-8")
    done = run(workspace, "import", "team", str(path))
    assert done.exit_code == 0, done.output
    assert workspace.store.sql("SELECT id FROM team ORDER BY id") == [
        ("more",),
        ("ops",),
        ("sales",),
    ]
    assert reasons(workspace, "team") == [
        (4, "unreadable CSV row: field larger than field limit (131072)")
    ]
    kept = workspace.store.sql("SELECT length(record) FROM quarantine")[0][0]
    assert kept < 2000


def test_import_of_latin1_quarantines_the_bad_row_with_its_column(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "teams.jsonl"
    path.write_bytes(b'{"id": "ops", "name": "Ops"}\n{"id": "cafe", "name": "Caf\xe9"}\n')
    done = run(workspace, "import", "team", str(path))
    assert done.exit_code == 0, done.output
    assert workspace.store.sql("SELECT id FROM team") == [("ops",)]
    assert reasons(workspace, "team") == [(2, "broken encoding: not valid UTF-8")]
    assert workspace.store.sql("SELECT record FROM quarantine") == [
        ('{"id": "cafe", "name": "Caf\ufffd"}',)
    ]


# -- feedback import and accounts import -----------------------------------------------


def test_feedback_reads_json_lines(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    rows = [
        {"id": "j-1", "text": "Search is broken", "created_at": "2024-03-01", "rating": 2},
        {"id": "j-2", "text": "Love the new editor", "created_at": "2024-03-02", "rating": 5},
    ]
    # A BOM before the first row, as Windows tools write it, must not cost that row.
    path.write_text("\ufeff" + "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run(workspace, "feedback", "import", "generic", str(path))
    assert done.exit_code == 0, done.output
    assert landed(done, "feedback") == (2, 0, 0, 0)
    assert workspace.store.sql("SELECT id, rating FROM feedback ORDER BY id") == [
        ("feedback-csv:j-1", 2.0),
        ("feedback-csv:j-2", 5.0),
    ]


def test_feedback_reads_gzip_and_utf16(workspace: Workspace, tmp_path: Path) -> None:
    gzipped = tmp_path / "feedback.csv"
    gzipped.write_bytes(gzip.compress(FEEDBACK.encode()))
    done = run(workspace, "feedback", "import", "generic", str(gzipped))
    assert done.exit_code == 0, done.output
    utf16 = tmp_path / "more.csv"
    utf16.write_text(FEEDBACK.replace("f-", "u-"), encoding="utf-16")
    done = run(workspace, "feedback", "import", "generic", str(utf16))
    assert done.exit_code == 0, done.output
    assert texts(workspace) == ["Checkout is slow", "Exports time out"] * 2


def test_feedback_of_latin1_lands_the_good_rows(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_bytes(FEEDBACK.encode() + b"f-3,Caf\xe9 menu is hidden,2024-03-03\n")
    done = run(workspace, "feedback", "import", "generic", str(path))
    assert done.exit_code == 0, done.output
    assert texts(workspace) == ["Checkout is slow", "Exports time out"]
    assert reasons(workspace, "raw_record") == [
        (4, "broken encoding: column text is not valid UTF-8")
    ]


def test_feedback_quarantines_a_huge_field(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text(FEEDBACK + "f-3," + "x" * HUGE + ",2024-03-03\n", encoding="utf-8")
    done = run(workspace, "feedback", "import", "generic", str(path))
    assert done.exit_code == 0, done.output
    assert texts(workspace) == ["Checkout is slow", "Exports time out"]
    assert reasons(workspace, "raw_record") == [
        (4, "unreadable CSV row: field larger than field limit (131072)")
    ]


@pytest.mark.parametrize(
    "command",
    [["feedback", "import", "generic"], ["accounts", "import"]],
    ids=["feedback", "accounts"],
)
def test_nothing_imported_exits_non_zero(
    workspace: Workspace, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "nothing.csv"
    path.write_text("id,name,text\n,,\n,x,\n", encoding="utf-8")
    done = run(workspace, *command, str(path))
    assert done.exit_code == 1
    assert "no row could be imported" in done.output
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,name,text\n", encoding="utf-8")
    done = run(workspace, *command, str(header_only))
    assert done.exit_code == 1
    assert "no rows to import" in done.output


def _csv_dicts(path: Path) -> list[dict[str, str]]:
    utf16 = path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    with path.open(encoding="utf-16" if utf16 else "utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


FILES = [
    *((["feedback", "import", kind], f"{kind}.csv") for kind in FEEDBACK_KINDS),
    *(
        (["accounts", "import"], name)
        for name in ("accounts.csv", "accounts_hubspot.csv", "accounts_salesforce.csv")
    ),
]


@pytest.mark.parametrize(("command", "fixture"), FILES, ids=[name for _, name in FILES])
def test_every_kind_takes_the_same_rows_as_gzipped_json_lines(
    workspace: Workspace, tmp_path: Path, command: list[str], fixture: str
) -> None:
    # The csat file's 02/10/2024 reads two ways and no other date in it tells which: say it.
    imports = {"feedback": ImportMapping(date_order="mdy")}
    write_config(
        workspace.root / CONFIG_FILE, workspace.config.model_copy(update={"imports": imports})
    )
    first = run(workspace, *command, str(FIXTURES / fixture))
    jsonl = tmp_path / "same.jsonl.gz"
    lines = "".join(json.dumps(row) + "\n" for row in _csv_dicts(FIXTURES / fixture))
    jsonl.write_bytes(gzip.compress(lines.encode()))
    again = run(workspace, *command, str(jsonl))
    assert again.exit_code == 0, again.output
    for row, before in zip(json.loads(again.stdout), json.loads(first.stdout), strict=True):
        assert (row["table"], row["landed"], row["updated"]) == (before["table"], 0, 0)
        assert row["unchanged"] == before["landed"] + before["updated"]
