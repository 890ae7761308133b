"""Write-back: a ticket from a theme or insight, created over real HTTP on 127.0.0.1 in each
tracker, checked by its request body; made once; links confirmed; one audit row."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import GitHubSettings, GitLabSettings, JiraSettings, LinearSettings
from productops.connectors import ConnectorError, RetryPolicy
from productops.errors import UsageError
from productops.services import Actor, tickets
from productops.services.audit import events
from productops.services.feedback import publish_insight
from productops.services.tickets import CLAIM_LEASE, Ticket, create_ticket
from productops.workspace import Workspace
from tests.connectors.fixtures import configure
from tests.connectors.server import FixtureServer, Reply, Request
from tests.connectors.ticket_sites import JIRA_EMAIL, TOKEN, TrackerSite
from tests.pillars.builders import T0, land

ACTOR = Actor("cli:ana")
FAST = RetryPolicy(max_attempts=2, backoff_seconds=0, sleep=lambda _: None)
PROJECTS = {"jira": "PAY", "github": "acme/app", "gitlab": "acme/web/app", "linear": "ENG"}
# Demand of theme-1: 4 items; requesters h1, h2, h3 and fb-4 (no hash: its own) = 4; accounts
# a and b once each: ARR 12,000 + 30,000 = 42,000.
DEMAND = "Demand: 4 requesters, 2 accounts, ARR 42,000 (4 feedback items)."
BACK = "https://po.example.com/feedback/themes/t:theme-1"  # the test rows' source is "t"


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for env in ("JIRA_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN", "LINEAR_API_KEY"):
        monkeypatch.setenv(env, TOKEN)
    monkeypatch.setenv("JIRA_EMAIL", JIRA_EMAIL)
    land(workspace.store, "account", [{"id": "a", "arr": 12000.0}, {"id": "b", "arr": 30000.0}])
    people = [("fb-1", "a", "h1"), ("fb-2", "a", "h2"), ("fb-3", "b", "h3"), ("fb-4", None, None)]
    feedback = [
        {
            "id": i,
            "channel": "email",
            "account_id": a,
            "requester_hash": h,
            "text": "exports fail",
            "created_at": T0,
        }
        for i, a, h in people
    ]
    land(workspace.store, "feedback", feedback)
    land(workspace.store, "theme", [{"id": "theme-1", "label": "CSV exports fail"}])
    land(
        workspace.store,
        "feedback_theme",
        [{"feedback_id": i, "theme_id": "theme-1"} for i, *_ in people],
    )
    server = workspace.config.server.model_copy(update={"public_url": "https://po.example.com"})
    workspace.config = workspace.config.model_copy(update={"server": server})
    return workspace


@pytest.fixture(params=list(PROJECTS))
def tracker(
    request: pytest.FixtureRequest, ws: Workspace
) -> Iterator[tuple[str, TrackerSite, FixtureServer]]:
    kind: str = request.param
    site = TrackerSite(kind, PROJECTS[kind])
    with FixtureServer(site) as server:
        options: dict[str, dict[str, Any]] = {
            "jira": {"jira": JiraSettings(url=server.url, project_teams={"PAY": "payments"})},
            "github": {"github": GitHubSettings(api_url=server.url, repos=["acme/app"])},
            "gitlab": {
                "gitlab": GitLabSettings(url=f"{server.url}/api/v4", projects=["acme/web/app"])
            },
            "linear": {
                "linear": LinearSettings(url=f"{server.url}/graphql", team_map={"ENG": "eng"})
            },
        }
        configure(ws, **options[kind])
        yield kind, site, server


def _sent_text(kind: str, body: dict[str, Any]) -> tuple[str, str]:
    """The title and the description text of a create request, as the tracker reads them."""
    if kind == "jira":
        doc = body["fields"]["description"]
        assert doc["type"] == "doc"
        assert doc["version"] == 1
        lines = [c["content"][0]["text"] for c in doc["content"]]
        return body["fields"]["summary"], "\n\n".join(lines)
    if kind == "github":
        return body["title"], body["body"]
    if kind == "gitlab":
        return body["title"], body["description"]
    given = body["variables"]["input"]
    assert given["teamId"] == "team-uuid-1"
    return given["title"], given["description"]


def test_a_ticket_carries_demand_and_link_back_and_is_made_once(
    ws: Workspace, tracker: tuple[str, TrackerSite, FixtureServer]
) -> None:
    kind, site, server = tracker
    made = create_ticket(ws, ACTOR, "theme-1", kind, policy=FAST)
    assert made.created
    assert made.linked == 4
    [issue] = site.issues
    title, text = _sent_text(kind, issue["request"])
    assert title == "CSV exports fail"
    assert DEMAND in text
    assert BACK in text
    marker = text.rsplit("\n", 1)[-1]
    assert marker.startswith("productops-theme-")
    creates = [
        r for r in server.requests if r.method == "POST" and "Find" not in json.dumps(r.body)
    ]
    for r in creates:  # the credentials went in the header, as the sync sends them
        assert site.authorised(r)
    if kind == "jira":
        auth = base64.b64encode(f"{JIRA_EMAIL}:{TOKEN}".encode()).decode()
        assert creates[-1].headers["Authorization"] == f"Basic {auth}"
        assert issue["request"]["fields"]["project"] == {"key": "PAY"}
    expected_id = {
        "jira": "jira:PAY-1",
        "github": "github:acme/app#1",
        "gitlab": "gitlab:acme/web/app#1",
        "linear": "linear:ENG-1",
    }[kind]
    assert made.work_item_id == expected_id
    assert ws.store.sql(
        "SELECT team_id, title, source FROM work_item WHERE id = ?", [expected_id]
    ) == [
        (
            {"jira": "payments", "github": "app", "gitlab": "app", "linear": "eng"}[kind],
            "CSV exports fail",
            kind,
        )
    ]
    links = ws.store.sql(
        "SELECT feedback_id, state FROM feedback_link WHERE work_item_id = ? ORDER BY 1",
        [expected_id],
    )
    assert links == [(f"t:fb-{n}", "confirmed") for n in range(1, 5)]
    again = create_ticket(ws, ACTOR, "theme-1", kind, policy=FAST)
    assert (again.key, again.url, again.created) == (made.key, made.url, False)
    assert len(site.issues) == 1
    rows = [e for e in events(ws, object=made.subject) if e.action == "feedback.ticket"]
    assert len(rows) == 1
    assert rows[0].after is not None
    assert rows[0].after["work_item_id"] == expected_id


def test_after_a_crash_before_the_record_the_ticket_is_found_not_made_again(
    ws: Workspace, tracker: tuple[str, TrackerSite, FixtureServer]
) -> None:
    kind, site, _ = tracker
    first = create_ticket(ws, ACTOR, "theme-1", kind, policy=FAST)
    # Lose the record (the crash came between the create and the transaction).
    ws.store.sql("DELETE FROM audit_event")
    ws.store.sql("DELETE FROM feedback_link")
    again = create_ticket(ws, ACTOR, "theme-1", kind, policy=FAST)
    assert len(site.issues) == 1
    assert (again.work_item_id, again.created, again.linked) == (first.work_item_id, False, 4)


def test_a_refusal_is_one_line_naming_the_tracker_and_records_nothing(
    ws: Workspace, tracker: tuple[str, TrackerSite, FixtureServer]
) -> None:
    kind, site, server = tracker
    # The create, not the search before it: Jira's create path, the JSON body of GitHub's and
    # GitLab's (their search is a GET on the same path), Linear's mutation.
    match = {"jira": "/rest/api/3/issue?", "github": '"labels"', "gitlab": '"labels"'}
    server.fault(match.get(kind, "issueCreate"), Reply(422, {"message": "title is too long"}))
    with pytest.raises(ConnectorError) as caught:
        create_ticket(ws, ACTOR, "theme-1", kind, policy=FAST)
    message = str(caught.value)
    assert "\n" not in message
    assert "422" in message
    assert kind in message.lower()
    assert site.issues == []
    assert ws.store.sql("SELECT count(*) FROM work_item")[0][0] == 0
    assert ws.store.sql("SELECT count(*) FROM feedback_link")[0][0] == 0
    assert [e for e in events(ws) if e.action == "feedback.ticket"] == []


def test_an_insight_ticket_counts_its_themes_feedback_once(ws: Workspace) -> None:
    land(ws.store, "theme", [{"id": "theme-2", "label": "exports slow"}])
    land(ws.store, "feedback_theme", [{"feedback_id": "fb-1", "theme_id": "theme-2"}])
    insight = publish_insight(
        ws, ACTOR, "Exports hurt", ["theme-1", "theme-2"], summary="Fix exports"
    )
    site = TrackerSite("github", "acme/app")
    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        made = create_ticket(ws, ACTOR, insight, "github", title="Exports", policy=FAST)
    body = site.issues[0]["request"]
    assert body["title"] == "Exports"
    assert body["body"].startswith("Fix exports\n\n" + DEMAND)
    assert (
        f"https://po.example.com/feedback/insights/{insight.removeprefix('productops:')}"
        in body["body"]
    )
    assert made.subject == f"insight:{insight}"
    assert made.linked == 4


def test_the_command_prints_the_new_tickets_key_and_url(ws: Workspace) -> None:
    site = TrackerSite("gitlab", "acme/web/app")
    with FixtureServer(site) as server:
        configure(ws, gitlab=GitLabSettings(url=f"{server.url}/api/v4", projects=["acme/web/app"]))
        args = ["-w", str(ws.root), "feedback", "ticket", "theme-1", "--to", "gitlab"]
        ws.close()
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"gitlab:acme/web/app#1 {server.url}/acme/web/app/-/issues/1" in result.output


@dataclass
class GatedSite(TrackerSite):
    """GitHub whose first create waits for `release` (set by the second call as it starts to
    wait for the first's claim), so that two calls are under way at once."""

    creating: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, request: Request, base: str) -> Reply:
        if request.method == "POST" and not self.creating.is_set():
            self.creating.set()
            self.release.wait(10)  # only a broken claim lets it run out: then two creates
        return super().__call__(request, base)


