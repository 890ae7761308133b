"""Code hosts served from their real payloads by `FixtureServer`, paged as the real APIs page.

- `GitLabSite`: REST v4 under `/api/v4`; offset pages answer `X-Next-Page`, `X-Page`,
  `X-Total` (and no `Link`, so the client must read `X-Next-Page`), keyset pages
  (`pagination=keyset`, project jobs) answer only a `Link: rel="next"` with an
  opaque `cursor`; every answer carries `RateLimit-*` headers.
- `BitbucketSite`: REST 2.0 under `/2.0`; each page's body names the next in `next`.
- `AzureDevOpsSite`: REST 7.1 under `/ORG/PROJECT/_apis`; lists answer `{"count", "value"}`
  and name the next page in an `x-ms-continuationtoken` header; pull requests page by
  `$top`/`$skip`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote, urlencode

from tests.connectors.server import Reply, Request, utc


def _opaque(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def _unopaque(text: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text.encode()))
    return found


class GitLabSite:
    """GitLab REST v4 over the real payloads of one project, addressed by its encoded path."""

    def __init__(
        self,
        project: str,
        *,
        merge_requests: list[dict[str, Any]],
        commits: list[dict[str, Any]],
        notes: list[dict[str, Any]],
        issues: Sequence[dict[str, Any]] = (),
        pipelines: Sequence[dict[str, Any]] = (),
        jobs: Sequence[dict[str, Any]] = (),
        deployments: Sequence[dict[str, Any]] = (),
        members: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.prefix = f"/api/v4/projects/{quote(project, safe='')}"
        self.merge_requests = list({m["id"]: m for m in merge_requests}.values())
        by_id = {m["id"]: m["iid"] for m in self.merge_requests}
        self.children: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for kind, items in (("commits", commits), ("notes", notes)):
            for item in items:
                iid = by_id[item["request"]["GitlabId"]]
                self.children.setdefault((kind, iid), []).append(item["response"])
        self.lists = {
            "merge_requests": self.merge_requests,
            "issues": list(issues),
            "pipelines": list(pipelines),
            "deployments": list(deployments),
        }
        self.jobs = sorted(jobs, key=lambda j: j["id"], reverse=True)
        self.members = list(members)
        self.remaining = 2000

    def __call__(self, request: Request, base: str) -> Reply:
        if not request.path.startswith(self.prefix + "/"):
            return Reply(404, {"message": "404 Project Not Found"})
        rest, q = request.path[len(self.prefix) :], request.query
        found = re.fullmatch(r"/merge_requests/(\d+)/(commits|notes)", rest)
        if found:
            items = self.children.get((found.group(2), int(found.group(1))), [])
            if found.group(2) == "notes" and q.get("order_by") == "created_at":
                desc = q.get("sort", "desc") == "desc"
                items = sorted(items, key=lambda n: (n["created_at"], n["id"]), reverse=desc)
            return self._offset(items, request, base)
        stream = rest.strip("/")
        if stream in self.lists:
            return self._offset(self._updated(self.lists[stream], q), request, base)
        if stream == "jobs" and q.get("pagination") == "keyset":
            return self._keyset(request, base)
        if stream == "members/all":
            return self._offset(self.members, request, base)
        return Reply(404, {"message": "404 Not Found"})

    @staticmethod
    def _updated(items: list[dict[str, Any]], q: dict[str, str]) -> list[dict[str, Any]]:
        def updated(item: dict[str, Any]) -> Any:
            return utc(item.get("updated_at") or item["created_at"])

        since = utc(q["updated_after"]) if q.get("updated_after") else None
        chosen = [i for i in items if since is None or updated(i) >= since]
        return sorted(chosen, key=lambda i: (updated(i), i["id"]), reverse=q.get("sort") == "desc")

    def _headers(self) -> dict[str, str]:
        self.remaining -= 1
        return {
            "RateLimit-Limit": "2000",
            "RateLimit-Observed": str(2000 - self.remaining),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(int(time.time()) + 60),
        }

    def _offset(self, items: list[dict[str, Any]], request: Request, base: str) -> Reply:
        per_page = int(request.query.get("per_page", 20))
        page = int(request.query.get("page", 1))
        pages = max(1, -(-len(items) // per_page))
        headers = {
            **self._headers(),
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(items)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
        }
        return Reply(body=items[(page - 1) * per_page : page * per_page], headers=headers)

    def _keyset(self, request: Request, base: str) -> Reply:
        per_page = int(request.query.get("per_page", 20))
        below = _unopaque(request.query["cursor"])["id"] if "cursor" in request.query else None
        items = [j for j in self.jobs if below is None or j["id"] < below]
        chunk = items[:per_page]
        headers = self._headers()
        if len(items) > per_page:
            query = {**request.query, "cursor": _opaque({"id": chunk[-1]["id"]})}
            headers["Link"] = f'<{base}{request.path}?{urlencode(query)}>; rel="next"'
        return Reply(body=chunk, headers=headers)


_BITBUCKET_SINCE = re.compile(r"updated_on >= (\S+)")


class BitbucketSite:
    """Bitbucket Cloud REST 2.0 over the real payloads of one repository: pages are
    `{"values", "pagelen", "page", "size", "next"}`, the last without `next`."""

    def __init__(
        self,
        repo: str,
        *,
        pullrequests: Sequence[dict[str, Any]],
        commits: Sequence[dict[str, Any]] = (),
        comments: Sequence[dict[str, Any]] = (),
        issues: Sequence[dict[str, Any]] = (),
        pipelines: Sequence[dict[str, Any]] = (),
        steps: Sequence[dict[str, Any]] = (),
        environments: Sequence[dict[str, Any]] = (),
        deployments: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.prefix = f"/2.0/repositories/{repo}"
        self.children: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for kind, items in (("commits", commits), ("comments", comments), ("steps", steps)):
            for item in items:
                key = (kind, str(item["request"]["BitbucketId"]))
                self.children.setdefault(key, []).append(item["response"])
        self.updated = {"pullrequests": list(pullrequests), "issues": list(issues)}
        self.pipelines = sorted(pipelines, key=lambda p: p["created_on"], reverse=True)
        self.whole = {"environments": list(environments), "deployments": list(deployments)}

    def __call__(self, request: Request, base: str) -> Reply:
        if not request.path.startswith(self.prefix + "/"):
            return Reply(404, {"type": "error", "error": {"message": "Repository not found"}})
        rest = request.path[len(self.prefix) :].strip("/")
        found = re.fullmatch(r"(pullrequests|pipelines)/([^/]+)/(commits|comments|steps)", rest)
        if found:
            key = (found.group(3), unquote(found.group(2)))
            return self._page(self.children.get(key, []), request, base)
        if rest in self.updated:
            since = _BITBUCKET_SINCE.search(request.query.get("q", ""))
            items = [
                i
                for i in self.updated[rest]
                if since is None or utc(i["updated_on"]) >= utc(since.group(1))
            ]
            items.sort(key=lambda i: (utc(i["updated_on"]), str(i["id"])))
            return self._page(items, request, base)
        if rest == "pipelines":
            return self._page(self.pipelines, request, base)
        if rest in self.whole:
            return self._page(self.whole[rest], request, base)
        return Reply(404, {"type": "error", "error": {"message": "Resource not found"}})

    @staticmethod
    def _page(items: list[dict[str, Any]], request: Request, base: str) -> Reply:
        size = int(request.query.get("pagelen", 10))
        page = int(request.query.get("page", 1))
        body: dict[str, Any] = {
            "pagelen": size,
            "page": page,
            "size": len(items),
            "values": items[(page - 1) * size : page * size],
        }
        if page * size < len(items):
            query = urlencode({**request.query, "page": str(page + 1)})
            body["next"] = f"{base}{request.path}?{query}"
        return Reply(body=body)


class AzureDevOpsSite:
    """Azure DevOps over the real payloads of one project and repository."""

    def __init__(
        self,
        org: str,
        project: str,
        repo: str,
        *,
        pullrequests: Sequence[dict[str, Any]],
        commits: Sequence[dict[str, Any]] = (),
        builds: Sequence[dict[str, Any]] = (),
        timelines: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.prefix = f"/{org}/{quote(project)}/_apis"
        self.repo = repo
        self.pullrequests = sorted(pullrequests, key=lambda p: p["creationDate"], reverse=True)
        self.commits: dict[int, list[dict[str, Any]]] = {}
        for item in commits:
            self.commits.setdefault(item["request"]["AzuredevopsId"], []).append(item["response"])
        self.builds = sorted(builds, key=lambda b: (b["queueTime"], b["id"]))
        self.timelines: dict[int, list[dict[str, Any]]] = {}
        for item in timelines:
            self.timelines.setdefault(item["request"]["AzuredevopsId"], []).append(item["response"])

    def __call__(self, request: Request, base: str) -> Reply:
        if not request.path.startswith(self.prefix + "/"):
            return Reply(404, {"message": "project not found"})
        rest, q = request.path[len(self.prefix) :], request.query
        if "api-version" not in q:
            return Reply(400, {"message": "No api-version was supplied"})
        pulls = f"/git/repositories/{self.repo}/pullrequests"
        if rest == pulls:
            skip, top = int(q.get("$skip", 0)), int(q.get("$top", 101))
            chunk = self.pullrequests[skip : skip + top]
            return Reply(body={"count": len(chunk), "value": chunk})
        found = re.fullmatch(re.escape(pulls) + r"/(\d+)/commits", rest)
        if found:
            return self._continued(self.commits.get(int(found.group(1)), []), q, 100)
        if rest == "/build/builds":
            since = utc(q["minTime"]) if q.get("minTime") else None
            items = [b for b in self.builds if since is None or utc(b["queueTime"]) >= since]
            return self._continued(items, q, int(q.get("$top", 1000)))
        found = re.fullmatch(r"/build/builds/(\d+)/timeline", rest)
        if found:
            return Reply(body={"records": self.timelines.get(int(found.group(1)), [])})
        return Reply(404, {"message": "not found"})

    @staticmethod
    def _continued(items: list[dict[str, Any]], q: dict[str, str], top: int) -> Reply:
        start = int(_unopaque(q["continuationToken"])["at"]) if "continuationToken" in q else 0
        chunk = items[start : start + top]
        headers = {}
        if start + top < len(items):
            headers["x-ms-continuationtoken"] = _opaque({"at": start + top})
        return Reply(body={"count": len(chunk), "value": chunk}, headers=headers)
