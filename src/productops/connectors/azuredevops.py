"""Azure DevOps REST 7.1: pull requests with their commits, builds with their timelines.

Streams per project (cursor in `sync_state` as `azure-devops:PROJECT:STREAM`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| pullrequests | `/P/_apis/git/repositories/R/pullrequests?searchCriteria.status=all`, paged by `$top`/`$skip`, then each one's `/commits` | none (read whole) |
| builds | `/P/_apis/build/builds?queryOrder=queueTimeAscending&minTime=CURSOR`, then each one's `/timeline` | the oldest unfinished build's queue time |

Lists follow `x-ms-continuationtoken`. Raw records are `{"request": {...}, "response": ...}`
for commits (`AzuredevopsId`: the pull request), builds (`Project`) and timeline records
(`AzuredevopsId`: the build), the format of the shared fixtures; pull requests are as sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from productops.config import AzureDevOpsSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    earlier,
    earliest,
    later,
    parse_time,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["AzureDevOpsConnector", "azure_stream_of", "map_azure"]

_VERSION = "7.1"
_RESULTS = {"succeeded": "success", "failed": "failure", "partiallySucceeded": "failure"}


class AzureDevOpsConnector:
    """Pages of one project's pull requests (per repository) and builds."""

    def __init__(self, http: HttpClient, settings: AzureDevOpsSettings) -> None:
        self.http = http
        self.settings = settings
        self.base = f"/{quote(settings.project or '', safe='')}/_apis"

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        project = self.settings.project or ""
        for repo in self.settings.repos:
            yield from self.pullrequests(project, repo)
        yield from self.builds(project, cursors.get(f"{project}:builds"))

    def pullrequests(self, project: str, repo: str) -> Iterator[Page]:
        """Every pull request, newest first, `$top` at a time (the list takes no token)."""
        url = f"{self.base}/git/repositories/{quote(repo, safe='')}/pullrequests"
        top, skip = self.settings.page_size, 0
        while True:
            params = {
                "searchCriteria.status": "all",
                "$top": top,
                "$skip": skip,
                "api-version": _VERSION,
            }
            response = self.http.get(url, params)
            pulls = as_objects(response, expect(response, "value", list))
            records: list[RawRecord] = []
            for pull in pulls:
                records.append(RawRecord("pullrequests", pull, response.url))
                request = {"AzuredevopsId": pull.get("pullRequestId"), "Repo": repo}
                commits = f"{url}/{pull.get('pullRequestId')}/commits"
                for page in self.http.paginate(commits, {"api-version": _VERSION}):
                    for commit in as_objects(page, expect(page, "value", list)):
                        payload = {"request": request, "response": commit}
                        records.append(RawRecord("pull_request_commits", payload, page.url))
            yield Page(f"{project}:{repo}:pullrequests", records)
            if len(pulls) < top:
                return
            skip += top

    def builds(self, project: str, cursor: str | None) -> Iterator[Page]:
        """Builds queued since the cursor: the oldest one unfinished at the last sync (else the
        newest queued then), each with its timeline. The cursor moves only with the last page."""
        params: dict[str, Any] = {
            "queryOrder": "queueTimeAscending",
            "$top": self.settings.page_size,
            "api-version": _VERSION,
        }
        if cursor:
            params["minTime"] = cursor
        newest: str | None = cursor
        unfinished: str | None = None
        for response in self.http.paginate(f"{self.base}/build/builds", params):
            builds = as_objects(response, expect(response, "value", list))
            records: list[RawRecord] = []
            for build in builds:
                payload = {"request": {"Project": project}, "response": build}
                records.append(RawRecord("builds", payload, response.url))
                records += self._timeline(build)
                newest = later(newest, build.get("queueTime"))
                if build.get("status") != "completed":
                    unfinished = earlier(unfinished, build.get("queueTime"))
            last = response.next_url is None
            yield Page(f"{project}:builds", records, (unfinished or newest) if last else None)

    def _timeline(self, build: dict[str, Any]) -> list[RawRecord]:
        if build.get("status") == "notStarted":
            return []
        url = f"{self.base}/build/builds/{build.get('id')}/timeline"
        response = self.http.get(url, {"api-version": _VERSION})
        if response.data is None:  # a build whose agent has not begun has no timeline yet
            return []
        request = {"AzuredevopsId": build.get("id")}
        return [
            RawRecord("timeline_records", {"request": request, "response": r}, response.url)
            for r in as_objects(response, expect(response, "records", list))
        ]


