"""The authorization matrix, generated from the app's route table: every route declares its
rule (`web.auth.Allow` or `ANYONE` for the API, `web.sessions.SIGNED_IN` or `ANYONE` for the
pages), and every rule is tried by every kind of caller, with a token or a session cookie; a
write route with an example request (`writing.EXAMPLES`) on a fresh copy of the workspace,
where a refused write leaves no audit row. A page write must check the CSRF token. A read of
one object is asked for an id that names nothing: the callers its rule allows get a 404 (so the
rule is decided before the object is looked for), the others their 401 or 403. Segment's
paths (`/v1/...`, `web.segment`) take a write key only (`WRITE_KEY`): every caller here is
refused, and a sender with the key is let in."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from productops.services.users import Access
from productops.web.api import ROUTERS
from productops.web.app import API, create_app
from productops.web.auth import Allow, Anyone
from productops.web.errors import SEGMENT_PATHS
from productops.web.pages.rules import PageRule
from productops.web.paging import Page
from productops.web.segment import WRITE_KEY, WriteKey
from productops.web.sessions import CSRF, SIGNED_IN, Csrf, SignedIn
from tests.web.conftest import Site
from tests.web.writing import (
    ACCEPTED,
    DEAD,
    DECIDED,
    EXAMPLES,
    EXPERIMENT,
    INITIATIVE,
    OFFERED,
    PROPOSED,
    SURVEY,
    fresh,
    seed,
    send,
    trail,
)

Rule = Allow | Anyone | SignedIn | PageRule | WriteKey
TOKENS = [
    "admin",
    "admin's read token",
    "member of the team",
    "member of another team",
    "viewer",
]
SESSIONS = [
    "admin's session",
    "session of a member of the team",
    "viewer's session",
    "member's session without CSRF token",
]
SIGNED_OUT = [
    "anonymous",
    "unknown token",
    "expired token",
    "revoked token",
    "disabled user",
    "unknown session",
    "expired session",
    "idle session",
    "disabled user's session",
]
CALLERS = TOKENS + SESSIONS + SIGNED_OUT
NO_CSRF = "member's session without CSRF token"
# The status each caller gets, per rule. A read token cannot do admin's work (403).
# `write` is a write for the whole organisation; `team` one for the object's team (payments);
# `anyone` needs no account and looks at none (a survey answer). A session acts as its user:
# ana (admin), ben (member of payments), dan (viewer). Besides, a write through a session
# without its CSRF token is refused (403 `csrf`, see `expected`).
ADMINS_ONLY = dict.fromkeys(CALLERS[:9], 403) | {"admin": 200, "admin's session": 200}
ADMINS_ONLY |= dict.fromkeys(SIGNED_OUT, 401)
EXPECTED: dict[str, dict[str, int]] = {
    "read": dict.fromkeys(TOKENS + SESSIONS, 200) | dict.fromkeys(SIGNED_OUT, 401),
    "admin": ADMINS_ONLY,
    "write": ADMINS_ONLY,
    "team": ADMINS_ONLY
    | {"member of the team": 200, "session of a member of the team": 200, NO_CSRF: 200},
    "anyone": dict.fromkeys(CALLERS, 200),
}
# Each route's rule but read's, named here so that a weaker rule on one of them fails.
RULES = {
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/schedule"): "admin",
    ("GET", "/api/v1/schedule/runs"): "admin",
    ("POST", "/api/v1/checks/run"): "admin",
    ("GET", "/api/v1/users"): "admin",
    ("GET", "/api/v1/tokens"): "admin",
    ("GET", "/api/v1/quarantine"): "admin",
    ("POST", "/api/v1/syncs"): "admin",
    ("GET", "/api/v1/syncs"): "admin",
    ("GET", "/api/v1/syncs/{sync}"): "admin",
    ("GET", "/api/v1/notify/outbox"): "admin",
    ("POST", "/api/v1/notify/outbox/{message}/requeue"): "admin",
    ("POST", "/api/v1/themes/{theme}/rename"): "write",
    ("POST", "/api/v1/themes/{theme}/merge"): "write",
    ("POST", "/api/v1/themes/{theme}/split"): "write",
    ("POST", "/api/v1/themes/{theme}/ticket"): "write",
    ("PUT", "/api/v1/targets/{criterion}"): "write",
    ("POST", "/api/v1/surveys/{survey}/answers"): "anyone",
} | {route: "team" for route in EXAMPLES if route[1].startswith("/api/v1/decisions")}
RULES |= {
    ("PUT", "/api/v1/feedback/{feedback}/links/{item}"): "team",
    ("POST", "/api/v1/nudges/{nudge}/accept"): "team",
    ("POST", "/api/v1/nudges/{nudge}/dismiss"): "team",
    ("POST", "/api/v1/nudges/{nudge}/done"): "team",
    ("POST", "/api/v1/initiatives"): "team",
    ("POST", "/api/v1/initiatives/{initiative}/advance"): "team",
    ("PUT", "/api/v1/teams/{team}/targets/{criterion}"): "team",
    # a user mutes their own notifications (here ben's), an admin anyone's
    ("PUT", "/api/v1/notify/mutes/{user}"): "team",
}
CODES = {200: None, 401: "unauthenticated", 403: "forbidden", 404: "not_found"}
# The query parameters a read must have, by route.
REQUIRED: dict[str, dict[str, str | int]] = {
    "/api/v1/metrics/search": {"text": "items"},
    "/api/v1/flow/forecast": {"team": "payments", "days": 10},
}


def expected(rule: str, caller: str, method: str) -> tuple[int, str | None]:
    """The status and error code `caller` gets from a route with `rule`."""
    if caller == NO_CSRF and method != "GET" and rule != "anyone":
        return 403, "csrf"
    status = EXPECTED[rule][caller]
    return status, CODES[status]


def _rules(dependant: Dependant, kinds: Any = Rule) -> list[Any]:
    """The rules (or dependencies of `kinds`) `dependant` declares (a page's rule is itself
    signed-in: not looked into)."""
    if isinstance(dependant.call, kinds):
        return [dependant.call]
    return [r for d in dependant.dependencies for r in _rules(d, kinds)]


def rules(routers: list[APIRouter]) -> dict[tuple[str, str], list[Rule]]:
    """Each route of `routers` (method, path under /api/v1) and the rules it declares."""
    return {
        (method, API + route.path): _rules(route.dependant)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    }


def segment_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """Each route of `app` at Segment's paths (`/v1/...`), by method and path."""
    return {
        (method, path): route
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute)
        if (path := context.path) is not None and path.startswith(SEGMENT_PATHS)
        for method in sorted(route.methods or ())
    }


