"""API reads log `usage_event`s for the token's user, the rows `time_to_locate` and
`dashboard_usage` measure (item 7 of issue 12): a list a search, a table a query, one object
(a decision, metric, theme, experiment, initiative) an open."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from productops.pillars.data.usage import LOCATE_WITHIN_SECONDS, dashboard_usage, time_to_locate
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.web.conftest import Site, build, fetch, get
from tests.web.writing import INITIATIVE, PROPOSED, seed


def test_api_reads_log_usage_for_the_tokens_user(tmp_path: Path) -> None:
    site = build(tmp_path / "ws")
    app = create_app(site.root)
    member, viewer = site.tokens["member of the team"], site.tokens["viewer"]
    first = get(app, "/api/v1/teams", member, limit=1)
    answers = fetch(
        app,
        ("/api/v1/metrics?status=certified", member),
        ("/api/v1/scorecard?grain=month", member),
        ("/api/v1/flow/items?team=payments", viewer),
        ("/api/v1/themes", viewer),
        (f"/api/v1/teams?limit=1&cursor={first.json()['next_cursor']}", member),  # page 2
        ("/api/v1/audit", viewer),  # refused: not a read
        ("/api/v1/teams", None),  # anonymous: refused
    )
    assert [a.status_code for a in answers] == [200] * 5 + [403, 401]

    ws = Workspace.open(site.root)
    try:
        rows = ws.store.sql(
            "SELECT person_id, kind, target, properties FROM usage_event ORDER BY ts, target"
        )
        assert [r[:3] for r in rows] == [
            ("ben", "search", "teams"),
            ("ben", "search", "metrics"),
            ("ben", "query", "scorecard"),
            ("dan", "query", "flow.items"),
            ("dan", "search", "themes"),
        ]
        assert json.loads(rows[1][3]) == {"status": "certified"}
        assert json.loads(rows[3][3]) == {"team": "payments"}
        # ben is a person of the payments team: his API reads count as its dashboard use
        now = datetime.now(UTC)
        ws.store.sql(
            "INSERT INTO person (id, team_id, source, ingested_at) VALUES "
            "('ben', 'payments', 't', ?), ('zoe', 'payments', 't', ?)",
            [now, now],
        )
        b = ws.backend()
        used = dashboard_usage(b.table("usage_event"), b.table("person"), "month")
        [payments] = [r for r in used.to_pyarrow().to_pylist() if r["team_id"] == "payments"]
        assert (payments["members"], payments["users"]) == (2, 1)
    finally:
        ws.close()


def test_opening_an_object_logs_an_open_that_time_to_locate_reads(tmp_path: Path) -> None:
    site = seed(tmp_path / "ws")
    ws = Workspace.open(site.root)
    try:
        land(ws.store, "person", [{"id": "ben", "team_id": "payments", "role": "pm"}])
    finally:
        ws.close()
    app = create_app(site.root)
    member = site.tokens["member of the team"]
    answers = fetch(
        app,
        ("/api/v1/decisions", member),  # a search ...
        ("/api/v1/decisions/retry-uploads", member),  # ... and the decision opened
        ("/api/v1/metrics/items_done", member),
        ("/api/v1/themes/theme-1", member),
        ("/api/v1/initiatives/payments-faster", member),
        ("/api/v1/decisions/no-such-decision", member),  # not found: no open logged
    )
    assert [a.status_code for a in answers] == [200] * 5 + [404]
    ws = Workspace.open(site.root)
    try:
        rows = ws.store.sql("SELECT person_id, kind, target FROM usage_event ORDER BY ts")
        assert rows == [
            ("ben", "search", "decisions"),
            ("ben", "open", PROPOSED),
            ("ben", "open", "items_done"),
            ("ben", "open", "t:theme-1"),
            ("ben", "open", INITIATIVE),
        ]
        # ben is a person of payments: his search was located by the open after it
        [found] = (
            time_to_locate(ws.backend().table("usage_event"), "month").to_pyarrow().to_pylist()
        )
        assert (found["team_id"], found["searches"], found["located"]) == ("payments", 1, 1)
        assert 0 <= found["median_seconds"] <= LOCATE_WITHIN_SECONDS
    finally:
        ws.close()


def test_an_experiments_results_log_its_open(demo: Site) -> None:
    def opens() -> int:
        ws = Workspace.open(demo.root)
        try:
            query = "SELECT count(*) FROM usage_event WHERE kind = 'open' AND target = ?"
            return int(ws.store.sql(query, ["demo:exp-smart_defaults"])[0][0])
        finally:
            ws.close()

    before = opens()
    app = create_app(demo.root)
    assert get(app, "/api/v1/experiments/smart_defaults/results", demo.tokens["viewer"]).is_success
    assert opens() == before + 1
