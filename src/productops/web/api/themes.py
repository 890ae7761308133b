"""`GET /api/v1/themes...`: feedback themes, their groups and each theme's feedback, as
`productops feedback themes list|groups|show -f json`; and their writes (rename, merge, split,
as `productops feedback themes ...`; a ticket, as `productops feedback ticket`), for the whole
organisation: admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from productops.services import themes as service
from productops.services.rows import typed
from productops.services.tickets import create_ticket
from productops.services.users import Access
from productops.web.auth import WRITE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["customer"])


class ThemePage(Page[service.Theme]):
    """A page of themes, and what to know about them all (`note`: an English model found
    themes in other languages; none when nothing is to be said)."""

    note: str | None = None


@router.get("/themes")
def themes(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    all: Annotated[bool, Query(description="Include merged, split and archived themes.")] = False,
) -> ThemePage:
    """Themes, largest first, and a note when an English model found themes in other
    languages (as `productops feedback themes list` says)."""
    log_read(ws, access, paging, "search", "themes", all=all)
    found = paging.page(service.list_themes(ws, include_inactive=all))
    return ThemePage(**dict(found), note=service.themes_note(ws))


@router.get("/themes/groups")
def groups(ws: WorkspaceDep, paging: PagingDep, access: ReaderDep) -> Page[service.ThemeGroup]:
    """Theme groups, largest first: similar themes of one language under one label."""
    log_read(ws, access, paging, "search", "theme_groups")
    return paging.page(service.theme_groups(ws))


@router.get("/themes/{theme}")
def theme(ws: WorkspaceDep, access: ReaderDep, theme: str) -> service.Theme:
    """One theme (its id or number)."""
    found = service.show_theme(ws, theme)
    log_read(ws, access, None, "open", found.id)
    return found


@router.get("/themes/{theme}/feedback")
def feedback(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, theme: str
) -> Page[service.ThemeFeedback]:
    """A theme's feedback, most similar to the theme first (score: cosine similarity 0-1), as
    `productops feedback themes show`."""
    found, members = service.theme_feedback(ws, theme)
    log_read(ws, access, paging, "open", found.id)
    return paging.page(members)


Writer = Annotated[Access, Depends(WRITE)]


class Rename(BaseModel):
    """The label later runs keep, and who renamed it."""

    label: str = Field(min_length=1)
    person: str | None = None


class Merge(BaseModel):
    """The theme it merges into."""

    into: str


class Split(BaseModel):
    """Into how many themes, by its feedback's meaning (`fallback`: the model-free embedder)."""

    parts: int = Field(default=2, ge=2, le=20)
    fallback: bool = False


def _theme(row: dict[str, Any]) -> service.Theme:
    [found] = typed([row], service.Theme)
    return found


@router.post("/themes/{theme}/rename")
def rename(ws: WorkspaceDep, access: Writer, theme: str, body: Rename) -> service.Theme:
    """Give a theme a label that later runs keep."""
    return _theme(service.rename(ws, access.actor, theme, body.label, body.person))


@router.post("/themes/{theme}/merge")
def merge(ws: WorkspaceDep, access: Writer, theme: str, body: Merge) -> service.Theme:
    """Merge the theme into `into`: its feedback moves; returns the theme merged into."""
    return _theme(service.merge(ws, access.actor, theme, body.into))


@router.post("/themes/{theme}/split")
def split(ws: WorkspaceDep, access: Writer, theme: str, body: Split) -> list[service.Theme]:
    """Split the theme into `parts` new ones; returns them."""
    embedder = service.pick_embedder(ws, body.fallback)
    made = service.split(ws, access.actor, embedder, theme, utc(None), body.parts)
    return [_theme(t) for t in made]


class TicketIn(BaseModel):
    """Where the ticket goes (`to`: jira, github, gitlab, linear), its title (default: the
    theme's label) and project (default: the one the tracker's settings name)."""

    to: str
    title: str | None = Field(default=None, min_length=1)
    project: str | None = None


class TicketOut(BaseModel):
    """The theme's ticket; `created` false when it was made before."""

    subject: str
    tracker: str
    work_item_id: str
    key: str
    url: str
    created: bool
    linked: int


@router.post("/themes/{theme}/ticket")
def ticket(ws: WorkspaceDep, access: Writer, theme: str, body: TicketIn) -> TicketOut:
    """Create the theme's ticket in a tracker, as `productops feedback ticket` (made once)."""
    made = create_ticket(ws, access.actor, theme, body.to, title=body.title, project=body.project)
    return TicketOut.model_validate(made, from_attributes=True)