def page_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """Each route of `app` outside the JSON API (the pages, signing in), by method and path."""
    return {
        (method, context.path): route
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute) and context.path
        if not context.path.startswith((API + "/", SEGMENT_PATHS))
        for method in sorted(route.methods or ())
    }


def test_the_route_table_is_every_route_the_app_serves(app: FastAPI) -> None:
    served = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    assert served == set(rules(ROUTERS))
    assert ("POST", "/signin") in page_routes(app)
    assert not set(page_routes(app)) & served


def test_every_route_declares_one_rule_that_the_matrix_knows(app: FastAPI) -> None:
    found = rules(ROUTERS)
    assert len(found) >= 6
    for route, declared in found.items():
        assert len(declared) == 1, f"{route}: declare one rule (auth.READ, auth.TEAM_WRITE, ...)"
        assert declared[0].action in EXPECTED, f"{route}: add rule {declared[0]} to EXPECTED"
        assert declared[0].action == RULES.get(route, "read"), route
    for route, page in page_routes(app).items():
        declared = _rules(page.dependant)
        assert len(declared) == 1, f"{route}: declare one rule (sessions.SIGNED_IN or ANYONE)"
        assert isinstance(declared[0], SignedIn | Anyone | PageRule), f"{route}: no token rule"
        assert declared[0].action == PAGE_RULES.get(route, "signed_in"), route


