"""Jira Cloud against a local server paging the real fixture payloads; values checked by hand.

"By hand" means straight from the raw changelog JSON in tests/fixtures,
without the connector's code: every status item of every changelog entry,
in time order, gives the transitions; the gaps between them give the time
in each status; the first move into a status whose category (statuses.jsonl,
Jira's built-in ids, or the test's own mapping) is in progress starts the
cycle, Jira's resolution date ends it.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from productops.config import JiraSettings
from productops.connectors import (
    ConnectorError,
    HttpClient,
    JiraConnector,
    RetryPolicy,
    parse_time,
)
from productops.errors import ProductOpsError
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import (
    JIRA_CATEGORIES,
    JIRA_TEAMS,
    configure,
    jira_fixture,
    sync_jira_fixtures,
)
from tests.connectors.server import FixtureServer, JiraSite, Reply, utc

ISSUES = jira_fixture("issues") + jira_fixture("issues_with_links")
STATUSES = jira_fixture("statuses")
CHANGELOGS = jira_fixture("issue_changelogs")
KEYS = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
BUILTIN = {"1": "todo", "3": "in_progress", "4": "todo", "5": "done", "6": "done"}
SITE_CATEGORY = {s["id"]: KEYS[s["statusCategory"]["key"]] for s in STATUSES}
EMAIL, TOKEN = "bot@example.com", "jira-secret-token-5f3a9c"


# -- by hand from the raw changelog ---------------------------------------------------------


def by_hand_category(status_id: str | None, name: str) -> str | None:
    if name in JIRA_CATEGORIES["*"]:
        return JIRA_CATEGORIES["*"][name]
    return SITE_CATEGORY.get(status_id or "") or BUILTIN.get(status_id or "")


def by_hand_transitions(issue: dict[str, Any]) -> list[tuple[datetime, str, str, str | None]]:
    """(changed_at UTC, from, to, to category) of every status item, oldest first."""
    found = []
    for history in issue["changelog"]["histories"]:
        for item in history["items"]:
            if item["field"] == "status":
                found.append(
                    (
                        datetime.fromisoformat(history["created"]).astimezone(UTC),
                        int(history["id"]),
                        item["fromString"],
                        item["toString"],
                        by_hand_category(item["to"], item["toString"]),
                    )
                )
    found.sort(key=lambda t: (t[0], t[1]))
    return [(at, a, b, c) for at, _, a, b, c in found]


def by_hand_time_in_status(issue: dict[str, Any]) -> dict[str, int]:
    """Milliseconds spent in each status, up to the last status change."""
    moves = by_hand_transitions(issue)
    spent: dict[str, int] = defaultdict(int)
    if not moves:
        return {}
    created = datetime.fromisoformat(issue["fields"]["created"])
    spent[moves[0][1]] += (moves[0][0] - created) // timedelta(milliseconds=1)
    for (at, _, to, _), (after, *_rest) in itertools.pairwise(moves):
        spent[to] += (after - at) // timedelta(milliseconds=1)
    return dict(spent)


def by_hand_started(issue: dict[str, Any]) -> datetime | None:
    return next((at for at, _, _, cat in by_hand_transitions(issue) if cat == "in_progress"), None)


# -- the store ------------------------------------------------------------------------------


def stored_transitions(ws: Workspace, key: str) -> list[tuple[datetime, str, str, str | None]]:
    rows = ws.store.sql(
        "SELECT changed_at, from_status, to_status, to_category FROM work_item_transition "
        "WHERE work_item_id = ? ORDER BY changed_at",
        [f"jira:{key}"],
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def stored_time_in_status(ws: Workspace, key: str) -> dict[str, int]:
    rows = ws.store.sql(
        """
        WITH t AS (
            SELECT changed_at, from_status, to_status,
                   lead(changed_at) OVER (ORDER BY changed_at) AS next_at,
                   row_number() OVER (ORDER BY changed_at) AS n
            FROM work_item_transition WHERE work_item_id = ?
        ), spans AS (
            SELECT to_status AS status, epoch_ms(next_at) - epoch_ms(changed_at) AS ms
            FROM t WHERE next_at IS NOT NULL
            UNION ALL
            SELECT t.from_status, epoch_ms(t.changed_at) - epoch_ms(w.created_at)
            FROM t JOIN work_item w ON w.id = ? WHERE t.n = 1
        )
        SELECT status, sum(ms)::BIGINT FROM spans GROUP BY status
        """,
        [f"jira:{key}", f"jira:{key}"],
    )
    return {status: int(ms) for status, ms in rows}


def snapshot(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the connector writes, but ingested_at (and synced_at kept)."""
    tables = (
        "team",
        "work_item",
        "work_item_transition",
        "work_item_flag",
        "work_item_link",
        "raw_record",
        "sync_state",
    )
    found = {}
    for table in tables:
        cols = [c for c in ws.store.columns(table) if c not in ("ingested_at", "fetched_at")]
        listed = ", ".join(f'"{c}"' for c in cols)
        found[table] = ws.store.sql(f"SELECT {listed} FROM {table} ORDER BY ALL")
    return found


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def site() -> JiraSite:
    changelogs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in CHANGELOGS:
        changelogs[str(entry["request"]["issue_id"])].append(entry["response"])
    return JiraSite(ISSUES, STATUSES, changelogs, embed=5, cap=10)


