"""Every page of the web app on the demo, as every role: no server error, no broken internal
link, no external URL, no inline script, no accessibility fault its HTML shows
(`accessibility.faults`); every page route reached from the home page; a viewer is offered no
write; the answer page needs no account and its form its own token."""

from __future__ import annotations

import re
import shutil
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from productops.config import ScheduleSettings, write_config
from productops.registry.outbox import Queued, enqueue, mark
from productops.services.schedule import run_due
from productops.web.app import create_app
from productops.web.pages import ROUTERS
from productops.workspace import Workspace
from tests.web.accessibility import faults
from tests.web.demo_site import PASSWORD, USERS, Demo

PER_ROUTE = {"admin": 2}  # distinct URLs fetched per route and format (1 for other roles)
MOST = 400  # fetches per role, a bound on the crawl
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


class Page(HTMLParser):
    """A page's links (`a`, `link`, `script`, `img` and GET forms), POST forms and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.posts: list[str] = []
        self.inline_scripts = 0
        self.urls: list[str] = []  # every URL-valued attribute, to find external ones

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        for name in ("href", "src", "action", "srcset", "hx-get", "hx-post"):
            if name in given:
                self.urls.append(given[name])
        if tag in ("a", "link") and "href" in given:
            self.links.append(given["href"])
        if tag in ("script", "img") and "src" in given:
            self.links.append(given["src"])
        if tag == "script" and "src" not in given and given.get("type") != "application/json":
            self.inline_scripts += 1
        if tag == "form":
            (self.posts if given.get("method", "get").lower() == "post" else self.links).append(
                given.get("action", "")
            )


def _route(app: FastAPI, path: str) -> str | None:
    """The path pattern of the route of `app` that serves `path` (None: no such route)."""
    for context in iter_route_contexts(app.routes):
        pattern = context.path
        if not pattern:
            continue
        if isinstance(context.original_route, Mount):
            if path.startswith(pattern + "/"):
                return path  # each static file is checked
            continue
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(pattern)), path):
            return pattern
    return None


def _client(app: FastAPI, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    if role != "anonymous":
        signed = client.post("/signin", data={"name": USERS[role], "password": PASSWORD})
        assert signed.status_code == 303, signed.text
    return client


@dataclass
class Crawl:
    """What a walk of the pages from `/` found: the route patterns seen, every problem, the
    POST forms offered and the HTML pages fetched (one URL per route and format)."""

    patterns: set[str] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


def crawl(app: FastAPI, role: str) -> Crawl:
    """Walk the pages `role` reaches from `/`."""
    client = _client(app, role)
    queue, seen, fetched = deque(["/"]), {"/"}, dict[tuple[str, str], int]()
    found = Crawl()
    count = 0
    while queue and count < MOST:
        url = queue.popleft()
        parts = urlsplit(url)
        pattern = _route(app, parts.path)
        if pattern is None:
            found.wrong.append(f"{url}: no such route (a broken link)")
            continue
        fmt = dict(parse_qsl(parts.query)).get("format", "html")
        if fetched.get((pattern, fmt), 0) >= PER_ROUTE.get(role, 1):
            continue
        fetched[(pattern, fmt)] = fetched.get((pattern, fmt), 0) + 1
        count += 1
        response = client.get(url)
        found.patterns.add(pattern)
        if response.status_code != 200:
            found.wrong.append(
                f"{url}: {response.status_code} {response.headers.get('location', '')}"
            )
            continue
        if not response.headers["content-type"].startswith("text/html"):
            continue
        found.pages.append(url)
        page = Page()
        page.feed(response.text)
        found.wrong += [f"{url}: external URL {u}" for u in page.urls if EXTERNAL.match(u)]
        found.wrong += [f"{url}: {fault}" for fault in faults(response.text)]
        if page.inline_scripts:
            found.wrong.append(f"{url}: {page.inline_scripts} inline scripts")
        found.posts += page.posts
        for link in page.links:
            target = link.split("#")[0]
            if target and not EXTERNAL.match(target) and target not in seen:
                seen.add(target)
                queue.append(target)
    return found


@pytest.fixture(scope="module")
def app(demo_site: Demo) -> FastAPI:
    return create_app(demo_site.root)


def _page_routes() -> set[str]:
    return {
        r.path
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, Route) and "GET" in (r.methods or ())
    }


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_as_every_role(app: FastAPI, role: str) -> None:
    found = crawl(app, role)
    patterns, posts = found.patterns, found.posts
    assert not found.wrong, "\n".join(found.wrong[:30])
    reachable = (
        _page_routes()
        - {"/answer/{survey}"}
        - ({"/admin", "/admin/audit"} if role != "admin" else set())
    )
    assert reachable <= patterns, f"not reached from /: {sorted(reachable - patterns)}"
    assert {"/static/htmx.min.js", "/static/app.js", "/static/app.css"} <= patterns
    assert "/static/uPlot.min.js" in patterns  # the charts' library, on the pages with charts
    if role == "viewer":
        writes = {p for p in posts if not p.startswith("/answer/")}  # anyone answers surveys
        assert writes == {"/signout"}, "a viewer is offered a write"
    if role == "admin":
        assert any(p.startswith("/themes/") for p in posts)
        assert any("/revoke" in p for p in posts)
    if role == "other-team member":  # no nudge, target or link form for team payments
        assert not [p for p in posts if "/teams/payments/" in p]


def test_signed_out_every_page_sends_to_sign_in_and_the_answer_page_opens(
    app: FastAPI, demo_site: Demo
) -> None:
    admin, anonymous = _client(app, "admin"), _client(app, "anonymous")
    assert crawl(app, "admin").patterns
    for path in [
        "/",
        "/teams/payments",
        "/customer",
        "/data",
        "/experiments",
        "/surveys",
        "/admin",
        "/process",
    ]:
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")
    answer = anonymous.get(f"/answer/{demo_site.survey}")
    assert answer.status_code == 200
    page = Page()
    page.feed(answer.text)
    assert page.posts == [f"/answer/{demo_site.survey}"]
    assert not page.inline_scripts
    assert admin.get(f"/answer/{demo_site.survey}").status_code == 200
    missing = admin.get("/teams/nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    for shown in (answer, anonymous.get("/signin"), missing):  # pages the crawl cannot reach
        assert not faults(shown.text), faults(shown.text)


def test_every_page_answers_json_and_csv(app: FastAPI) -> None:
    client = _client(app, "admin")
    for path in [
        "/",
        "/teams/payments",
        "/customer",
        "/data",
        "/experiments",
        "/surveys",
        "/admin/audit",
        "/process",
    ]:
        data = client.get(path, params={"format": "json"})
        assert data.status_code == 200, path
        assert isinstance(data.json(), dict), path
        name = next(iter(data.json()))
        table = client.get(path, params={"format": "csv", "table": name})
        assert table.status_code == 200
        assert table.headers["content-type"].startswith("text/csv")
        rows = table.text.splitlines()
        assert len(rows) == len(data.json()[name]) + 1 or rows == [""], path  # header + rows
    assert client.get("/", params={"format": "xml"}).status_code == 400


def test_security_headers_forbid_inline_scripts(app: FastAPI) -> None:
    response = _client(app, "viewer").get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_page_views_and_searches_are_usage_events(app: FastAPI, demo_site: Demo) -> None:
    """The pages log `page_view`, `search` and `open` for the signed-in user and its team,
    which the data criteria (time to locate, dashboard usage) read."""
    client = _client(app, "member")
    ws = Workspace.open(demo_site.root)
    try:
        before = ws.store.sql("SELECT count(*) FROM usage_event WHERE person_id = 'ben'")[0][0]
    finally:
        ws.close()
    assert client.get("/").status_code == 200
    assert client.get("/data", params={"q": "active accounts"}).status_code == 200
    assert client.get("/data/metrics/active_accounts").status_code == 200
    ws = Workspace.open(demo_site.root)
    try:
        rows = ws.store.sql(
            "SELECT kind, target, team_id FROM usage_event WHERE person_id = 'ben' "
            "ORDER BY ts, kind DESC"
        )[before:]
    finally:
        ws.close()
    assert rows == [
        ("page_view", "home", "payments"),
        ("search", "active accounts", "payments"),
        ("open", "active_accounts", "payments"),
    ]


def test_the_demo_says_how_to_open_the_app_and_its_admin_signs_in(
    app: FastAPI, demo_site: Demo
) -> None:
    found = re.search(
        r"productops -w (\S+) serve\s+then http://127\.0\.0\.1:8080/\s+"
        r"sign in as (\S+), password (\S+)\s",
        demo_site.printed,
    )
    assert found, demo_site.printed[-600:]
    assert found[1].endswith("demo-org")
    client = TestClient(app, follow_redirects=False)
    signed = client.post("/signin", data={"name": found[2], "password": found[3]})
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"
    assert "demo-admin (admin)" in client.get("/").text


def test_the_admin_page_shows_the_schedule_and_the_messages_given_up(
    demo_site: Demo, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(demo_site.root, root)
    ws = Workspace.open(root)
    try:
        ws.config = ws.config.model_copy(
            update={"schedule": ScheduleSettings(scorecard="0 6 * * 1", checks="0 * * * *")}
        )
        write_config(root / "productops.toml", ws.config)
        (root / "checks").mkdir(exist_ok=True)
        (root / "checks" / "broken.yml").write_text("checks: [not a mapping\n", "utf-8")
        run_due(ws, lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        [key] = enqueue(
            ws.store, [Queued("k-1", "hook", None, "org", "alert", "Spike in payments", "{}")], at
        )
        [(ident,)] = ws.store.sql("SELECT id FROM outbox WHERE idempotency_key = ?", [key])
        mark(ws.store, ident, "dead", at, error="410 Gone from the receiver")
    finally:
        ws.close()
    text = _client(create_app(root), "admin").get("/admin").text
    schedule = text.split('id="schedule"', 1)[1].split("</section>", 1)[0]
    assert '<th scope="row">checks</th>' in schedule
    assert '<th scope="row">scorecard</th>' in schedule
    assert schedule.count(">failed</span>") == 1  # the broken check file fails the checks
    assert ">succeeded</span>" in schedule
    dead = text.split('id="dead"', 1)[1].split("</section>", 1)[0]
    assert "Spike in payments" in dead
    assert "410 Gone from the receiver" in dead


# The filters each page reads from its URL (its query parameters among `render.FILTERS`).
PAGE_FILTERS = {
    "/": {"grain"},
    "/criteria/{ident}": {"grain"},
    "/criteria/{ident}/rows": {"team", "period", "grain"},
    "/teams/{team}": {"grain"},
    "/process": {"team", "grain"},
    "/customer": {"grain"},
    "/data/metrics/{name}": {"grain"},
    "/data/decisions": {"team"},
    "/experiments": {"team"},
    "/surveys": {"team"},
}
LINKED_VIEW = {"team": "payments", "grain": "month", "period": "2025-10-01"}  # a view to share
NOT_CARRIED = ("/static/", "/api/", "/answer/", "/signout")  # files, the API, public links


class Carried(HTMLParser):
    """A page's internal links, its GET forms' fields, its POST forms' `back` pages, and the
    value chosen in each `select`."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str, set[str]]] = []  # (method, action, field names)
        self.backs: list[str] = []
        self.chosen: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        if tag == "a" and given.get("href", "").startswith("/"):
            self.links.append(given["href"])
        if tag == "form":
            self.forms.append((given.get("method", "get").lower(), given.get("action", ""), set()))
        if tag in ("input", "select", "textarea") and self.forms and "name" in given:
            self.forms[-1][2].add(given["name"])
            if given["name"] == "back":
                self.backs.append(given.get("value", ""))
        if tag == "select":
            self._select = given.get("name")
        if tag == "option" and self._select and "selected" in given:
            self.chosen[self._select] = given.get("value", "")
        if tag == "option" and self._select and "value" not in given and "selected" in given:
            self.chosen[self._select] = "?"  # named by its text: read in handle_data

    def handle_data(self, data: str) -> None:
        if self._select and self.chosen.get(self._select) == "?":
            self.chosen[self._select] = data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_the_filters_live_in_the_url_and_every_link_and_form_carries_them(app: FastAPI) -> None:
    """Each page reads its filters from the query string (and shows them chosen), and every
    internal link, GET form and form's page to go back to carries the filters of the URL on,
    so that a link shows a colleague the same view and the next page keeps it."""
    declared = {
        r.path: {p.name for p in r.dependant.query_params} & {"team", "period", "grain"}
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in (r.methods or set())
    }
    assert {p: f for p, f in declared.items() if f} == PAGE_FILTERS
    client = _client(app, "admin")
    wrong = []
    for url in crawl(app, "admin").pages:
        parts = urlsplit(url)
        own = dict(parse_qsl(parts.query))
        carried = LINKED_VIEW | {k: v for k, v in own.items() if k == "period"}
        url = parts.path + "?" + urlencode(own | carried)
        response = client.get(url)
        assert response.status_code == 200, url
        page = Carried()
        page.feed(response.text)
        for name, value in page.chosen.items():
            if (
                name in carried
                and value != carried[name]
                and name in PAGE_FILTERS.get(_route(app, parts.path) or "", set())
            ):
                wrong.append(f"{url}: {name} {value} chosen, not {carried[name]}")
        targets = [*page.links, *page.backs]
        for target in targets:
            if target.startswith(NOT_CARRIED):
                continue
            got = dict(parse_qsl(urlsplit(target).query))
            if missing := set(carried) - set(got):
                wrong.append(f"{url}: the link {target} drops {sorted(missing)}")
        for method, action, fields in page.forms:
            if method == "get" and (missing := set(carried) - fields):
                wrong.append(f"{url}: the form to {action or 'itself'} drops {sorted(missing)}")
    assert not wrong, "\n".join(wrong[:30])


def test_the_customer_page_says_what_share_of_feedback_its_sentiment_read(app: FastAPI) -> None:
    client = _client(app, "viewer")
    page = client.get("/customer", params={"q": "dark mode"}).text
    assert re.search(r"sentiment -?\d\.\d\d( \(\d+% negative\))?, \d+% of feedback read", page)
    assert re.search(r" · (negative|neutral|positive|request|sentiment not read) · ", page)
    themes = client.get("/customer", params={"format": "json"}).json()["themes"]
    assert all(0 <= t["read_share"] <= 1 for t in themes if t["read_share"] is not None)
