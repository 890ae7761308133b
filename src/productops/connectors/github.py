"""GitHub REST: pull requests with commits and reviews, issues, issue events, Actions runs,
deployments and releases, each followed through `Link: rel="next"` pages.

Streams per repository (cursor in `sync_state` as `github:OWNER/NAME:STREAM`):

| stream | endpoint | incremental by |
| --- | --- | --- |
| pulls | `/repos/R/pulls?state=all&sort=updated&direction=desc`, then each PR's `/commits` and `/reviews` | stops at PRs updated before the cursor |
| issues | `/repos/R/issues?state=all&sort=updated&direction=asc&since=CURSOR` | `since` |
| issue_events | `/repos/R/issues/events` (newest first) | stops at events before the cursor |
| actions_runs | `/repos/R/actions/runs?created=>=CURSOR` | the oldest unfinished run |
| deployments | `/repos/R/deployments`, then each one's `/statuses` | stops before the cursor |
| releases | `/repos/R/releases` (newest first) | stops before the cursor |

Raw records of a PR's commits and reviews are `{"request": {"GithubId", "Number",
"Repo"}, "response": ...}`, the format of the shared fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from productops.config import GitHubSettings
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

__all__ = ["GitHubConnector", "github_stream_of", "map_github"]

_SUCCESS = {"success"}
_FAILURE = {"failure", "timed_out", "startup_failure", "error"}
_CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b", re.I)
_REPO_URL = re.compile(r"/repos/([^/]+/[^/]+)")


class GitHubConnector:
    """Pages of one or more repositories' pull requests, issues, events, runs and releases."""

    def __init__(self, http: HttpClient, settings: GitHubSettings) -> None:
        self.http = http
        self.settings = settings

    def close(self) -> None:
        self.http.close()

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        for repo in self.settings.repos:
            yield from self.pulls(repo, cursors.get(f"{repo}:pulls"))
            yield from self.issues(repo, cursors.get(f"{repo}:issues"))
            yield from self.issue_events(repo, cursors.get(f"{repo}:issue_events"))
            if "actions" in self.settings.deploy_from:
                yield from self.actions_runs(repo, cursors.get(f"{repo}:actions_runs"))
            if "deployments" in self.settings.deploy_from:
                yield from self.deployments(repo, cursors.get(f"{repo}:deployments"))
            if "releases" in self.settings.deploy_from:
                yield from self.releases(repo, cursors.get(f"{repo}:releases"))

    def _params(self, **extra: Any) -> dict[str, Any]:
        return {"per_page": self.settings.page_size, **extra}

    def pulls(self, repo: str, cursor: str | None) -> Iterator[Page]:
        params = self._params(state="all", sort="updated", direction="desc")
        yield from self._newest_first(
            repo, "pulls", f"/repos/{repo}/pulls", params, cursor, "updated_at", self._pull_children
        )

    def _pull_children(self, repo: str, pull: dict[str, Any]) -> list[RawRecord]:
        request = {"GithubId": pull.get("id"), "Number": pull.get("number"), "Repo": repo}
        records = []
        for kind in ("commits", "reviews"):
            url = f"/repos/{repo}/pulls/{pull.get('number')}/{kind}"
            for response in self.http.paginate(url, self._params()):
                for item in as_objects(response, expect(response, None, list)):
                    payload = {"request": request, "response": item}
                    records.append(RawRecord(f"pull_{kind}", payload, response.url))
        return records

    def issues(self, repo: str, cursor: str | None) -> Iterator[Page]:
        params = self._params(state="all", sort="updated", direction="asc")
        if cursor:
            params["since"] = cursor
        newest = cursor
        for response in self.http.paginate(f"/repos/{repo}/issues", params):
            issues = as_objects(response, expect(response, None, list))
            for issue in issues:
                newest = later(newest, issue.get("updated_at"))
            records = [RawRecord("issues", i, response.url) for i in issues]
            yield Page(f"{repo}:issues", records, newest)

    def issue_events(self, repo: str, cursor: str | None) -> Iterator[Page]:
        yield from self._newest_first(
            repo,
            "issue_events",
            f"/repos/{repo}/issues/events",
            self._params(),
            cursor,
            "created_at",
        )

    def releases(self, repo: str, cursor: str | None) -> Iterator[Page]:
        yield from self._newest_first(
            repo, "releases", f"/repos/{repo}/releases", self._params(), cursor, "created_at"
        )

    def deployments(self, repo: str, cursor: str | None) -> Iterator[Page]:
        params = self._params(environment=self.settings.environment)
        yield from self._newest_first(
            repo,
            "deployments",
            f"/repos/{repo}/deployments",
            params,
            cursor,
            "created_at",
            self._deployment_statuses,
            finished=lambda d, children: any(
                c.payload["response"].get("state") in _SUCCESS | _FAILURE for c in children
            ),
        )

    def _deployment_statuses(self, repo: str, deployment: dict[str, Any]) -> list[RawRecord]:
        request = {"DeploymentId": deployment.get("id"), "Repo": repo}
        url = f"/repos/{repo}/deployments/{deployment.get('id')}/statuses"
        return [
            RawRecord("deployment_statuses", {"request": request, "response": s}, response.url)
            for response in self.http.paginate(url, self._params())
            for s in as_objects(response, expect(response, None, list))
        ]

    def actions_runs(self, repo: str, cursor: str | None) -> Iterator[Page]:
        params = self._params()
        if cursor:
            params["created"] = f">={cursor}"
        newest: str | None = cursor
        unfinished: str | None = None
        for response in self.http.paginate(f"/repos/{repo}/actions/runs", params):
            runs = as_objects(response, expect(response, "workflow_runs", list))
            for run in runs:
                newest = later(newest, run.get("created_at"))
                if not run.get("conclusion"):
                    unfinished = earlier(unfinished, run.get("created_at"))
            last = response.next_url is None
            records = [RawRecord("actions_runs", r, response.url) for r in runs]
            yield Page(f"{repo}:actions_runs", records, (unfinished or newest) if last else None)

    def _newest_first(
        self,
        repo: str,
        stream: str,
        url: str,
        params: dict[str, Any],
        cursor: str | None,
        time_field: str,
        children: Any = None,
        finished: Any = None,
    ) -> Iterator[Page]:
        """Pages of a list served newest first, stopping at items older than the cursor.

        The cursor moves only with the last page (an interrupted sync starts over);
        with `finished`, it stays at the oldest item not finished yet.
        """
        since = parse_time(cursor)
        newest: str | None = cursor
        unfinished: str | None = None
        for response in self.http.paginate(url, params):
            items = as_objects(response, expect(response, None, list))
            fresh = [
                i
                for i in items
                if since is None or (parse_time(i.get(time_field)) or since) >= since
            ]
            records: list[RawRecord] = []
            for item in fresh:
                records.append(RawRecord(stream, item, response.url))
                found = children(repo, item) if children else []
                records += found
                newest = later(newest, item.get(time_field))
                if finished is not None and not finished(item, found):
                    unfinished = earlier(unfinished, item.get(time_field))
            last = len(fresh) < len(items) or response.next_url is None
            yield Page(f"{repo}:{stream}", records, (unfinished or newest) if last else None)
            if last:
                return


