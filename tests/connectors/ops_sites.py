"""CI servers and paging tools served from their real payloads by `FixtureServer`, paged as
the real APIs page.

- `PagerDutySite`: REST v2; lists are `{"incidents", "limit", "offset", "more", "total"}`
  (offset/limit, `more` false on the last page), incidents filtered by `since`/`until` on
  their creation unless `date_range=all`; an incident's log entries at
  `/incidents/ID/log_entries` (the list answer does not carry them); the API key as
  `Authorization: Token token=KEY`.
- `JenkinsSite`: jobs at `/job/A/job/B/...`; `api/json?tree=allBuilds[...]{START,END}`
  answers the builds in that range, newest first (an empty list past the end); a
  pipeline build's stages at `/job/.../N/wfapi/describe`; basic auth with an API token.
- `CircleCISite`: API v2; lists are `{"items", "next_page_token"}` (an opaque token, null
  on the last page), `page_size` items a page; pipelines newest first; the token in a
  `Circle-Token` header.
- `OpsgenieSite`: `/v1/incidents` answers `{"data", "paging", "took", "requestId"}`, the
  next page's URL in `paging.next` (none on the last); `query=createdAt>=MILLIS` filters;
  the key as `Authorization: GenieKey KEY`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from tests.connectors.code_sites import _opaque, _unopaque
from tests.connectors.server import Reply, Request, utc


def _offset_page(key: str, items: list[dict[str, Any]], q: dict[str, str]) -> Reply:
    offset, limit = int(q.get("offset", 0)), int(q.get("limit", 25))
    chunk = items[offset : offset + limit]
    body = {key: chunk, "limit": limit, "offset": offset, "more": offset + limit < len(items)}
    return Reply(body={**body, "total": None})


class PagerDutySite:
    """PagerDuty REST v2 over the real incidents (whose `log_entries` it serves apart)."""

    def __init__(self, incidents: Sequence[dict[str, Any]], key: str) -> None:
        self.key = key
        self.incidents = sorted(
            ({k: v for k, v in i.items() if k != "log_entries"} for i in incidents),
            key=lambda i: (utc(i["created_at"]), i["id"]),
        )
        self.log_entries = {i["id"]: list(i.get("log_entries") or []) for i in incidents}

    def __call__(self, request: Request, base: str) -> Reply:
        if request.headers.get("Authorization") != f"Token token={self.key}":
            return Reply(401, {"error": {"message": "Unauthorized", "code": 2006}})
        q = request.query
        if request.path == "/incidents":
            items = self.incidents
            if q.get("date_range") != "all":
                since, until = utc(q["since"]), utc(q["until"])
                items = [i for i in items if since <= utc(i["created_at"]) < until]
            return _offset_page("incidents", items, q)
        found = re.fullmatch(r"/incidents/([^/]+)/log_entries", request.path)
        if found and found.group(1) in self.log_entries:
            return _offset_page("log_entries", self.log_entries[found.group(1)], q)
        return Reply(404, {"error": {"message": "Not Found", "code": 2100}})


_RANGE = re.compile(r"allBuilds\[.*\]\{(\d+),(\d+)\}$")


class JenkinsSite:
    """Jenkins over the real builds (`{"request": {"FullName"}, ...}`) and stages of its jobs."""

    def __init__(
        self,
        builds: Sequence[dict[str, Any]],
        stages: Sequence[dict[str, Any]],
        user: str,
        token: str,
    ) -> None:
        self.auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self.builds: dict[str, list[dict[str, Any]]] = {}
        for item in builds:
            self.builds.setdefault(item["request"]["FullName"], []).append(item["response"])
        for found in self.builds.values():
            found.sort(key=lambda b: b["number"], reverse=True)
        self.stages: dict[str, list[dict[str, Any]]] = {}
        for item in stages:
            self.stages.setdefault(item["request"]["FullName"], []).append(item["response"])

    def __call__(self, request: Request, base: str) -> Reply:
        if request.headers.get("Authorization") != self.auth:
            return Reply(401, {"message": "Unauthorized"})
        found = re.fullmatch(r"((?:/job/[^/]+)+)/(api/json|(\d+)/wfapi/describe)", request.path)
        job = "/".join(found.group(1).split("/job/")[1:]) if found else ""
        if found is None or job not in self.builds:
            return Reply(404, {"message": "Not Found"})
        if found.group(3):
            stages = self.stages.get(f"{job}#{found.group(3)}", [])
            return Reply(body={"id": found.group(3), "status": "SUCCESS", "stages": stages})
        span = _RANGE.search(request.query.get("tree", ""))
        start, end = (int(span.group(1)), int(span.group(2))) if span else (0, 100)
        body = {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob"}
        return Reply(body={**body, "allBuilds": self.builds[job][start:end]})


class CircleCISite:
    """CircleCI API v2 over the real pipelines, workflows and jobs of one project."""

    def __init__(
        self,
        project: str,
        pipelines: Sequence[dict[str, Any]],
        workflows: Sequence[dict[str, Any]],
        jobs: Sequence[dict[str, Any]],
        token: str,
        page_size: int = 3,
    ) -> None:
        self.project, self.token, self.size = project, token, page_size
        self.pipelines = sorted(pipelines, key=lambda p: p["created_at"], reverse=True)
        self.workflows: dict[str, list[dict[str, Any]]] = {}
        for item in workflows:
            workflow = item["response"]
            self.workflows.setdefault(workflow["pipeline_id"], []).append(workflow)
        self.jobs: dict[str, list[dict[str, Any]]] = {}
        for item in jobs:
            self.jobs.setdefault(item["request"]["id"], []).append(item["response"])

    def __call__(self, request: Request, base: str) -> Reply:
        if request.headers.get("Circle-Token") != self.token:
            return Reply(401, {"message": "You must log in first."})
        if request.path == f"/api/v2/project/{self.project}/pipeline":
            return self._page(self.pipelines, request.query)
        found = re.fullmatch(r"/api/v2/(pipeline|workflow)/([^/]+)/(workflow|job)", request.path)
        if found:
            lists = self.workflows if found.group(1) == "pipeline" else self.jobs
            return self._page(lists.get(found.group(2), []), request.query)
        return Reply(404, {"message": "Not found."})

    def _page(self, items: list[dict[str, Any]], q: dict[str, str]) -> Reply:
        start = int(_unopaque(q["page-token"])["at"]) if "page-token" in q else 0
        end = start + self.size
        token = _opaque({"at": end}) if end < len(items) else None
        return Reply(body={"items": items[start:end], "next_page_token": token})


class OpsgenieSite:
    """Opsgenie over the real incidents."""

    def __init__(self, incidents: Sequence[dict[str, Any]], key: str) -> None:
        self.key = key
        self.incidents = sorted(incidents, key=lambda i: (utc(i["createdAt"]), i["id"]))

    def __call__(self, request: Request, base: str) -> Reply:
        if request.headers.get("Authorization") != f"GenieKey {self.key}":
            return Reply(401, {"message": "Could not authenticate", "took": 0.0})
        if request.path != "/v1/incidents":
            return Reply(404, {"message": "Not found", "took": 0.0})
        q = request.query
        items = self.incidents
        since = re.fullmatch(r"createdAt>=(\d+)", q.get("query", ""))
        if since:
            start = int(since.group(1)) / 1000
            items = [i for i in items if utc(i["createdAt"]).timestamp() >= start]
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 20))
        paging = {"first": f"{base}/v1/incidents?{urlencode({**q, 'offset': 0})}"}
        if offset + limit < len(items):
            paging["next"] = f"{base}/v1/incidents?{urlencode({**q, 'offset': offset + limit})}"
        body = {"data": items[offset : offset + limit], "paging": paging}
        return Reply(body={**body, "took": 0.01, "requestId": "replay"})
