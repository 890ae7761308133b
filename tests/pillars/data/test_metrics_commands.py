"""`productops metrics ...` on a hand-made workspace, in-process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from productops.workspace import Workspace
from tests.pillars.data.test_catalog import METRIC
from tests.pillars.data.usage import history, load
from tests.test_cli import run


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("metrics") / "ws"
    workspace = Workspace.init(root)
    load(workspace.store, history())
    workspace.close()
    (root / "metrics").mkdir()
    (root / "metrics" / "growth.yml").write_text(
        METRIC + METRIC.split("metrics:\n")[1].replace("logins", "dau"), encoding="utf-8"
    )
    return root


def test_list_shows_builtin_and_workspace_metrics(ws: Path) -> None:
    rows = json.loads(run("-w", str(ws), "metrics", "list", "-f", "json"))
    by_name = {r["name"]: r for r in rows}
    assert by_name["logins"]["origin"] == "workspace"
    assert by_name["stickiness"] == {
        "name": "stickiness",
        "type": "derived",
        "unit": "ratio",
        "direction": "higher",
        "status": "certified",
        "owner": "product_ops",
        "description": by_name["stickiness"]["description"],
        "origin": "builtin",
    }
    drafts = json.loads(run("-w", str(ws), "metrics", "list", "--status", "draft", "-f", "json"))
    assert drafts
    assert all(r["status"] == "draft" for r in drafts)


def test_search_ranks_matches(ws: Path) -> None:
    rows = json.loads(run("-w", str(ws), "metrics", "search", "retention", "-f", "json"))
    assert rows[0]["name"] == "cohort_retention"
    assert "metrics matching 'retention'" in run("-w", str(ws), "metrics", "search", "retention")


def test_show_gives_the_definition_the_override_and_the_sql(ws: Path) -> None:
    out = run("-w", str(ws), "metrics", "show", "dau", "--sql", "-f", "json")
    fields = {f["field"]: f["value"] for f in json.loads(out)["dau"]}
    assert fields["type"] == "simple"
    assert "overrides the definition in" in fields["defined in"]
    assert "growth.yml:11" in fields["defined in"]
    assert "segment" in fields["dimensions"]
    assert fields["definition"]["filter"] == ["event_name = login"]
    assert "SELECT" in fields["sql"].upper()
    text = run("-w", str(ws), "metrics", "show", "mau", "--sql")
    assert "lower is better" not in text
    assert "higher is better" in text
    assert "SELECT" in text


def test_query_by_a_dimension_with_filters_as_csv(ws: Path) -> None:
    out = run(
        "-w",
        str(ws),
        "metrics",
        "query",
        "feature_uses",
        "--by",
        "segment",
        "--grain",
        "month",
        "--where",
        "plan in (free, pro)",
        "--where",
        "segment != enterprise",
        "--since",
        "2024-05-01",
        "-f",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows
    assert {r["segment"] for r in rows} == {"smb"}
    assert min(r["period_start"] for r in rows) >= "2024-05-01"
    assert list(rows[0]) == ["period_start", "segment", "value"]


def test_query_a_lens(ws: Path) -> None:
    rows = json.loads(
        run("-w", str(ws), "metrics", "query", "signup_funnel", "--grain", "month", "-f", "json")
    )
    assert {r["event_name"] for r in rows} == {"sign_up", "login", "feature_used"}
    assert "user_lifecycle" in run(
        "-w", str(ws), "metrics", "query", "user_lifecycle", "--limit", "3"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "dau", "--by", "team"], "--by team: dau has no dimension 'team'"),
        (["query", "mau", "--where", "colour = red"], "unknown dimension 'colour'"),
        (["query", "mau", "--grain", "year"], "--grain 'year'"),
        (["show", "nope"], "unknown metric 'nope'"),
    ],
)
def test_bad_arguments_are_one_line_errors(ws: Path, args: list[str], message: str) -> None:
    out = run("-w", str(ws), "metrics", *args, code=1)
    assert message in out
    assert "Traceback" not in out


def test_a_broken_workspace_definition_names_its_file(ws: Path, tmp_path: Path) -> None:
    bad = ws / "metrics" / "zz-broken.yml"
    bad.write_text(METRIC.replace("logins", "broken").replace("unit: events", "unit: [x"))
    try:
        out = run("-w", str(ws), "metrics", "list", code=1)
    finally:
        bad.unlink()
    assert "zz-broken.yml:" in out
    assert "not valid YAML" in out
