"""Write-back: create an issue in Jira, GitHub, GitLab or Linear, and find one made before.

Each issue carries a `marker` (a label in Jira, GitHub and GitLab; a line of the description
in Linear, whose labels need ids) so that `find` sees an issue created before even when
productops crashed before recording it:

| tracker | find | create |
| --- | --- | --- |
| jira | `POST /rest/api/3/search/jql` with `labels = "MARKER"` | `POST /rest/api/3/issue`, description in ADF |
| github | `GET /repos/R/issues?labels=MARKER&state=all` | `POST /repos/R/issues` |
| gitlab | `GET /projects/P/issues?labels=MARKER&scope=all` | `POST /projects/P/issues` |
| linear | `issues(filter: {description: {contains: MARKER}})` | `issueCreate` mutation |

The HTTP client, its secrets and its https rule are the sync's (`sources.SOURCES[...].opener`);
a create is sent once (no retry on 5xx, which may have created the issue: the next call
finds it by its marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from productops.config import ConnectorSettings
from productops.connectors.base import ConnectorError, slug
from productops.connectors.http import HttpClient, RetryPolicy, expect
from productops.connectors.sources import source

__all__ = ["TRACKERS", "NewIssue", "Tracker", "TrackerIssue", "open_tracker"]

TRACKERS = ("jira", "github", "gitlab", "linear")


@dataclass(frozen=True)
class NewIssue:
    """What to create: `paragraphs` of plain text (the last one holds the back link)."""

    title: str
    paragraphs: tuple[str, ...]
    marker: str

    def text(self) -> str:
        return "\n\n".join((*self.paragraphs, self.marker))


@dataclass(frozen=True)
class TrackerIssue:
    """An issue in a tracker: its work item id as the sync names it, its team, key and URL."""

    work_item_id: str
    team_id: str
    key: str
    url: str


@dataclass
class Tracker:
    """One tracker's client and settings, and the project (repo, team key) issues go to."""

    name: str
    http: HttpClient
    settings: Any
    project: str

    def close(self) -> None:
        self.http.close()

    def find(self, marker: str) -> TrackerIssue | None:
        """The issue carrying `marker`, if one exists."""
        return getattr(self, f"_find_{self.name}")(marker)  # type: ignore[no-any-return]

    def create(self, new: NewIssue) -> TrackerIssue:
        """Create `new` (one request, not retried)."""
        return getattr(self, f"_create_{self.name}")(new)  # type: ignore[no-any-return]

    # -- jira -------------------------------------------------------------------------

    def _jira_issue(self, key: str) -> TrackerIssue:
        s = self.settings
        team = s.project_teams.get(self.project) or s.default_team or slug(self.project)
        return TrackerIssue(f"jira:{key}", team, key, f"{str(s.url).rstrip('/')}/browse/{key}")

    def _find_jira(self, marker: str) -> TrackerIssue | None:
        body = {"jql": f'labels = "{marker}"', "fields": ["summary"], "maxResults": 1}
        issues = expect(self.http.post("/rest/api/3/search/jql", body), "issues", list)
        return self._jira_issue(str(issues[0]["key"])) if issues else None

    def _create_jira(self, new: NewIssue) -> TrackerIssue:
        paragraphs = [*new.paragraphs, new.marker]
        doc = {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
            ],
        }
        fields = {
            "project": {"key": self.project},
            "issuetype": {"name": "Task"},
            "summary": new.title,
            "labels": [new.marker],
            "description": doc,
        }
        made = expect(
            self.http.post("/rest/api/3/issue", {"fields": fields}, once=True), None, dict
        )
        return self._jira_issue(str(made["key"]))

    # -- github -----------------------------------------------------------------------

    def _github_issue(self, issue: dict[str, Any]) -> TrackerIssue:
        s, repo = self.settings, self.project
        team = s.repo_teams.get(repo) or s.default_team or slug(repo.split("/")[-1])
        key = f"{repo}#{issue['number']}"
        return TrackerIssue(f"github:{key}", team, key, str(issue.get("html_url") or ""))

    def _find_github(self, marker: str) -> TrackerIssue | None:
        params = {"labels": marker, "state": "all", "per_page": 1}
        found = expect(self.http.get(f"/repos/{self.project}/issues", params), None, list)
        return self._github_issue(found[0]) if found else None

    def _create_github(self, new: NewIssue) -> TrackerIssue:
        body = {"title": new.title, "body": new.text(), "labels": [new.marker]}
        made = expect(self.http.post(f"/repos/{self.project}/issues", body, once=True), None, dict)
        return self._github_issue(made)

    # -- gitlab -----------------------------------------------------------------------

    def _gitlab_issue(self, issue: dict[str, Any]) -> TrackerIssue:
        s, project = self.settings, self.project
        team = s.project_teams.get(project) or s.default_team or slug(project.rsplit("/", 1)[-1])
        key = f"{project}#{issue['iid']}"
        return TrackerIssue(f"gitlab:{key}", team, key, str(issue.get("web_url") or ""))

    def _find_gitlab(self, marker: str) -> TrackerIssue | None:
        params = {"labels": marker, "scope": "all", "per_page": 1}
        base = f"/projects/{quote(self.project, safe='')}/issues"
        found = expect(self.http.get(base, params), None, list)
        return self._gitlab_issue(found[0]) if found else None

    def _create_gitlab(self, new: NewIssue) -> TrackerIssue:
        body = {"title": new.title, "description": new.text(), "labels": new.marker}
        base = f"/projects/{quote(self.project, safe='')}/issues"
        return self._gitlab_issue(expect(self.http.post(base, body, once=True), None, dict))

    # -- linear -----------------------------------------------------------------------

    def _linear(self, query: str, variables: dict[str, Any], once: bool = False) -> Any:
        body = {"query": query, "variables": variables}
        response = self.http.post(self.settings.url, body, once=once)
        data = response.data
        if (
            not isinstance(data, dict)
            or data.get("errors")
            or not isinstance(data.get("data"), dict)
        ):
            errors = data.get("errors") if isinstance(data, dict) else None
            said = "; ".join(str(e.get("message")) for e in errors or [] if isinstance(e, dict))
            raise ConnectorError(f"linear: {response.url}: GraphQL error: {said or 'no data'}")
        return data["data"]

    def _linear_issue(self, issue: dict[str, Any]) -> TrackerIssue:
        s = self.settings
        team = s.team_map.get(self.project) or s.default_team or slug(self.project)
        key = str(issue["identifier"])
        return TrackerIssue(f"linear:{key}", team, key, str(issue.get("url") or ""))

    def _find_linear(self, marker: str) -> TrackerIssue | None:
        data = self._linear(_LINEAR_FIND, {"marker": marker})
        nodes = (data.get("issues") or {}).get("nodes") or []
        return self._linear_issue(nodes[0]) if nodes else None

    def _create_linear(self, new: NewIssue) -> TrackerIssue:
        teams = self._linear(_LINEAR_TEAM, {"key": self.project})
        found = (teams.get("teams") or {}).get("nodes") or []
        if not found:
            raise ConnectorError(f"linear: no team with key {self.project!r}; check --project")
        given = {"teamId": found[0]["id"], "title": new.title, "description": new.text()}
        made = self._linear(_LINEAR_CREATE, {"input": given}, once=True)
        created = made.get("issueCreate") or {}
        if not created.get("success") or not isinstance(created.get("issue"), dict):
            raise ConnectorError("linear: issueCreate did not succeed")
        return self._linear_issue(created["issue"])


