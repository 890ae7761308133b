"""Zendesk Support: tickets from the cursor-based incremental export, with requesters and organizations.

- `GET /api/v2/incremental/tickets/cursor.json?start_time=EPOCH` the first
  time, then `?cursor=AFTER_CURSOR`; each answer has `after_cursor` and
  `end_of_stream`, and side-loads `users` and `organizations`
  (`include=users,organizations`). The stream's cursor is the last
  `after_cursor`, so the next sync asks only for what changed since.
- Authentication: `EMAIL/token:API_TOKEN` (basic), from environment variables.

Raw records: `tickets`, `users`, `organizations` (objects as Zendesk sends them).
A ticket becomes one `feedback` row: subject and description as text, the
requester's e-mail as identity (hashed when landed), the organization's
`external_id` as account id, `satisfaction_rating` good/bad as CSAT 5/1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import ZendeskSettings
from productops.connectors.base import Mapped, Page, RawRecord, Rows, add_row, parse_time
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["ZendeskConnector", "map_zendesk", "zendesk_stream_of"]

EXPORT = "/api/v2/incremental/tickets/cursor.json"
# Zendesk's satisfaction scores on the CSAT 1-5 scale of `feedback.rating`.
SCORES = {"good": 5.0, "bad": 1.0}


class ZendeskConnector:
    """Pages of tickets (with their side-loaded users and organizations) from the export."""

    def __init__(self, http: HttpClient, settings: ZendeskSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        base = {"include": "users,organizations", "per_page": self.settings.page_size}
        cursor = cursors.get("tickets")
        start = parse_time(self.settings.start) if self.settings.start else None
        params: dict[str, Any] = (
            {**base, "cursor": cursor}
            if cursor
            else {**base, "start_time": int(start.timestamp()) if start else 0}
        )
        while True:
            response = self.http.get(EXPORT, params)
            tickets = as_objects(response, expect(response, "tickets", list))
            records = [
                RawRecord(stream, item, response.url)
                for stream in ("users", "organizations")
                for item in as_objects(response, response.data.get(stream) or [])
            ]
            records += [RawRecord("tickets", t, response.url) for t in tickets]
            after = response.data.get("after_cursor")
            yield Page("tickets", records, str(after) if after else None)
            if response.data.get("end_of_stream", True) or not after:
                return
            params = {**base, "cursor": after}


def zendesk_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Zendesk's)."""
    if "requester_id" in payload and "id" in payload:
        return "tickets"
    if "domain_names" in payload and "id" in payload:
        return "organizations"
    if "email" in payload and "role" in payload and "id" in payload:
        return "users"
    return None


def map_zendesk(
    records: Sequence[RawRecord],
    settings: ZendeskSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """One feedback row per ticket (the newest copy wins); deleted tickets are left out."""
    users: dict[Any, dict[str, Any]] = {}
    orgs: dict[Any, dict[str, Any]] = {}
    tickets: dict[Any, dict[str, Any]] = {}
    for record in records:
        payload = record.payload
        if record.stream == "users":
            users[payload.get("id")] = payload
        elif record.stream == "organizations":
            orgs[payload.get("id")] = payload
        elif record.stream == "tickets":
            known = tickets.get(payload.get("id"))
            if known is None or str(payload.get("updated_at")) >= str(known.get("updated_at")):
                tickets[payload.get("id")] = payload
    rows: Rows = {}
    deleted = 0
    for ticket in tickets.values():
        if ticket.get("status") == "deleted":
            deleted += 1
            continue
        user = users.get(ticket.get("requester_id")) or {}
        org = orgs.get(ticket.get("organization_id")) or {}
        rating = (ticket.get("satisfaction_rating") or {}).get("score")
        text = "\n\n".join(
            str(part).strip()
            for part in (ticket.get("subject"), ticket.get("description"))
            if part and str(part).strip()
        )
        requester = user.get("email") or (
            f"zendesk-user:{ticket['requester_id']}" if ticket.get("requester_id") else None
        )
        add_row(
            rows,
            "feedback",
            {
                "id": f"zendesk:{ticket.get('id')}",
                "channel": settings.channel,
                "account_id": org.get("external_id") or None,
                "requester": requester,
                "text": text or None,
                "created_at": parse_time(ticket.get("created_at")) or ticket.get("created_at"),
                "rating": SCORES.get(str(rating)),
                "url": f"{settings.url.rstrip('/')}/agent/tickets/{ticket.get('id')}"
                if settings.url
                else None,
            },
        )
    notes = [f"{deleted} deleted tickets left out"] if deleted else []
    return Mapped(rows, notes)