# The pages' rules but signed_in's, named here so that a weaker rule on one of them fails.
PAGE_RULES = {("GET", "/signin"): "anyone", ("POST", "/signin"): "anyone"}
PAGE_RULES |= {("POST", "/signout"): "anyone"}  # ending a session needs its CSRF token only
PAGE_RULES |= {("GET", "/signin/oidc"): "anyone", ("GET", "/signin/oidc/callback"): "anyone"}
# The web app's pages (web.pages.rules.PageRule): what the signed-in user's role must allow.
PAGE_RULES |= {
    ("GET", path): "read"
    for path in [
        "/", "/criteria/{ident}", "/criteria/{ident}/rows", "/teams", "/teams/{team}",
        "/customer", "/data", "/data/metrics/{name}", "/data/decisions",
        "/data/decisions/{decision}", "/experiments", "/experiments/{experiment}", "/surveys",
        "/surveys/{survey}", "/process",
    ]
} | {("GET", "/admin"): "admin", ("GET", "/admin/audit"): "admin"}  # fmt: skip
PAGE_RULES |= {
    ("POST", path): "team"
    for path in [
        "/teams/{team}/targets/{criterion}", "/nudges/{nudge}/accept", "/nudges/{nudge}/dismiss",
        "/nudges/{nudge}/done", "/teams/{team}/initiatives", "/initiatives/{initiative}/advance",
        "/feedback/links", "/data/decisions", "/data/decisions/{decision}/evidence",
        "/data/decisions/{decision}/decide", "/data/decisions/{decision}/review",
        "/experiments/{experiment}/decide",
    ]
}  # fmt: skip
PAGE_RULES |= {
    ("POST", "/themes/{theme}/rename"): "write",
    ("POST", "/themes/{theme}/merge"): "write",
    ("POST", "/themes/{theme}/split"): "write",
    ("POST", "/admin/tokens/{token}/revoke"): "admin",
    ("POST", "/admin/users/{user}/role"): "admin",
    ("POST", "/admin/outbox/{message}/requeue"): "admin",
    ("GET", "/answer/{survey}"): "anyone",
    ("POST", "/answer/{survey}"): "anyone",
}
# Page writes that take no CSRF token, and why.
WITHOUT_CSRF = {
    ("POST", "/signin"): "no session yet: refused by its Origin (test_sessions)",
    ("POST", "/answer/{survey}"): "no account: its own form token in a cookie (test_pages)",
}


def test_every_page_write_checks_the_csrf_token(app: FastAPI) -> None:
    writes = {route: page for route, page in page_routes(app).items() if route[0] != "GET"}
    assert ("POST", "/signout") in writes
    for route, page in writes.items():
        checks = _rules(page.dependant, Csrf)
        assert checks == ([] if route in WITHOUT_CSRF else [CSRF]), f"{route}: depend on CSRF"


def _page_matrix(
    app: FastAPI,
    site: Site,
    paths: dict[tuple[str, str], str],
    only: set[tuple[str, str]] | None = None,
) -> list[str]:
    """Every GET page against every caller: a signed-in page is seen by a live session only
    (any role; a token is no session) and sends everyone else to sign in; an `anyone` page
    looks at no account, so it answers every caller alike."""
    wrong = []
    for (method, route), page in page_routes(app).items():
        if method != "GET" or (only is not None and (method, route) not in only):
            continue
        [rule] = _rules(page.dependant)
        path = paths.get((method, route), route)
        assert "{" not in path, f"{route}: add an example path to PAGE_PATHS"
        got = {c: send(app, "GET", path, None, None, headers=site.headers(c)) for c in CALLERS}
        if rule.action == "anyone":
            if len({r.status_code for r in got.values()}) != 1:
                wrong.append(f"{path}: { ({c: r.status_code for c, r in got.items()}) }")
            continue
        for caller, response in got.items():
            live = caller in SESSIONS
            want = 200
            if isinstance(rule, PageRule) and live:  # the role decides: admins only, or all
                want = EXPECTED[rule.action][caller]
            if live and response.status_code != want:
                wrong.append(f"{path} {caller}: {response.status_code}, not {want}")
            where = response.headers.get("location", "")
            if not live and (response.status_code, where.split("?")[0]) != (303, "/signin"):
                wrong.append(f"{path} {caller}: {response.status_code} {where}")
    return wrong


# Pages with parameters in their path (or a required query), and a path to try them with on
# the `seeded` workspace.
PAGE_PATHS: dict[tuple[str, str], str] = {
    ("GET", "/criteria/{ident}"): "/criteria/process.time_to_market",
    ("GET", "/criteria/{ident}/rows"): "/criteria/process.time_to_market/rows?team=payments"
    "&period=2024-04-01",
    ("GET", "/teams/{team}"): "/teams/payments",
    ("GET", "/data/metrics/{name}"): "/data/metrics/items_done",
    ("GET", "/data/decisions/{decision}"): f"/data/decisions/{DECIDED}",
    ("GET", "/experiments/{experiment}"): f"/experiments/{EXPERIMENT}",
    ("GET", "/surveys/{survey}"): f"/surveys/{SURVEY}",
    ("GET", "/answer/{survey}"): f"/answer/{SURVEY}",
}


