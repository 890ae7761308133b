"""Every error is `{"error": {"code", "message"}}` with a stable code and a one-line message;
a 4xx is the caller's mistake, a 5xx only the server's fault, and never shows a traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from productops.web.app import create_app
from productops.workspace import Workspace
from tests.web.conftest import Site, build, get


def error_of(response: httpx.Response, status: int, code: str) -> str:
    """The message of an error response, after checking its status, code and shape."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "message"]
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "says"),
    [
        ("/api/v1/nowhere", {}, 404, "not_found", "no such route"),
        ("/api/v1/teams", {"limit": 0}, 422, "invalid", "limit"),
        ("/api/v1/teams", {"limit": "many"}, 422, "invalid", "limit"),
        ("/api/v1/teams", {"cursor": "not-ours"}, 400, "invalid", "cursor 'not-ours'"),
        ("/api/v1/scorecard", {"grain": "decade"}, 422, "invalid", "grain"),
        ("/api/v1/scorecard", {"team": "nobody"}, 400, "invalid", "team 'nobody'"),
        ("/api/v1/flow/items", {"as_of": "soon"}, 422, "invalid", "as_of"),
    ],
)
def test_a_caller_s_mistake_is_a_4xx_with_a_stable_code(
    app: FastAPI,
    served: Site,
    path: str,
    params: dict[str, Any],
    status: int,
    code: str,
    says: str,
) -> None:
    response = get(app, path, served.tokens["viewer"], **params)
    assert says in error_of(response, status, code)


def test_a_wrong_method_is_refused_in_the_same_shape(app: FastAPI, served: Site) -> None:
    import asyncio

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/api/v1/teams")

    error_of(asyncio.run(post()), 405, "invalid")


def test_signed_out_and_not_allowed_say_what_to_do(app: FastAPI, served: Site) -> None:
    anonymous = get(app, "/api/v1/teams", None)
    assert "Bearer" in error_of(anonymous, 401, "unauthenticated")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert "revoked" in error_of(
        get(app, "/api/v1/teams", served.tokens["revoked token"]), 401, "unauthenticated"
    )
    assert "disabled" in error_of(
        get(app, "/api/v1/teams", served.tokens["disabled user"]), 401, "unauthenticated"
    )
    refused = get(app, "/api/v1/audit", served.tokens["member of the team"])
    assert "ask an admin" in error_of(refused, 403, "forbidden")


def test_a_server_fault_is_a_500_that_tells_the_caller_nothing_but_the_log_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served = build(tmp_path / "ws")
    ws = Workspace.open(served.root)
    ws.store.sql("DROP TABLE team")  # the store is broken under the server
    ws.close()
    app = create_app(served.root)
    with caplog.at_level(logging.ERROR, logger="productops.web"):
        response = get(app, "/api/v1/teams", served.tokens["viewer"])
    message = error_of(response, 500, "server_error")
    assert "team" not in message.lower()
    assert "duckdb" not in message.lower()
    assert "GET /api/v1/teams failed" in caplog.text
    assert "team" in caplog.text.lower()
