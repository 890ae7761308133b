"""Usage of the API: each read logs one `usage_event` for the caller's user, through the
registry function the command line uses, so that `time_to_locate` and `dashboard_usage`
measure use of the server too (docs/decisions.md).

A usage row is not an audited write: it records that someone read, it changes no evidence,
and `services.audit` records writes only (as for a token's `last_used_at`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends

from productops.registry.usage import record_usage
from productops.services.users import Access
from productops.web.auth import ADMIN, READ
from productops.web.paging import Paging
from productops.workspace import Workspace

__all__ = ["AdminDep", "ReaderDep", "log_read", "user_of"]

# The route's rule, whose `Access` FastAPI computes once per request.
ReaderDep = Annotated[Access, Depends(READ)]
AdminDep = Annotated[Access, Depends(ADMIN)]


def user_of(access: Access) -> str | None:
    """The user an `Access` acts for (a token's owner), or None for a process."""
    return access.user


def log_read(
    ws: Workspace, access: Access, paging: Paging | None, kind: str, target: str, **filters: Any
) -> None:
    """Log a read of `target` (`search`, `open` or `query`) with the filters given; a list's
    later pages are the same read, and a read-only store logs nothing (as on the CLI)."""
    if ws.store.read_only or (paging is not None and paging.cursor is not None):
        return
    given = {k: v.isoformat() if isinstance(v, date) else v for k, v in filters.items() if v}
    record_usage(
        ws.store,
        kind,
        target,
        person_id=user_of(access),
        at=datetime.now(UTC),
        properties=given or None,
    )
