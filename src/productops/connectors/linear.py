"""Linear GraphQL: issues with their state history.

One query pages through issues updated since the cursor (`pageInfo.endCursor`);
an issue whose `history` has more pages gets them from `issue(id).history`.
Raw records: `issues` (an issue node with its first history page) and
`history` (`{"request": {"issue_id"}, "response": history node}`).

No real Linear payloads ship with the project: the tests serve a small one
written by hand after Linear's public schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import LinearSettings
from productops.connectors.base import (
    ConnectorError,
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
from productops.connectors.http import HttpClient, JsonResponse

__all__ = ["ISSUES_QUERY", "LinearConnector", "linear_stream_of", "map_linear"]

_STATE = "id name type"
_HISTORY = f"id createdAt fromState {{ {_STATE} }} toState {{ {_STATE} }}"
ISSUES_QUERY = (
    "query Issues($first: Int!, $after: String, $since: DateTimeOrDuration!) {"
    " issues(first: $first, after: $after, orderBy: updatedAt,"
    " filter: { updatedAt: { gte: $since } }) {"
    " nodes { id identifier title createdAt updatedAt startedAt completedAt canceledAt estimate"
    f" state {{ {_STATE} }} team {{ id key name }} parent {{ identifier }}"
    f" history(first: 100) {{ nodes {{ {_HISTORY} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    " pageInfo { hasNextPage endCursor } } }"
)
HISTORY_QUERY = (
    "query History($id: String!, $after: String) { issue(id: $id) {"
    f" history(first: 100, after: $after) {{ nodes {{ {_HISTORY} }}"
    " pageInfo { hasNextPage endCursor } } } }"
)
# Linear's workflow state types -> canonical categories.
STATE_TYPES = {
    "triage": "todo",
    "backlog": "todo",
    "unstarted": "todo",
    "started": "in_progress",
    "completed": "done",
    "canceled": "cancelled",
}


class LinearConnector:
    """Pages of issues (with full history) from Linear's GraphQL API."""

    def __init__(self, http: HttpClient, settings: LinearSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def _query(self, query: str, variables: dict[str, Any]) -> tuple[JsonResponse, Any]:
        response = self.http.post(self.settings.url, {"query": query, "variables": variables})
        data = response.data
        if (
            not isinstance(data, dict)
            or data.get("errors")
            or not isinstance(data.get("data"), dict)
        ):
            errors = data.get("errors") if isinstance(data, dict) else None
            messages = "; ".join(str(e.get("message")) for e in errors or [] if isinstance(e, dict))
            raise ConnectorError(
                f"{response.url}: GraphQL error: {messages or 'no data in the answer'}; nothing "
                "from this page was stored"
            )
        return response, data["data"]

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        since = cursors.get("issues") or "1970-01-01T00:00:00.000Z"
        newest = cursors.get("issues")
        after: str | None = None
        while True:
            variables = {"first": self.settings.page_size, "after": after, "since": since}
            response, data = self._query(ISSUES_QUERY, variables)
            connection = data.get("issues") or {}
            nodes = connection.get("nodes")
            if not isinstance(nodes, list):
                raise ConnectorError(
                    f"{response.url}: expected issues.nodes in the answer; nothing from this page "
                    "was stored"
                )
            records: list[RawRecord] = []
            for node in nodes:
                records.append(RawRecord("issues", node, response.url))
                records += self._rest_of_history(node)
                updated = parse_time(node.get("updatedAt"))
                if updated and (newest is None or updated > (parse_time(newest) or updated)):
                    newest = updated.isoformat()
            info = connection.get("pageInfo") or {}
            last = not info.get("hasNextPage")
            yield Page("issues", records, newest if last else None)
            if last:
                return
            after = info.get("endCursor")

    def _rest_of_history(self, node: dict[str, Any]) -> list[RawRecord]:
        info = (node.get("history") or {}).get("pageInfo") or {}
        records = []
        after = info.get("endCursor")
        while info.get("hasNextPage"):
            response, data = self._query(HISTORY_QUERY, {"id": node.get("id"), "after": after})
            history = (data.get("issue") or {}).get("history") or {}
            for entry in history.get("nodes") or []:
                payload = {"request": {"issue_id": node.get("id")}, "response": entry}
                records.append(RawRecord("history", payload, response.url))
            info = history.get("pageInfo") or {}
            after = info.get("endCursor")
        return records


def linear_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape."""
    if "identifier" in payload and "state" in payload:
        return "issues"
    if isinstance(payload.get("request"), dict) and isinstance(payload.get("response"), dict):
        return "history"
    return None


def map_linear(
    records: Sequence[RawRecord],
    settings: LinearSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Work items and their state changes from Linear issues."""
    categories = StatusCategories(overrides)
    issues: dict[str, dict[str, Any]] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.stream == "issues":
            current = issues.get(record.payload["id"])
            if current is None or str(record.payload.get("updatedAt")) >= str(
                current.get("updatedAt")
            ):
                issues[record.payload["id"]] = record.payload
        elif record.stream == "history":
            extra.setdefault(record.payload["request"]["issue_id"], []).append(
                record.payload["response"]
            )
    rows: Rows = {}
    for issue_id, issue in issues.items():
        _map_issue(rows, issue, extra.get(issue_id, []), settings, categories)
    keys = {
        "work_item": ("id",),
        "work_item_transition": ("work_item_id", "changed_at", "to_status"),
    }
    return Mapped({t: unique_rows(found, keys[t]) for t, found in rows.items()})


def _state_category(
    categories: StatusCategories, team: str, state: dict[str, Any] | None
) -> str | None:
    if not state:
        return None
    return categories.category(
        team, state.get("name"), None, STATE_TYPES.get(state.get("type", ""))
    )


def _map_issue(
    rows: Rows,
    issue: dict[str, Any],
    more: list[dict[str, Any]],
    settings: LinearSettings,
    categories: StatusCategories,
) -> None:
    team_key = str((issue.get("team") or {}).get("key") or "")
    team = settings.team_map.get(team_key) or settings.default_team or slug(team_key or "linear")
    item = f"linear:{issue['identifier']}"
    entries = {e.get("id"): e for e in [*((issue.get("history") or {}).get("nodes") or []), *more]}
    history = sorted(
        (e for e in entries.values() if e.get("toState")),
        key=lambda e: str(e.get("createdAt")),
    )
    transitions = [
        {
            "work_item_id": item,
            "changed_at": parse_time(entry.get("createdAt")),
            "from_status": (entry.get("fromState") or {}).get("name"),
            "to_status": entry["toState"].get("name"),
            "to_category": _state_category(categories, team, entry["toState"]),
        }
        for entry in history
    ]
    started = next(
        (t["changed_at"] for t in transitions if t["to_category"] == "in_progress"), None
    )
    parent = (issue.get("parent") or {}).get("identifier")
    estimate = issue.get("estimate")
    add_row(
        rows,
        "work_item",
        {
            "id": item,
            "team_id": team,
            "type": "issue",
            "title": issue.get("title"),
            "status": (issue.get("state") or {}).get("name"),
            "status_category": _state_category(categories, team, issue.get("state")),
            "created_at": parse_time(issue.get("createdAt")),
            "started_at": started or parse_time(issue.get("startedAt")),
            "resolved_at": parse_time(issue.get("completedAt") or issue.get("canceledAt")),
            "parent_id": f"linear:{parent}" if parent else None,
            "estimate": float(estimate) if isinstance(estimate, int | float) else None,
        },
    )
    for transition in transitions:
        add_row(rows, "work_item_transition", transition)