def test_page_authorization_matrix(seeded: Site) -> None:
    app = create_app(seeded.root)
    assert ("GET", "/signin") in page_routes(app)
    wrong = _page_matrix(app, seeded, PAGE_PATHS)
    assert not wrong, "\n".join(wrong)


def test_the_page_matrix_tries_signed_in_pages(app: FastAPI, served: Site) -> None:
    @app.get("/probe/{team}", dependencies=[Depends(CSRF)])
    def probe(team: str, access: Annotated[Access, Depends(SIGNED_IN)]) -> str:
        return access.actor.id

    probed = {("GET", "/probe/{team}")}
    assert _page_matrix(app, served, {("GET", "/probe/{team}"): "/probe/payments"}, probed) == []
    with pytest.raises(AssertionError, match="PAGE_PATHS"):
        _page_matrix(app, served, {}, probed)


def test_every_write_route_has_an_example_to_try() -> None:
    writes = {route for route in rules(ROUTERS) if route[0] != "GET"}
    assert writes == set(EXAMPLES)


def test_a_route_without_a_rule_is_found() -> None:
    router = APIRouter()

    @router.get("/undeclared")
    def undeclared() -> Page[int]:
        return Page(items=[], total=0, next_cursor=None)

    assert rules([router]) == {("GET", "/api/v1/undeclared"): []}


def test_every_required_query_parameter_has_an_example(app: FastAPI) -> None:
    for path, ops in app.openapi()["paths"].items():
        asked = ops.get("get", {}).get("parameters", [])
        required = {p["name"] for p in asked if p["required"] and p["in"] == "query"}
        missing = sorted(required - set(REQUIRED.get(path, {})))
        assert not missing, f"{path}: add an example of {missing} to REQUIRED"


def _nothing(path: str) -> str:
    """`path` with each of its ids naming nothing."""
    return re.sub(r"\{[a-z_]+\}", "no-such-id", path)


