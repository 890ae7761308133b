"""The server's app: `create_app(workspace_root)` serves one workspace's JSON API under
`/api/v1`, its OpenAPI document at `/api/v1/openapi.json`, signing in and out of the
pages (`/signin`, `/signout`; docs/server.md), and the web app's pages with their static files
(docs/web.md)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from productops.web import errors, pages, request_id, sessions, signin
from productops.web.api import ROUTERS
from productops.web.auth import Served

__all__ = ["API", "create_app", "from_environment"]

API = "/api/v1"


def create_app(workspace_root: Path) -> FastAPI:
    """The app serving the workspace in `workspace_root` (opened by each request in turn)."""
    app = FastAPI(
        title="productops",
        version="1",  # of the API: /api/v1
        description="Evidence for product decisions: the JSON API (docs/server.md).",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # Swagger UI would load its scripts from a CDN
        swagger_ui_oauth2_redirect_url=None,
        redoc_url=None,
    )
    app.state.served = Served(workspace_root)
    errors.install(app)
    request_id.install(app)
    sessions.install(app)
    app.include_router(signin.router)
    for router in ROUTERS:
        app.include_router(router, prefix=API, responses=errors.ERROR_RESPONSES)
    pages.install(app)
    return app


def from_environment() -> FastAPI:
    """The app for `productops serve`, which names the workspace in PRODUCTOPS_WORKSPACE."""
    return create_app(Path(os.environ["PRODUCTOPS_WORKSPACE"]))