def test_two_calls_at_once_make_one_ticket(ws: Workspace) -> None:
    site = GatedSite("github", "acme/app")
    done: dict[str, Ticket | BaseException] = {}

    def call(name: str, on: Workspace, policy: RetryPolicy) -> None:
        try:
            done[name] = create_ticket(on, ACTOR, "theme-1", "github", policy=policy)
        except BaseException as exc:  # handed to the test's thread
            done[name] = exc

    def waiting(seconds: float) -> None:
        site.release.set()
        time.sleep(seconds)

    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        other = Workspace.open(ws.root)  # a second connection, as another thread holds one
        try:
            first = threading.Thread(target=call, args=("first", ws, FAST))
            first.start()
            assert site.creating.wait(30)
            slow = RetryPolicy(max_attempts=2, backoff_seconds=0, sleep=waiting)
            second = threading.Thread(target=call, args=("second", other, slow))
            second.start()
            first.join(60)
            second.join(60)
        finally:
            other.close()
    made, again = done["first"], done["second"]
    assert isinstance(made, Ticket), made
    assert isinstance(again, Ticket), again
    assert site.release.is_set()  # the second call did wait for the first's claim
    assert len(site.issues) == 1
    assert sum(r.method == "POST" for r in server.requests) == 1
    assert (made.created, again.created, again.key) == (True, False, made.key)
    assert ws.store.sql("SELECT count(*) FROM ticket_claim") == [(0,)]
    assert len([e for e in events(ws) if e.action == "feedback.ticket"]) == 1


