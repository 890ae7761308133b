"""Use of productops itself: one `usage_event` row per search, open, query, page view or authorship.

One plain insert per use, so that logging stays cheap (milliseconds) and
leaves no import run behind: the values are productops's own (a known kind, the
person's team from `person`), so they need none of an import's checks.

Metrics over these rows: `productops.pillars.data.usage` (docs/decisions.md).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from productops.engine import Store
from productops.registry.rows import SOURCE

__all__ = ["USAGE_KINDS", "record_usage"]

USAGE_KINDS = ("search", "open", "query", "page_view", "author")


def record_usage(
    store: Store,
    kind: str,
    target: str | None,
    *,
    person_id: str | None,
    at: datetime,
    team_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> str:
    """Log one use; the team is `team_id`, else the person's team. Returns the event's id."""
    assert kind in USAGE_KINDS, kind
    if team_id is None and person_id is not None:
        found = store.sql("SELECT team_id FROM person WHERE id = ?", [person_id])
        team_id = found[0][0] if found else None
    ident = f"{SOURCE}:usage-{uuid.uuid4().hex}"
    text = json.dumps(properties, sort_keys=True) if properties else None
    store.sql(
        "INSERT INTO usage_event (id, ts, person_id, team_id, kind, target, properties, source, "
        "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [ident, at, person_id, team_id, kind, target, text, SOURCE, datetime.now(UTC)],
    )
    return ident
