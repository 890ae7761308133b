"""Values that read wrongly, or must not land: each is read right or quarantined, saying why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import ImportMapping
from productops.ingest import import_file
from productops.workspace import Workspace


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _items(ws: Workspace, tmp_path: Path, rows: str, **mapping: str) -> dict[str, datetime]:
    """Import work items (id,created_at) and return the created_at of those that landed."""
    path = _csv(tmp_path, "items.csv", "id,team_id,created_at\n" + rows)
    import_file(ws.store, "work_item", path, ImportMapping.model_validate(mapping))
    return dict(ws.store.sql("SELECT id, created_at FROM work_item"))


def _reasons(ws: Workspace) -> dict[int, str]:
    return dict(ws.store.sql("SELECT line, reason FROM quarantine"))


def _day(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_a_numeric_date_that_reads_two_ways_is_quarantined(
    with_teams: Workspace, tmp_path: Path
) -> None:
    landed = _items(with_teams, tmp_path, "A-1,growth,01/02/2024\nA-2,growth,03/03/2024\n")
    assert landed == {"file:A-2": _day(2024, 3, 3)}
    reason = _reasons(with_teams)[2]
    assert reason.startswith('created_at: ambiguous date "01/02/2024"')
    assert 'imports.work_item.date_order = "dmy" or "mdy"' in reason


@pytest.mark.parametrize(
    ("other", "order", "read"),
    [("13/02/2024", "dmy", _day(2024, 2, 1)), ("02/13/2024", "mdy", _day(2024, 1, 2))],
)
def test_the_files_other_dates_tell_day_or_month_first(
    with_teams: Workspace, tmp_path: Path, other: str, order: str, read: datetime
) -> None:
    landed = _items(with_teams, tmp_path, f"A-1,growth,01/02/2024 10:00\nA-2,growth,{other}\n")
    assert landed["file:A-1"] == read.replace(hour=10), order
    assert len(landed) == 2


def test_the_date_order_setting_decides_and_a_date_against_it_is_quarantined(
    with_teams: Workspace, tmp_path: Path
) -> None:
    rows = "A-1,growth,01/02/2024\nA-2,growth,02/13/2024\n"
    landed = _items(with_teams, tmp_path, rows, date_order="dmy")
    assert landed == {"file:A-1": _day(2024, 2, 1)}
    assert _reasons(with_teams)[3] == 'created_at: cannot read "02/13/2024" as timestamp'


def test_the_cli_reads_date_order_and_decimal_separator_from_productops_toml(
    with_teams: Workspace, tmp_path: Path
) -> None:
    with (with_teams.root / "productops.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[imports.work_item]\ndate_order = "dmy"\ndecimal_separator = ","\n')
    path = _csv(
        tmp_path, "items.csv", 'id,team_id,created_at,estimate\nA-1,growth,01/02/2024,"1,5"\n'
    )
    result = CliRunner().invoke(app, ["-w", str(with_teams.root), "import", "work_item", str(path)])
    assert result.exit_code == 0, result.output
    reopened = Workspace.open(with_teams.root)
    try:
        rows = reopened.store.sql("SELECT created_at, estimate FROM work_item")
    finally:
        reopened.close()
    assert rows == [(_day(2024, 2, 1), 1.5)]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2024-01-01T00:00:00+14:00", _day(2023, 12, 31, 10)),
        ("2024-01-01T12:00:00-03:30", datetime(2024, 1, 1, 15, 30, tzinfo=UTC)),
        ("2024-01-01T12:00:00.5+0200", datetime(2024, 1, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2024-01-01T00:00:00+25:00", None),
        ("2024-01-01T00:00:00-14:30", None),
        ("2024-01-01T00:00:00+05:99", None),
        ("2024-01-01 10:00+2500", None),
    ],
)
def test_an_offset_beyond_14_hours_is_quarantined(
    with_teams: Workspace, tmp_path: Path, written: str, read: datetime | None
) -> None:
    landed = _items(with_teams, tmp_path, f"A-1,growth,{written}\n")
    assert landed.get("file:A-1") == read
    if read is None:
        assert _reasons(with_teams)[2] == (
            f'created_at: "{written}" has a UTC offset beyond ±14:00 or past :59 minutes'
        )


@pytest.mark.parametrize(
    "written", ["infinity", "-infinity", "-0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]
)
def test_a_timestamp_outside_1900_to_2199_is_quarantined(
    with_teams: Workspace, tmp_path: Path, written: str
) -> None:
    landed = _items(with_teams, tmp_path, f"A-1,growth,{written}\nA-2,growth,1900-01-01\n")
    assert landed == {"file:A-2": _day(1900, 1, 1)}
    assert _reasons(with_teams)[2] == (
        f'created_at: "{written}" is before 1900 or after 2199: a placeholder or a typo'
    )


def test_flow_commands_run_after_an_import_of_infinite_timestamps(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "items.csv",
        "id,team_id,created_at,resolved_at,status_category\n"
        "A-1,growth,2024-01-01,2024-01-05,done\n"
        "A-2,growth,-infinity,infinity,done\n"
        "A-3,growth,2024-01-02,infinity,done\n",
    )
    import_file(with_teams.store, "work_item", path)
    root = str(with_teams.root)
    with_teams.close()
    runner = CliRunner()
    for command in (["flow", "lead-time"], ["flow", "items"], ["flow", "throughput"]):
        result = runner.invoke(app, ["-w", root, *command])
        assert result.exit_code == 0, (command, result.output)


def test_a_parquet_timestamp_outside_the_range_is_quarantined(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "items.parquet"
    data: dict[str, list[Any]] = {
        "id": ["A-1", "A-2"],
        "team_id": ["growth", "growth"],
        "created_at": [datetime(1, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)],
        "estimate": [float("nan"), 2.0],
    }
    pq.write_table(pa.table(data), path)
    import_file(with_teams.store, "work_item", path)
    assert with_teams.store.sql("SELECT id FROM work_item") == [("file:A-2",)]
    assert _reasons(with_teams)[1] == (
        'created_at: "0001-01-01 00:00:00+00" is before 1900 or after 2199: a placeholder or a '
        'typo; estimate: "nan" is not a finite number'
    )


@pytest.mark.parametrize("written", ["NaN", "inf", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_quarantined(
    with_teams: Workspace, tmp_path: Path, written: str
) -> None:
    path = _csv(
        tmp_path, "items.csv", f"id,team_id,created_at,estimate\nA-1,growth,2024-01-01,{written}\n"
    )
    counts = import_file(with_teams.store, "work_item", path)
    assert (counts.landed, counts.quarantined) == (0, 1)
    assert _reasons(with_teams)[2] == f'estimate: "{written}" is not a finite number'


ARR = 'id,arr\na,1e6\nb,45k\nc,"45.000,50"\nd,"45,000.50"\ne,"1,5"\nf,45000\n'


@pytest.mark.parametrize(
    ("separator", "landed", "hint"),
    [
        (".", {"a": 1e6, "d": 45000.5, "f": 45000.0}, ","),
        (",", {"a": 1e6, "c": 45000.5, "e": 1.5, "f": 45000.0}, "."),
    ],
)
def test_numbers_read_with_the_decimal_separator_or_are_quarantined(
    workspace: Workspace, tmp_path: Path, separator: str, landed: dict[str, float], hint: str
) -> None:
    path = _csv(tmp_path, "accounts.csv", ARR)
    import_file(
        workspace.store,
        "account",
        path,
        ImportMapping.model_validate({"decimal_separator": separator}),
    )
    assert dict(workspace.store.sql("SELECT id, arr FROM account")) == landed
    reasons = _reasons(workspace)
    assert reasons[3] == 'arr: cannot read "45k" as float'
    wrong = {"c": 4, "d": 5, "e": 6}.keys() - landed.keys()
    for line in ({"c": 4, "d": 5, "e": 6}[k] for k in wrong):
        assert reasons[line].endswith(
            f'; if "{hint}" is the decimal separator, set imports.account.decimal_separator = '
            f'"{hint}" in productops.toml'
        )


def test_accounts_import_reads_arr_with_the_workspaces_decimal_separator(
    workspace: Workspace, tmp_path: Path
) -> None:
    with (workspace.root / "productops.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[imports.account]\ndecimal_separator = ","\n')
    path = _csv(
        tmp_path,
        "companies.csv",
        "Record ID,Company name,ARR\n"
        'acc-1,Acme,"€45.000,50"\n'
        "acc-2,Globex,1e6\n"
        "acc-3,Initech,45k\n"
        "acc-4,Hooli,45 000 EUR\n",
    )
    root = str(workspace.root)
    workspace.close()
    result = CliRunner().invoke(app, ["-w", root, "accounts", "import", str(path)])
    assert result.exit_code == 0, result.output
    reopened = Workspace.open(Path(root))
    try:
        arr = dict(reopened.store.sql("SELECT id, arr FROM account"))
        reasons = _reasons(reopened)
    finally:
        reopened.close()
    assert arr == {"acc-1": 45000.5, "acc-2": 1e6, "acc-4": 45000.0}
    assert reasons == {4: 'arr: cannot read "45k" as float'}


def test_an_end_before_its_start_is_quarantined(with_teams: Workspace, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "items.csv",
        "id,team_id,created_at,resolved_at\n"
        "A-1,growth,2024-06-01,2023-06-01\n"
        "A-2,growth,2024-06-01,2024-06-01\n"
        "A-3,growth,2024-06-01,\n",
    )
    import_file(with_teams.store, "work_item", path)
    assert sorted(r[0] for r in with_teams.store.sql("SELECT id FROM work_item")) == [
        "file:A-2",
        "file:A-3",
    ]
    assert _reasons(with_teams) == {2: 'resolved_at "2023-06-01" is before created_at "2024-06-01"'}


def test_a_deployment_that_finished_before_it_started_is_quarantined(
    with_teams: Workspace, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "deployments.csv",
        "id,team_id,started_at,finished_at\nd-1,growth,2024-01-02 10:00,2024-01-02 09:00\n",
    )
    counts = import_file(with_teams.store, "deployment", path)
    assert counts.quarantined == 1
    assert _reasons(with_teams)[2] == (
        'finished_at "2024-01-02 09:00" is before started_at "2024-01-02 10:00"'
    )


def _teams(ws: Workspace, tmp_path: Path, rows: str) -> dict[str, str | None]:
    import_file(ws.store, "team", _csv(tmp_path, "t.csv", "id,name,parent_id\n" + rows))
    return dict(ws.store.sql("SELECT id, parent_id FROM team"))


def test_an_unknown_parent_is_quarantined_beside_a_row_without_id(
    workspace: Workspace, tmp_path: Path
) -> None:
    teams = _teams(workspace, tmp_path, "alpha,Alpha,\n,Nobody,\nbeta,Beta,ghost\n")
    assert teams == {"alpha": None}
    assert _reasons(workspace) == {
        3: "missing key id",
        4: 'parent_id: unknown team "ghost"; import it into the team table first',
    }


def test_a_team_that_is_its_own_parent_is_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    assert _teams(workspace, tmp_path, "alpha,Alpha,alpha\nbeta,Beta,\n") == {"beta": None}
    assert _reasons(workspace) == {
        2: 'parent_id: "alpha" is the team itself; leave it empty for a top team'
    }


def test_a_row_that_would_close_a_cycle_of_parents_is_quarantined(
    workspace: Workspace, tmp_path: Path
) -> None:
    _teams(workspace, tmp_path, "a,A,\nb,B,a\nc,C,b\n")
    teams = _teams(workspace, tmp_path, "a,A,c\nd,D,e\ne,E,d\nb,B,\n")
    assert teams == {"a": None, "b": None, "c": "b"}
    assert _reasons(workspace) == {
        2: 'parent_id: "c" would close the cycle a -> c -> b -> a; break it',
        3: 'parent_id: the row of team "e" is quarantined; fix it first',
        4: 'parent_id: "d" would close the cycle e -> d -> e; break it',
    }


def test_a_transitions_csv_reads_its_times_as_an_import_does(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    path = _csv(
        tmp_path,
        "moves.csv",
        "item,changed_at,from_status,to_status\n"
        "P-1,2024-04-01T09:00:00+20:00,Backlog,Doing\n"
        "P-2,01/04/2024 09:00,Backlog,Doing\n"
        "P-3,13/04/2024 09:00,Backlog,Doing\n",
    )
    for args in (
        ["init", str(ws)],
        ["-w", str(ws), "connect", "transitions-csv", "--path", str(path), "--default-team", "ops"],
        ["-w", str(ws), "sync", "transitions-csv"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    workspace = Workspace.open(ws)
    try:
        moves = dict(
            workspace.store.sql("SELECT work_item_id, changed_at FROM work_item_transition")
        )
        reasons = [r for (r,) in workspace.store.sql("SELECT reason FROM quarantine")]
    finally:
        workspace.close()
    assert moves == {"jira:P-2": _day(2024, 4, 1, 9), "jira:P-3": _day(2024, 4, 13, 9)}
    assert reasons == [
        'changed_at: "2024-04-01T09:00:00+20:00" has a UTC offset beyond ±14:00 or past :59 minutes'
    ]
