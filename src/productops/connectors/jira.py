"""Jira Cloud REST v3: issues by JQL with full changelogs, statuses, links, flags, fix versions.

- `POST /rest/api/3/search/jql` with `nextPageToken` paging, `expand=changelog`;
  the sync adds `updated >= ...` from its cursor and orders by `updated`.
- An issue whose embedded changelog is cut short (total > histories) gets the
  rest from `GET /rest/api/3/issue/{id}/changelog` (startAt/maxResults/isLast).
- `GET /rest/api/3/status`: each status's category, the default mapping.

Raw records: `statuses` (a status), `issues` (an issue as searched),
`changelogs` (`{"request": {"issue_id", "issue_key"}, "response": history}`,
the format of the shared fixtures).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from productops.config import JiraSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    StatusCategories,
    add_row,
    parse_time,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = [
    "BUILTIN_STATUSES",
    "STANDARD_NAMES",
    "JiraConnector",
    "jira_stream_of",
    "map_jira",
    "search_jql",
]

# Jira's statusCategory keys -> canonical categories.
CATEGORY_KEYS = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
# Statuses every Jira site has, with fixed ids; used when /status no longer lists them.
BUILTIN_STATUSES = {"1": "todo", "3": "in_progress", "4": "todo", "5": "done", "6": "done"}
# Jira's standard status names in English, Chinese (simplified and traditional), Japanese,
# Korean, German, French, Spanish and Russian, by category: the category of a
# status the payload and /status give none for.
STANDARD_NAMES = {
    "todo": (
        "To Do", "Open", "Reopened", "Backlog", "Selected for Development",
        "待办", "待辦", "作業前", "해야 할 일", "Zu erledigen", "Offen", "À faire",
        "Por hacer", "К выполнению",  # noqa: RUF001 (Russian)
    ),
    "in_progress": (
        "In Progress", "In Review", "进行中", "進行中", "진행 중", "In Arbeit", "En cours",
        "En curso", "В работе",  # noqa: RUF001 (Russian)
    ),
    "done": (
        "Done", "Closed", "Resolved", "已完成", "完成", "完了", "완료", "Fertig", "Erledigt",
        "Geschlossen", "Terminé(e)", "Terminé", "Terminée", "Listo", "Готово",
    ),
}  # fmt: skip
_STANDARD = {name.casefold(): cat for cat, names in STANDARD_NAMES.items() for name in names}
_FINISHED = ("done", "cancelled")
# Jira re-reads this much before the cursor: JQL reads dates in the API user's time zone.
OVERLAP = timedelta(days=1)
_ORDER_BY = re.compile(r"\border\s+by\b.*$", re.I | re.S)


def search_jql(jql: str, cursor: str | None) -> str:
    """The JQL of one sync: the configured filter, updated since the cursor, oldest first.

    >>> search_jql("project = EE order by rank", "2021-03-28T08:06:08+00:00")
    '(project = EE) AND updated >= "2021/03/27 08:06" ORDER BY updated ASC'
    """
    base = _ORDER_BY.sub("", jql).strip()
    since = parse_time(cursor)
    start = since - OVERLAP if since else datetime(1970, 1, 1, tzinfo=UTC)
    parts = [f"({base})"] if base else []
    parts.append(f'updated >= "{start:%Y/%m/%d %H:%M}"')
    return " AND ".join(parts) + " ORDER BY updated ASC"


class JiraConnector:
    """Pages of statuses, then of issues (each with its whole changelog), from a Jira Cloud site."""

    changelog_page_size = 100

    def __init__(self, http: HttpClient, settings: JiraSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        yield self.statuses()
        yield from self.issues(cursors.get("issues"))

    def statuses(self) -> Page:
        response = self.http.get("/rest/api/3/status")
        statuses = as_objects(response, expect(response, None, list))
        return Page("statuses", [RawRecord("statuses", s, response.url) for s in statuses])

    def issues(self, cursor: str | None) -> Iterator[Page]:
        body: dict[str, Any] = {
            "jql": search_jql(self.settings.jql, cursor),
            "maxResults": self.settings.page_size,
            "fields": ["*all"],
            "expand": "changelog",
        }
        newest = parse_time(cursor)
        while True:
            response = self.http.post("/rest/api/3/search/jql", body)
            issues = as_objects(response, expect(response, "issues", list))
            records: list[RawRecord] = []
            for issue in issues:
                records.append(RawRecord("issues", issue, response.url))
                records += self._rest_of_changelog(issue)
                updated = parse_time(_fields(issue).get("updated"))
                if updated and (newest is None or updated > newest):
                    newest = updated
            yield Page("issues", records, newest.isoformat() if newest else None)
            token = response.data.get("nextPageToken")
            if response.data.get("isLast") or not token or not issues:
                return
            body["nextPageToken"] = token

    def changelog(self, issue_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(url, history) of every changelog entry of an issue, oldest first, page by page."""
        start = 0
        while True:
            response = self.http.get(
                f"/rest/api/3/issue/{issue_id}/changelog",
                {"startAt": start, "maxResults": self.changelog_page_size},
            )
            values = as_objects(response, expect(response, "values", list))
            for value in values:
                yield response.url, value
            start += len(values)
            total = response.data.get("total")
            if response.data.get("isLast", True) or not values or (total and start >= total):
                return

    def _rest_of_changelog(self, issue: dict[str, Any]) -> list[RawRecord]:
        changelog = issue.get("changelog") or {}
        histories = changelog.get("histories") or []
        total = changelog.get("total", len(histories))
        if not isinstance(total, int) or total <= len(histories):
            return []
        seen = {h.get("id") for h in histories if isinstance(h, dict)}
        request = {
            "issue_id": _int(issue.get("id")),
            "issue_key": issue.get("key"),
            "update_time": _fields(issue).get("updated"),
        }
        return [
            RawRecord("changelogs", {"request": request, "response": history}, url)
            for url, history in self.changelog(str(issue.get("id")))
            if history.get("id") not in seen
        ]


