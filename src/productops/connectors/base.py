"""What every connector shares: raw records and pages, mapped rows, timestamps, status categories.

A connector yields `Page`s of `RawRecord`s (payloads as the source sent them);
a pure mapping function turns raw records into `Rows` for the canonical tables.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from productops.errors import ProductOpsError

__all__ = [
    "CATEGORIES",
    "Connector",
    "ConnectorError",
    "Mapped",
    "Page",
    "RawRecord",
    "Rows",
    "StatusCategories",
    "add_row",
    "earlier",
    "earliest",
    "incident_team",
    "later",
    "newest_copies",
    "parse_time",
    "slug",
    "unique_rows",
]

CATEGORIES = ("todo", "in_progress", "done", "cancelled")

# Canonical table -> rows (dicts keyed by canonical column names).
Rows = dict[str, list[dict[str, Any]]]


class ConnectorError(ProductOpsError):
    """A source cannot be read: unreachable, refused, malformed, or missing a secret.

    The message names the URL or file and says what to do; it never holds a secret.
    """


@dataclass(frozen=True)
class RawRecord:
    """One payload as received: an API object, or `{"request": ..., "response": ...}`.

    `stream` names what it is (issues, changelogs, pulls, ...); `endpoint` where
    it came from (a URL, or file:line for a replay).
    """

    stream: str
    payload: dict[str, Any]
    endpoint: str = ""

    @property
    def id(self) -> str:
        """Hash of stream and payload: the same payload fetched twice is one record."""
        text = json.dumps(self.payload, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.stream}\n{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Page:
    """Raw records to land together, and the cursor of `stream` once they are stored.

    A cursor of None leaves the stream's cursor where it was.
    """

    stream: str
    records: list[RawRecord]
    cursor: str | None = None


class Connector(Protocol):
    """A source: yields pages from the cursors of its streams (stream -> cursor); closes."""

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]: ...

    def close(self) -> None: ...


def parse_time(value: Any) -> datetime | None:
    """A source's timestamp as an aware UTC datetime (ISO 8601, with or without colon in the offset).

    >>> parse_time("2020-06-12T08:13:13.360+0800")
    datetime.datetime(2020, 6, 12, 0, 13, 13, 360000, tzinfo=datetime.timezone.utc)
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class StatusCategories:
    """Which category (todo, in_progress, done, cancelled) a status is in, per team.

    Looked up in order: the team's override by status name, the override for all
    teams ("*"), the source's category of the status id, the source's category
    given with the item. Names match exactly, then ignoring case.
    """

    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    def category(
        self,
        team: str | None,
        name: str | None,
        status_id: str | None = None,
        given: str | None = None,
    ) -> str | None:
        if name:
            for scope in (team, "*"):
                mapping = self.overrides.get(scope) if scope else None
                found = mapping and (mapping.get(name) or _casefold_get(mapping, name))
                if found:
                    return found
        if status_id is not None and status_id in self.by_id:
            return self.by_id[status_id]
        if given:
            return given
        if name:
            self.unknown.add(name)
        return None


def _casefold_get(mapping: Mapping[str, str], name: str) -> str | None:
    folded = name.casefold()
    for key, value in mapping.items():
        if key.casefold() == folded:
            return value
    return None


def unique_rows(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    """`rows` with one row per key, the last one winning."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = row
    return list(by_key.values())


@dataclass
class Mapped:
    """What a mapping produced: canonical rows per table, and notes for the user."""

    rows: Rows = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """A team id from a name: lower case, runs of other characters as one dash.

    >>> slug("Payments Team")
    'payments-team'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-") or "unknown"


def incident_team(
    service: str | None, service_id: str | None, teams: Mapping[str, str], default: str | None
) -> str:
    """The team of an incident a paging tool (PagerDuty, Opsgenie) raised on `service`: by its
    name, else its id, in `teams`; else `default`; else the service's name as a team id.

    >>> incident_team("Checkout API", "P1", {"P1": "payments"}, None)
    'payments'
    """
    for key in (service, service_id):
        if key and key in teams:
            return teams[key]
    return default or slug(service or service_id or "unknown")


def add_row(rows: Rows, table: str, row: dict[str, Any]) -> None:
    """Append `row` to `rows[table]`."""
    rows.setdefault(table, []).append(row)


def later(a: str | None, b: Any) -> str | None:
    """The later of cursor `a` and timestamp `b`, as an ISO cursor (`a` when `b` is no time)."""
    tb, ta = parse_time(b), parse_time(a)
    if tb is None:
        return a
    return tb.isoformat() if ta is None or tb > ta else a


def earlier(a: str | None, b: Any) -> str | None:
    """The earlier of cursor `a` and timestamp `b`, as an ISO cursor (`a` when `b` is no time)."""
    tb, ta = parse_time(b), parse_time(a)
    if tb is None:
        return a
    return tb.isoformat() if ta is None or tb < ta else a


def earliest(times: Iterable[datetime | None]) -> datetime | None:
    """The earliest of `times` that is one, else None."""
    found = [t for t in times if t is not None]
    return min(found) if found else None


def newest_copies(
    items: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any], field: str = "updated_at"
) -> list[dict[str, Any]]:
    """One copy per object (by `key`): the one whose `field` is latest (the later one on a tie)."""
    chosen: dict[Any, dict[str, Any]] = {}
    for item in items:
        current = chosen.get(key(item))
        if current is None or str(item.get(field) or "") >= str(current.get(field) or ""):
            chosen[key(item)] = item
    return list(chosen.values())