@pytest.fixture
def server(site: JiraSite) -> Iterator[FixtureServer]:
    with FixtureServer(site) as running:
        yield running


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)


class Sleeps(list[float]):
    """Records the waits the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connect(ws: Workspace, url: str, page_size: int = 7) -> None:
    configure(
        ws,
        jira=JiraSettings(url=url, project_teams=dict(JIRA_TEAMS), page_size=page_size),
        status_categories=JIRA_CATEGORIES,
    )


def api_sync(ws: Workspace, sleeps: Sleeps | None = None) -> SyncReport:
    policy = RetryPolicy(
        max_attempts=4, backoff_seconds=0.5, sleep=Sleeps() if sleeps is None else sleeps
    )
    return sync_source(ws.store, ws.config.connectors, ws.root, "jira", policy=policy)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("secrets")
def test_api_sync_matches_the_raw_changelog_by_hand(
    workspace: Workspace, server: FixtureServer
) -> None:
    connect(workspace, server.url)
    report = api_sync(workspace)
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]
    for issue in ISSUES:
        key = issue["key"]
        assert stored_transitions(workspace, key) == by_hand_transitions(issue), key
        assert stored_time_in_status(workspace, key) == by_hand_time_in_status(issue), key
        (row,) = workspace.store.sql(
            "SELECT created_at, started_at, resolved_at, status, team_id FROM work_item "
            "WHERE id = ?",
            [f"jira:{key}"],
        )
        fields = issue["fields"]
        assert row[0] == parse_time(fields["created"])
        assert row[1] == by_hand_started(issue), key
        assert row[2] == parse_time(fields["resolutiondate"]), key
        assert row[3] == fields["status"]["name"]
        assert row[4] == JIRA_TEAMS[fields["project"]["key"]]
        if row[1] and row[2]:
            started = by_hand_started(issue)
            assert started is not None
            cycle = (utc(fields["resolutiondate"]) - started).total_seconds()
            assert (row[2] - row[1]).total_seconds() == cycle
    # Searched 7 at a time; changelogs cut at 5 entries were fetched page by page.
    searches = [r for r in server.requests if r.path == "/rest/api/3/search/jql"]
    assert len(searches) == -(-len(ISSUES) // 7)
    assert any(r.path.endswith("/changelog") for r in server.requests)
    assert report.counts["work_item_transition"][0] == sum(
        len(by_hand_transitions(i)) for i in ISSUES
    )
    assert all(r.headers.get("Authorization", "").startswith("Basic ") for r in server.requests)


@pytest.mark.usefixtures("secrets")
def test_every_changelog_page_is_read(server: FixtureServer) -> None:
    settings = JiraSettings(url=server.url)
    with HttpClient(server.url) as http:
        connector = JiraConnector(http, settings)
        connector.changelog_page_size = 30
        entries = [history for _, history in connector.changelog("13383")]
    expected = [e["response"] for e in CHANGELOGS if e["request"]["issue_id"] == 13383]
    assert entries == expected
    pages = [r for r in server.requests if r.path == "/rest/api/3/issue/13383/changelog"]
    # The site pages by 10 whatever is asked, as Jira caps maxResults.
    assert [r.query["startAt"] for r in pages] == [str(n) for n in range(0, 100, 10)]


def test_non_english_statuses_take_the_sites_category(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    rows = dict(
        workspace.store.sql(
            "SELECT id, status_category FROM work_item WHERE status = '已完成' ORDER BY id"
        )
    )
    # EE-1's issue payload calls 已完成 'new'; the site's statuses say done (id 10068).
    assert rows["jira:EE-1"] == "done"
    assert set(rows.values()) == {"done"}
    moves = workspace.store.sql(
        "SELECT DISTINCT to_status, to_category FROM work_item_transition ORDER BY ALL"
    )
    assert ("In Development", "in_progress") in moves
    assert ("Resolved", "done") in moves  # Jira's built-in status 5, gone from /status
    assert ("已完成", "done") in moves


def test_replay_from_files_equals_the_api_sync(
    workspace: Workspace, server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    connect(workspace, server.url)
    api_sync(workspace)
    replayed = Workspace.init(tmp_path / "replayed")
    try:
        sync_jira_fixtures(replayed)
        for table in ("work_item", "work_item_transition", "work_item_link", "team"):
            a, b = snapshot(workspace)[table], snapshot(replayed)[table]
            assert a == b, table
    finally:
        replayed.close()


@pytest.mark.usefixtures("secrets")
def test_a_second_sync_changes_nothing_and_asks_from_the_cursor(
    workspace: Workspace, server: FixtureServer
) -> None:
    connect(workspace, server.url)
    api_sync(workspace)
    before = snapshot(workspace)
    newest = max(utc(i["fields"]["updated"]) for i in ISSUES)
    cursors = [(r[0], r[1]) for r in before["sync_state"]]
    assert cursors == [("jira:issues", newest.isoformat())]
    server.requests.clear()
    report = api_sync(workspace)
    assert snapshot(workspace) == before
    assert all(c[0] == 0 and c[1] == 0 for c in report.counts.values()), report.counts
    searches = [r for r in server.requests if r.path == "/rest/api/3/search/jql"]
    since = newest - timedelta(days=1)
    assert all(f'updated >= "{since:%Y/%m/%d %H:%M}"' in r.body["jql"] for r in searches)
    # Only the issues updated in the day before the cursor are read again.
    again = sum(1 for i in ISSUES if utc(i["fields"]["updated"]) >= since)
    assert report.counts["work_item"] == [0, 0, again, 0]
    assert again < len(ISSUES)


@pytest.mark.usefixtures("secrets")
def test_429_is_retried_after_the_wait_the_server_asks(
    workspace: Workspace, server: FixtureServer
) -> None:
    server.fault(
        '"nextPageToken"', Reply(429, {"message": "slow down"}, {"Retry-After": "1"}), nth=2
    )
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [1.0]
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]


@pytest.mark.usefixtures("secrets")
def test_a_5xx_is_retried_with_backoff(workspace: Workspace, server: FixtureServer) -> None:
    server.fault("/rest/api/3/status", Reply(502, {"message": "bad gateway"}))
    server.fault("/rest/api/3/status", Reply(500, {"message": "oops"}), nth=2)
    connect(workspace, server.url)
    sleeps = Sleeps()
    api_sync(workspace, sleeps)
    assert sleeps == [0.5, 1.0]
    assert len([r for r in server.requests if r.path == "/rest/api/3/status"]) == 3
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]


@pytest.mark.usefixtures("secrets")
def test_a_malformed_page_is_a_clear_error_and_lands_nothing(
    workspace: Workspace, server: FixtureServer
) -> None:
    broken = Reply(200, raw=b'{"issues": [{"id": "10063", "key": "EE-1", "fields": {')
    server.fault('"nextPageToken"', broken, nth=2)  # the third search page
    connect(workspace, server.url)
    with pytest.raises(ProductOpsError, match=r"search/jql: the response is not valid JSON"):
        api_sync(workspace)
    ordered = sorted(ISSUES, key=lambda i: (utc(i["fields"]["updated"]), i["id"]))
    first_two = ordered[:14]
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(14,)]
    stored = {r[0] for r in workspace.store.sql("SELECT id FROM work_item")}
    assert stored == {f"jira:{i['key']}" for i in first_two}
    issues_raw = workspace.store.sql("SELECT count(*) FROM raw_record WHERE stream = 'issues'")
    assert issues_raw == [(14,)]
    cursor = max(utc(i["fields"]["updated"]) for i in first_two)
    assert workspace.store.sql("SELECT cursor FROM sync_state") == [(cursor.isoformat(),)]
    # The next sync starts from the cursor and completes.
    api_sync(workspace)
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(len(ISSUES),)]


@pytest.mark.usefixtures("secrets")
def test_an_unreachable_site_names_the_url_and_gives_up(workspace: Workspace) -> None:
    connect(workspace, "http://127.0.0.1:9")
    with pytest.raises(
        ConnectorError,
        match=r"GET http://127.0.0.1:9/rest/api/3/status: still failing after 4 attempts",
    ):
        api_sync(workspace)


def test_status_categories_are_configurable_per_team_and_replayed(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    ee1 = next(i for i in ISSUES if i["key"] == "EE-1")
    assert workspace.store.sql("SELECT started_at FROM work_item WHERE id = 'jira:EE-1'") == [
        (by_hand_started(ee1),)
    ]
    # Team ee counts "In Development" as not started and "Open" as started.
    categories = {**JIRA_CATEGORIES, "ee": {"In Development": "todo", "Open": "in_progress"}}
    configure(workspace, status_categories=categories)
    sync_source(workspace.store, workspace.config.connectors, workspace.root, "jira", replay=True)
    open_at = next(at for at, _, to, _ in by_hand_transitions(ee1) if to == "Open")
    assert workspace.store.sql("SELECT started_at FROM work_item WHERE id = 'jira:EE-1'") == [
        (open_at,)
    ]
    assert workspace.store.sql(
        "SELECT DISTINCT to_category FROM work_item_transition "
        "WHERE work_item_id = 'jira:EE-1' AND to_status = 'Open'"
    ) == [("in_progress",)]


def test_links_are_read_from_both_ends_once(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    expected = set()
    names = {
        "Blocks": "blocks",
        "Duplicate": "duplicates",
        "Cloners": "clones",
        "Relates": "relates",
    }
    for issue in ISSUES:
        for link in issue["fields"]["issuelinks"]:
            kind = names[link["type"]["name"]]
            if "outwardIssue" in link:
                expected.add((f"jira:{issue['key']}", f"jira:{link['outwardIssue']['key']}", kind))
            else:
                expected.add((f"jira:{link['inwardIssue']['key']}", f"jira:{issue['key']}", kind))
    stored = set(workspace.store.sql("SELECT from_id, to_id, type FROM work_item_link"))
    assert stored == expected
    assert ("jira:DZFNK0168-5", "jira:DZFNK0168-1", "blocks") in stored


def test_fix_version_release_dates_and_resolution(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    for issue in ISSUES:
        dates = [
            utc(v["releaseDate"])
            for v in issue["fields"]["fixVersions"]
            if v.get("released") and v.get("releaseDate")
        ]
        (row,) = workspace.store.sql(
            "SELECT released_at FROM work_item WHERE id = ?", [f"jira:{issue['key']}"]
        )
        assert row[0] == (min(dates) if dates else None), issue["key"]


def test_flagged_periods_from_the_changelog(workspace: Workspace, tmp_path: Path) -> None:
    # The fixtures have no Flagged changes: this issue is written by hand in Jira's format
    # (field "Flagged", toString "Impediment" when set, null when cleared).
    def entry(at: str, id_: str, from_: str | None, to: str | None) -> dict[str, Any]:
        item: dict[str, Any] = {
            "field": "Flagged",
            "fieldtype": "custom",
            "fieldId": "customfield_10021",
        }
        item.update(
            {
                "from": None if from_ is None else "[10019]",
                "fromString": from_,
                "to": None if to is None else "[10019]",
                "toString": to,
            }
        )
        return {"id": id_, "created": at, "items": [item]}

    issue = {
        "id": "99001",
        "key": "EE-900",
        "fields": {
            "created": "2024-03-01T09:00:00.000+0100",
            "updated": "2024-03-09T10:00:00.000+0100",
            "summary": "Flagged twice",
            "project": {"key": "EE"},
            "status": {"id": "3", "name": "In Progress"},
            "issuetype": {"name": "Story"},
        },
        "changelog": {
            "histories": [
                entry("2024-03-02T10:00:00.000+0100", "1", None, "Impediment"),
                entry("2024-03-04T10:00:00.000+0100", "2", "Impediment", None),
                entry("2024-03-06T10:00:00.000+0100", "3", None, "Impediment"),
            ]
        },
    }
    path = tmp_path / "flagged.jsonl"
    path.write_text(json.dumps(issue) + "\n", encoding="utf-8")
    configure(workspace, jira=JiraSettings(default_team="ee"))
    sync_source(workspace.store, workspace.config.connectors, workspace.root, "jira", files=[path])
    rows = workspace.store.sql(
        "SELECT kind, started_at, ended_at FROM work_item_flag WHERE work_item_id = 'jira:EE-900' "
        "ORDER BY started_at"
    )
    assert rows == [
        (
            "flagged",
            parse_time("2024-03-02T09:00:00Z"),
            parse_time("2024-03-04T09:00:00Z"),
        ),
        ("flagged", parse_time("2024-03-06T09:00:00Z"), None),
    ]
    # Created in an in-progress status (Jira's built-in 3): started when created.
    assert workspace.store.sql("SELECT started_at FROM work_item WHERE id = 'jira:EE-900'") == [
        (parse_time("2024-03-01T08:00:00Z"),)
    ]


def test_unreadable_replay_lines_are_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(ISSUES[-1]), "{not json", json.dumps({"hello": "world"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    configure(workspace, jira=JiraSettings(default_team="ee"))
    report = sync_source(
        workspace.store, workspace.config.connectors, workspace.root, "jira", files=[path]
    )
    assert report.counts["raw_record"] == [1, 0, 0, 2]
    reasons = workspace.store.sql("SELECT line, reason FROM quarantine ORDER BY line")
    assert reasons[0][0] == 2
    assert reasons[0][1].startswith("not valid JSON")
    assert reasons[1] == (3, "not a Jira API object (issue, status or changelog entry)")
    assert workspace.store.sql("SELECT count(*) FROM work_item") == [(1,)]


def test_issue_types_that_are_incidents(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    assert workspace.store.sql("SELECT count(*) FROM incident") == [(0,)]
    configure(workspace, jira=JiraSettings(project_teams=dict(JIRA_TEAMS), incident_types=["bug"]))
    sync_source(workspace.store, workspace.config.connectors, workspace.root, "jira", replay=True)
    bugs = [i for i in ISSUES if i["fields"]["issuetype"]["name"] == "Bug"]
    assert bugs
    assert workspace.store.sql(
        "SELECT id, team_id, severity, created_at, resolved_at FROM incident ORDER BY id"
    ) == sorted(
        (
            f"jira:{i['key']}",
            JIRA_TEAMS[i["fields"]["project"]["key"]],
            i["fields"]["priority"]["name"],
            utc(i["fields"]["created"]),
            parse_time(i["fields"]["resolutiondate"]),
        )
        for i in bugs
    )
