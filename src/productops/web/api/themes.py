"""`GET /api/v1/themes`: feedback themes, as `productops feedback themes list -f json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from productops.registry.themes import list_themes
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["customer"])


class ThemeOut(BaseModel):
    """A feedback theme; `keywords` comma-separated; lineage when merged or split."""

    id: str
    label: str
    language: str | None
    size: int | None
    status: str | None
    group_id: str | None
    keywords: str | None
    merged_into: str | None
    split_from: str | None


@router.get("/themes")
def themes(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    all: Annotated[bool, Query(description="Include merged, split and archived themes.")] = False,
) -> Page[ThemeOut]:
    """Themes, largest first."""
    log_read(ws, access, paging, "search", "themes", all=all)
    found = list_themes(ws.store, include_inactive=all)
    return paging.page([ThemeOut.model_validate(t) for t in found])
