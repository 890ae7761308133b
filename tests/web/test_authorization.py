"""The authorization matrix, generated from the app's route table: every API route declares
its rule (`web.auth.Allow`), and every rule is tried by every kind of caller."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from productops.web.api import ROUTERS
from productops.web.app import API
from productops.web.auth import Allow
from productops.web.paging import Page
from tests.web.conftest import Site, fetch

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
EXPECTED: dict[str, dict[str, int]] = {
    "read": {c: 200 for c in CALLERS[:5]} | SIGNED_OUT,
    "admin": {"admin": 200} | {c: 403 for c in CALLERS[1:5]} | SIGNED_OUT,
}
# Routes only admins may call, named here so that a weaker rule on one of them fails.
ADMIN_ROUTES = {("GET", "/api/v1/audit")}
CODES = {200: None, 401: "unauthenticated", 403: "forbidden"}


def _rules(dependant: Dependant) -> list[Allow]:
    found = [dependant.call] if isinstance(dependant.call, Allow) else []
    return found + [r for d in dependant.dependencies for r in _rules(d)]


def rules(routers: list[APIRouter]) -> dict[tuple[str, str], list[Allow]]:
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
        assert len(declared) == 1, f"{route}: declare one rule (auth.READ or auth.ADMIN)"
        assert declared[0].action in EXPECTED, f"{route}: add rule {declared[0]} to EXPECTED"
        assert (declared[0].action == "admin") == (route in ADMIN_ROUTES), route


def test_a_route_without_a_rule_is_found() -> None:
    router = APIRouter()

    @router.get("/undeclared")
    def undeclared() -> Page[int]:
        return Page(items=[], total=0, next_cursor=None)

    assert rules([router]) == {("GET", "/api/v1/undeclared"): []}


def test_authorization_matrix(app: FastAPI, served: Site) -> None:
    wrong = []
    assert rules(ROUTERS)
    for (method, path), [rule] in rules(ROUTERS).items():
        assert method == "GET"  # writes come later, with their team rules
        tokens = [None if c == "anonymous" else served.tokens[c] for c in CALLERS]
        responses = fetch(app, *[(path, token) for token in tokens])
        for caller, response in zip(CALLERS, responses, strict=True):
            status = EXPECTED[rule.action][caller]
            code = response.json().get("error", {}).get("code") if status != 200 else None
            if response.status_code != status or code != CODES[status]:
                wrong.append(f"{path} {caller}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
