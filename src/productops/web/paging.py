"""Cursor paging, one helper for every list: `?limit=&cursor=` gives
`{"items": [...], "total": N, "next_cursor": "..." or null}`.

A cursor is opaque to callers (base64 of the offset of the next item): pass `next_cursor`
back as `cursor` until it is null. The list is computed afresh for each page, so rows
written between two pages can shift it by as many rows.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, overload

from fastapi import Depends, Query
from pydantic import BaseModel

from productops.errors import UsageError

__all__ = ["MAX_LIMIT", "Page", "Paging", "PagingDep"]

T = TypeVar("T")
S = TypeVar("S")
MAX_LIMIT = 1000
_PREFIX = "o:"


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many the whole list holds, the cursor of the next."""

    items: list[T]
    total: int
    next_cursor: str | None


@dataclass(frozen=True)
class Paging:
    """The page a request asks for: at most `limit` items from `cursor` on."""

    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 100
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page; none for the first.")
    ] = None

    def offset(self) -> int:
        """Where the page starts, or a `UsageError` for a cursor this API did not give."""
        if self.cursor is None:
            return 0
        try:
            text = base64.urlsafe_b64decode(self.cursor.encode("ascii")).decode("ascii")
            if text.startswith(_PREFIX) and text[len(_PREFIX) :].isdigit():
                return int(text[len(_PREFIX) :])
        except (UnicodeError, binascii.Error, ValueError):
            pass
        raise UsageError(
            f"cursor {self.cursor!r} is not one this API gave: pass a page's next_cursor, "
            "or leave cursor out for the first page"
        )

    @overload
    def page(self, rows: Sequence[T]) -> Page[T]: ...

    @overload
    def page(self, rows: Sequence[S], shown: Callable[[S], T]) -> Page[T]: ...

    def page(self, rows: Sequence[Any], shown: Callable[[Any], Any] | None = None) -> Page[Any]:
        """The page of `rows` this request asks for; `shown` makes each of its rows (only
        those: a long list's other rows are never converted) into what the route answers."""
        start = self.offset()
        end = start + self.limit
        after = base64.urlsafe_b64encode(f"{_PREFIX}{end}".encode("ascii")).decode("ascii")
        items = rows[start:end]
        return Page(
            items=[shown(r) for r in items] if shown is not None else list(items),
            total=len(rows),
            next_cursor=after if end < len(rows) else None,
        )


PagingDep = Annotated[Paging, Depends()]
