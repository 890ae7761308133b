"""Create endpoints of Jira, GitHub, GitLab and Linear for the write-back tests: each keeps the
issues created through it, finds them by label (Linear: by description) as the real APIs do,
and refuses a request without the expected credentials (401)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.connectors.server import Reply, Request

TOKEN = "t0ken-for-tests"
JIRA_EMAIL = "ana@example.com"


@dataclass
class TrackerSite:
    """One tracker's find and create endpoints (`kind`: jira, github, gitlab, linear)."""

    kind: str
    project: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    anonymous: bool = False  # GitHub without a token: no Authorization header expected

    def authorised(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        if self.anonymous:
            return not given
        if self.kind == "jira":
            pair = base64.b64encode(f"{JIRA_EMAIL}:{TOKEN}".encode()).decode()
            return given == f"Basic {pair}"
        if self.kind == "linear":
            return given == TOKEN
        return given == f"Bearer {TOKEN}"

    def __call__(self, request: Request, base: str) -> Reply:
        if not self.authorised(request):
            return Reply(401, {"message": "Bad credentials"})
        return getattr(self, f"_{self.kind}")(request, base)  # type: ignore[no-any-return]

    def _labelled(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self.issues if label in i["labels"]]

    def _jira(self, request: Request, base: str) -> Reply:
        if request.path == "/rest/api/3/search/jql":
            label = request.body["jql"].split('"')[1]
            found = [{"key": i["key"]} for i in self._labelled(label)]
            return Reply(body={"issues": found, "isLast": True})
        if request.path == "/rest/api/3/issue" and request.method == "POST":
            fields = request.body["fields"]
            key = f"{fields['project']['key']}-{len(self.issues) + 1}"
            self.issues.append({"key": key, "labels": fields["labels"], "request": request.body})
            return Reply(201, {"id": str(10000 + len(self.issues)), "key": key})
        return Reply(404, {})

    def _github(self, request: Request, base: str) -> Reply:
        if request.path != f"/repos/{self.project}/issues":
            return Reply(404, {})
        if request.method == "GET":
            return Reply(body=[self._gh(i, base) for i in self._labelled(request.query["labels"])])
        number = len(self.issues) + 1
        self.issues.append(
            {"number": number, "labels": request.body["labels"], "request": request.body}
        )
        return Reply(201, self._gh(self.issues[-1], base))

    def _gh(self, issue: dict[str, Any], base: str) -> dict[str, Any]:
        number = issue["number"]
        return {"number": number, "html_url": f"{base}/{self.project}/issues/{number}"}

    def _gitlab(self, request: Request, base: str) -> Reply:
        if unquote(request.path) != f"/api/v4/projects/{self.project}/issues":
            return Reply(404, {})
        if request.method == "GET":
            found = self._labelled(request.query["labels"])
            return Reply(body=[self._gl(i, base) for i in found])
        iid = len(self.issues) + 1
        labels = request.body["labels"].split(",")
        self.issues.append({"iid": iid, "labels": labels, "request": request.body})
        return Reply(201, self._gl(self.issues[-1], base))

    def _gl(self, issue: dict[str, Any], base: str) -> dict[str, Any]:
        return {"iid": issue["iid"], "web_url": f"{base}/{self.project}/-/issues/{issue['iid']}"}

    def _linear(self, request: Request, base: str) -> Reply:
        query, variables = request.body["query"], request.body["variables"]
        if query.startswith("query Find"):
            found = [i for i in self.issues if variables["marker"] in i["description"]]
            return Reply(body={"data": {"issues": {"nodes": [self._ln(i, base) for i in found]}}})
        if query.startswith("query Team"):
            nodes = [{"id": "team-uuid-1", "key": self.project}]
            hit = variables["key"] == self.project
            return Reply(body={"data": {"teams": {"nodes": nodes if hit else []}}})
        given = variables["input"]
        number = len(self.issues) + 1
        self.issues.append(
            {"number": number, "description": given["description"], "request": request.body}
        )
        issue = self._ln(self.issues[-1], base)
        return Reply(body={"data": {"issueCreate": {"success": True, "issue": issue}}})

    def _ln(self, issue: dict[str, Any], base: str) -> dict[str, Any]:
        ident = f"{self.project}-{issue['number']}"
        return {"identifier": ident, "url": f"{base}/issue/{ident}"}
