"""Bitbucket Cloud REST 2.0: pull requests with commits and comments, issues, pipelines with
their steps, environments and deployments, each followed through the `next` of each page.

Streams per repository (cursor in `sync_state` as `bitbucket:WS/SLUG:STREAM`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| pullrequests | `/repositories/R/pullrequests?state=...&sort=updated_on&q=updated_on>=CURSOR`, then each one's `/commits` and `/comments` | `q` on `updated_on` |
| issues | `/repositories/R/issues?sort=updated_on&q=updated_on>=CURSOR` | `q` on `updated_on` |
| pipelines | `/repositories/R/pipelines/?sort=-created_on`, then each one's `/steps/` | stops below the oldest unfinished pipeline |
| environments | `/repositories/R/environments/` | none (reference: names of deployments' environments) |
| deployments | `/repositories/R/deployments/` | none (read whole) |

Raw records of a pull request's commits and comments, and of a pipeline's steps, are
`{"request": {"BitbucketId", "Repo"}, "response": ...}`, the format of the shared fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import BitbucketSettings
from productops.connectors.base import (
    Mapped,
    Page,
    RawRecord,
    Rows,
    StatusCategories,
    add_row,
    earlier,
    earliest,
    later,
    newest_copies,
    parse_time,
    slug,
    unique_rows,
)
from productops.connectors.http import HttpClient, as_objects, expect

__all__ = ["BitbucketConnector", "bitbucket_stream_of", "map_bitbucket"]

_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
_RESULTS = {
    "SUCCESSFUL": "success",
    "COMPLETED": "success",
    "FAILED": "failure",
    "ERROR": "failure",
}
_CATEGORIES = {
    "new": "todo",
    "open": "in_progress",
    "on hold": "in_progress",
    "resolved": "done",
    "closed": "done",
    "invalid": "cancelled",
    "duplicate": "cancelled",
    "wontfix": "cancelled",
}
_CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b", re.I)
_REPO = re.compile(r"(?:/2\.0/repositories/|bitbucket\.org/)([^/{}]+/[^/{}]+)")


class BitbucketConnector:
    """Pages of one or more repositories' pull requests, issues, pipelines and deployments."""

    def __init__(self, http: HttpClient, settings: BitbucketSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        for repo in self.settings.repos:
            base = f"/repositories/{repo}"
            state = list(_STATES)
            yield from self._updated(repo, f"{base}/pullrequests", "pullrequests", cursors, state)
            if self.settings.issues:
                yield from self._updated(repo, f"{base}/issues", "issues", cursors)
            if "steps" in self.settings.deploy_from:
                yield from self.pipelines(repo, base, cursors.get(f"{repo}:pipelines"))
            if "deployments" in self.settings.deploy_from:
                yield from self._whole(repo, f"{base}/environments/", "environments")
                yield from self._whole(repo, f"{base}/deployments/", "deployments")

    def _updated(
        self,
        repo: str,
        url: str,
        stream: str,
        cursors: Mapping[str, str],
        state: list[str] | None = None,
    ) -> Iterator[Page]:
        """A list in ascending `updated_on` from the cursor; the cursor moves with each page."""
        cursor = cursors.get(f"{repo}:{stream}")
        params: dict[str, Any] = {"sort": "updated_on", "pagelen": self.settings.page_size}
        if state:
            params["state"] = state
        if cursor:
            params["q"] = f"updated_on >= {cursor}"
        newest = cursor
        for response in self.http.paginate(url, params):
            items = as_objects(response, expect(response, "values", list))
            records: list[RawRecord] = []
            for item in items:
                records.append(RawRecord(stream, item, response.url))
                if stream == "pullrequests":
                    records += self._children(repo, url, item.get("id"), ("commits", "comments"))
                newest = later(newest, item.get("updated_on"))
            yield Page(f"{repo}:{stream}", records, newest)

    def _children(
        self, repo: str, parent: str, key: Any, kinds: tuple[str, ...]
    ) -> list[RawRecord]:
        request = {"BitbucketId": key, "Repo": repo}
        records = []
        for kind in kinds:
            params = {"pagelen": self.settings.page_size}
            for response in self.http.paginate(f"{parent}/{key}/{kind}", params):
                for item in as_objects(response, expect(response, "values", list)):
                    payload = {"request": request, "response": item}
                    records.append(RawRecord(_CHILDREN[kind], payload, response.url))
        return records

    def pipelines(self, repo: str, base: str, cursor: str | None) -> Iterator[Page]:
        """Pipelines newest first, down to the oldest one unfinished at the last sync (else the
        newest then), each with its steps. The cursor moves only with the last page."""
        since = parse_time(cursor)
        newest: str | None = cursor
        unfinished: str | None = None
        params = {"sort": "-created_on", "pagelen": self.settings.page_size}
        for response in self.http.paginate(f"{base}/pipelines/", params):
            items = as_objects(response, expect(response, "values", list))
            fresh = [
                p
                for p in items
                if since is None or (parse_time(p.get("created_on")) or since) >= since
            ]
            records: list[RawRecord] = []
            for pipeline in fresh:
                records.append(RawRecord("pipelines", pipeline, response.url))
                records += self._children(
                    repo, f"{base}/pipelines", pipeline.get("uuid"), ("steps",)
                )
                newest = later(newest, pipeline.get("created_on"))
                if (pipeline.get("state") or {}).get("name") != "COMPLETED":
                    unfinished = earlier(unfinished, pipeline.get("created_on"))
            last = len(fresh) < len(items) or response.next_url is None
            yield Page(f"{repo}:pipelines", records, (unfinished or newest) if last else None)
            if last:
                return

    def _whole(self, repo: str, url: str, stream: str) -> Iterator[Page]:
        for response in self.http.paginate(url, {"pagelen": self.settings.page_size}):
            items = as_objects(response, expect(response, "values", list))
            yield Page(f"{repo}:{stream}", [RawRecord(stream, i, response.url) for i in items])


_CHILDREN = {
    "commits": "pull_request_commits",
    "comments": "pull_request_comments",
    "steps": "pipeline_steps",
}


def bitbucket_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not Bitbucket's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        if "BitbucketId" not in request:
            return None
        if "pullrequest" in response:
            return "pull_request_comments"
        if "issue" in response:
            return "issue_comments"
        if "hash" in response and "author" in response:
            return "pull_request_commits"
        if "pipeline" in response and "state" in response:
            return "pipeline_steps"
        return None
    if "source" in payload and "destination" in payload:
        return "pullrequests"
    if "release" in payload and "environment" in payload:
        return "deployments"
    if "target" in payload and "state" in payload and "uuid" in payload:
        return "pipelines"
    if "kind" in payload and "priority" in payload:
        return "issues"
    if "environment_type" in payload and "uuid" in payload:
        return "environments"
    if "full_name" in payload and "scm" in payload:
        return "repositories"
    return None


def map_bitbucket(
    records: Sequence[RawRecord],
    settings: BitbucketSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical rows from Bitbucket raw records: changes, work items and deployments.
    The newest copy of each object wins."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(record.payload)
    children: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for kind in ("pull_request_commits", "pull_request_comments", "pipeline_steps"):
        for payload in by_stream.get(kind, []):
            request = payload["request"]
            children.setdefault((kind, request.get("BitbucketId")), []).append(
                {**payload["response"], "_repo": request.get("Repo")}
            )
    rows: Rows = {}
    for pull in newest_copies(
        by_stream.get("pullrequests", []), lambda p: p.get("id"), "updated_on"
    ):
        commits = children.get(("pull_request_commits", pull.get("id")), [])
        comments = children.get(("pull_request_comments", pull.get("id")), [])
        add_row(rows, "change", _change(pull, commits, comments, settings))
    categories = StatusCategories(overrides)
    for issue in newest_copies(by_stream.get("issues", []), lambda i: i.get("id"), "updated_on"):
        _issue(rows, issue, settings, categories)
    if "deployments" in settings.deploy_from:
        names = {e.get("uuid"): e for e in by_stream.get("environments", [])}
        for deployment in by_stream.get("deployments", []):
            _deployment(rows, deployment, names, settings)
    if "steps" in settings.deploy_from:
        for pipeline in _unique(by_stream.get("pipelines", []), lambda p: p.get("uuid")):
            for step in children.get(("pipeline_steps", pipeline.get("uuid")), []):
                _step(rows, pipeline, step, settings)
    keys = {"change": ("id",), "work_item": ("id",), "deployment": ("id",)}
    return Mapped({t: unique_rows(found, keys[t]) for t, found in rows.items()})


def _unique(items: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    return list({key(i): i for i in items}.values())


def _repo_in(*urls: Any) -> str:
    for url in urls:
        found = _REPO.search(str(url or ""))
        if found:
            return found.group(1)
    return ""


def _href(item: dict[str, Any], *path: str) -> Any:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _team(repo: str, settings: BitbucketSettings) -> str:
    return settings.repo_teams.get(repo) or settings.default_team or slug(repo.split("/")[-1])


def _who(user: Any) -> Any:
    user = user or {}
    return user.get("uuid") or user.get("account_id") or user.get("nickname")


def _change(
    pull: dict[str, Any],
    commits: list[dict[str, Any]],
    comments: list[dict[str, Any]],
    settings: BitbucketSettings,
) -> dict[str, Any]:
    repo = _href(pull, "destination", "repository", "full_name") or _repo_in(
        _href(pull, "links", "self", "href")
    )
    author = _who(pull.get("author"))
    merged = pull.get("state") == "MERGED"
    return {
        "id": f"bitbucket:{repo}#{pull.get('id')}",
        "team_id": _team(repo, settings),
        "repo": repo,
        "title": pull.get("title"),
        "created_at": parse_time(pull.get("created_on")),
        "first_commit_at": earliest(parse_time(c.get("date")) for c in commits),
        "first_review_at": earliest(
            parse_time(c.get("created_on"))
            for c in comments
            if not c.get("deleted") and _who(c.get("user")) != author
        ),
        # Bitbucket gives no merge time: a merged pull request's last update is its merge.
        "merged_at": parse_time(pull.get("closed_on") or pull.get("updated_on"))
        if merged
        else None,
        "merge_sha": _href(pull, "merge_commit", "hash") if merged else None,
        "work_item_id": _work_item(repo, pull, settings),
    }


def _work_item(repo: str, pull: dict[str, Any], settings: BitbucketSettings) -> str | None:
    if settings.work_item_pattern:
        branch = _href(pull, "source", "branch", "name") or ""
        for text in (pull.get("title") or "", branch):
            found = re.search(settings.work_item_pattern, text)
            if found:
                key = found.groupdict().get("key") or found.group(0)
                return f"{settings.work_item_source}:{key}"
    closing = _CLOSING.search(f"{pull.get('title') or ''}\n{pull.get('description') or ''}")
    return f"bitbucket:{repo}/issues/{closing.group(1)}" if closing else None


def _issue(
    rows: Rows, issue: dict[str, Any], settings: BitbucketSettings, categories: StatusCategories
) -> None:
    repo = _href(issue, "repository", "full_name") or _repo_in(
        _href(issue, "links", "self", "href")
    )
    team = _team(repo, settings)
    state = str(issue.get("state") or "new")
    category = categories.category(team, state, None, _CATEGORIES.get(state.lower()))
    add_row(
        rows,
        "work_item",
        {
            "id": f"bitbucket:{repo}/issues/{issue.get('id')}",
            "team_id": team,
            "type": str(issue.get("kind") or "issue").lower(),
            "title": issue.get("title"),
            "status": state,
            "status_category": category,
            "created_at": parse_time(issue.get("created_on")),
            # Bitbucket gives no resolution time: a resolved issue's last update.
            "resolved_at": parse_time(issue.get("updated_on"))
            if category in ("done", "cancelled")
            else None,
        },
    )


def _environment(name: str, kind: str, settings: BitbucketSettings) -> str | None:
    production = any(re.search(settings.production_environment, t) for t in (name, kind) if t)
    return "production" if production else name or kind or None


def _deployment(
    rows: Rows,
    deployment: dict[str, Any],
    environments: Mapping[Any, dict[str, Any]],
    settings: BitbucketSettings,
) -> None:
    """A finished deployment: `state.status` (else `state.name`) successful, or failed."""
    state = deployment.get("state") or {}
    result = _RESULTS.get(str(_href(state, "status", "name") or state.get("name") or ""))
    if result is None:
        return
    given = deployment.get("environment") or {}
    known = environments.get(given.get("uuid"), {})
    name = str(given.get("name") or known.get("name") or "")
    kind = str(
        _href(given, "environment_type", "name") or _href(known, "environment_type", "name") or ""
    )
    release = deployment.get("release") or {}
    repo = _repo_in(
        _href(release, "commit", "links", "html", "href"), state.get("url"), release.get("url")
    )
    add_row(
        rows,
        "deployment",
        {
            "id": f"bitbucket:{repo}/deployments/{deployment.get('uuid')}",
            "team_id": _team(repo, settings),
            "environment": _environment(name, kind, settings),
            "started_at": parse_time(state.get("started_on")),
            "finished_at": parse_time(
                state.get("completed_on") or deployment.get("last_update_time")
            ),
            "result": result,
            "commit_sha": _href(release, "commit", "hash"),
        },
    )


def _step(
    rows: Rows, pipeline: dict[str, Any], step: dict[str, Any], settings: BitbucketSettings
) -> None:
    """A finished step whose name matches deploy_step, of a pipeline on deploy_branch (if set)."""
    name = str(step.get("name") or "")
    if not re.search(settings.deploy_step, name):
        return
    if settings.deploy_branch and _href(pipeline, "target", "ref_name") != settings.deploy_branch:
        return
    result = _RESULTS.get(str(_href(step, "state", "result", "name") or ""))
    if result is None:
        return
    repo = (
        _href(pipeline, "repository", "full_name")
        or step.get("_repo")
        or (settings.repos[0] if len(settings.repos) == 1 else "")
    )
    add_row(
        rows,
        "deployment",
        {
            "id": f"bitbucket:{repo}/steps/{step.get('uuid')}",
            "team_id": _team(repo, settings),
            "environment": _environment(name, "", settings),
            "started_at": parse_time(step.get("started_on")),
            "finished_at": parse_time(step.get("completed_on")),
            "result": result,
            "commit_sha": _href(pipeline, "target", "commit", "hash"),
        },
    )