def test_authorization_matrix(app: FastAPI, served: Site) -> None:
    wrong = []
    assert rules(ROUTERS)
    for (method, path), [rule] in rules(ROUTERS).items():
        if method != "GET":
            continue  # test_write_authorization_matrix
        one = "{" in path  # a read of one object, asked for one that does not exist
        asked = _nothing(path) + (f"?{urlencode(REQUIRED[path])}" if path in REQUIRED else "")
        for caller in CALLERS:
            response = send(app, "GET", asked, None, None, headers=served.headers(caller))
            want = expected(rule.action, caller, method)
            if one and want == (200, None):
                want = (404, "not_found")
            if _status(response) != want:
                wrong.append(f"{path} {caller}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return seed(tmp_path_factory.mktemp("seeded") / "ws")


def _status(response: httpx.Response) -> tuple[int, str | None]:
    code = response.json().get("error", {}).get("code") if response.status_code != 200 else None
    return response.status_code, code


@pytest.mark.parametrize("route", sorted(EXAMPLES), ids=" ".join)
def test_write_authorization_matrix(route: tuple[str, str], seeded: Site, tmp_path: Path) -> None:
    """Every refused caller first (they leave no audit row), then each allowed one on a fresh
    copy of the workspace (an allowed write may leave nothing for the next to do)."""
    [rule] = rules(ROUTERS)[route]
    method, (path, body) = route[0], EXAMPLES[route]
    want = {caller: expected(rule.action, caller, method) for caller in CALLERS}
    wrong = []
    with fresh(seeded, tmp_path, "refused") as app:
        before = trail(app)
        for caller in [c for c in CALLERS if want[c][0] != 200]:
            got = _status(send(app, method, path, None, body, headers=seeded.headers(caller)))
            if got != want[caller]:
                wrong.append(f"{caller}: {got}")
        assert trail(app) == before, "a refused write left an audit row"
    allowed = [c for c in CALLERS if want[c][0] == 200]
    for caller in allowed if rule.action != "anyone" else allowed[:1]:
        with fresh(seeded, tmp_path, caller.replace("'", "")) as app:
            response = send(app, method, path, None, body, headers=seeded.headers(caller))
            if response.status_code != 200:
                wrong.append(f"{caller}: {response.status_code} {response.text[:200]}")
    if rule.action == "anyone":  # no account looked at: every caller answers, one after another
        with fresh(seeded, tmp_path, "anyone") as app:
            for caller in allowed:
                got = _status(send(app, method, path, None, body, headers=seeded.headers(caller)))
                if got != (200, None):
                    wrong.append(f"{caller}: {got}")
    assert not wrong, "\n".join(wrong)


def test_segment_routes_take_a_write_key_and_nothing_else(app: FastAPI) -> None:
    found = segment_routes(app)
    assert {path for _, path in found} == {"/v1/track", "/v1/identify", "/v1/page", "/v1/batch"}
    for route, segment_route in found.items():
        assert _rules(segment_route.dependant) == [WRITE_KEY], route
        assert route[0] == "POST", route


def test_segment_authorization_matrix(
    app: FastAPI, seeded: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No token, session or signed-out caller has a write key (401, no audit row); a sender
    with one is let in."""
    call = {"type": "track", "event": "Signed Up", "userId": "u-1", "messageId": "m-1",
            "timestamp": "2024-01-01T00:00:00Z", "batch": []}  # fmt: skip
    wrong = []
    with fresh(seeded, tmp_path, "segment") as served:
        before = trail(served)
        for _, path in segment_routes(app):
            for caller in CALLERS:
                got = _status(
                    send(served, "POST", path, None, call, headers=seeded.headers(caller))
                )
                if got != (401, "unauthenticated"):
                    wrong.append(f"{path} {caller}: {got}")
        assert trail(served) == before, "a refused sender left an audit row"
        toml = served.state.served.root / "productops.toml"
        table = "[server.segment_write_keys]\n"
        toml.write_text(toml.read_text().replace(table, f'{table}web = "PRODUCTOPS_TEST_KEY"\n'))
        monkeypatch.setenv("PRODUCTOPS_TEST_KEY", "wk-matrix")
        key = {"Authorization": "Basic " + base64.b64encode(b"wk-matrix:").decode()}
        for _, path in segment_routes(app):
            got = _status(send(served, "POST", path, None, call, headers=key))
            if got != (200, None):
                wrong.append(f"{path} write key: {got}")


# Each page write (method, route) -> (path, form): one the member of team payments may send,
# on the seeded workspace. A page write answers See Other: back to a page, or to sign in.
PAGE_WRITES: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("POST", "/teams/{team}/targets/{criterion}"): (
        "/teams/payments/targets/process.time_to_market",
        {"value": "12"},
    ),
    ("POST", "/nudges/{nudge}/accept"): (f"/nudges/{OFFERED}/accept", {}),
    ("POST", "/nudges/{nudge}/dismiss"): (f"/nudges/{OFFERED}/dismiss", {"reason": "later"}),
    ("POST", "/nudges/{nudge}/done"): (f"/nudges/{ACCEPTED}/done", {"outcome": "faster"}),
    ("POST", "/teams/{team}/initiatives"): (
        "/teams/payments/initiatives",
        {"title": "Smaller batches", "criterion": "process.time_to_market"},
    ),
    ("POST", "/initiatives/{initiative}/advance"): (f"/initiatives/{INITIATIVE}/advance", {}),
    ("POST", "/feedback/links"): (
        "/feedback/links",
        {"feedback": "fb-1", "item": "PAY-1", "state": "confirmed"},
    ),
    ("POST", "/data/decisions"): ("/data/decisions", {"team_id": "payments", "title": "Ship"}),
    ("POST", "/data/decisions/{decision}/evidence"): (
        f"/data/decisions/{PROPOSED}/evidence",
        {"metric": "items_done", "grain": "week"},
    ),
    ("POST", "/data/decisions/{decision}/decide"): (
        f"/data/decisions/{PROPOSED}/decide",
        {"choice": "retry"},
    ),
    ("POST", "/data/decisions/{decision}/review"): (f"/data/decisions/{DECIDED}/review", {}),
    ("POST", "/experiments/{experiment}/decide"): (
        f"/experiments/{EXPERIMENT}/decide",
        {"decision": "ship", "rationale": "more uploads"},
    ),
    ("POST", "/themes/{theme}/rename"): ("/themes/theme-1/rename", {"label": "upload failures"}),
    ("POST", "/themes/{theme}/merge"): ("/themes/theme-2/merge", {"into": "theme-1"}),
    ("POST", "/themes/{theme}/split"): ("/themes/theme-1/split", {"parts": "2"}),
    ("POST", "/admin/tokens/{token}/revoke"): ("/admin/tokens/dan-1/revoke", {}),
    ("POST", "/admin/outbox/{message}/requeue"): (f"/admin/outbox/{DEAD}/requeue", {}),
    ("POST", "/admin/users/{user}/role"): (
        "/admin/users/dan/role",
        {"role": "member", "teams": "payments, growth"},
    ),
}
PAGE_CALLERS = [*SESSIONS, "admin", "anonymous", "expired session", "disabled user's session"]


def _page_send(
    app: FastAPI, path: str, form: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, data=form, headers=headers)

    return asyncio.run(run())


def _page_outcome(response: httpx.Response) -> str:
    """written (See Other to a page), sign in, or the refusal's status."""
    if response.status_code == 303:
        where = response.headers["location"]
        return "sign in" if where.startswith("/signin") else "written"
    return str(response.status_code)


def _page_expected(rule: str, caller: str) -> str:
    if caller in ("admin", "anonymous"):
        return "403"  # no session, so no CSRF token: refused before anything (a token is none)
    if caller not in SESSIONS:
        return "sign in"  # an ended session signs in again
    if caller == NO_CSRF:
        return "403"
    return "written" if EXPECTED[rule][caller] == 200 else "403"


def test_every_page_write_has_an_example_to_try(app: FastAPI) -> None:
    writes = {r for r in page_routes(app) if r[0] != "GET"} - set(WITHOUT_CSRF)
    assert writes - {("POST", "/signout")} == set(PAGE_WRITES)


@pytest.mark.parametrize("route", sorted(PAGE_WRITES), ids=" ".join)
def test_page_write_authorization_matrix(
    route: tuple[str, str], seeded: Site, tmp_path: Path
) -> None:
    """Refused callers first, on one copy (they leave no audit row); then each caller the
    route's rule allows, on its own copy."""
    [rule] = _rules(page_routes(create_app(seeded.root))[route].dependant)
    path, form = PAGE_WRITES[route]
    want = {c: _page_expected(rule.action, c) for c in PAGE_CALLERS}
    wrong = []
    with fresh(seeded, tmp_path, "refused") as app:
        before = trail(app)
        for caller in [c for c in PAGE_CALLERS if want[c] != "written"]:
            got = _page_outcome(_page_send(app, path, form, seeded.headers(caller)))
            if got != want[caller]:
                wrong.append(f"{caller}: {got}, not {want[caller]}")
        assert trail(app) == before, "a refused page write left an audit row"
    for caller in [c for c in PAGE_CALLERS if want[c] == "written"]:
        with fresh(seeded, tmp_path, caller.replace("'", "").replace(" ", "-")) as app:
            rows = len(trail(app))
            response = _page_send(app, path, form, seeded.headers(caller))
            if _page_outcome(response) != "written":
                wrong.append(f"{caller}: {response.status_code} {response.text[:200]}")
            elif len(trail(app)) != rows + 1:
                wrong.append(f"{caller}: {len(trail(app)) - rows} audit rows, not 1")
    assert not wrong, "\n".join(wrong)


def test_an_admin_changes_a_users_role_and_teams_on_the_admin_page(
    seeded: Site, tmp_path: Path
) -> None:
    """The admin page's role form: the viewer dan becomes a member of payments and growth,
    with one audit row saying so; without `teams` the user keeps its teams."""
    path, form = PAGE_WRITES[("POST", "/admin/users/{user}/role")]
    admin = seeded.headers("admin's session")
    with fresh(seeded, tmp_path, "role") as app:
        before = len(trail(app))
        response = _page_send(app, path, form, admin)
        assert (response.status_code, response.headers["location"]) == (303, "/admin#users")
        [row] = trail(app)[before:]
        assert (row.actor, row.action, row.object) == ("user:ana", "user.role", "app_user:dan")
        assert row.before is not None
        assert row.after is not None
        assert (row.before["role"], row.before["teams"]) == ("viewer", [])
        assert (row.after["role"], row.after["teams"]) == ("member", ["growth", "payments"])
        _page_send(app, path, {"role": "admin"}, admin)
        assert (trail(app)[-1].after or {})["teams"] == ["growth", "payments"]
        refused = _page_send(app, path, {"role": "owner"}, admin)
        assert refused.status_code == 422
        assert len(trail(app)) == before + 2
