"""Jenkins: builds of the configured jobs and their pipeline stages, as deployments.

Streams per job (cursor in `sync_state` as `jenkins:JOB:builds`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| builds | `/job/A/job/B/api/json?tree=allBuilds[...]{START,END}` (newest first) | stops below the oldest build still running at the last sync, else the newest |
| stages | `/job/A/job/B/N/wfapi/describe` of each finished pipeline build (`deploy_from` stages) | with its build |

Raw records are `{"request": {"FullName"}, "response": build}` and
`{"request": {"FullName": "JOB#N", "Number"}, "response": stage}`, the format of
the shared fixtures (whose classic builds name their job by `Path` and `Name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from productops.config import JenkinsSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["JenkinsConnector", "jenkins_stream_of", "map_jenkins"]

_FIELDS = (
    "number,result,building,timestamp,duration,fullDisplayName,"
    "actions[lastBuiltRevision[SHA1,branch[name]],remoteUrls]"
)
_RESULTS = {"SUCCESS": "success", "FAILURE": "failure", "FAILED": "failure", "UNSTABLE": "failure"}
_PIPELINE = "org.jenkinsci.plugins.workflow.job.WorkflowRun"


class JenkinsConnector:
    """Pages of each job's builds, newest first, with the stages of finished pipeline builds."""

    def __init__(self, http: HttpClient, settings: JenkinsSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        for job in self.settings.jobs:
            yield from self.builds(job, cursors.get(f"{job}:builds"))

    def builds(self, job: str, cursor: str | None) -> Iterator[Page]:
        """Down to the cursor; the cursor moves only with the last page."""
        since = int(cursor) if cursor and cursor.isdigit() else None
        path = _job_path(job)
        newest, running = since, None
        size = self.settings.page_size
        for response in self.http.ranges(f"{path}/api/json", "allBuilds", _FIELDS, size):
            items = as_objects(response, response.data["allBuilds"])
            fresh = [b for b in items if since is None or _int(b.get("number")) >= since]
            records: list[RawRecord] = []
            for build in fresh:
                number = _int(build.get("number"))
                newest = max(newest or 0, number)
                payload = {"request": {"FullName": job}, "response": build}
                records.append(RawRecord("builds", payload, response.url))
                if build.get("building"):
                    running = number if running is None else min(running, number)
                elif "stages" in self.settings.deploy_from and build.get("_class") == _PIPELINE:
                    records += self._stages(job, path, number)
            last = len(fresh) < len(items) or len(items) < size
            found = running if running is not None else newest
            yield Page(f"{job}:builds", records, str(found) if last and found else None)
            if last:
                return

    def _stages(self, job: str, path: str, number: int) -> list[RawRecord]:
        response = self.http.get(f"{path}/{number}/wfapi/describe")
        request = {"FullName": f"{job}#{number}", "Number": str(number)}
        return [
            RawRecord("stages", {"request": request, "response": stage}, response.url)
            for stage in as_objects(response, expect(response, "stages", list))
        ]


def _job_path(job: str) -> str:
    """`/job/A/job/B` of the job whose full name is `A/B`."""
    return "".join(f"/job/{quote(part, safe='')}" for part in job.strip("/").split("/"))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def jenkins_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Jenkins')."""
    request, response = payload.get("request"), payload.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        return None
    if "startTimeMillis" in response and "Number" in request:
        return "stages"
    if "number" in response and "timestamp" in response:
        return "builds"
    return None


def _job_of(request: dict[str, Any]) -> str:
    """A build's job: `FullName`, else `Path` (job/A/job/B/) and `Name`."""
    if request.get("FullName"):
        return str(request["FullName"])
    folders = [p for p in str(request.get("Path") or "").split("/") if p and p != "job"]
    return "/".join([*folders, str(request.get("Name") or "")])


def map_jenkins(
    records: Sequence[RawRecord],
    settings: JenkinsSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Deployments from Jenkins raw records: builds of deploy jobs, and deploy stages."""
    builds: dict[tuple[str, int], dict[str, Any]] = {}
    stages: list[tuple[str, int, dict[str, Any]]] = []
    for record in records:
        request, response = record.payload["request"], record.payload["response"]
        if record.stream == "builds":
            builds[(_job_of(request), _int(response.get("number")))] = response
        elif record.stream == "stages":
            job = str(request.get("FullName") or "").rsplit("#", 1)[0]
            stages.append((job, _int(request.get("Number")), response))
    rows: Rows = {}
    if "builds" in settings.deploy_from:
        for (job, number), build in builds.items():
            if re.search(settings.deploy_job, job) and _on_branch(build, settings):
                _build(rows, job, number, build, settings)
    if "stages" in settings.deploy_from:
        for job, number, stage in stages:
            parent = builds.get((job, number))
            if not re.search(settings.deploy_stage, str(stage.get("name") or "")):
                continue
            if settings.deploy_branch and (parent is None or not _on_branch(parent, settings)):
                continue
            _stage(rows, job, number, stage, parent or {}, settings)
    return Mapped({t: unique_rows(found, ("id",)) for t, found in rows.items()})


def _revision(build: dict[str, Any]) -> dict[str, Any]:
    for action in build.get("actions") or []:
        if isinstance(action, dict) and isinstance(action.get("lastBuiltRevision"), dict):
            found: dict[str, Any] = action["lastBuiltRevision"]
            return found
    return {}


def _on_branch(build: dict[str, Any], settings: JenkinsSettings) -> bool:
    wanted = settings.deploy_branch
    if not wanted:
        return True
    names = [str(b.get("name") or "") for b in _revision(build).get("branch") or []]
    return any(n == wanted or n.endswith("/" + wanted) for n in names)


def team_of(job: str, settings: JenkinsSettings) -> str:
    """The team of the longest job or folder name in `job_teams` that `job` is or is in."""
    parts = job.split("/")
    for end in range(len(parts), 0, -1):
        found = settings.job_teams.get("/".join(parts[:end]))
        if found:
            return found
    return settings.default_team or slug(parts[0])


def _millis(value: Any, plus: Any = 0) -> datetime | None:
    """Jenkins' milliseconds since 1970 (plus a duration in milliseconds) as a UTC time."""
    if not isinstance(value, int | float):
        return None
    extra = plus if isinstance(plus, int | float) else 0
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value + extra)


def _build(
    rows: Rows, job: str, number: int, build: dict[str, Any], settings: JenkinsSettings
) -> None:
    """A finished build: SUCCESS success; FAILURE and UNSTABLE failure; others left out."""
    result = _RESULTS.get(str(build.get("result") or ""))
    if result is None or build.get("building"):
        return
    add_row(
        rows,
        "deployment",
        {
            "id": f"jenkins:{job}#{number}",
            "team_id": team_of(job, settings),
            "environment": "production",
            "started_at": _millis(build.get("timestamp")),
            "finished_at": _millis(build.get("timestamp"), build.get("duration")),
            "result": result,
            "commit_sha": _revision(build).get("SHA1"),
        },
    )


def _stage(
    rows: Rows,
    job: str,
    number: int,
    stage: dict[str, Any],
    build: dict[str, Any],
    settings: JenkinsSettings,
) -> None:
    """A finished stage: SUCCESS success; FAILED, FAILURE and UNSTABLE failure."""
    result = _RESULTS.get(str(stage.get("status") or ""))
    if result is None:
        return
    add_row(
        rows,
        "deployment",
        {
            "id": f"jenkins:{job}#{number}/{stage.get('id')}",
            "team_id": team_of(job, settings),
            "environment": "production",
            "started_at": _millis(stage.get("startTimeMillis")),
            "finished_at": _millis(stage.get("startTimeMillis"), stage.get("durationMillis")),
            "result": result,
            "commit_sha": _revision(build).get("SHA1"),
        },
    )
