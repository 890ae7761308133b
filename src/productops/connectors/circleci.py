"""CircleCI API v2: pipelines, their workflows and jobs, as deployments.

Streams per project (cursor in `sync_state` as `circleci:SLUG:pipelines`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| pipelines | `/project/SLUG/pipeline` (newest first), then each one's `/pipeline/ID/workflow` and, with `deploy_from` jobs, each workflow's `/workflow/ID/job` | stops before the oldest pipeline with a workflow unfinished at the last sync, else the newest |

Lists follow `next_page_token` (as `page-token`). Raw records of workflows are
`{"request": pipeline, "response": workflow}` and of jobs `{"request":
workflow, "response": job}`, the format of the shared fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import CircleCISettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    earlier,
    later,
    parse_time,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["CircleCIConnector", "circleci_stream_of", "map_circleci"]

_RESULTS = {"success": "success", "failed": "failure", "error": "failure"}
_OPEN = {"running", "on_hold", "failing", "not_run"}


class CircleCIConnector:
    """Pages of each project's pipelines, newest first, each with its workflows (and jobs)."""

    def __init__(self, http: HttpClient, settings: CircleCISettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        for project in self.settings.projects:
            yield from self.pipelines(project, cursors.get(f"{project}:pipelines"))

    def _items(self, url: str) -> Iterator[tuple[str, list[dict[str, Any]], bool]]:
        for response in self.http.paginate(url):
            items = as_objects(response, expect(response, "items", list))
            yield response.url, items, response.next_url is None

    def pipelines(self, project: str, cursor: str | None) -> Iterator[Page]:
        """Down to the cursor; the cursor moves only with the last page."""
        since = parse_time(cursor)
        newest, unfinished = cursor, None
        for url, items, end in self._items(f"/project/{project}/pipeline"):
            fresh = [
                p
                for p in items
                if since is None or (parse_time(p.get("created_at")) or since) >= since
            ]
            records: list[RawRecord] = []
            for pipeline in fresh:
                records.append(RawRecord("pipelines", pipeline, url))
                newest = later(newest, pipeline.get("created_at"))
                for child in self._workflows(pipeline):
                    records.append(child)
                    if child.payload["response"].get("status") in _OPEN:
                        unfinished = earlier(unfinished, pipeline.get("created_at"))
            last = len(fresh) < len(items) or end
            yield Page(f"{project}:pipelines", records, (unfinished or newest) if last else None)
            if last:
                return

    def _workflows(self, pipeline: dict[str, Any]) -> list[RawRecord]:
        records = []
        for url, items, _ in self._items(f"/pipeline/{pipeline.get('id')}/workflow"):
            for workflow in items:
                payload = {"request": pipeline, "response": workflow}
                records.append(RawRecord("workflows", payload, url))
                if "jobs" in self.settings.deploy_from:
                    records += self._jobs(workflow)
        return records

    def _jobs(self, workflow: dict[str, Any]) -> list[RawRecord]:
        return [
            RawRecord("jobs", {"request": workflow, "response": job}, url)
            for url, items, _ in self._items(f"/workflow/{workflow.get('id')}/job")
            for job in items
        ]


def circleci_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not CircleCI's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        if "job_number" in response:
            return "jobs"
        if "pipeline_id" in response and "stopped_at" in response:
            return "workflows"
        return None
    if "project_slug" in payload and "trigger" in payload and "number" in payload:
        return "pipelines"
    return None


def map_circleci(
    records: Sequence[RawRecord],
    settings: CircleCISettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Deployments from CircleCI raw records: deploy workflows and deploy jobs."""
    pipelines: dict[Any, dict[str, Any]] = {}
    workflows: dict[Any, dict[str, Any]] = {}
    jobs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for record in records:
        if record.stream == "pipelines":
            pipelines[record.payload.get("id")] = record.payload
        elif record.stream == "workflows":
            workflow = record.payload["response"]
            workflows[workflow.get("id")] = workflow
            request = record.payload["request"]
            if request.get("vcs", {}).get("revision"):
                pipelines.setdefault(request.get("id"), request)
        elif record.stream == "jobs":
            jobs.append((record.payload["request"], record.payload["response"]))
    rows: Rows = {}
    if "workflows" in settings.deploy_from:
        for workflow in workflows.values():
            pipeline = pipelines.get(workflow.get("pipeline_id")) or {}
            if re.search(settings.deploy_workflow, str(workflow.get("name") or "")):
                _deployment(rows, "workflows", workflow, workflow, pipeline, settings)
    if "jobs" in settings.deploy_from:
        for request, job in jobs:
            workflow = workflows.get(request.get("id")) or request
            pipeline = pipelines.get(workflow.get("pipeline_id")) or {}
            if re.search(settings.deploy_job, str(job.get("name") or "")):
                _deployment(rows, "jobs", job, workflow, pipeline, settings)
    return Mapped({t: unique_rows(found, ("id",)) for t, found in rows.items()})


def _deployment(
    rows: Rows,
    kind: str,
    item: dict[str, Any],
    workflow: dict[str, Any],
    pipeline: dict[str, Any],
    settings: CircleCISettings,
) -> None:
    """A finished workflow or job: success, or failed or error (failure); others left out."""
    result = _RESULTS.get(str(item.get("status") or ""))
    vcs = pipeline.get("vcs") or {}
    if result is None or (settings.deploy_branch and vcs.get("branch") != settings.deploy_branch):
        return
    project = str(item.get("project_slug") or workflow.get("project_slug") or "")
    key = item.get("job_number") if kind == "jobs" else item.get("id")
    add_row(
        rows,
        "deployment",
        {
            "id": f"circleci:{project}/{kind}/{key}",
            "team_id": settings.project_teams.get(project)
            or settings.default_team
            or slug(project.rsplit("/", 1)[-1]),
            "environment": "production",
            "started_at": parse_time(item.get("started_at") or item.get("created_at")),
            "finished_at": parse_time(item.get("stopped_at")),
            "result": result,
            "commit_sha": vcs.get("revision"),
        },
    )
