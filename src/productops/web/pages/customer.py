"""Customer: themes (label, size, trend, sentiment, quotes, demand by ARR) with rename,
merge and split; spikes; feedback search; suggested links to confirm or reject; insights;
feedback to roadmap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from productops.registry.feedback_analysis import item_team
from productops.services import customer_overview as customer
from productops.services import themes as service
from productops.services.feedback import set_link
from productops.services.users import authorize
from productops.web.auth import WorkspaceDep
from productops.web.pages.forms import CHECKED, Back
from productops.web.pages.render import GrainQuery, back, log_use, page
from productops.web.pages.rules import Reader, TeamWriter, Writer
from productops.web.params import utc

__all__ = ["THEMES_SHOWN", "router"]

router = APIRouter(include_in_schema=False)
THEMES_SHOWN = 30


@router.get("/customer")
def customer_page(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    q: Annotated[str, Query(max_length=200, description="Words the feedback holds.")] = "",
    grain: GrainQuery = "quarter",
) -> Response:
    """Themes, spikes, feedback search, suggested links, insights and feedback to roadmap."""
    if q.strip():
        log_use(ws, access, "search", "feedback", q=q.strip())
    else:
        log_use(ws, access, "page_view", "customer", grain=grain)
    whole = request.query_params.get("format") in ("csv", "json")
    data: dict[str, Sequence[Any]] = {
        "themes": customer.theme_summaries(ws, None if whole else THEMES_SHOWN),
        "spikes": customer.recent_spikes(ws),
        "found": customer.search_feedback(ws, q),
        "suggested_links": customer.suggested_links(ws),
        "insights": customer.insights(ws),
        "roadmap": customer.roadmap(ws, grain),
    }
    return page(
        request, access, "customer.html", data, title="Customer", api="/api/v1/themes",
        q=q, grain=grain, shown=THEMES_SHOWN, themes_note=service.themes_note(ws), **data,
    )  # fmt: skip


@router.post("/themes/{theme}/rename", dependencies=CHECKED)
def rename(
    ws: WorkspaceDep, access: Writer, theme: str, label: Annotated[str, Form(min_length=1)],
    back_to: Back = None,
) -> Response:  # fmt: skip
    """Give a theme a label later runs keep (themes are the organisation's: admins)."""
    service.rename(ws, access.actor, theme, label.strip(), access.actor.id.partition(":")[2])
    return back(back_to, "/customer#themes")


@router.post("/themes/{theme}/merge", dependencies=CHECKED)
def merge(
    ws: WorkspaceDep, access: Writer, theme: str, into: Annotated[str, Form(min_length=1)],
    back_to: Back = None,
) -> Response:  # fmt: skip
    """Merge a theme into another."""
    service.merge(ws, access.actor, theme, into)
    return back(back_to, "/customer#themes")


@router.post("/themes/{theme}/split", dependencies=CHECKED)
def split(
    ws: WorkspaceDep, access: Writer, theme: str, parts: Annotated[int, Form(ge=2, le=20)] = 2,
    back_to: Back = None,
) -> Response:  # fmt: skip
    """Split a theme by its feedback's meaning (MiniLM when installed, else model-free)."""
    service.split(ws, access.actor, service.pick_embedder(ws), theme, utc(None), parts)
    return back(back_to, "/customer#themes")


@router.post("/feedback/links", dependencies=CHECKED)
def link(
    ws: WorkspaceDep,
    access: TeamWriter,
    feedback: Annotated[str, Form(min_length=1)],
    item: Annotated[str, Form(min_length=1)],
    state: Annotated[Literal["confirmed", "rejected"], Form()],
    back_to: Back = None,
) -> Response:
    """Confirm or reject that a piece of feedback asks for a work item (the item's team)."""
    authorize(access, "write", item_team(ws.store, item))
    set_link(ws, access.actor, feedback, item, state)
    return back(back_to, "/customer#links")
