"""How a page answers: HTML from a Jinja2 template, or its data as JSON (`?format=json`) or
CSV (`?format=csv&table=NAME`); links that keep the page's filters; usage events."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from productops.durations import Grain
from productops.errors import NotAllowedError, UsageError
from productops.registry.usage import record_usage
from productops.services.users import Access, authorize
from productops.web.sessions import csrf_token
from productops.workspace import Workspace

__all__ = [
    "FILTERS",
    "NAV",
    "STATIC",
    "TEMPLATES",
    "GrainQuery",
    "back",
    "link",
    "log_use",
    "may",
    "page",
    "plain_rows",
]

HERE = Path(__file__).resolve().parent.parent
STATIC = HERE / "static"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
GrainQuery = Annotated[Grain, Query(description="The length of a period.")]
FILTERS = ("team", "period", "grain")
"""Query parameters a page keeps in its links, so that a shared link shows the same view."""
NAV = [
    ("Home", "/"),
    ("Teams", "/teams"),
    ("Process", "/process"),
    ("Customer", "/customer"),
    ("Data", "/data"),
    ("Experiments", "/experiments"),
    ("Surveys", "/surveys"),
    ("Admin", "/admin"),
]


def may(access: Access | None, action: str, team: str | None = None) -> bool:
    """Whether `access` may do `action` (for `team`): what a page offers it."""
    if access is None:
        return False
    try:
        authorize(access, action, team)  # type: ignore[arg-type]
    except NotAllowedError:
        return False
    return True


def link(request: Request, path: str | None = None, **changes: Any) -> str:
    """`path` (default the page's own; it may have a query and a #fragment of its own) with
    the page's filters it does not set itself, and `changes` (None drops one): every link of
    a page carries its filters on, so that the next page shows the same view.

    A link that means the organisation, not a team, says so (`team=ORG`).

    A page makes hundreds of links (a row each): the page's filters are read once per
    request, and a plain path with no changes only gets them appended."""
    carried = _carried(request)
    if path and path[0] == "/" and path[1:2] != "/" and not changes and not set("?#") & set(path):
        return path + carried[1]
    parts = urlsplit(path or request.url.path)
    params = dict(carried[0])
    params |= dict(parse_qsl(parts.query, keep_blank_values=True))
    params |= {k: str(v) for k, v in changes.items() if v is not None}
    params = {k: v for k, v in params.items() if k not in changes or changes[k] is not None}
    query = urlencode(params)
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return parts.path + (f"?{query}" if query else "") + fragment


def _carried(request: Request) -> tuple[dict[str, str], str]:
    """The page's filters, and them as a query to append ('' or '?...'), read once a request."""
    found: tuple[dict[str, str], str] | None = getattr(request.state, "carried", None)
    if found is None:
        params = {k: v for k, v in request.query_params.items() if k in FILTERS}
        found = params, f"?{urlencode(params)}" if params else ""
        request.state.carried = found
    return found


def back(given: str | None, default: str) -> RedirectResponse:
    """See Other to `given` when it is a local path, else to `default` (after a form's write)."""
    local = given if given and given.startswith("/") and not given.startswith("//") else default
    return RedirectResponse(local, status_code=303)


def _plain(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, BaseModel):
        return value.model_dump()
    return dict(value)


def plain_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows (dataclasses, models or mappings) as dicts."""
    return [_plain(r) for r in rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(jsonable_encoder(value), sort_keys=True)
    return str(value)


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    out = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def page(
    request: Request,
    access: Access | None,
    template: str,
    data: Mapping[str, Sequence[Any]],
    *,
    title: str,
    api: str | None = None,
    **context: Any,
) -> Response:
    """The page `template` with `context`, or its `data` (named lists of rows) as JSON or CSV;
    `api` names the JSON API route with the same data, linked beside the page's exports."""
    fmt = request.query_params.get("format", "html")
    if fmt == "json":
        return JSONResponse(jsonable_encoder({k: plain_rows(v) for k, v in data.items()}))
    if fmt == "csv":
        name = request.query_params.get("table") or next(iter(data), "")
        if name not in data:
            raise UsageError(f"table {name!r}: this page's tables are {', '.join(data) or 'none'}")
        return _csv(plain_rows(data[name]), name)
    if fmt != "html":
        raise UsageError(f"format {fmt!r}: use html, json or csv")
    exports = [(name, link(request, format="csv", table=name)) for name in data]
    context |= {
        "request": request,
        "access": access,
        "user": access.actor.id.partition(":")[2] if access else None,
        "title": title,
        "nav": [(n, p) for n, p in NAV if p != "/admin" or may(access, "admin")],
        "csrf": csrf_token(request),
        "json_link": link(request, format="json") if data else None,
        "exports": exports,
        "api": api,
    }
    response = TEMPLATES.TemplateResponse(request, template, context)
    started = getattr(request.state, "turn_started", None)
    if started is not None:  # once it held a render slot and the store (bench_pages.py)
        waited = getattr(request.state, "slot_wait", 0.0)
        response.headers["Server-Timing"] = (
            f"slot;dur={waited * 1000:.1f}, render;dur={(time.perf_counter() - started) * 1000:.1f}"
        )
    return response


def log_use(ws: Workspace, access: Access, kind: str, target: str, **filters: Any) -> None:
    """Log one use of the pages (`page_view`, `search`, `open`) by the signed-in user, with
    the filters given; a read-only store logs nothing."""
    if ws.store.read_only:
        return
    given = {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items() if v}
    teams = access.teams
    record_usage(
        ws.store,
        kind,
        target,
        person_id=access.actor.id.partition(":")[2],
        at=datetime.now(UTC),
        team_id=teams[0] if len(teams) == 1 else None,
        properties=given or None,
    )


TEMPLATES.env.globals |= {"link": link, "may": may, "FILTERS": FILTERS}
