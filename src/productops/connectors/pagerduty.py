"""PagerDuty REST v2: incidents with when they were created, acknowledged and resolved.

One stream (cursor in `sync_state` as `pagerduty:incidents`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| incidents | `/incidents?sort_by=created_at:asc&since=CURSOR&until=NOW` (offset/limit pages while `more`), then each one's `/log_entries?is_overview=true` | the oldest incident not resolved yet (it is read again until it is) |

Raw records of an incident's log entries are `{"request": {"IncidentId"},
"response": ...}`; an incident that arrives with its `log_entries` (as in the
shared fixtures) needs no more. The link from an incident to the deployment
that caused it is made when DORA is computed (`pillars.process.dora.caused_incidents`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from productops.config import PagerDutySettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    earlier,
    earliest,
    incident_team,
    later,
    newest_copies,
    parse_time,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["PagerDutyConnector", "map_pagerduty", "pagerduty_stream_of"]


class PagerDutyConnector:
    """Pages of incidents (of the configured services, else all), each with its log entries."""

    def __init__(self, http: HttpClient, settings: PagerDutySettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        cursor = cursors.get("incidents")
        since = cursor or self.settings.start
        params: dict[str, Any] = {
            "limit": self.settings.page_size,
            "offset": 0,
            "sort_by": "created_at:asc",
            "time_zone": "UTC",
        }
        if since:
            params.update(since=since, until=datetime.now(UTC).isoformat())
        else:
            params["date_range"] = "all"
        if self.settings.services:
            params["service_ids[]"] = list(self.settings.services)
        newest, unresolved = cursor, None
        for response in self.http.paginate("/incidents", params):
            incidents = as_objects(response, expect(response, "incidents", list))
            records: list[RawRecord] = []
            for incident in incidents:
                records.append(RawRecord("incidents", incident, response.url))
                if "log_entries" not in incident:
                    records += self._log_entries(incident)
                newest = later(newest, incident.get("created_at"))
                if incident.get("status") != "resolved":
                    unresolved = earlier(unresolved, incident.get("created_at"))
            last = response.next_url is None
            yield Page("incidents", records, (unresolved or newest) if last else None)

    def _log_entries(self, incident: dict[str, Any]) -> list[RawRecord]:
        request = {"IncidentId": incident.get("id")}
        url = f"/incidents/{incident.get('id')}/log_entries"
        params = {"is_overview": "true", "limit": 100, "offset": 0, "time_zone": "UTC"}
        return [
            RawRecord("log_entries", {"request": request, "response": entry}, response.url)
            for response in self.http.paginate(url, params)
            for entry in as_objects(response, expect(response, "log_entries", list))
        ]


def pagerduty_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not PagerDuty's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        return "log_entries" if "IncidentId" in request and "type" in response else None
    if "incident_number" in payload and "service" in payload:
        return "incidents"
    return None


def map_pagerduty(
    records: Sequence[RawRecord],
    settings: PagerDutySettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical incidents from PagerDuty raw records; the copy last changed wins.

    acknowledged_at is the first acknowledgement (log entry or `acknowledgements`),
    resolved_at the resolution of a resolved incident, severity its priority, else
    its urgency.
    """
    entries: dict[Any, list[dict[str, Any]]] = {}
    incidents: list[dict[str, Any]] = []
    for record in records:
        if record.stream == "log_entries":
            key = record.payload["request"].get("IncidentId")
            entries.setdefault(key, []).append(record.payload["response"])
        elif record.stream == "incidents":
            incidents.append(record.payload)
    rows: Rows = {}
    for incident in newest_copies(incidents, lambda i: i.get("id"), "last_status_change_at"):
        log = [*(incident.get("log_entries") or []), *entries.get(incident.get("id"), [])]
        add_row(rows, "incident", _incident(incident, log, settings))
    return Mapped({t: unique_rows(found, ("id",)) for t, found in rows.items()})


def _incident(
    incident: dict[str, Any], log: list[dict[str, Any]], settings: PagerDutySettings
) -> dict[str, Any]:
    service = incident.get("service") or {}
    name = service.get("summary")
    acked = [_at(e) for e in log if e.get("type") == "acknowledge_log_entry"]
    acked += [parse_time(a.get("at")) for a in incident.get("acknowledgements") or []]
    resolved = None
    if incident.get("status") == "resolved":
        times = [_at(e) for e in log if e.get("type") == "resolve_log_entry"]
        resolved = (
            parse_time(incident.get("resolved_at"))
            or max((t for t in times if t is not None), default=None)
            or parse_time(incident.get("last_status_change_at"))
        )
    priority = (incident.get("priority") or {}).get("summary")
    return {
        "id": f"pagerduty:{incident.get('id')}",
        "team_id": incident_team(
            name, service.get("id"), settings.service_teams, settings.default_team
        ),
        "severity": priority or incident.get("urgency"),
        "created_at": parse_time(incident.get("created_at")),
        "acknowledged_at": earliest(acked),
        "resolved_at": resolved,
        "service": name or service.get("id"),
    }


def _at(entry: dict[str, Any]) -> datetime | None:
    return parse_time(entry.get("created_at"))