def test_a_record_made_between_the_look_and_the_claim_is_returned(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = TrackerSite("github", "acme/app")
    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        made = create_ticket(ws, ACTOR, "theme-1", "github", policy=FAST)
        looks: list[object] = []
        recorded = tickets._recorded

        def late(on: Workspace, subject: Any) -> dict[str, Any] | None:
            # The first look misses the record, as when the other call commits just after it.
            looks.append(subject)
            return recorded(on, subject) if len(looks) > 1 else None

        monkeypatch.setattr(tickets, "_recorded", late)
        again = create_ticket(ws, ACTOR, "theme-1", "github", policy=FAST)
    assert len(looks) == 2
    assert (again.created, again.key) == (False, made.key)
    assert len([e for e in events(ws) if e.action == "feedback.ticket"]) == 1
    assert ws.store.sql("SELECT count(*) FROM ticket_claim") == [(0,)]
    assert sum(r.method == "POST" for r in server.requests) == 1


def test_a_failed_create_gives_its_claim_back(ws: Workspace) -> None:
    site = TrackerSite("github", "acme/app")
    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        server.fault('"labels"', Reply(502, {"message": "bad gateway"}))
        with pytest.raises(ConnectorError, match="502"):
            create_ticket(ws, ACTOR, "theme-1", "github", policy=FAST)
        assert ws.store.sql("SELECT count(*) FROM ticket_claim") == [(0,)]
        made = create_ticket(ws, ACTOR, "theme-1", "github", policy=FAST)
    assert made.created
    assert len(site.issues) == 1


def _claim(ws: Workspace, lease_until: datetime) -> None:
    claimed = lease_until - CLAIM_LEASE
    ws.store.sql(
        "INSERT INTO ticket_claim VALUES ('theme:t:theme-1', 'github', 'elsewhere:42:7', ?, ?, "
        "'productops', ?)",
        [claimed, lease_until, claimed],
    )


def test_a_live_claim_of_another_call_is_waited_for_then_refused(ws: Workspace) -> None:
    _claim(ws, datetime.now(UTC) + timedelta(minutes=5))
    site = TrackerSite("github", "acme/app")
    pauses: list[float] = []
    policy = RetryPolicy(max_attempts=2, timeout_seconds=3, sleep=pauses.append)
    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        with pytest.raises(UsageError, match=r"^theme:t:theme-1: another call \(elsewhere:42:7\)"):
            create_ticket(ws, ACTOR, "theme-1", "github", policy=policy)
    assert server.requests == []
    assert sum(pauses) == pytest.approx(0.05 + 0.1 + 0.2 + 0.4 + 0.8 + 1.0 + 1.0)
    assert ws.store.sql("SELECT holder FROM ticket_claim") == [("elsewhere:42:7",)]


def test_a_lapsed_claim_is_taken_over(ws: Workspace) -> None:
    _claim(ws, datetime.now(UTC) - timedelta(seconds=1))
    site = TrackerSite("github", "acme/app")
    with FixtureServer(site) as server:
        configure(ws, github=GitHubSettings(api_url=server.url, repos=["acme/app"]))
        made = create_ticket(ws, ACTOR, "theme-1", "github", policy=FAST)
    assert made.created
    assert ws.store.sql("SELECT count(*) FROM ticket_claim") == [(0,)]
