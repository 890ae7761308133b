"""A real HTTP server on 127.0.0.1 that serves APIs from fixture payloads, with injected faults.

`JiraSite` and `GitHubSite` page the real payloads of tests/fixtures the way
the real APIs do (Jira: `nextPageToken` on `POST /rest/api/3/search/jql` and
startAt/maxResults/isLast on changelog pages; GitHub: `Link: rel="next"` with
rate-limit headers). `LinearSite` serves a GraphQL answer (no Linear fixture
exists; the payload is written by hand after Linear's schema).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from productops.connectors import parse_time


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None


@dataclass
class Reply:
    """An answer; `trickle` sends its body a byte at a time, that many seconds apart, and
    `sized=False` leaves out Content-Length (the body ends when the connection closes)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    trickle: float = 0.0
    sized: bool = True


@dataclass
class Fault:
    """Replace the `nth` request whose path and query contain `match` (1-based) with `reply`."""

    match: str
    reply: Reply
    nth: int = 1
    seen: int = 0


Site = Callable[[Request, str], Reply]


class FixtureServer:
    """Serves `site` on 127.0.0.1 (a free port) in a thread; use it as a context manager."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def fault(self, match: str, reply: Reply, nth: int = 1) -> None:
        self.faults.append(Fault(match, reply, nth))

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            target = request.path + "?" + urlencode(request.query)
            if isinstance(request.body, dict):
                target += json.dumps(request.body)
            chosen = None
            for fault in self.faults:
                if fault.match in target:
                    fault.seen += 1
                    if fault.seen == fault.nth and chosen is None:
                        chosen = fault.reply
            if chosen is not None:
                return chosen
        return self.site(request, self.url)


def _handler(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                dict(self.headers.items()),
                json.loads(raw) if raw else None,
            )
            reply = server.answer(request)
            data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            if reply.sized:
                self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not reply.trickle:
                self.wfile.write(data)
                return
            try:
                for byte in data:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        do_GET = _serve
        do_POST = _serve

    return Handler


def utc(text: str) -> datetime:
    """A timestamp the test knows is there, as UTC."""
    moment = parse_time(text)
    assert moment is not None, text
    return moment


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# -- Jira Cloud -----------------------------------------------------------------------

_SINCE = re.compile(r'updated >= "(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2})"')


class JiraSite:
    """Jira Cloud REST v3 over the real payloads: search with nextPageToken, changelog pages.

    Searched issues carry at most `embed` changelog entries (with the full
    `total`), as Jira cuts long changelogs; the rest is on the changelog pages.
    JQL is understood as far as the connector uses it: `updated >= "..."` (UTC).
    """

    def __init__(
        self,
        issues: list[dict[str, Any]],
        statuses: list[dict[str, Any]],
        changelogs: dict[str, list[dict[str, Any]]] | None = None,
        embed: int = 5,
        cap: int = 100,
    ) -> None:
        self.cap = cap
        self.issues = issues
        self.statuses = statuses
        self.changelogs = dict(changelogs or {})
        for issue in issues:
            histories = issue.get("changelog", {}).get("histories", [])
            ordered = sorted(histories, key=lambda h: (utc(h["created"]), int(h["id"])))
            self.changelogs[issue["id"]] = ordered
            self.changelogs[issue["key"]] = ordered
        self.embed = embed

    def __call__(self, request: Request, base: str) -> Reply:
        if request.path == "/rest/api/3/status":
            return Reply(body=self.statuses)
        if request.path == "/rest/api/3/search/jql" and request.method == "POST":
            return self._search(request.body)
        found = re.fullmatch(r"/rest/api/3/issue/([^/]+)/changelog", request.path)
        if found:
            return self._changelog(found.group(1), request.query, base + request.path)
        return Reply(404, {"errorMessages": ["not found"]})

    def _search(self, body: dict[str, Any]) -> Reply:
        since = datetime(1970, 1, 1, tzinfo=UTC)
        found = _SINCE.search(body["jql"])
        if found:
            year, month, day, hour, minute = map(int, found.groups())
            since = datetime(year, month, day, hour, minute, tzinfo=UTC)
        selected = sorted(
            (i for i in self.issues if utc(i["fields"]["updated"]) >= since),
            key=lambda i: (utc(i["fields"]["updated"]), i["id"]),
        )
        token = body.get("nextPageToken")
        offset = int(base64.b64decode(token)) if token else 0
        size = int(body.get("maxResults", 50))
        page = selected[offset : offset + size]
        out = [self._searched(i, str(body.get("expand", ""))) for i in page]
        after = offset + len(page)
        answer: dict[str, Any] = {"issues": out, "isLast": after >= len(selected)}
        if after < len(selected):
            answer["nextPageToken"] = base64.b64encode(str(after).encode()).decode()
        return Reply(body=answer)

    def _searched(self, issue: dict[str, Any], expand: str) -> dict[str, Any]:
        copy = {k: v for k, v in issue.items() if k != "changelog"}
        if "changelog" in expand:
            histories = issue.get("changelog", {}).get("histories", [])
            copy["changelog"] = {
                "startAt": 0,
                "maxResults": self.embed,
                "total": len(histories),
                "histories": histories[: self.embed],
            }
        return copy

    def _changelog(self, issue: str, query: dict[str, str], url: str) -> Reply:
        if issue not in self.changelogs:
            return Reply(404, {"errorMessages": ["Issue does not exist"]})
        values = self.changelogs[issue]
        start = int(query.get("startAt", 0))
        size = min(int(query.get("maxResults", 100)), self.cap)
        page = values[start : start + size]
        return Reply(
            body={
                "self": url,
                "maxResults": size,
                "startAt": start,
                "total": len(values),
                "isLast": start + len(page) >= len(values),
                "values": page,
            }
        )


# -- GitHub --------------------------------------------------------------------------


class GitHubSite:
    """GitHub REST over the real payloads of one repository, paged with Link headers."""

    def __init__(
        self,
        repo: str,
        *,
        pulls: list[dict[str, Any]],
        pull_commits: list[dict[str, Any]],
        pull_reviews: list[dict[str, Any]],
        issues: list[dict[str, Any]],
        issue_events: list[dict[str, Any]],
        actions_runs: list[dict[str, Any]],
        deployments: list[dict[str, Any]] | None = None,
        deployment_statuses: dict[int, list[dict[str, Any]]] | None = None,
        releases: list[dict[str, Any]] | None = None,
    ) -> None:
        self.repo = repo
        self.pulls = pulls
        self.children: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for kind, items in (("commits", pull_commits), ("reviews", pull_reviews)):
            for item in items:
                key = (kind, int(item["request"]["Number"]))
                self.children.setdefault(key, []).append(item["response"])
        self.issues = issues
        self.events = issue_events
        self.runs = actions_runs
        self.deployments = deployments or []
        self.deployment_statuses = deployment_statuses or {}
        self.releases = releases or []
        self.remaining = 5000

    def __call__(self, request: Request, base: str) -> Reply:
        prefix = f"/repos/{self.repo}"
        path = request.path
        if not path.startswith(prefix):
            return Reply(404, {"message": "Not Found"})
        rest, q = path[len(prefix) :], request.query
        found = re.fullmatch(r"/pulls/(\d+)/(commits|reviews)", rest)
        if found:
            items = self.children.get((found.group(2), int(found.group(1))), [])
            return self._page(items, request, base)
        found = re.fullmatch(r"/deployments/(\d+)/statuses", rest)
        if found:
            return self._page(self.deployment_statuses.get(int(found.group(1)), []), request, base)
        if rest == "/pulls":
            desc = q.get("direction", "desc") == "desc"
            field_ = "updated_at" if q.get("sort") == "updated" else "created_at"
            items = sorted(self.pulls, key=lambda p: (p[field_], p["id"]), reverse=desc)
            return self._page(items, request, base)
        if rest == "/issues":
            since = q.get("since")
            items = [i for i in self.issues if not since or i["updated_at"] >= _z(since)]
            desc = q.get("direction", "desc") == "desc"
            items.sort(key=lambda i: (i["updated_at"], i["id"]), reverse=desc)
            return self._page(items, request, base)
        if rest == "/issues/events":
            items = sorted(self.events, key=lambda e: (e["created_at"], e["id"]), reverse=True)
            return self._page(items, request, base)
        if rest == "/actions/runs":
            created = q.get("created", "")
            since = _z(created[2:]) if created.startswith(">=") else ""
            items = [r for r in self.runs if r["created_at"] >= since]
            items.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
            return self._page(items, request, base, wrap="workflow_runs")
        if rest == "/deployments":
            env = q.get("environment")
            items = [d for d in self.deployments if env is None or d["environment"] == env]
            items.sort(key=lambda d: (d["created_at"], d["id"]), reverse=True)
            return self._page(items, request, base)
        if rest == "/releases":
            items = sorted(self.releases, key=lambda r: (r["created_at"], r["id"]), reverse=True)
            return self._page(items, request, base)
        return Reply(404, {"message": "Not Found"})

    def _page(
        self, items: list[dict[str, Any]], request: Request, base: str, wrap: str | None = None
    ) -> Reply:
        per_page = int(request.query.get("per_page", 30))
        page = int(request.query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{self._url(base, request, page + 1)}>; rel="next"')
            links.append(f'<{self._url(base, request, last)}>; rel="last"')
        self.remaining -= 1
        headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
        }
        if links:
            headers["Link"] = ", ".join(links)
        body: Any = {"total_count": len(items), wrap: chunk} if wrap else chunk
        return Reply(body=body, headers=headers)

    @staticmethod
    def _url(base: str, request: Request, page: int) -> str:
        return f"{base}{request.path}?{urlencode({**request.query, 'page': str(page)})}"


def _z(text: str) -> str:
    """An ISO timestamp as GitHub writes them (UTC, Z), for string comparison."""
    moment = parse_time(text)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else text


# -- Linear ------------------------------------------------------------------------------


class LinearSite:
    """A GraphQL endpoint answering the connector's two queries from a list of issue nodes."""

    def __init__(self, issues: list[dict[str, Any]], history_page: int = 2) -> None:
        self.issues = issues
        self.history_page = history_page

    def __call__(self, request: Request, base: str) -> Reply:
        if request.path != "/graphql" or request.method != "POST":
            return Reply(404, {"errors": [{"message": "not found"}]})
        query, variables = request.body["query"], request.body.get("variables") or {}
        if "issue(id:" in query:
            issue = next(i for i in self.issues if i["id"] == variables["id"])
            return Reply(body={"data": {"issue": {"history": self._history(issue, variables)}}})
        since = variables.get("since") or ""
        items = [i for i in self.issues if i["updatedAt"] >= since]
        items.sort(key=lambda i: i["updatedAt"], reverse=True)
        start = int(variables["after"]) if variables.get("after") else 0
        chunk = items[start : start + int(variables["first"])]
        nodes = [{**i, "history": self._history(i, {})} for i in chunk]
        end = start + len(chunk)
        info = {"hasNextPage": end < len(items), "endCursor": str(end)}
        return Reply(body={"data": {"issues": {"nodes": nodes, "pageInfo": info}}})

    def _history(self, issue: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
        entries = issue["history"]
        start = int(variables["after"]) if variables.get("after") else 0
        chunk = entries[start : start + self.history_page]
        end = start + len(chunk)
        return {
            "nodes": chunk,
            "pageInfo": {"hasNextPage": end < len(entries), "endCursor": str(end)},
        }
