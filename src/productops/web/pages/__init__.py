"""The web app's pages (Jinja2 templates in `web/templates`, vendored scripts in
`web/static`): `install(app)` mounts them, the static files, HTML error pages, the
security headers and the render slots (`slots`)."""

from __future__ import annotations

from fastapi import Depends, FastAPI
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
from productops.web.pages.slots import RenderSlots, cores, render_slot

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
    """Serve the pages and `/static` from `app` (after the API's error handlers); each page
    takes a render slot first, one per core (`slots`)."""
    security.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.render_slots = RenderSlots(cores())
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(render_slot)])
