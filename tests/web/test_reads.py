"""Every read the command line has, through the API on the demo organisation: the same rows and
field names as the command's `-f json` for the same query (the command run in-process through
`CliRunner`), its filters as query parameters, cursor paging with a total."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from productops.cli import app as cli
from productops.registry.activities import ACTIVITY_KINDS
from productops.services.activities import ActivitySummary
from productops.services.rows import columns
from productops.web.app import create_app
from tests.web.conftest import Site, get
from tests.web.writing import seed

runner = CliRunner()
AS_OF = "2026-11-01T00:00:00+00:00"  # the demo's history ends the day before
TEAM = "checkout"
SINCE = "2025-04-01T00:00:00+00:00"
UNTIL = "2026-01-01T00:00:00+00:00"
DECISION = "demo:dec-00008"  # three pieces of evidence
CHECK = "crm_vs_billing_arr"  # a reconciliation that fails on the demo


def cli_json(site: Site, *args: str) -> Any:
    """What `productops -w ROOT ARGS -f json` prints."""
    result = runner.invoke(cli, ["-w", str(site.root), *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def same(value: Any) -> Any:
    """`value` with ISO times parsed (naive ones are UTC), so that `+00:00` and `Z` compare
    equal."""
    if isinstance(value, dict):
        return {k: same(v) for k, v in value.items()}
    if isinstance(value, list):
        return [same(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[:4].isdigit() and value[10] == "T":
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def api(app: FastAPI, site: Site, path: str, **params: Any) -> Any:
    """The body of a viewer's GET of `path`, all of a list's items at once."""
    response = get(app, path, site.tokens["viewer"], limit=1000, **params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def app(demo: Site) -> FastAPI:
    return create_app(demo.root)


SPAN = {"since": SINCE, "until": UNTIL}
SPAN_ARGS = ["--since", SINCE, "--until", UNTIL]
# (route, query parameters, the command that answers the same): lists of rows, compared whole.
LISTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("/api/v1/people", {"team": TEAM}, ["people", "--team", TEAM]),
    ("/api/v1/schema", {}, ["schema"]),
    ("/api/v1/scorecard/criteria", {}, ["scorecard", "criteria"]),
    (
        "/api/v1/flow/items",
        {"team": TEAM, "as_of": AS_OF},
        ["flow", "items", "-t", TEAM, "--as-of", AS_OF],
    ),
    (
        "/api/v1/flow/lead-time",
        {"team": TEAM, "grain": "quarter", **SPAN},
        ["flow", "lead-time", "-t", TEAM, "-g", "quarter", *SPAN_ARGS],
    ),
    (
        "/api/v1/flow/cycle-time",
        {"team": TEAM, "as_of": AS_OF, **SPAN},
        ["flow", "cycle-time", "-t", TEAM, "--as-of", AS_OF, *SPAN_ARGS],
    ),
    (
        "/api/v1/flow/throughput",
        {"team": TEAM, "grain": "month", "as_of": AS_OF},
        ["flow", "throughput", "-t", TEAM, "-g", "month", "--as-of", AS_OF],
    ),
    ("/api/v1/flow/wip", {"team": TEAM, **SPAN}, ["flow", "wip", "-t", TEAM, *SPAN_ARGS]),
    ("/api/v1/flow/aging", {"as_of": AS_OF}, ["flow", "aging", "--as-of", AS_OF]),
    (
        "/api/v1/flow/time-in-status",
        {"team": TEAM, "as_of": AS_OF},
        ["flow", "time-in-status", "-t", TEAM, "--as-of", AS_OF],
    ),
    (
        "/api/v1/flow/bottleneck",
        {"team": TEAM, "as_of": AS_OF},
        ["flow", "bottleneck", "-t", TEAM, "--as-of", AS_OF],
    ),
    (
        "/api/v1/flow/efficiency",
        {"grain": "quarter", "as_of": AS_OF},
        ["flow", "efficiency", "-g", "quarter", "--as-of", AS_OF],
    ),
    (
        "/api/v1/flow/dependencies",
        {"as_of": AS_OF, **SPAN},
        ["flow", "dependencies", "--as-of", AS_OF, *SPAN_ARGS],
    ),
    (
        "/api/v1/flow/blocking-pairs",
        {"team": TEAM, "as_of": AS_OF},
        ["flow", "blocking-pairs", "-t", TEAM, "--as-of", AS_OF],
    ),
    ("/api/v1/flow/conformance", {"team": TEAM}, ["flow", "conformance", "-t", TEAM]),
    ("/api/v1/flow/deviations", {"team": TEAM}, ["flow", "deviations", "-t", TEAM]),
    ("/api/v1/flow/time-to-market", {}, ["flow", "time-to-market"]),
    (
        "/api/v1/dora/frequency",
        {"team": TEAM, "bands": 2021, "as_of": AS_OF},
        ["dora", "frequency", "-t", TEAM, "--bands", "2021", "--as-of", AS_OF],
    ),
    ("/api/v1/dora/lead-time", {"grain": "quarter"}, ["dora", "lead-time", "-g", "quarter"]),
    ("/api/v1/dora/failure-rate", {"team": TEAM}, ["dora", "failure-rate", "-t", TEAM]),
    ("/api/v1/dora/recovery", SPAN, ["dora", "recovery", *SPAN_ARGS]),
    ("/api/v1/feedback/demand/items", {}, ["feedback", "demand", "--by", "item"]),
    (
        "/api/v1/feedback/demand/items",
        {"suggested": "true"},
        ["feedback", "demand", "--by", "item", "--suggested"],
    ),
    (
        "/api/v1/feedback/links",
        {"state": "confirmed"},
        ["feedback", "links", "--state", "confirmed", "--limit", "1000"],
    ),
    ("/api/v1/metrics", {"status": "certified"}, ["metrics", "list", "--status", "certified"]),
    ("/api/v1/metrics/search", {"text": "items"}, ["metrics", "search", "items"]),
    (
        "/api/v1/metrics/items_done/query",
        {"by": "team", "grain": "month", **SPAN},
        ["metrics", "query", "items_done", "--by", "team", "-g", "month", *SPAN_ARGS],
    ),
    ("/api/v1/experiments", {"team": TEAM}, ["experiment", "list", "--team", TEAM]),
    (
        "/api/v1/activities",
        {"team": TEAM, "kind": "retrospective"},
        ["activity", "list", "-t", TEAM, "--kind", "retrospective", "--limit", "1000"],
    ),
    ("/api/v1/activities/summary", {"team": TEAM}, ["activity", "summary", "-t", TEAM]),
    ("/api/v1/activities/onboarding", {}, ["activity", "onboarding"]),
    (
        "/api/v1/activities/retros",
        {"grain": "month", **SPAN},
        ["activity", "retros", "-g", "month", *SPAN_ARGS],
    ),
    ("/api/v1/decisions", {"team": TEAM}, ["decision", "list", "--team", TEAM]),
    ("/api/v1/decisions", {"status": "proposed"}, ["decision", "list", "--status", "proposed"]),
    (f"/api/v1/decisions/{DECISION}/verify", {}, ["decision", "verify", DECISION]),
    ("/api/v1/nudges", {"team": "payments"}, ["nudge", "list", "--team", "payments"]),
    ("/api/v1/initiatives", {}, ["initiative", "list"]),
    (
        "/api/v1/surveys",
        {"team": TEAM, "kind": "health_check"},
        ["survey", "list", "-t", TEAM, "-k", "health_check"],
    ),
    ("/api/v1/checks/history", {"check": CHECK}, ["check", "history", CHECK, "--limit", "1000"]),
    ("/api/v1/incidents", {"status": "open"}, ["check", "incidents", "--status", "open"]),
]


@pytest.mark.parametrize(("path", "params", "command"), LISTS, ids=[c[0] for c in LISTS])
def test_a_list_answers_as_its_command(
    app: FastAPI, demo: Site, path: str, params: dict[str, Any], command: list[str]
) -> None:
    expected = cli_json(demo, *command)
    page = api(app, demo, path, **params)
    assert page["total"] == len(page["items"]) == len(expected)
    assert expected, f"{path}: the demo should give rows to compare"
    assert [list(r) for r in page["items"]] == [list(r) for r in expected]  # fields, in order
    assert same(page["items"]) == same(expected)


def test_filters_narrow_the_rows(app: FastAPI, demo: Site) -> None:
    every = api(app, demo, "/api/v1/flow/lead-time", grain="quarter")["items"]
    team = api(app, demo, "/api/v1/flow/lead-time", grain="quarter", team=TEAM)["items"]
    spanned = api(app, demo, "/api/v1/flow/lead-time", grain="quarter", **SPAN)["items"]
    assert {r["team_id"] for r in team} == {TEAM} < {r["team_id"] for r in every}
    assert team == [r for r in every if r["team_id"] == TEAM]
    starts = {same(r["period_start"]) for r in spanned}
    assert starts
    assert all(same(SINCE) <= s < same(UNTIL) for s in starts)
    assert len(spanned) < len(every)


def test_a_long_list_is_paged_with_its_total(app: FastAPI, demo: Site) -> None:
    whole = api(app, demo, "/api/v1/flow/throughput", as_of=AS_OF)
    seen, cursor = [], None
    for _ in range(20):  # bounded: 20 pages of 50 hold every row
        page = get(app, "/api/v1/flow/throughput", demo.tokens["viewer"], limit=50,
                   as_of=AS_OF, **({"cursor": cursor} if cursor else {})).json()  # fmt: skip
        assert page["total"] == whole["total"] > 50
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole["items"]


def test_the_forecast_lines_answer_as_the_command(app: FastAPI, demo: Site) -> None:
    for ask, unit in (("days", "items"), ("items", "days")):
        args = ["flow", "forecast", "-t", TEAM, f"--{ask}", "20", "--as-of", AS_OF]
        found = api(app, demo, "/api/v1/flow/forecast", team=TEAM, as_of=AS_OF, **{ask: 20})
        assert (found["team_id"], found["unit"], found["history_days"]) == (TEAM, unit, 90)
        assert found["lines"] == cli_json(demo, *args)


def test_the_roadmap_answers_as_its_command(app: FastAPI, demo: Site) -> None:
    expected = cli_json(demo, "feedback", "roadmap", "-t", TEAM)
    found = api(app, demo, "/api/v1/feedback/roadmap", team=TEAM)
    sections = [
        "feedback incorporated",
        "time to insight (days)",
        "insight time-to-market (days)",
        "satisfaction around releases",
    ]
    assert list(expected) == sections
    assert list(found) == [
        "feedback_incorporated",
        "time_to_insight",
        "insight_time_to_market",
        "satisfaction_around_releases",
    ]
    assert same(list(found.values())) == same(list(expected.values()))
    assert any(found.values())


def test_the_workspace_status_answers_as_its_command(app: FastAPI, demo: Site) -> None:
    assert same(api(app, demo, "/api/v1/status")) == same(cli_json(demo, "status"))


def test_a_decision_is_shown_with_its_evidence(app: FastAPI, demo: Site) -> None:
    expected = cli_json(demo, "decision", "show", DECISION)
    found = api(app, demo, f"/api/v1/decisions/{DECISION.removeprefix('demo:')}")
    assert same({f["field"]: f["value"] for f in expected[DECISION]}) == same(found["decision"])
    assert same(found["evidence"]) == same(expected["evidence"])
    assert len(found["evidence"]) == 3


def test_a_metric_is_shown_as_its_command(app: FastAPI, demo: Site) -> None:
    expected = cli_json(demo, "metrics", "show", "items_done", "--sql")["items_done"]
    found = api(app, demo, "/api/v1/metrics/items_done")
    shown = {f["field"].replace(" ", "_"): f["value"] for f in expected}
    assert list(shown) == list(found)
    assert shown["direction"] == f"{found['direction']} is better"
    assert {k: v for k, v in shown.items() if k != "direction"} == {
        k: v for k, v in found.items() if k != "direction"
    }


def test_an_experiments_results_answer_as_its_command(app: FastAPI, demo: Site) -> None:
    ident = "demo:exp-smart_defaults"
    expected = cli_json(demo, "experiment", "analyze", ident, "--method", "bayesian")
    found = api(app, demo, "/api/v1/experiments/smart_defaults/results", method="bayesian")
    assert list(found) == list(expected) == ["experiment", "metrics"]
    assert same(found["experiment"]) == same(expected["experiment"])
    assert found["metrics"]
    assert found["metrics"] == expected["metrics"]
    assert {m["method"] for m in found["metrics"]} == {"bayesian"}


def test_a_checks_latest_result_answers_as_its_command(app: FastAPI, demo: Site) -> None:
    expected = cli_json(demo, "check", "show", CHECK)
    found = api(app, demo, f"/api/v1/checks/{CHECK}")
    [latest] = expected[CHECK]
    assert same({k: found["check"][k] for k in latest}) == same(latest)
    assert found["keys"]
    assert found["keys"] == expected["keys that differ"]


def test_survey_results_answer_as_their_command(app: FastAPI, demo: Site) -> None:
    for kind in ("health_check", "stakeholder", "pm_time", "onboarding"):
        expected = cli_json(demo, "survey", "results", "--kind", kind, "-t", TEAM)
        found = api(app, demo, "/api/v1/surveys/results", kind=kind, team=TEAM)["items"]
        assert same(found) == same(expected[f"{kind} results"]), kind
        said = api(app, demo, "/api/v1/surveys/comments", kind=kind, team=TEAM)["items"]
        assert said == expected["comments"]


def test_the_maturity_grid_answers_as_its_command(app: FastAPI, demo: Site, tmp_path: Path) -> None:
    # the command keeps its readings (a write): it runs on a copy
    copy = Site(tmp_path / "ws", demo.tokens, {})
    shutil.copytree(demo.root, copy.root)
    expected = cli_json(copy, "scorecard", "maturity", "--as-of", AS_OF)
    found = api(app, demo, "/api/v1/scorecard/maturity", as_of=AS_OF)["items"]
    assert found
    assert same(found) == same(expected)


def test_users_and_tokens_answer_as_their_commands(app: FastAPI, demo: Site) -> None:
    admin = demo.tokens["admin"]
    for path, command in (
        ("/api/v1/users", ["user", "list"]),
        ("/api/v1/tokens", ["token", "list"]),
    ):
        expected = cli_json(demo, *command)
        found = get(app, path, admin, limit=1000).json()["items"]
        assert [list(r) for r in found] == [list(r) for r in expected]
        assert [r["id"] for r in found] == [r["id"] for r in expected]
    body = json.dumps(get(app, "/api/v1/tokens", admin).json())
    assert all(secret not in body for secret in demo.tokens.values())


def test_activity_summary_has_a_field_per_kind() -> None:
    assert columns(ActivitySummary)[2:] == list(ACTIVITY_KINDS)


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A workspace whose theme-1 has six pieces of feedback (writing.seed)."""
    return seed(tmp_path_factory.mktemp("themed") / "ws")


