"""`import_file` on real files into a real DuckDB store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from productops.config import ImportMapping
from productops.errors import ImportFileError, UsageError
from productops.ingest import import_file
from productops.workspace import Workspace

HEADER = "id,team_id,type,title,status_category,created_at,resolved_at,estimate\n"
GOOD = [
    "PAY-1,payments,story,Checkout,done,2024-03-01T10:00:00Z,2024-03-05T10:00:00+02:00,3\n",
    "PAY-2,payments,bug,Refunds,todo,2024-03-02 09:30:00,,\n",
    "GRO-1,growth,story,Signup,in progress,12/Mar/24 3:04 PM,,1.5\n",
]


def _items(ws: Workspace) -> dict[str, tuple[object, ...]]:
    rows = ws.store.sql(
        "SELECT id, team_id, status_category, created_at, resolved_at, estimate FROM work_item"
    )
    return {r[0]: r[1:] for r in rows}


def _quarantine(ws: Workspace) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in ws.store.sql("SELECT line, reason FROM quarantine ORDER BY line")]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def items_csv(tmp_path: Path) -> Path:
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    return path


def test_csv_lands_typed_and_qualified_rows(with_teams: Workspace, items_csv: Path) -> None:
    counts = import_file(with_teams.store, "work_item", items_csv, source="jira")
    assert (counts.landed, counts.updated, counts.unchanged, counts.quarantined) == (3, 0, 0, 0)
    items = _items(with_teams)
    assert items["jira:PAY-1"] == ("payments", "done", utc(2024, 3, 1, 10), utc(2024, 3, 5, 8), 3.0)
    assert items["jira:PAY-2"][2] == utc(2024, 3, 2, 9, 30)
    assert items["jira:GRO-1"][1:3] == ("in_progress", utc(2024, 3, 12, 15, 4))
    assert with_teams.store.sql("SELECT DISTINCT source FROM work_item") == [("jira",)]


def test_jsonl_lands_rows_and_keeps_nested_values_as_json(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = _write_jsonl(
        tmp_path / "events.jsonl",
        [
            {
                "id": "e1",
                "ts": "2024-05-01T12:00:00Z",
                "name": "sign_up",
                "properties": {"plan": "pro"},
            },
            {"id": "e2", "ts": 1714564800, "name": "login", "user_id": 42},
        ],
    )
    counts = import_file(with_teams.store, "event", path, source="segment")
    assert counts.landed == 2
    rows = with_teams.store.sql("SELECT id, ts, user_id, properties FROM event ORDER BY id")
    assert rows == [
        ("segment:e1", utc(2024, 5, 1, 12), None, '{"plan": "pro"}'),
        ("segment:e2", utc(2024, 5, 1, 12), "42", None),
    ]


def test_parquet_lands_native_types(with_teams: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "items.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["A-1", "A-2"],
                "team_id": ["growth", "growth"],
                "created_at": pa.array(
                    [datetime(2024, 1, 1, 8), datetime(2024, 1, 2, 8)], pa.timestamp("ms")
                ),
                "estimate": [2, 5],
                "extra": [1, 2],
            }
        ),
        path,
    )
    counts = import_file(with_teams.store, "work_item", path)
    assert (counts.landed, counts.quarantined, counts.ignored_columns) == (2, 0, ["extra"])
    assert _items(with_teams)["file:A-2"] == ("growth", None, utc(2024, 1, 2, 8), None, 5.0)


def test_each_kind_of_bad_value_is_quarantined_with_line_and_reason(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        (
            HEADER
            + GOOD[0]
            + ",payments,story,No key,todo,2024-03-01,,\n"  # line 3: missing key
            + "PAY-3,payments,story,When,todo,the 5th of May,,\n"  # line 4: unparseable timestamp
            + "PAY-4,payments,story,Size,todo,2024-03-01,,big\n"  # line 5: wrong type
            + "PAY-5,mars,story,Where,todo,2024-03-01,,\n"  # line 6: unknown team
            + "PAY-1,payments,story,Again,todo,2024-03-01,,\n"  # line 7: duplicate key in file
            + "PAY-6,payments,story,Shipped,finished,2024-03-01,,\n"  # line 8: not an accepted value
        ).encode()
        + b"PAY-7,payments,story,Caf\xe9,todo,2024-03-01,,\n"  # line 9: broken encoding
        + b"PAY-8,payments,story,Cut"  # line 10: truncated last line
    )
    counts = import_file(with_teams.store, "work_item", path)
    assert (counts.landed, counts.quarantined) == (1, 8)
    assert _quarantine(with_teams) == [
        (3, "missing key id"),
        (4, 'created_at: cannot read "the 5th of May" as timestamp'),
        (5, 'estimate: cannot read "big" as float'),
        (6, 'team_id: unknown team "mars"; import it into the team table first'),
        (7, "duplicate key in this file, first at line 2"),
        (8, 'status_category: "finished" is not one of todo, in_progress, done, cancelled'),
        (9, "broken encoding: column title is not valid UTF-8"),
        (10, "truncated row: 4 fields where the header has 8"),
    ]
    record = json.loads(with_teams.store.sql("SELECT record FROM quarantine WHERE line = 5")[0][0])
    assert record["estimate"] == "big"


def test_jsonl_bad_lines_are_quarantined(with_teams: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "teams.jsonl"
    path.write_bytes(
        b'{"id": "ops", "name": "Ops"}\n'
        b"[1, 2]\n"
        b'{"id": "x", "name": "\xff"}\n'
        b'{"id": "y", name}\n'
        b'{"id": "z", "na'
    )
    counts = import_file(with_teams.store, "team", path)
    assert (counts.landed, counts.quarantined) == (1, 4)
    reasons = [reason for _, reason in _quarantine(with_teams)]
    assert reasons[0] == "expected a JSON object, got list"
    assert reasons[1].startswith("broken encoding: not valid UTF-8")
    assert reasons[2].startswith("not valid JSON")
    assert reasons[3].startswith("truncated last line")


def test_reimport_changes_nothing_and_a_changed_row_is_updated(
    with_teams: Workspace, items_csv: Path, tmp_path: Path
) -> None:
    import_file(with_teams.store, "work_item", items_csv)
    before = with_teams.store.sql("SELECT * FROM work_item ORDER BY id")
    again = import_file(with_teams.store, "work_item", items_csv)
    assert (again.landed, again.updated, again.unchanged) == (0, 0, 3)
    assert with_teams.store.sql("SELECT * FROM work_item ORDER BY id") == before

    changed = tmp_path / "changed.csv"
    changed.write_text(
        HEADER + GOOD[0].replace("Checkout", "Checkout v2") + GOOD[1], encoding="utf-8"
    )
    counts = import_file(with_teams.store, "work_item", changed)
    assert (counts.landed, counts.updated, counts.unchanged) == (0, 1, 1)
    assert with_teams.store.sql("SELECT title FROM work_item WHERE id = 'file:PAY-1'") == [
        ("Checkout v2",)
    ]
    assert with_teams.store.sql("SELECT count(*) FROM work_item") == [(3,)]


def test_reimporting_bad_rows_does_not_duplicate_the_quarantine(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + GOOD[0] + "X-1,mars,story,x,todo,2024-01-01,,\n", encoding="utf-8")
    import_file(with_teams.store, "work_item", path)
    import_file(with_teams.store, "work_item", path)
    assert with_teams.store.sql("SELECT count(*) FROM quarantine") == [(1,)]
    assert with_teams.store.sql(
        "SELECT count(*) FROM import_run WHERE table_name = 'work_item'"
    ) == [(2,)]


def test_column_mapping_and_custom_timestamp_format(with_teams: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Issue key,Team,Created At,Summary\nPAY-9,payments,2024.07.01 13h05,Hello\n",
        encoding="utf-8",
    )
    mapping = ImportMapping(
        source="jira",
        columns={"id": "Issue key", "team_id": "Team", "title": "Summary"},
        timestamp_formats=["%Y.%m.%d %Hh%M"],
    )
    counts = import_file(with_teams.store, "work_item", path, mapping)
    assert counts.landed == 1
    assert with_teams.store.sql("SELECT id, title, created_at FROM work_item") == [
        ("jira:PAY-9", "Hello", utc(2024, 7, 1, 13, 5))
    ]


def test_a_file_that_cannot_be_read_is_an_error(with_teams: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown file type"):
        import_file(with_teams.store, "team", tmp_path / "teams.xlsx")
    with pytest.raises(ImportFileError, match="no such file"):
        import_file(with_teams.store, "team", tmp_path / "missing.csv")
    no_key = tmp_path / "nokey.csv"
    no_key.write_text("name\nA\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="no column for the key 'id'"):
        import_file(with_teams.store, "team", no_key)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(ImportFileError, match="not a readable Parquet file"):
        import_file(with_teams.store, "team", broken)
    with pytest.raises(UsageError, match="kept by productops itself"):
        import_file(with_teams.store, "quarantine", no_key)


def test_an_anonymous_table_keeps_only_the_day_it_landed(with_teams: Workspace) -> None:
    from productops.ingest import land_arrow
    from productops.schema import TABLES

    land_arrow(
        with_teams.store,
        TABLES["survey_response"],
        pa.table({"id": ["t:r1"], "survey_id": ["t:s1"], "question": ["fun"], "value": [3.0]}),
        source="t",
        label="test",
    )
    landed = with_teams.store.sql("SELECT ingested_at FROM survey_response")[0][0]
    assert (landed.hour, landed.minute, landed.second, landed.microsecond) == (0, 0, 0, 0)
    assert with_teams.store.sql(
        "SELECT count(*) FROM import_run WHERE table_name = 'survey_response'"
    )
