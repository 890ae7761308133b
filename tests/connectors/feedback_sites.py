"""Zendesk and Intercom served by the real local HTTP server (`server.FixtureServer`).

The payloads are hand-written after the public API documentation
(fixtures_feedback/README.md); the sites page them as the real APIs do:
Zendesk's incremental ticket export by `after_cursor` and `end_of_stream`,
with side-loaded users and organizations; Intercom's conversations newest
first by `pages.next.starting_after`. Both refuse a request without the
credentials the connector must send.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.connectors.server import Reply, Request

__all__ = ["FIXTURES", "IntercomSite", "ZendeskSite", "fixture"]

FIXTURES = Path(__file__).parent / "fixtures_feedback"


def fixture(name: str) -> dict[str, list[dict[str, Any]]]:
    """A hand-written fixture file of fixtures_feedback/."""
    data: dict[str, list[dict[str, Any]]] = json.loads((FIXTURES / name).read_text("utf-8"))
    return data


def _token(position: Any) -> str:
    return base64.b64encode(json.dumps(position).encode()).decode()


def _position(token: str) -> Any:
    return json.loads(base64.b64decode(token))


class ZendeskSite:
    """`GET /api/v2/incremental/tickets/cursor.json`: start_time or cursor, per_page, include."""

    def __init__(self, export: dict[str, list[dict[str, Any]]], auth: str) -> None:
        self.tickets = list(export["tickets"])
        self.users = {u["id"]: u for u in export["users"]}
        self.orgs = {o["id"]: o for o in export["organizations"]}
        self.auth = "Basic " + base64.b64encode(auth.encode()).decode()

    def __call__(self, request: Request, base: str) -> Reply:
        if request.path != "/api/v2/incremental/tickets/cursor.json":
            return Reply(404, {"error": "InvalidEndpoint"})
        if request.headers.get("Authorization") != self.auth:
            return Reply(401, {"error": "Couldn't authenticate you"})
        q = request.query
        ordered = sorted(self.tickets, key=lambda t: (t["generated_timestamp"], t["id"]))
        if "cursor" in q:
            after = tuple(_position(q["cursor"]))
            todo = [t for t in ordered if (t["generated_timestamp"], t["id"]) > after]
        else:
            todo = [t for t in ordered if t["generated_timestamp"] >= int(q["start_time"])]
        page = todo[: int(q.get("per_page", 1000))]
        last = page[-1] if page else None
        cursor = _token([last["generated_timestamp"], last["id"]]) if last else q.get("cursor")
        body: dict[str, Any] = {
            "tickets": page,
            "after_url": f"{base}{request.path}?cursor={cursor}" if cursor else None,
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": len(page) == len(todo),
        }
        include = q.get("include", "").split(",")
        if "users" in include:
            wanted = {t["requester_id"] for t in page}
            body["users"] = [u for i, u in self.users.items() if i in wanted]
        if "organizations" in include:
            wanted = {t["organization_id"] for t in page}
            body["organizations"] = [o for i, o in self.orgs.items() if i in wanted]
        return Reply(body=body)


class IntercomSite:
    """`GET /conversations`: newest updated first, per_page, starting_after."""

    def __init__(self, conversations: list[dict[str, Any]], token: str, version: str) -> None:
        self.conversations = list(conversations)
        self.token = token
        self.version = version

    def __call__(self, request: Request, base: str) -> Reply:
        if request.path != "/conversations":
            return Reply(404, {"type": "error.list", "errors": [{"code": "not_found"}]})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Reply(401, {"type": "error.list", "errors": [{"code": "unauthorized"}]})
        if request.headers.get("Intercom-Version") != self.version:
            return Reply(400, {"type": "error.list", "errors": [{"code": "intercom_version"}]})
        q = request.query
        ordered = sorted(self.conversations, key=lambda c: (-c["updated_at"], c["id"]))
        size = int(q.get("per_page", 20))
        start = int(_position(q["starting_after"])) if "starting_after" in q else 0
        chunk = ordered[start : start + size]
        total_pages = max(1, -(-len(ordered) // size))
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // size + 1,
            "per_page": size,
            "total_pages": total_pages,
        }
        if start + size < len(ordered):
            pages["next"] = {"page": start // size + 2, "starting_after": _token(start + size)}
        return Reply(
            body={
                "type": "conversation.list",
                "pages": pages,
                "total_count": len(ordered),
                "conversations": chunk,
            }
        )