THEMED = [
    ("/api/v1/themes/theme-1/feedback", {}, ["feedback", "themes", "show", "theme-1"]),
    ("/api/v1/themes/groups", {}, ["feedback", "themes", "groups"]),
    ("/api/v1/feedback/trends", {}, ["feedback", "trends"]),
    ("/api/v1/feedback/demand/themes", {}, ["feedback", "demand"]),
    ("/api/v1/feedback/demand/themes", {"grain": "month"}, ["feedback", "demand", "-g", "month"]),
    ("/api/v1/feedback/demand/segments", {}, ["feedback", "demand", "--by", "segment"]),
    ("/api/v1/feedback/spikes", {}, ["feedback", "spikes"]),
    ("/api/v1/quarantine", {}, ["quarantine"]),
]


@pytest.mark.parametrize(("path", "params", "command"), THEMED)
def test_customer_reads_answer_as_their_commands(
    themed: Site, path: str, params: dict[str, Any], command: list[str]
) -> None:
    app = create_app(themed.root)
    found = get(app, path, themed.tokens["admin"], limit=1000, **params).json()["items"]
    expected = cli_json(themed, *command)
    if path == "/api/v1/feedback/demand/themes" and not params:  # the API always has the period
        assert {r.pop("period_start") for r in found} == {None}
    assert same(found) == same(expected)


