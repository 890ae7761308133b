"""The demo organisation's analyses: data checks, feedback themes, sentiment and repeats, run on
a new demo workspace as a workspace's own runs would; its scorecard report; and its admin, who
signs in to the app (`productops -w demo-org serve`).

The demo's insights name its planted themes (`demo:theme-NN`: the demo lands no themes, theme
discovery has to find them). Once themes are found, each insight is re-pointed to the themes
found whose feedback mostly carries the planted theme's keywords, as an analyst publishing on
the themes productops shows would have named them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from productops.ingest import land_arrow
from productops.pillars.customer.duplicates import DuplicateRule
from productops.pillars.customer.embeddings import Embedder
from productops.registry.feedback_analysis import mark_duplicates, score_sentiment
from productops.registry.themes import discover_themes
from productops.schema import TABLES
from productops.services.actor import Actor
from productops.services.checks import CheckRun, run_checks
from productops.services.reports import WrittenReport, write_report
from productops.services.users import add_user
from productops.workspace import Workspace

__all__ = [
    "ANALYSES",
    "DEMO_ADMIN",
    "PLANTED_THEME",
    "DemoAdmin",
    "add_demo_admin",
    "analyse",
    "demo_as_of",
    "planted_themes",
    "write_demo_reports",
]

# The id the demo's insights give planted theme number N (1-based), as demo.customers.theme_id.
PLANTED_THEME = "demo:theme-{:02d}"
DEMO_ADMIN = "demo-admin"
# The steps of `analyse`, in the order run.
ANALYSES = ("data checks", "themes", "sentiment", "duplicates", "insights")


@dataclass(frozen=True)
class DemoAdmin:
    """The demo's admin and their password, shown once: only its argon2 hash is stored."""

    name: str
    password: str


def demo_as_of(manifest: dict[str, Any]) -> datetime:
    """The demo's history ends on its last day: it is measured as of the next midnight."""
    return datetime.fromisoformat(manifest["period"]["end"]).replace(tzinfo=UTC) + timedelta(days=1)


def analyse(
    ws: Workspace,
    actor: Actor,
    as_of: datetime,
    embedder: Embedder,
    on_step: Callable[[str], None] | None = None,
) -> list[CheckRun]:
    """Run the data checks (results stamped `as_of`), find themes with `embedder`, read
    sentiment, mark repeats and re-point the insights to the themes found; returns the checks'
    results (a write: audited as `actor`'s). `on_step(name)` is called after each of the
    `ANALYSES`."""
    done = on_step or (lambda _: None)
    checks = run_checks(ws, actor, as_of, as_of)
    done("data checks")
    discover_themes(ws.store, embedder, as_of)
    done("themes")
    score_sentiment(ws.store)
    done("sentiment")
    mark_duplicates(ws.store, embedder, DuplicateRule())
    done("duplicates")
    _repoint_insights(ws, planted_themes(ws, _manifest_themes(ws)))
    done("insights")
    return checks


def _manifest_themes(ws: Workspace) -> list[dict[str, Any]]:
    themes: list[dict[str, Any]] = json.loads(ws.manifest_path.read_text())["themes"]
    return themes


def planted_themes(ws: Workspace, planted: list[dict[str, Any]]) -> dict[str, list[str]]:
    """For each planted theme id, the themes found whose feedback mostly (over half) carries
    that planted theme's keywords (a planted theme's phrasings carry only its own keywords)."""
    pattern = pa.table(
        {
            "planted": [PLANTED_THEME.format(i + 1) for i in range(len(planted))],
            "pattern": ["|".join(k.lower() for k in t["keywords"]) for t in planted],
        }
    )
    with ws.store.staged("planted_pattern", pattern):
        rows = ws.store.sql(
            """
            WITH sizes AS (SELECT theme_id, count(*) AS size FROM feedback_theme GROUP BY 1),
            texts AS (  -- each distinct text is matched once, counted as often as it occurs
                SELECT ft.theme_id, f.text, count(*) AS n
                FROM feedback f JOIN feedback_theme ft ON ft.feedback_id = f.id
                GROUP BY ALL
            ),
            hits AS (
                SELECT t.theme_id, p.planted, sum(t.n) AS n
                FROM texts t JOIN planted_pattern p ON regexp_matches(lower(t.text), p.pattern)
                GROUP BY ALL
            )
            SELECT planted, list(theme_id ORDER BY theme_id)
            FROM hits JOIN sizes USING (theme_id)
            WHERE n * 2 > size
            GROUP BY planted
            """
        )
    return {planted: list(found) for planted, found in rows}


def _repoint_insights(ws: Workspace, found: dict[str, list[str]]) -> None:
    """Name the themes found instead of the planted ones in every insight's theme_ids."""
    data = ws.store.arrow(
        "SELECT * EXCLUDE (ingested_at) FROM insight WHERE theme_ids LIKE '%demo:theme-%'"
    )
    named = [
        json.dumps([t for planted in json.loads(str(ids)) for t in found.get(planted, [planted])])
        for ids in data.column("theme_ids").to_pylist()
    ]
    index = data.schema.get_field_index("theme_ids")
    repointed = data.set_column(index, "theme_ids", pa.array(named, pa.string()))
    land_arrow(ws.store, TABLES["insight"], repointed, source="demo", label="demo")


def write_demo_reports(ws: Workspace, actor: Actor, manifest: dict[str, Any]) -> WrittenReport:
    """Write the scorecard report of the demo's last 8 quarters (HTML, PDF, Markdown) in its
    reports/ folder (a write: audited as `actor`'s)."""
    return write_report(
        ws, actor, ws.root / "reports", ["html", "pdf", "md"], "quarter", 8, demo_as_of(manifest)
    )


def add_demo_admin(ws: Workspace, actor: Actor) -> DemoAdmin:
    """Add the demo's admin (`demo-admin`) with a new random password of 16 characters (96
    bits): a demo is rebuilt often and may be served, so no two share a password that could be
    guessed from the documentation (a write: audited as `actor`'s, as `user.add`)."""
    password = secrets.token_urlsafe(12)
    add_user(ws, actor, DEMO_ADMIN, role="admin", display_name="Demo admin", password=password)
    return DemoAdmin(DEMO_ADMIN, password)
