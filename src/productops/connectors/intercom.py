"""Intercom: conversations, newest first, paged with `starting_after`.

- `GET /conversations?per_page=N&order=desc&sort=updated_at`, then
  `&starting_after=` the `pages.next.starting_after` of each answer, until an
  answer has no `pages.next`. The `Intercom-Version` header pins the API version.
- Incremental: the stream's cursor is the newest `updated_at` (epoch seconds)
  synced; the next sync keeps the conversations updated since that second
  (those of that very second again: landing them twice changes nothing) and
  stops at the first page holding an older one. The cursor moves only with
  the last page, so an interrupted sync starts over.
- Authentication: a bearer access token from an environment variable.

Raw records: `conversations`. A conversation started by a customer becomes one
`feedback` row: `source.subject` and `source.body` (HTML as plain text), the
author's e-mail (or contact id) as identity, `conversation_rating.rating` (1-5).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from productops.config import IntercomSettings
from productops.connectors.base import Mapped, Page, RawRecord, Rows, add_row
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["IntercomConnector", "html_text", "intercom_stream_of", "map_intercom"]

_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d)\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def html_text(value: str | None) -> str:
    """Intercom's HTML body as plain text: tags dropped, breaks kept, entities decoded.

    >>> html_text("<p>Export &amp; import</p><p>fails<br>again</p>")
    'Export & import\\nfails\\nagain'
    """
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", value or "")))
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _epoch(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


class IntercomConnector:
    """Pages of conversations updated since the cursor, newest first."""

    def __init__(self, http: HttpClient, settings: IntercomSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        since = int(cursors["conversations"]) if cursors.get("conversations") else -1
        params: dict[str, Any] = {
            "per_page": self.settings.page_size,
            "order": "desc",
            "sort": "updated_at",
        }
        newest = since
        while True:
            response = self.http.get("/conversations", params)
            items = as_objects(response, expect(response, "conversations", list))
            fresh = [c for c in items if (_epoch(c.get("updated_at")) or 0) >= since]
            newest = max([newest, *((_epoch(c.get("updated_at")) or 0) for c in fresh)])
            after = ((response.data.get("pages") or {}).get("next") or {}).get("starting_after")
            last = not after or len(fresh) < len(items)
            records = [RawRecord("conversations", c, response.url) for c in fresh]
            yield Page("conversations", records, str(newest) if last and newest >= 0 else None)
            if last:
                return
            params = {**params, "starting_after": after}


def intercom_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to (None: not an Intercom conversation)."""
    return "conversations" if payload.get("type") == "conversation" and "id" in payload else None


def _requester(conversation: dict[str, Any]) -> str | None:
    author = (conversation.get("source") or {}).get("author") or {}
    if author.get("email"):
        return str(author["email"])
    contacts = (conversation.get("contacts") or {}).get("contacts") or []
    first = contacts[0] if contacts and isinstance(contacts[0], dict) else author
    ident = first.get("external_id") or first.get("id")
    return f"intercom-contact:{ident}" if ident else None


def map_intercom(
    records: Sequence[RawRecord],
    settings: IntercomSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """One feedback row per conversation a customer started (the newest copy wins)."""
    newest: dict[Any, dict[str, Any]] = {}
    for record in records:
        payload = record.payload
        known = newest.get(payload.get("id"))
        if known is None or (_epoch(payload.get("updated_at")) or 0) >= (
            _epoch(known.get("updated_at")) or 0
        ):
            newest[payload.get("id")] = payload
    rows: Rows = {}
    outbound = 0
    for conversation in newest.values():
        source = conversation.get("source") or {}
        if (source.get("author") or {}).get("type") in ("admin", "bot"):
            outbound += 1
            continue
        text = "\n\n".join(
            part
            for part in (html_text(source.get("subject")), html_text(source.get("body")))
            if part
        )
        created = _epoch(conversation.get("created_at"))
        rating = (conversation.get("conversation_rating") or {}).get("rating")
        add_row(
            rows,
            "feedback",
            {
                "id": f"intercom:{conversation.get('id')}",
                "channel": settings.channel,
                "requester": _requester(conversation),
                "text": text or None,
                "created_at": datetime.fromtimestamp(created, UTC)
                if created is not None
                else conversation.get("created_at"),
                "rating": float(rating) if isinstance(rating, int | float) else None,
            },
        )
    notes = [f"{outbound} conversations started by admins or bots left out"] if outbound else []
    return Mapped(rows, notes)