def jira_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Jira's)."""
    if "fields" in payload and "key" in payload:
        return "issues"
    if "statusCategory" in payload and "name" in payload:
        return "statuses"
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and "issue_id" in request and isinstance(response, dict):
        return "changelogs"
    return None


def map_jira(
    records: Sequence[RawRecord],
    settings: JiraSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical rows from Jira raw records: work items, transitions, flags, links.

    The newest copy of each issue wins; changelog entries from the issue and
    from changelog pages are merged by id.
    """
    categories = StatusCategories(overrides, dict(BUILTIN_STATUSES))
    for record in records:
        if record.stream == "statuses":
            key = (record.payload.get("statusCategory") or {}).get("key")
            if key in CATEGORY_KEYS:
                categories.by_id[str(record.payload.get("id"))] = CATEGORY_KEYS[key]
    issues: dict[str, dict[str, Any]] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.stream == "issues":
            issue_id = str(record.payload.get("id"))
            if issue_id not in issues or _newer(record.payload, issues[issue_id]):
                issues[issue_id] = record.payload
        elif record.stream == "changelogs":
            request = record.payload.get("request") or {}
            extra.setdefault(str(request.get("issue_id")), []).append(record.payload["response"])
    rows: Rows = {}
    resolved_open: list[str] = []
    for issue_id, issue in issues.items():
        _map_issue(rows, issue, extra.get(issue_id, []), settings, categories, resolved_open)
    keys = {
        "work_item": ("id",),
        "work_item_transition": ("work_item_id", "changed_at", "to_status"),
        "work_item_flag": ("work_item_id", "kind", "started_at"),
        "work_item_link": ("from_id", "to_id", "type"),
        "incident": ("id",),
    }
    rows = {table: unique_rows(found, keys[table]) for table, found in rows.items()}
    waiting = sorted(set(extra) - set(issues))
    notes = []
    if categories.unknown:
        notes.append(
            f"statuses with no category: {', '.join(sorted(categories.unknown))}; map them in "
            "connectors.status_categories of productops.toml, or with `productops connect status-category`"
        )
    if resolved_open:
        notes.append(
            f"{len(resolved_open)} issues with a resolution but a status not in a done category "
            f"count as done at their resolution date: {', '.join(sorted(resolved_open)[:10])}"
            f"{', ...' if len(resolved_open) > 10 else ''}"
        )
    if waiting:
        notes.append(
            f"changelog entries of {len(waiting)} issues not synced yet (ids {', '.join(waiting[:5])}"
            f"{', ...' if len(waiting) > 5 else ''}) are kept raw and mapped once their issues arrive"
        )
    return Mapped(rows, notes)


def _map_issue(
    rows: Rows,
    issue: dict[str, Any],
    more_histories: list[dict[str, Any]],
    settings: JiraSettings,
    categories: StatusCategories,
    resolved_open: list[str],
) -> None:
    """Add the issue's rows; its key to `resolved_open` when resolved in a status not done."""
    fields = _fields(issue)
    item = f"jira:{issue['key']}"
    team = _team(fields, settings)
    created = parse_time(fields.get("created"))
    histories = _histories(issue, more_histories)
    transitions = []
    flags: list[dict[str, Any]] = []
    for history in histories:
        at = parse_time(history.get("created"))
        for change in history.get("items") or []:
            name = str(change.get("fieldId") or change.get("field") or "").lower()
            if name == "status" and change.get("toString") and at:
                to_id = None if change.get("to") is None else str(change["to"])
                transitions.append(
                    {
                        "work_item_id": item,
                        "changed_at": at,
                        "from_status": change.get("fromString"),
                        "to_status": change["toString"],
                        "to_category": _category(categories, team, change["toString"], to_id),
                        "_from_id": None if change.get("from") is None else str(change["from"]),
                    }
                )
            elif str(change.get("field") or "").lower() == "flagged" and at:
                _flag(flags, item, at, change)
    status = fields.get("status") or {}
    given = CATEGORY_KEYS.get(str((status.get("statusCategory") or {}).get("key")))
    status_id = None if status.get("id") is None else str(status["id"])
    category = _category(categories, team, status.get("name"), status_id, given)
    resolved = _resolved(fields, transitions, category, status.get("name"))
    if resolved and category not in _FINISHED:
        # Jira counts an issue with a resolution as resolved, whatever its status's category.
        resolved_open.append(str(issue["key"]))
        category = "done"
    add_row(
        rows,
        "work_item",
        {
            "id": item,
            "team_id": team,
            "type": ((fields.get("issuetype") or {}).get("name") or "").lower() or None,
            "title": fields.get("summary"),
            "status": status.get("name"),
            "status_category": category,
            "created_at": created,
            "started_at": _started(transitions, created, category, categories, team, status),
            "resolved_at": resolved,
            "released_at": _released(fields),
            "parent_id": _parent(fields),
            "estimate": _estimate(fields, settings),
        },
    )
    for transition in transitions:
        transition.pop("_from_id")
        add_row(rows, "work_item_transition", transition)
    kind = str((fields.get("issuetype") or {}).get("name") or "")
    if kind.casefold() in {t.casefold() for t in settings.incident_types}:
        add_row(
            rows,
            "incident",
            {
                "id": item,
                "team_id": team,
                "severity": (fields.get("priority") or {}).get("name"),
                "created_at": created,
                "resolved_at": resolved,
            },
        )
    for flag in flags:
        add_row(rows, "work_item_flag", flag)
    for link in _links(item, fields):
        add_row(rows, "work_item_link", link)


def _histories(issue: dict[str, Any], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every changelog entry once, oldest first (ties by id)."""
    embedded = (issue.get("changelog") or {}).get("histories") or []
    by_id: dict[str, dict[str, Any]] = {}
    for history in [*embedded, *more]:
        if isinstance(history, dict):
            by_id[str(history.get("id"))] = history
    return sorted(
        by_id.values(),
        key=lambda h: (
            parse_time(h.get("created")) or datetime.min.replace(tzinfo=UTC),
            _int(h.get("id")),
        ),
    )


def _flag(flags: list[dict[str, Any]], item: str, at: datetime, change: dict[str, Any]) -> None:
    """Jira's Flagged field: set to Impediment starts a period, cleared ends the open one."""
    if change.get("toString"):
        if not any(f["ended_at"] is None for f in flags):
            flags.append(
                {
                    "work_item_id": item,
                    "kind": "flagged",
                    "started_at": at,
                    "ended_at": None,
                    "reason": change.get("toString"),
                }
            )
        return
    for flag in flags:
        if flag["ended_at"] is None:
            flag["ended_at"] = at


def _started(
    transitions: list[dict[str, Any]],
    created: datetime | None,
    category: str | None,
    categories: StatusCategories,
    team: str,
    status: dict[str, Any],
) -> datetime | None:
    """created_at for an item created in an in-progress status, else its first move into one."""
    if transitions:
        first = transitions[0]
        initial = _category(categories, team, first["from_status"], first["_from_id"])
    else:
        initial = category
    if initial == "in_progress":
        return created
    for transition in transitions:
        if transition["to_category"] == "in_progress":
            at: datetime = transition["changed_at"]
            return at
    return None


def _resolved(
    fields: dict[str, Any], transitions: list[dict[str, Any]], category: str | None, status: Any
) -> datetime | None:
    """Jira's resolution date; else, for an item now done or cancelled, its move into that
    status (its last move, when into a finished status or the current one)."""
    resolved = parse_time(fields.get("resolutiondate"))
    if resolved or category not in _FINISHED or not transitions:
        return resolved
    last = transitions[-1]
    if last["to_category"] in _FINISHED or last["to_status"] == status:
        at: datetime = last["changed_at"]
        return at
    return None


def _category(
    categories: StatusCategories,
    team: str,
    name: str | None,
    status_id: str | None,
    given: str | None = None,
) -> str | None:
    """The status's category, Jira's standard one for its name when the payload gives none."""
    standard = _STANDARD.get(name.casefold()) if name else None
    return categories.category(team, name, status_id, given or standard)


def _released(fields: dict[str, Any]) -> datetime | None:
    """The earliest release date of the issue's released fix versions."""
    dates = [
        parse_time(v.get("releaseDate"))
        for v in fields.get("fixVersions") or []
        if isinstance(v, dict) and v.get("released") and v.get("releaseDate")
    ]
    found = [d for d in dates if d is not None]
    return min(found) if found else None


def _parent(fields: dict[str, Any]) -> str | None:
    parent = fields.get("parent")
    if isinstance(parent, dict) and parent.get("key"):
        return f"jira:{parent['key']}"
    return None


def _estimate(fields: dict[str, Any], settings: JiraSettings) -> float | None:
    if settings.estimate_field:
        value = fields.get(settings.estimate_field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _team(fields: dict[str, Any], settings: JiraSettings) -> str:
    """The team field's value, else the project's team, else the default team, else the project."""
    if settings.team_field:
        value = fields.get(settings.team_field)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("value") or value.get("name") or value.get("title")
        if isinstance(value, str) and value.strip():
            return slug(value)
    project = str((fields.get("project") or {}).get("key") or "")
    if project in settings.project_teams:
        return settings.project_teams[project]
    return settings.default_team or slug(project or "jira")


_LINK_TYPES = (("block", "blocks"), ("duplicat", "duplicates"), ("clone", "clones"))


def _links(item: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue links; the outward side is `from` (A blocks B: from A to B)."""
    found = []
    for link in fields.get("issuelinks") or []:
        kind = link.get("type") or {}
        words = f"{kind.get('name', '')} {kind.get('outward', '')}".lower()
        type_ = next((t for hint, t in _LINK_TYPES if hint in words), "relates")
        if (link.get("outwardIssue") or {}).get("key"):
            found.append(
                {"from_id": item, "to_id": f"jira:{link['outwardIssue']['key']}", "type": type_}
            )
        elif (link.get("inwardIssue") or {}).get("key"):
            found.append(
                {"from_id": f"jira:{link['inwardIssue']['key']}", "to_id": item, "type": type_}
            )
    return found


def _fields(issue: dict[str, Any]) -> dict[str, Any]:
    fields = issue.get("fields")
    return fields if isinstance(fields, dict) else {}


def _newer(candidate: dict[str, Any], current: dict[str, Any]) -> bool:
    a = parse_time(_fields(candidate).get("updated"))
    b = parse_time(_fields(current).get("updated"))
    return a is not None and (b is None or a >= b)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