_LINEAR_FIND = (
    "query Find($marker: String!) { issues(first: 1, filter: { description:"
    " { contains: $marker } }) { nodes { identifier url } } }"
)
_LINEAR_TEAM = (
    "query Team($key: String!) { teams(filter: { key: { eq: $key } }) { nodes { id key } } }"
)
_LINEAR_CREATE = (
    "mutation Create($input: IssueCreateInput!) { issueCreate(input: $input)"
    " { success issue { identifier url } } }"
)


def _projects(name: str, settings: Any) -> list[str]:
    """The projects (repos, team keys) the settings name, for a default `--project`."""
    if name == "jira":
        return list(settings.project_teams)
    if name == "github":
        return list(settings.repos)
    if name == "gitlab":
        return list(settings.projects)
    return list(settings.team_map)


def open_tracker(
    name: str,
    connectors: ConnectorSettings,
    root: Path,
    policy: RetryPolicy,
    project: str | None = None,
) -> Tracker:
    """The tracker `name` with the sync's client and secrets; `project` defaults to the one
    its settings name (Jira: `project_teams`, GitHub: `repos`, GitLab: `projects`, Linear:
    `team_map`)."""
    if name not in TRACKERS:
        raise ConnectorError(f"tracker {name!r}: use one of {', '.join(TRACKERS)}")
    src = source(name)
    settings = src.settings(connectors)
    known = _projects(name, settings)
    if project is None:
        if len(known) != 1:
            raise ConnectorError(
                f"{name}: name the project with --project (the settings name "
                f"{len(known)}: {', '.join(known) or 'none'})"
            )
        project = known[0]
    connector = src.opener(settings, root, policy)
    http: HttpClient = connector.http  # type: ignore[attr-defined]
    return Tracker(name, http, settings, project)
