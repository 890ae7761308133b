"""Linear against a local GraphQL endpoint.

No real Linear payloads ship with the project: the issues below are written by
hand after Linear's public GraphQL schema (Issue, IssueHistory, WorkflowState).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from productops.config import LinearSettings
from productops.connectors import ConnectorError, RetryPolicy, parse_time
from productops.sync import sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import configure
from tests.connectors.server import FixtureServer, LinearSite, Reply

KEY = "lin_api_handWrittenKey0123456789"
TODO = {"id": "s1", "name": "Todo", "type": "unstarted"}
DOING = {"id": "s2", "name": "In Progress", "type": "started"}
REVIEW = {"id": "s3", "name": "In Review", "type": "started"}
DONE = {"id": "s4", "name": "Done", "type": "completed"}
GONE = {"id": "s5", "name": "Canceled", "type": "canceled"}


def move(id_: str, at: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "createdAt": at, "fromState": before, "toState": after}


ISSUES: list[dict[str, Any]] = [
    {
        "id": "uuid-1",
        "identifier": "ENG-1",
        "title": "Checkout retries",
        "createdAt": "2024-02-01T09:00:00.000Z",
        "updatedAt": "2024-02-09T12:00:00.000Z",
        "startedAt": "2024-02-02T10:00:00.000Z",
        "completedAt": "2024-02-09T12:00:00.000Z",
        "canceledAt": None,
        "estimate": 3,
        "state": DONE,
        "team": {"id": "t1", "key": "ENG", "name": "Engineering"},
        "parent": None,
        "history": [
            move("h1", "2024-02-02T10:00:00.000Z", TODO, DOING),
            # A change of assignee: no state move.
            {
                "id": "h2",
                "createdAt": "2024-02-03T10:00:00.000Z",
                "fromState": None,
                "toState": None,
            },
            move("h3", "2024-02-05T16:00:00.000Z", DOING, REVIEW),
            move("h4", "2024-02-06T09:00:00.000Z", REVIEW, DOING),
            move("h5", "2024-02-09T12:00:00.000Z", DOING, DONE),
        ],
    },
    {
        "id": "uuid-2",
        "identifier": "ENG-2",
        "title": "Dark mode",
        "createdAt": "2024-02-03T09:00:00.000Z",
        "updatedAt": "2024-02-04T09:00:00.000Z",
        "startedAt": None,
        "completedAt": None,
        "canceledAt": "2024-02-04T09:00:00.000Z",
        "estimate": None,
        "state": GONE,
        "team": {"id": "t1", "key": "ENG", "name": "Engineering"},
        "parent": {"identifier": "ENG-1"},
        "history": [move("h6", "2024-02-04T09:00:00.000Z", TODO, GONE)],
    },
    {
        "id": "uuid-3",
        "identifier": "OPS-1",
        "title": "Rotate keys",
        "createdAt": "2024-02-05T09:00:00.000Z",
        "updatedAt": "2024-02-05T09:00:00.000Z",
        "startedAt": None,
        "completedAt": None,
        "canceledAt": None,
        "estimate": None,
        "state": TODO,
        "team": {"id": "t2", "key": "OPS", "name": "Operations"},
        "parent": None,
        "history": [],
    },
]


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(LinearSite(ISSUES, history_page=2)) as running:
        yield running


def sync(ws: Workspace, url: str) -> dict[str, list[int]]:
    configure(
        ws,
        linear=LinearSettings(
            url=f"{url}/graphql", team_map={"ENG": "core"}, default_team="ops", page_size=2
        ),
    )
    policy = RetryPolicy(max_attempts=2, sleep=lambda s: None)
    return sync_source(ws.store, ws.config.connectors, ws.root, "linear", policy=policy).counts


def test_issues_and_their_state_history(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAR_API_KEY", KEY)
    sync(workspace, server.url)
    t = parse_time
    assert workspace.store.sql(
        "SELECT id, team_id, status, status_category, created_at, started_at, resolved_at, "
        "parent_id, estimate FROM work_item ORDER BY id"
    ) == [
        ("linear:ENG-1", "core", "Done", "done", t("2024-02-01T09:00:00Z"),
         t("2024-02-02T10:00:00Z"), t("2024-02-09T12:00:00Z"), None, 3.0),
        ("linear:ENG-2", "core", "Canceled", "cancelled", t("2024-02-03T09:00:00Z"), None,
         t("2024-02-04T09:00:00Z"), "linear:ENG-1", None),
        ("linear:OPS-1", "ops", "Todo", "todo", t("2024-02-05T09:00:00Z"), None, None, None, None),
    ]  # fmt: skip
    assert workspace.store.sql(
        "SELECT changed_at, from_status, to_status, to_category FROM work_item_transition "
        "WHERE work_item_id = 'linear:ENG-1' ORDER BY changed_at"
    ) == [
        (t("2024-02-02T10:00:00Z"), "Todo", "In Progress", "in_progress"),
        (t("2024-02-05T16:00:00Z"), "In Progress", "In Review", "in_progress"),
        (t("2024-02-06T09:00:00Z"), "In Review", "In Progress", "in_progress"),
        (t("2024-02-09T12:00:00Z"), "In Progress", "Done", "done"),
    ]
    # Two issues per page; ENG-1's history (5 entries, 2 per page) needed two more queries.
    queries = [r.body["query"] for r in server.requests]
    assert sum("issues(" in q for q in queries) == 2
    assert sum("issue(id:" in q for q in queries) == 2
    assert all(r.headers["Authorization"] == KEY for r in server.requests)
    again = sync(workspace, server.url)
    assert all(c[0] == 0 and c[1] == 0 for c in again.values())


def test_a_graphql_error_is_a_clear_error(
    workspace: Workspace, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAR_API_KEY", KEY)
    server.fault("/graphql", Reply(200, {"errors": [{"message": "Authentication required"}]}))
    with pytest.raises(ConnectorError, match="graphql: GraphQL error: Authentication required"):
        sync(workspace, server.url)
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(0,)]


def test_a_missing_key_names_the_variable(workspace: Workspace, server: FixtureServer) -> None:
    with pytest.raises(ConnectorError, match="environment variable LINEAR_API_KEY is not set"):
        sync(workspace, server.url)