def azure_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Azure's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        if "buildNumber" in response and "definition" in response:
            return "builds"
        if "commitId" in response and "author" in response:
            return "pull_request_commits"
        if "parentId" in response and "state" in response:
            return "timeline_records"
        return None
    if "pullRequestId" in payload and "repository" in payload:
        return "pullrequests"
    return None


def map_azure(
    records: Sequence[RawRecord],
    settings: AzureDevOpsSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical rows from Azure DevOps raw records: changes and deployments."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(record.payload)
    commits: dict[Any, list[dict[str, Any]]] = {}
    for payload in by_stream.get("pull_request_commits", []):
        commits.setdefault(payload["request"].get("AzuredevopsId"), []).append(payload["response"])
    rows: Rows = {}
    for pull in by_stream.get("pullrequests", []):
        add_row(rows, "change", _change(pull, commits.get(pull.get("pullRequestId"), []), settings))
    timelines: dict[Any, list[dict[str, Any]]] = {}
    for payload in by_stream.get("timeline_records", []):
        timelines.setdefault(payload["request"].get("AzuredevopsId"), []).append(
            payload["response"]
        )
    for payload in by_stream.get("builds", []):
        build = payload["response"]
        if not _deploy_build(build, settings):
            continue
        if "builds" in settings.deploy_from:
            _deployment(rows, build, build, settings)
        if "timeline" in settings.deploy_from:
            for entry in timelines.get(build.get("id"), []):
                if re.search(settings.deploy_record, str(entry.get("name") or "")):
                    _deployment(rows, build, entry, settings)
    keys = {"change": ("id",), "deployment": ("id",)}
    return Mapped({t: unique_rows(found, keys[t]) for t, found in rows.items()})


def _team(repo: str, settings: AzureDevOpsSettings) -> str:
    return settings.repo_teams.get(repo) or settings.default_team or slug(repo or "azure-devops")


def _branch(ref: Any) -> str:
    return re.sub(r"^refs/heads/", "", str(ref or ""))


def _change(
    pull: dict[str, Any], commits: list[dict[str, Any]], settings: AzureDevOpsSettings
) -> dict[str, Any]:
    repository = pull.get("repository") or {}
    repo = str(repository.get("name") or repository.get("id") or "")
    project = str((repository.get("project") or {}).get("name") or settings.project or "")
    completed = pull.get("status") == "completed"
    return {
        "id": f"azure-devops:{project}/{repo}#{pull.get('pullRequestId')}",
        "team_id": _team(repo, settings),
        "repo": f"{project}/{repo}",
        "title": pull.get("title"),
        "created_at": parse_time(pull.get("creationDate")),
        "first_commit_at": earliest(
            parse_time((c.get("author") or {}).get("date")) for c in commits
        ),
        "merged_at": parse_time(pull.get("closedDate")) if completed else None,
        "merge_sha": (pull.get("lastMergeCommit") or {}).get("commitId") if completed else None,
        "work_item_id": _work_item(pull, settings),
    }


def _work_item(pull: dict[str, Any], settings: AzureDevOpsSettings) -> str | None:
    if not settings.work_item_pattern:
        return None
    for text in (pull.get("title") or "", _branch(pull.get("sourceRefName"))):
        found = re.search(settings.work_item_pattern, text)
        if found:
            key = found.groupdict().get("key") or found.group(0)
            return f"{settings.work_item_source}:{key}"
    return None


def _deploy_build(build: dict[str, Any], settings: AzureDevOpsSettings) -> bool:
    name = str((build.get("definition") or {}).get("name") or "")
    if not re.search(settings.deploy_pipeline, name):
        return False
    return not settings.deploy_branch or _branch(build.get("sourceBranch")) == _branch(
        settings.deploy_branch
    )


def _deployment(
    rows: Rows, build: dict[str, Any], run: dict[str, Any], settings: AzureDevOpsSettings
) -> None:
    """A finished build (or timeline record of one): succeeded, or failed (partly or whole)."""
    result = _RESULTS.get(str(run.get("result") or ""))
    if result is None or str(run.get("status") or run.get("state")) != "completed":
        return
    project = str((build.get("project") or {}).get("name") or settings.project or "")
    repo = str((build.get("repository") or {}).get("name") or "")
    suffix = f"/{run.get('id')}" if run is not build else ""
    add_row(
        rows,
        "deployment",
        {
            "id": f"azure-devops:{project}/builds/{build.get('id')}{suffix}",
            "team_id": _team(repo, settings),
            "environment": "production",
            "started_at": parse_time(run.get("startTime")),
            "finished_at": parse_time(run.get("finishTime")),
            "result": result,
            "commit_sha": build.get("sourceVersion"),
        },
    )