def test_sentiment_reads_what_the_command_scored(themed: Site, tmp_path: Path) -> None:
    # the command reads unread feedback first (a write): it runs on a copy, read after it
    copy = Site(tmp_path / "ws", themed.tokens, {})
    shutil.copytree(themed.root, copy.root)
    expected = cli_json(copy, "feedback", "sentiment")
    found = get(create_app(copy.root), "/api/v1/feedback/sentiment", copy.tokens["viewer"]).json()
    assert expected
    assert same(found["items"]) == same(expected)


def test_a_theme_opens_with_its_lineage(themed: Site) -> None:
    app = create_app(themed.root)
    found = get(app, "/api/v1/themes/theme-1", themed.tokens["viewer"]).json()
    [listed] = [
        t for t in cli_json(themed, "feedback", "themes", "list", "--all") if t["id"] == found["id"]
    ]
    assert found == listed
    assert get(app, "/api/v1/themes/theme-9", themed.tokens["viewer"]).status_code == 404


def test_a_table_schema_answers_as_its_command(app: FastAPI, demo: Site) -> None:
    found = api(app, demo, "/api/v1/schema/work_item")
    assert found["table"] == "work_item"
    assert found["columns"] == cli_json(demo, "schema", "work_item")
    missing = get(app, "/api/v1/schema/no_such_table", demo.tokens["viewer"])
    assert missing.status_code == 404
    assert "known tables" in missing.json()["error"]["message"]
