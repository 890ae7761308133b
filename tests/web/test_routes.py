"""Every read route answers with the rows and field names of the command line's `-f json`,
and takes the command's filters as query parameters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from productops.cli import app as cli
from tests.web.conftest import AS_OF, Site, get

runner = CliRunner()
WHEN = AS_OF.isoformat()
# Fields a route always gives that its command shows only with an option (themes: --all).
ALWAYS = {"/api/v1/themes": {"merged_into", "split_from"}}


def cli_json(served: Site, *args: str) -> list[dict[str, Any]]:
    """What `productops -w ROOT ARGS -f json` prints."""
    result = runner.invoke(cli, ["-w", str(served.root), *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def same(value: Any) -> Any:
    """`value` with ISO times parsed, so that `+00:00` and `Z` compare equal."""
    if isinstance(value, dict):
        return {k: same(v) for k, v in value.items()}
    if isinstance(value, list):
        return [same(v) for v in value]
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        return datetime.fromisoformat(value)
    return value


def api_items(app: FastAPI, served: Site, path: str, **params: Any) -> list[dict[str, Any]]:
    response = get(app, path, served.tokens["viewer"], limit=1000, **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


@pytest.mark.parametrize(
    ("path", "params", "command"),
    [
        ("/api/v1/flow/items", {"as_of": WHEN}, ["flow", "items", "--as-of", WHEN]),
        (
            "/api/v1/flow/items",
            {"as_of": WHEN, "team": "growth"},
            ["flow", "items", "--as-of", WHEN, "--team", "growth"],
        ),
        ("/api/v1/themes", {}, ["feedback", "themes", "list"]),
        ("/api/v1/themes", {"all": "true"}, ["feedback", "themes", "list", "--all"]),
        ("/api/v1/metrics", {}, ["metrics", "list"]),
        ("/api/v1/metrics", {"status": "certified"}, ["metrics", "list", "--status", "certified"]),
        ("/api/v1/audit", {"object": "app_user:ben"}, ["audit", "--object", "app_user:ben"]),
        (
            "/api/v1/scorecard",
            {"as_of": WHEN, "team": "payments", "grain": "month", "periods": 2},
            ["scorecard", "--as-of", WHEN, "--team", "payments", "--grain", "month", "-n", "2"],
        ),
    ],
)
def test_a_route_answers_as_its_command(
    app: FastAPI, served: Site, path: str, params: dict[str, Any], command: list[str]
) -> None:
    # the admin's token: the audit trail is theirs alone to read
    response = get(app, path, served.tokens["admin"], limit=1000, **params)
    assert response.status_code == 200, response.text
    found = response.json()["items"]
    expected = cli_json(served, *command)
    assert found, path
    extra = set(found[0]) - set(expected[0])
    assert extra <= ALWAYS.get(path, set())
    assert same([{k: r[k] for k in r if k not in extra} for r in found]) == same(expected)


def test_teams_lists_the_organisation(app: FastAPI, served: Site) -> None:
    assert api_items(app, served, "/api/v1/teams") == [
        {"id": "growth", "name": "Growth", "parent_id": "product", "focus_pillar": None},
        {"id": "payments", "name": "Payments", "parent_id": "product", "focus_pillar": None},
        {"id": "product", "name": "Product", "parent_id": None, "focus_pillar": None},
    ]


def test_the_scorecard_takes_a_period_and_a_grain(app: FastAPI, served: Site) -> None:
    found = api_items(
        app, served, "/api/v1/scorecard", as_of=WHEN, period="2024-04-15", grain="month"
    )
    assert {r["period_start"] for r in found} == {"2024-04-01T00:00:00Z"}
    assert {r["team_id"] for r in found} >= {"payments", "growth"}
    default = api_items(app, served, "/api/v1/scorecard", as_of=WHEN)
    assert {r["period_start"] for r in default} == {"2024-01-01T00:00:00Z"}  # last full quarter


def test_reading_the_scorecard_writes_nothing(app: FastAPI, served: Site) -> None:
    from productops.workspace import Workspace

    def snapshots() -> int:
        ws = Workspace.open(served.root, read_only=True)
        try:
            return int(ws.store.sql("SELECT count(*) FROM metric_snapshot")[0][0])
        finally:
            ws.close()

    before = snapshots()
    assert get(app, "/api/v1/scorecard", served.tokens["viewer"]).status_code == 200
    assert snapshots() == before