def github_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape (None: not GitHub's)."""
    request, response = payload.get("request"), payload.get("response")
    if isinstance(request, dict) and isinstance(response, dict):
        if "DeploymentId" in request:
            return "deployment_statuses"
        if "submitted_at" in response or "pull_request_url" in response:
            return "pull_reviews"
        if "sha" in response and "commit" in response:
            return "pull_commits"
        return None
    if "head" in payload and "base" in payload:
        return "pulls"
    if "workflow_id" in payload and "run_number" in payload:
        return "actions_runs"
    if "event" in payload and "issue" in payload:
        return "issue_events"
    if "tag_name" in payload:
        return "releases"
    if "environment" in payload and "sha" in payload and "task" in payload:
        return "deployments"
    if "issue_url" in payload and "body" in payload:
        return "issue_comments"
    if "number" in payload and "labels" in payload:
        return "issues"
    return None


def map_github(
    records: Sequence[RawRecord],
    settings: GitHubSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Canonical rows from GitHub raw records: changes, work items, transitions, deployments,
    incidents. The newest copy of each object wins."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(record.payload)
    categories = StatusCategories(overrides)
    rows: Rows = {}
    pulls = newest_copies(by_stream.get("pulls", []), lambda p: p.get("id"))
    children: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for kind in ("pull_commits", "pull_reviews"):
        for payload in by_stream.get(kind, []):
            children.setdefault((kind, payload["request"].get("GithubId")), []).append(
                payload["response"]
            )
    for pull in pulls:
        commits = children.get(("pull_commits", pull.get("id")), [])
        reviews = children.get(("pull_reviews", pull.get("id")), [])
        add_row(rows, "change", _change(pull, commits, reviews, settings))
    for issue in newest_copies(by_stream.get("issues", []), lambda i: i.get("id")):
        if "pull_request" not in issue:
            _issue(rows, issue, settings, categories)
    for event in _unique(by_stream.get("issue_events", []), lambda e: e.get("id")):
        _event(rows, event, settings, categories)
    if "actions" in settings.deploy_from:
        for run in newest_copies(by_stream.get("actions_runs", []), lambda r: r.get("id")):
            _run(rows, run, settings)
    if "deployments" in settings.deploy_from:
        statuses: dict[Any, list[dict[str, Any]]] = {}
        for payload in by_stream.get("deployment_statuses", []):
            statuses.setdefault(payload["request"].get("DeploymentId"), []).append(
                payload["response"]
            )
        for deployment in _unique(by_stream.get("deployments", []), lambda d: d.get("id")):
            _deployment(rows, deployment, statuses.get(deployment.get("id"), []), settings)
    if "releases" in settings.deploy_from:
        for release in newest_copies(by_stream.get("releases", []), lambda r: r.get("id")):
            _release(rows, release, settings)
    keys = {
        "change": ("id",),
        "work_item": ("id",),
        "work_item_transition": ("work_item_id", "changed_at", "to_status"),
        "deployment": ("id",),
        "incident": ("id",),
    }
    return Mapped({t: unique_rows(found, keys[t]) for t, found in rows.items()})


def _unique(items: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    return list({key(i): i for i in items}.values())


def _team(repo: str, settings: GitHubSettings) -> str:
    return settings.repo_teams.get(repo) or settings.default_team or slug(repo.split("/")[-1])


def _repo_of(item: dict[str, Any]) -> str:
    for url in (item.get("repository_url"), item.get("url"), item.get("html_url")):
        found = _REPO_URL.search(str(url or ""))
        if found:
            return found.group(1)
    return ""


def _change(
    pull: dict[str, Any],
    commits: list[dict[str, Any]],
    reviews: list[dict[str, Any]],
    settings: GitHubSettings,
) -> dict[str, Any]:
    repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or _repo_of(pull)
    author = (pull.get("user") or {}).get("login")
    commit_times = [
        parse_time(((c.get("commit") or {}).get("author") or {}).get("date")) for c in commits
    ]
    review_times = [
        parse_time(r.get("submitted_at"))
        for r in reviews
        if r.get("state") != "PENDING" and (r.get("user") or {}).get("login") != author
    ]
    merged = parse_time(pull.get("merged_at"))
    return {
        "id": f"github:{repo}#{pull.get('number')}",
        "team_id": _team(repo, settings),
        "repo": repo,
        "title": pull.get("title"),
        "created_at": parse_time(pull.get("created_at")),
        "first_commit_at": earliest(commit_times),
        "first_review_at": earliest(review_times),
        "merged_at": merged,
        "merge_sha": pull.get("merge_commit_sha") if merged else None,
        "work_item_id": _work_item(repo, pull, settings),
    }


def _work_item(repo: str, pull: dict[str, Any], settings: GitHubSettings) -> str | None:
    """A tracker key in the title or branch (work_item_pattern), else the issue it closes."""
    branch = (pull.get("head") or {}).get("ref") or ""
    if settings.work_item_pattern:
        for text in (pull.get("title") or "", branch):
            found = re.search(settings.work_item_pattern, text)
            if found:
                key = found.groupdict().get("key") or found.group(0)
                return f"{settings.work_item_source}:{key}"
    closing = _CLOSING.search(f"{pull.get('title') or ''}\n{pull.get('body') or ''}")
    return f"github:{repo}#{closing.group(1)}" if closing else None


def _issue(
    rows: Rows, issue: dict[str, Any], settings: GitHubSettings, categories: StatusCategories
) -> None:
    repo = _repo_of(issue)
    team = _team(repo, settings)
    labels = {str((label or {}).get("name", "")).lower() for label in issue.get("labels") or []}
    state = str(issue.get("state") or "open")
    given = "todo" if state == "open" else "done"
    if state == "closed" and issue.get("state_reason") == "not_planned":
        given = "cancelled"
    item = f"github:{repo}#{issue.get('number')}"
    add_row(
        rows,
        "work_item",
        {
            "id": item,
            "team_id": team,
            "type": "bug" if "bug" in labels else "issue",
            "title": issue.get("title"),
            "status": state,
            "status_category": categories.category(team, state, None, given),
            "created_at": parse_time(issue.get("created_at")),
            "resolved_at": parse_time(issue.get("closed_at")),
        },
    )
    if labels & {label.lower() for label in settings.incident_labels}:
        add_row(
            rows,
            "incident",
            {
                "id": item,
                "team_id": team,
                "created_at": parse_time(issue.get("created_at")),
                "resolved_at": parse_time(issue.get("closed_at")),
            },
        )


def _event(
    rows: Rows, event: dict[str, Any], settings: GitHubSettings, categories: StatusCategories
) -> None:
    """closed and reopened events of issues (not pull requests) are status changes."""
    issue = event.get("issue") or {}
    kind = event.get("event")
    if kind not in ("closed", "reopened") or "pull_request" in issue:
        return
    repo = _repo_of(issue) or _repo_of(event)
    team = _team(repo, settings)
    before, after = ("open", "closed") if kind == "closed" else ("closed", "open")
    given = "todo" if after == "open" else "done"
    if after == "closed" and event.get("state_reason") == "not_planned":
        given = "cancelled"
    add_row(
        rows,
        "work_item_transition",
        {
            "work_item_id": f"github:{repo}#{issue.get('number')}",
            "changed_at": parse_time(event.get("created_at")),
            "from_status": before,
            "to_status": after,
            "to_category": categories.category(team, after, None, given),
        },
    )


def _result(conclusion: Any) -> str | None:
    value = str(conclusion or "").lower()
    if value in _SUCCESS:
        return "success"
    if value in _FAILURE:
        return "failure"
    return None


def _run(rows: Rows, run: dict[str, Any], settings: GitHubSettings) -> None:
    """A finished run of a deploy workflow (name or path matches deploy_workflow)."""
    names = (str(run.get("name") or ""), str(run.get("path") or ""))
    if not any(re.search(settings.deploy_workflow, name) for name in names):
        return
    if settings.deploy_branch and run.get("head_branch") != settings.deploy_branch:
        return
    result = _result(run.get("conclusion"))
    if result is None:
        return
    repo = ((run.get("repository") or {}).get("full_name")) or _repo_of(run)
    add_row(
        rows,
        "deployment",
        {
            "id": f"github:{repo}/actions/runs/{run.get('id')}",
            "team_id": _team(repo, settings),
            "environment": settings.environment,
            "started_at": parse_time(run.get("run_started_at") or run.get("created_at")),
            "finished_at": parse_time(run.get("updated_at")),
            "result": result,
            "commit_sha": run.get("head_sha"),
        },
    )


def _deployment(
    rows: Rows,
    deployment: dict[str, Any],
    statuses: list[dict[str, Any]],
    settings: GitHubSettings,
) -> None:
    """A GitHub deployment to the environment, finished by its first final status."""
    if deployment.get("environment") != settings.environment:
        return
    final = sorted(
        (s for s in statuses if _result(s.get("state"))),
        key=lambda s: str(s.get("created_at") or ""),
    )
    if not final:
        return
    repo = _repo_of(deployment)
    add_row(
        rows,
        "deployment",
        {
            "id": f"github:{repo}/deployments/{deployment.get('id')}",
            "team_id": _team(repo, settings),
            "environment": deployment.get("environment"),
            "started_at": parse_time(deployment.get("created_at")),
            "finished_at": parse_time(final[0].get("created_at")),
            "result": _result(final[0].get("state")),
            "commit_sha": deployment.get("sha"),
        },
    )


def _release(rows: Rows, release: dict[str, Any], settings: GitHubSettings) -> None:
    """A published release (drafts are not deployments)."""
    published = parse_time(release.get("published_at"))
    if release.get("draft") or published is None:
        return
    repo = _repo_of(release)
    target = str(release.get("target_commitish") or "")
    add_row(
        rows,
        "deployment",
        {
            "id": f"github:{repo}/releases/{release.get('id')}",
            "team_id": _team(repo, settings),
            "environment": settings.environment,
            "started_at": parse_time(release.get("created_at")),
            "finished_at": published,
            "result": "success",
            "commit_sha": target if re.fullmatch(r"[0-9a-f]{40}", target) else None,
        },
    )
