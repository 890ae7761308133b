"""The server's app: `create_app(workspace_root)` serves one workspace's JSON API under
`/api/v1`, its OpenAPI document at `/api/v1/openapi.json`, signing in and out of the
pages (`/signin`, `/signout`; docs/server.md), and the web app's pages with their static files
(docs/web.md)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from productops.web import collector, errors, pages, request_id, schedule, segment, sessions, signin
from productops.web.api import ROUTERS
from productops.web.turns import Served

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
        lifespan=schedule.lifespan,  # runs the schedule while the server runs
    )
    app.state.served = Served(workspace_root)
    app.state.scheduler = schedule.Scheduler(app.state.served)
    app.state.pending_sign_ins = signin.PendingSignIns()
    errors.install(app)
    request_id.install(app)
    sessions.install(app)
    app.include_router(signin.router)
    app.include_router(segment.router)  # Segment's own paths, /v1/..., not /api/v1
    for router in ROUTERS:
        app.include_router(router, prefix=API, responses=errors.ERROR_RESPONSES)
    pages.install(app)
    return app


def from_environment() -> FastAPI:
    """The app for `productops serve`, which names the workspace in PRODUCTOPS_WORKSPACE, in a
    process of its own: full garbage collections do not walk its long-lived objects
    (`collector`)."""
    app = create_app(Path(os.environ["PRODUCTOPS_WORKSPACE"]))
    collector.install(app)
    return app
