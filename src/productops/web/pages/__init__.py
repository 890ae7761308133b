"""The web app's pages (Jinja2 templates in `web/templates`, vendored scripts in
`web/static`): `install(app)` mounts them, the static files, HTML error pages and the
security headers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from productops.web.pages import (
    admin,
    customer,
    data,
    experiments,
    home,
    process,
    security,
    surveys,
    teams,
)
from productops.web.pages.render import STATIC

__all__ = ["ROUTERS", "install"]

ROUTERS = [
    home.router,
    teams.router,
    customer.router,
    data.router,
    experiments.router,
    surveys.router,
    admin.router,
    process.router,
]


def install(app: FastAPI) -> None:
    """Serve the pages and `/static` from `app` (after the API's error handlers)."""
    security.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
