"""The authorization matrix, generated from the app's route table: every API route declares
its rule (`web.auth.Allow`), and every rule is tried by every kind of caller; a write route
with an example request (`writing.EXAMPLES`) on a fresh copy of the workspace, where a refused
write leaves no audit row. A read of one object is asked for an id that names nothing: the
callers its rule allows get a 404 (so the rule is decided before the object is looked for),
the others their 401 or 403."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from productops.web.api import ROUTERS
from productops.web.app import API
from productops.web.auth import Allow, Anyone
from productops.web.paging import Page
from tests.web.conftest import Site, fetch
from tests.web.writing import EXAMPLES, fresh, seed, send, trail

CALLERS = [
    "admin",
    "admin's read token",
    "member of the team",
    "member of another team",
    "viewer",
    "anonymous",
    "unknown token",
    "expired token",
    "revoked token",
    "disabled user",
]
SIGNED_OUT = {c: 401 for c in CALLERS[5:]}
# The status each caller gets, per rule. A read token cannot do admin's work (403).
# `write` is a write for the whole organisation; `team` one for the object's team (payments);
# `anyone` needs no account and looks at none (a survey answer).
ADMINS_ONLY = {"admin": 200} | {c: 403 for c in CALLERS[1:5]} | SIGNED_OUT
EXPECTED: dict[str, dict[str, int]] = {
    "read": {c: 200 for c in CALLERS[:5]} | SIGNED_OUT,
    "admin": ADMINS_ONLY,
    "write": ADMINS_ONLY,
    "team": ADMINS_ONLY | {"member of the team": 200},
    "anyone": {c: 200 for c in CALLERS},
}
# Each route's rule but read's, named here so that a weaker rule on one of them fails.
RULES = {
    ("GET", "/api/v1/audit"): "admin",
    ("POST", "/api/v1/checks/run"): "admin",
    ("GET", "/api/v1/users"): "admin",
    ("GET", "/api/v1/tokens"): "admin",
    ("GET", "/api/v1/quarantine"): "admin",
    ("POST", "/api/v1/syncs"): "admin",
    ("GET", "/api/v1/syncs"): "admin",
    ("GET", "/api/v1/syncs/{sync}"): "admin",
    ("POST", "/api/v1/themes/{theme}/rename"): "write",
    ("POST", "/api/v1/themes/{theme}/merge"): "write",
    ("POST", "/api/v1/themes/{theme}/split"): "write",
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
}
CODES = {200: None, 401: "unauthenticated", 403: "forbidden", 404: "not_found"}
# The query parameters a read must have, by route.
REQUIRED = {
    "/api/v1/metrics/search": {"text": "items"},
    "/api/v1/flow/forecast": {"team": "payments", "days": 10},
}


def _rules(dependant: Dependant) -> list[Allow | Anyone]:
    found = [dependant.call] if isinstance(dependant.call, Allow | Anyone) else []
    return found + [r for d in dependant.dependencies for r in _rules(d)]


def rules(routers: list[APIRouter]) -> dict[tuple[str, str], list[Allow | Anyone]]:
    """Each route of `routers` (method, path under /api/v1) and the rules it declares."""
    return {
        (method, API + route.path): _rules(route.dependant)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    }


def test_the_route_table_is_every_route_the_app_serves(app: FastAPI) -> None:
    served = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    assert served == set(rules(ROUTERS))


def test_every_route_declares_one_rule_that_the_matrix_knows() -> None:
    found = rules(ROUTERS)
    assert len(found) >= 6
    for route, declared in found.items():
        assert len(declared) == 1, f"{route}: declare one rule (auth.READ, auth.TEAM_WRITE, ...)"
        assert declared[0].action in EXPECTED, f"{route}: add rule {declared[0]} to EXPECTED"
        assert declared[0].action == RULES.get(route, "read"), route


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
        tokens = [None if c == "anonymous" else served.tokens[c] for c in CALLERS]
        one = "{" in path  # a read of one object, asked for one that does not exist
        params = REQUIRED.get(path)
        responses = fetch(app, *[(_nothing(path), token) for token in tokens], params=params)
        for caller, response in zip(CALLERS, responses, strict=True):
            status = EXPECTED[rule.action][caller]
            status = 404 if one and status == 200 else status
            code = response.json().get("error", {}).get("code") if status != 200 else None
            if response.status_code != status or code != CODES[status]:
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
    expected = EXPECTED[rule.action]
    token = {c: None if c == "anonymous" else seeded.tokens[c] for c in CALLERS}
    wrong = []
    with fresh(seeded, tmp_path, "refused") as app:
        before = trail(app)
        for caller in [c for c in CALLERS if expected[c] != 200]:
            got = _status(send(app, method, path, token[caller], body))
            if got != (expected[caller], CODES[expected[caller]]):
                wrong.append(f"{caller}: {got}")
        assert trail(app) == before, "a refused write left an audit row"
    allowed = [c for c in CALLERS if expected[c] == 200]
    for caller in allowed if rule.action != "anyone" else allowed[:1]:
        with fresh(seeded, tmp_path, caller) as app:
            response = send(app, method, path, token[caller], body)
            if response.status_code != 200:
                wrong.append(f"{caller}: {response.status_code} {response.text[:200]}")
    if rule.action == "anyone":  # no account looked at: every caller answers, one after another
        with fresh(seeded, tmp_path, "anyone") as app:
            for caller in allowed:
                got = _status(send(app, method, path, token[caller], body))
                if got != (200, None):
                    wrong.append(f"{caller}: {got}")
    assert not wrong, "\n".join(wrong)
