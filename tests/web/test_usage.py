"""API reads log `usage_event`s for the token's user, the rows `time_to_locate` and
`dashboard_usage` measure (item 7 of issue 12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from productops.pillars.data.usage import dashboard_usage
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.web.conftest import build, fetch, get


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
