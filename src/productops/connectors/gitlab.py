"""GitLab REST v4 (gitlab.com or self-managed): merge requests with commits and notes, issues,
pipelines, jobs, deployments and project members.

Streams per project (cursor in `sync_state` as `gitlab:PATH:STREAM`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| merge_requests | `/projects/P/merge_requests?state=all&order_by=updated_at&sort=asc`, then each one's `/commits` and `/notes` | `updated_after` |
| issues | `/projects/P/issues?scope=all&order_by=updated_at&sort=asc` | `updated_after` |
| pipelines | `/projects/P/pipelines?order_by=updated_at&sort=asc` | `updated_after` |
| jobs | `/projects/P/jobs?pagination=keyset&order_by=id&sort=desc` | stops below the oldest unfinished job |
| deployments | `/projects/P/deployments?order_by=updated_at&sort=asc` | `updated_after` |
| members | `/projects/P/members/all` | none (read whole) |

Offset pages follow `Link: rel="next"`, else `X-Next-Page`; keyset pages their
`Link`. Raw records of a merge request's commits and notes are
`{"request": {"GitlabId", "Iid", "Project"}, "response": ...}`, the format of
the shared fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from productops.config import GitLabSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    StatusCategories,
    add_row,
    earliest,
    later,
    newest_copies,
    parse_time,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["GitLabConnector", "gitlab_stream_of", "map_gitlab"]

_RESULTS = {"success": "success", "failed": "failure"}
_FINAL = {"success", "failed", "canceled", "skipped"}
_CLOSING = re.compile(
    r"\b(?:close[sd]?|closing|fix(?:e[sd]|ing)?|resolv(?:e[sd]?|ing)|implement(?:s|ed|ing)?)"
    r":?\s+#(\d+)\b",
    re.I,
)
_APPROVAL = "approved this merge request"


class GitLabConnector:
    """Pages of one or more projects' merge requests, issues, CI runs, deployments and members."""

    def __init__(self, http: HttpClient, settings: GitLabSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        for project in self.settings.projects:
            base = f"/projects/{quote(project, safe='')}"
            yield from self._updated(project, base, "merge_requests", cursors, state="all")
            yield from self._updated(project, base, "issues", cursors, scope="all")
            if "pipelines" in self.settings.deploy_from:
                yield from self._updated(project, base, "pipelines", cursors)
            if "jobs" in self.settings.deploy_from:
                yield from self.jobs(project, base, cursors.get(f"{project}:jobs"))
            if "deployments" in self.settings.deploy_from:
                yield from self._updated(project, base, "deployments", cursors)
            yield from self.members(project, base)

    def _updated(
        self, project: str, base: str, stream: str, cursors: Mapping[str, str], **extra: Any
    ) -> Iterator[Page]:
        """A list in ascending `updated_at` from the cursor; the cursor moves with each page."""
        cursor = cursors.get(f"{project}:{stream}")
        params: dict[str, Any] = {
            "order_by": "updated_at",
            "sort": "asc",
            "per_page": self.settings.page_size,
            **extra,
        }
        if cursor:
            params["updated_after"] = cursor
        newest = cursor
        for response in self.http.paginate(f"{base}/{stream}", params):
            items = as_objects(response, expect(response, None, list))
            records: list[RawRecord] = []
            for item in items:
                records.append(RawRecord(stream, item, response.url))
                if stream == "merge_requests":
                    records += self._children(project, base, item)
                newest = later(newest, item.get("updated_at"))
            yield Page(f"{project}:{stream}", records, newest)

    def _children(self, project: str, base: str, merge: dict[str, Any]) -> list[RawRecord]:
        request = {"GitlabId": merge.get("id"), "Iid": merge.get("iid"), "Project": project}
        records = []
        for kind, extra in (("commits", {}), ("notes", {"sort": "asc", "order_by": "created_at"})):
            url = f"{base}/merge_requests/{merge.get('iid')}/{kind}"
            params = {"per_page": self.settings.page_size, **extra}
            for response in self.http.paginate(url, params):
                for item in as_objects(response, expect(response, None, list)):
                    payload = {"request": request, "response": item}
                    records.append(RawRecord(f"merge_request_{kind}", payload, response.url))
        return records

    def jobs(self, project: str, base: str, cursor: str | None) -> Iterator[Page]:
        """Jobs newest first by keyset, down to the cursor: the oldest job id not finished at
        the last sync (else the newest id then). The cursor moves only with the last page."""
        since = int(cursor) if cursor and cursor.isdigit() else None
        params = {
            "pagination": "keyset",
            "order_by": "id",
            "sort": "desc",
            "per_page": self.settings.page_size,
        }
        newest: int | None = since
        unfinished: int | None = None
        for response in self.http.paginate(f"{base}/jobs", params):
            items = as_objects(response, expect(response, None, list))
            fresh = [j for j in items if since is None or _int(j.get("id")) >= since]
            for job in fresh:
                number = _int(job.get("id"))
                newest = max(newest or 0, number)
                if job.get("status") not in _FINAL:
                    unfinished = number if unfinished is None else min(unfinished, number)
            last = len(fresh) < len(items) or response.next_url is None
            records = [RawRecord("jobs", j, response.url) for j in fresh]
            found = unfinished if unfinished is not None else newest
            yield Page(f"{project}:jobs", records, str(found) if last and found else None)
            if last:
                return

    def members(self, project: str, base: str) -> Iterator[Page]:
        params = {"per_page": self.settings.page_size}
        for response in self.http.paginate(f"{base}/members/all", params):
            items = as_objects(response, expect(response, None, list))
            records = [RawRecord("members", m, response.url) for m in items]
            yield Page(f"{project}:members", records)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def gitlab_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not GitLab's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        if "GitlabId" in request and "noteable_type" in response:
            return "merge_request_notes"
        if "GitlabId" in request and "parent_ids" in response:
            return "merge_request_commits"
        if "PipelineId" in request and "ref" in response:
            return "pipeline_details"
        return None
    if "source_branch" in payload and "target_branch" in payload:
        return "merge_requests"
    if "deployable" in payload and "environment" in payload:
        return "deployments"
    if "stage" in payload and "pipeline" in payload:
        return "jobs"
    if "issue_type" in payload and "iid" in payload:
        return "issues"
    if "source" in payload and "ref" in payload and "sha" in payload and "iid" in payload:
        return "pipelines"
    if "username" in payload and "access_level" in payload:
        return "members"
    return None


def map_gitlab(
    records: Sequence[RawRecord],
    settings: GitLabSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical rows from GitLab raw records: changes, work items, incidents, deployments and
    people. The newest copy of each object wins."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(record.payload)
    rows: Rows = {}
    children: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for kind in ("merge_request_commits", "merge_request_notes"):
        for payload in by_stream.get(kind, []):
            key = (kind, payload["request"].get("GitlabId"))
            children.setdefault(key, []).append(payload["response"])
    for merge in newest_copies(by_stream.get("merge_requests", []), lambda m: m.get("id")):
        commits = children.get(("merge_request_commits", merge.get("id")), [])
        notes = children.get(("merge_request_notes", merge.get("id")), [])
        add_row(rows, "change", _change(merge, commits, notes, settings))
    categories = StatusCategories(overrides)
    for issue in newest_copies(by_stream.get("issues", []), lambda i: i.get("id")):
        _issue(rows, issue, settings, categories)
    if "deployments" in settings.deploy_from:
        for deployment in newest_copies(by_stream.get("deployments", []), lambda d: d.get("id")):
            _deployment(rows, deployment, settings)
    if "jobs" in settings.deploy_from:
        for job in _unique(by_stream.get("jobs", []), lambda j: j.get("id")):
            _job(rows, job, settings)
    if "pipelines" in settings.deploy_from:
        details = [p["response"] for p in by_stream.get("pipeline_details", [])]
        pipelines = newest_copies(
            [*by_stream.get("pipelines", []), *details], lambda p: p.get("id")
        )
        for pipeline in pipelines:
            _pipeline(rows, pipeline, settings)
    for member in _unique(by_stream.get("members", []), lambda m: m.get("username")):
        _person(rows, member, settings)
    keys = {
        "change": ("id",),
        "work_item": ("id",),
        "deployment": ("id",),
        "incident": ("id",),
        "person": ("id",),
    }
    return Mapped({t: unique_rows(found, keys[t]) for t, found in rows.items()})


def _unique(items: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    return list({key(i): i for i in items}.values())


def _project(item: dict[str, Any], mark: str | None = None) -> str:
    """The project's path: from `references.full` (before `mark`), else from `web_url`."""
    full = str((item.get("references") or {}).get("full") or "")
    if mark and mark in full:
        return full.rsplit(mark, 1)[0]
    path = urlsplit(str(item.get("web_url") or "")).path
    return path.split("/-/", 1)[0].strip("/")


def _team(project: str, settings: GitLabSettings) -> str:
    return (
        settings.project_teams.get(project)
        or settings.default_team
        or slug(project.rsplit("/", 1)[-1])
    )


def _person_id(user: Any) -> str | None:
    name = (user or {}).get("username") if isinstance(user, dict) else None
    return f"gitlab:{name}" if name else None


def _change(
    merge: dict[str, Any],
    commits: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    settings: GitLabSettings,
) -> dict[str, Any]:
    project = _project(merge, "!")
    author = (merge.get("author") or {}).get("username")
    merged = parse_time(merge.get("merged_at"))
    sha = merge.get("merge_commit_sha") or merge.get("squash_commit_sha") or merge.get("sha")
    return {
        "id": f"gitlab:{project}!{merge.get('iid')}",
        "team_id": _team(project, settings),
        "repo": project,
        "title": merge.get("title"),
        "author_id": _person_id(merge.get("author")),
        "created_at": parse_time(merge.get("created_at")),
        "first_commit_at": earliest(parse_time(c.get("authored_date")) for c in commits),
        "first_review_at": earliest(
            parse_time(n.get("created_at")) for n in notes if _is_review(n, author)
        ),
        "merged_at": merged,
        "merge_sha": sha if merged else None,
        "work_item_id": _work_item(project, merge, settings),
    }


def _is_review(note: dict[str, Any], author: str | None) -> bool:
    """A note by someone other than the author: a comment, or the system note of an approval
    (other system notes, such as "mentioned in commit" or "merged", are not reviews)."""
    if (note.get("author") or {}).get("username") == author:
        return False
    return not note.get("system") or str(note.get("body") or "").startswith(_APPROVAL)


def _work_item(project: str, merge: dict[str, Any], settings: GitLabSettings) -> str | None:
    """A tracker key in the title or branch (work_item_pattern), else the issue it closes."""
    if settings.work_item_pattern:
        for text in (merge.get("title") or "", merge.get("source_branch") or ""):
            found = re.search(settings.work_item_pattern, text)
            if found:
                key = found.groupdict().get("key") or found.group(0)
                return f"{settings.work_item_source}:{key}"
    closing = _CLOSING.search(f"{merge.get('title') or ''}\n{merge.get('description') or ''}")
    return f"gitlab:{project}#{closing.group(1)}" if closing else None


def _issue(
    rows: Rows, issue: dict[str, Any], settings: GitLabSettings, categories: StatusCategories
) -> None:
    project = _project(issue, "#")
    team = _team(project, settings)
    labels = {str(label).lower() for label in issue.get("labels") or []}
    kind = str(issue.get("issue_type") or "issue").lower()
    state = str(issue.get("state") or "opened")
    item = f"gitlab:{project}#{issue.get('iid')}"
    add_row(
        rows,
        "work_item",
        {
            "id": item,
            "team_id": team,
            "type": "bug" if "bug" in labels else kind,
            "title": issue.get("title"),
            "status": state,
            "status_category": categories.category(
                team, state, None, "done" if state == "closed" else "todo"
            ),
            "created_at": parse_time(issue.get("created_at")),
            "resolved_at": parse_time(issue.get("closed_at")),
            "owner_id": _person_id(issue.get("assignee")),
        },
    )
    wanted = {label.lower() for label in settings.incident_labels}
    if kind == "incident" or labels & wanted:
        severity = str(issue.get("severity") or "").lower()
        add_row(
            rows,
            "incident",
            {
                "id": item,
                "team_id": team,
                "severity": None if severity in ("", "unknown") else severity,
                "created_at": parse_time(issue.get("created_at")),
                "resolved_at": parse_time(issue.get("closed_at")),
            },
        )


def _deployment(rows: Rows, deployment: dict[str, Any], settings: GitLabSettings) -> None:
    """A finished deployment (success or failed) to its environment."""
    result = _RESULTS.get(str(deployment.get("status") or ""))
    if result is None:
        return
    job = deployment.get("deployable") or {}
    project = _project(job)
    name = str((deployment.get("environment") or {}).get("name") or "")
    production = re.search(settings.production_environment, name) is not None
    add_row(
        rows,
        "deployment",
        {
            "id": f"gitlab:{project}/deployments/{deployment.get('id')}",
            "team_id": _team(project, settings),
            "environment": "production" if production else name or None,
            "started_at": parse_time(job.get("started_at") or deployment.get("created_at")),
            "finished_at": parse_time(job.get("finished_at") or deployment.get("updated_at")),
            "result": result,
            "commit_sha": deployment.get("sha"),
        },
    )


def _job(rows: Rows, job: dict[str, Any], settings: GitLabSettings) -> None:
    """A finished job whose name or stage matches deploy_job (on deploy_branch if set)."""
    names = (str(job.get("name") or ""), str(job.get("stage") or ""))
    if not any(re.search(settings.deploy_job, name) for name in names):
        return
    if settings.deploy_branch and job.get("ref") != settings.deploy_branch:
        return
    result = _RESULTS.get(str(job.get("status") or ""))
    if result is None:
        return
    project = _project(job)
    add_row(
        rows,
        "deployment",
        {
            "id": f"gitlab:{project}/jobs/{job.get('id')}",
            "team_id": _team(project, settings),
            "environment": "production",
            "started_at": parse_time(job.get("started_at") or job.get("created_at")),
            "finished_at": parse_time(job.get("finished_at")),
            "result": result,
            "commit_sha": (job.get("commit") or {}).get("id")
            or (job.get("pipeline") or {}).get("sha"),
        },
    )


def _pipeline(rows: Rows, pipeline: dict[str, Any], settings: GitLabSettings) -> None:
    """A finished pipeline on deploy_branch (if set): finished at `finished_at`, else when
    last updated (the list answer has no `finished_at`)."""
    if settings.deploy_branch and pipeline.get("ref") != settings.deploy_branch:
        return
    result = _RESULTS.get(str(pipeline.get("status") or ""))
    if result is None:
        return
    project = _project(pipeline)
    add_row(
        rows,
        "deployment",
        {
            "id": f"gitlab:{project}/pipelines/{pipeline.get('id')}",
            "team_id": _team(project, settings),
            "environment": "production",
            "started_at": parse_time(pipeline.get("started_at") or pipeline.get("created_at")),
            "finished_at": parse_time(pipeline.get("finished_at") or pipeline.get("updated_at")),
            "result": result,
            "commit_sha": pipeline.get("sha"),
        },
    )


def _person(rows: Rows, member: dict[str, Any], settings: GitLabSettings) -> None:
    """A project member, by username (no name or e-mail), in the default team."""
    person = _person_id(member)
    if person is None:
        return
    add_row(
        rows,
        "person",
        {
            "id": person,
            "team_id": settings.default_team,
            "joined_at": parse_time(member.get("created_at")),
        },
    )
