"""Opsgenie: incidents with when they were created and resolved.

One stream (cursor in `sync_state` as `opsgenie:incidents`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| incidents | `/v1/incidents?sort=createdAt&order=asc&query=createdAt>=MILLIS` (pages by `paging.next`) | the creation of the oldest incident not resolved yet (it is read again until it is) |

The link from an incident to the deployment that caused it is made when DORA is
computed (`pillars.process.dora.caused_incidents`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import OpsgenieSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    earlier,
    incident_team,
    later,
    newest_copies,
    parse_time,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["OpsgenieConnector", "map_opsgenie", "opsgenie_stream_of"]

_DONE = ("resolved", "closed")


class OpsgenieConnector:
    """Pages of incidents created since the cursor, oldest first."""

    def __init__(self, http: HttpClient, settings: OpsgenieSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        cursor = cursors.get("incidents")
        params: dict[str, Any] = {
            "sort": "createdAt",
            "order": "asc",
            "offset": 0,
            "limit": self.settings.page_size,
        }
        since = parse_time(cursor)
        if since is not None:
            params["query"] = f"createdAt>={int(since.timestamp() * 1000)}"
        newest, unresolved = cursor, None
        for response in self.http.paginate("/v1/incidents", params):
            incidents = as_objects(response, expect(response, "data", list))
            for incident in incidents:
                newest = later(newest, incident.get("createdAt"))
                if incident.get("status") not in _DONE:
                    unresolved = earlier(unresolved, incident.get("createdAt"))
            records = [RawRecord("incidents", i, response.url) for i in incidents]
            last = response.next_url is None
            yield Page("incidents", records, (unresolved or newest) if last else None)


def opsgenie_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Opsgenie's)."""
    if "tinyId" in payload and "impactStartDate" in payload:
        return "incidents"
    return None


def map_opsgenie(
    records: Sequence[RawRecord],
    settings: OpsgenieSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical incidents from Opsgenie raw records; the copy updated last wins.

    resolved_at is `impactEndDate` of a resolved or closed incident, else its last
    update; Opsgenie's incident list gives no acknowledgement time.
    """
    rows: Rows = {}
    incidents = [r.payload for r in records if r.stream == "incidents"]
    for incident in newest_copies(incidents, lambda i: i.get("id"), "updatedAt"):
        services = incident.get("impactedServices") or []
        service = str(services[0]) if services else None
        resolved = None
        if incident.get("status") in _DONE:
            resolved = parse_time(incident.get("impactEndDate") or incident.get("updatedAt"))
        add_row(
            rows,
            "incident",
            {
                "id": f"opsgenie:{incident.get('id')}",
                "team_id": incident_team(
                    service, None, settings.service_teams, settings.default_team
                ),
                "severity": incident.get("priority"),
                "created_at": parse_time(incident.get("createdAt")),
                "resolved_at": resolved,
                "service": service,
            },
        )
    return Mapped({t: unique_rows(found, ("id",)) for t, found in rows.items()})
