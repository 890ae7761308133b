"""Customer evidence at a glance (the web app's customer page): themes with their size,
trend, sentiment, quotes and demand by ARR; feedback search; suggested links to confirm or
reject; published insights; and feedback to roadmap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from productops.ops.scorecard import period_start, shift
from productops.pillars.customer.demand import theme_demand
from productops.pillars.customer.insights import feedback_incorporated
from productops.pillars.customer.sentiment import theme_sentiment
from productops.pillars.customer.trends import SpikeRule, find_spikes, theme_trend
from productops.registry.themes import list_themes
from productops.services import compiled

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.durations import Grain
    from productops.workspace import Workspace

__all__ = [
    "QUOTES",
    "SPIKE_WEEKS",
    "TREND_WEEKS",
    "Roadmap",
    "ThemeSummary",
    "insights",
    "recent_spikes",
    "roadmap",
    "search_feedback",
    "spikes",
    "suggested_links",
    "theme_summaries",
]

TREND_WEEKS = 8
"""Weeks of feedback a theme's trend shows, up to its latest week."""
QUOTES = 2
"""Feedback texts quoted per theme (the most typical: closest to the theme)."""
SPIKE_WEEKS = 26
"""Weeks of spikes the customer page lists."""


@dataclass(frozen=True)
class ThemeSummary:
    """An active theme: its feedback, weekly trend (`trend`, oldest first, ending at the
    latest week with any feedback), the share of its feedback whose sentiment was read (0-1),
    mean sentiment (-1 to 1) and negative share (0-1) of the feedback read, who asks
    (accounts, their ARR and churned ARR) and typical quotes."""

    id: str
    label: str
    language: str | None
    size: int | None
    items: int
    trend: list[int]
    read_share: float | None
    mean_sentiment: float | None
    negative_share: float | None
    accounts: int
    arr: float
    churned_arr: float
    quotes: list[str]


@dataclass(frozen=True)
class Roadmap:
    """The organisation's feedback per period of receipt: how much was linked (confirmed) to
    work items, and how much of that was delivered ("feedback incorporated")."""

    period_start: datetime
    feedback: int
    linked: int
    incorporated: int
    share_incorporated: float | None


def _by_theme(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["theme_id"]: r for r in rows}


def _sentiment(table: Callable[[str], ir.Table]) -> ir.Table:
    return theme_sentiment(table("feedback"), table("feedback_theme"))


def _demand(table: Callable[[str], ir.Table]) -> ir.Table:
    return theme_demand(table("feedback"), table("feedback_theme"), table("account"))


def _weekly(table: Callable[[str], ir.Table]) -> ir.Table:
    return theme_trend(table("feedback"), table("feedback_theme"), "week")


THEME_TABLES = ("theme", "feedback", "feedback_theme", "account")
ROADMAP_TABLES = ("feedback", "feedback_link", "work_item")
SPIKE_TABLES = ("feedback", "feedback_theme", "theme")
LINK_TABLES = ("feedback_link", "feedback", "work_item")
"""What each analysis reads: it is computed again when one of them changes."""


def theme_summaries(ws: Workspace, limit: int | None = None) -> list[ThemeSummary]:
    """The active themes, largest first (the first `limit`)."""
    key = f"theme_summaries:{limit}"
    return compiled.kept(ws, key, THEME_TABLES, lambda: _theme_summaries(ws, limit))


def _theme_summaries(ws: Workspace, limit: int | None) -> list[ThemeSummary]:
    themes = list_themes(ws.store)[:limit]
    if not themes:
        return []
    ids = [t["id"] for t in themes]
    shown = ("list_contains(?, theme_id)", [ids])
    mood = _by_theme(compiled.rows(ws, "theme_sentiment", _sentiment, *shown))
    asked = _by_theme(compiled.rows(ws, "theme_demand", _demand, *shown))
    [(newest,)] = ws.store.sql("SELECT max(created_at) FROM feedback")
    last = None if newest is None else period_start(newest.astimezone(UTC), "week")
    weeks = [] if last is None else [shift(last, "week", k) for k in range(1 - TREND_WEEKS, 1)]
    trends: dict[str, dict[datetime, int]] = {}
    if weeks:
        recent = compiled.rows(ws, "theme_trend_week", _weekly, "period_start >= ?", [weeks[0]])
        for w in recent:
            trends.setdefault(w["theme_id"], {})[_utc(w["period_start"])] = w["items"]
    quotes = _quotes(ws, ids)
    return [
        ThemeSummary(
            t["id"],
            t["label"],
            t["language"],
            t["size"],
            int(mood.get(t["id"], {}).get("items") or 0),
            [trends.get(t["id"], {}).get(w, 0) for w in weeks],
            mood.get(t["id"], {}).get("read_share"),
            mood.get(t["id"], {}).get("mean_sentiment"),
            mood.get(t["id"], {}).get("negative_share"),
            int(asked.get(t["id"], {}).get("accounts") or 0),
            float(asked.get(t["id"], {}).get("arr") or 0.0),
            float(asked.get(t["id"], {}).get("churned_arr") or 0.0),
            quotes.get(t["id"], []),
        )
        for t in themes
    ]


def _quotes(ws: Workspace, ids: list[str]) -> dict[str, list[str]]:
    """Each theme's `QUOTES` most typical distinct texts (closest to the theme first)."""
    rows = ws.store.sql(
        "SELECT ft.theme_id, max_by(f.text, ft.score, ?) FROM feedback_theme ft "
        "JOIN feedback f ON f.id = ft.feedback_id WHERE list_contains(?, ft.theme_id) "
        "AND f.duplicate_of IS NULL AND f.text IS NOT NULL GROUP BY 1",
        [QUOTES * 4, ids],
    )
    return {theme: list(dict.fromkeys(texts))[:QUOTES] for theme, texts in rows}


def spikes(ws: Workspace, since: datetime | None = None) -> list[dict[str, Any]]:
    """`_spikes`, kept until a table it reads changes."""
    key = f"spikes:{since.isoformat() if since else ''}"
    return compiled.kept(ws, key, SPIKE_TABLES, lambda: _spikes(ws, since))


def _spikes(ws: Workspace, since: datetime | None) -> list[dict[str, Any]]:
    """Weeks in which a theme's feedback jumped far above its own trailing baseline
    (`pillars.customer.trends.SpikeRule`'s defaults), newest first; only weeks from `since`.

    From `since`, only the weeks a spike's baseline can reach are read: a theme older than
    them starts its series at the first of them with 0, which leaves every week from `since`
    with the baseline and history it has in the whole series."""
    rule = SpikeRule()
    if since is None:
        weekly = compiled.rows(ws, "theme_trend_week", _weekly)
    else:
        start = period_start(since - timedelta(weeks=rule.weeks), "week")

        def recent(table: Callable[[str], ir.Table]) -> ir.Table:
            f = table("feedback")  # only the weeks from `start` (compiled once per start)
            return theme_trend(f.filter(f.created_at >= start), table("feedback_theme"), "week")

        weekly = compiled.rows(ws, f"theme_trend_week_from:{start.isoformat()}", recent)
        older = compiled.rows(ws, "theme_first_week", _first_week, "first_week < ?", [start])
        shown = {r["theme_id"] for r in weekly}
        weekly += [
            {"theme_id": r["theme_id"], "period_start": start, "items": 0}
            for r in older
            if r["theme_id"] in shown
        ]
    weekly = [r | {"period_start": _utc(r["period_start"])} for r in weekly]
    labels = dict(ws.store.sql("SELECT id, label FROM theme"))
    found = [
        vars(s) | {"label": labels.get(s.theme_id)}
        for s in find_spikes(weekly, rule)
        if since is None or s.week_start >= since
    ]
    return sorted(found, key=lambda s: (s["week_start"], s["items"]), reverse=True)


def recent_spikes(ws: Workspace, weeks: int = SPIKE_WEEKS) -> list[dict[str, Any]]:
    """`spikes` of the last `weeks` weeks up to the newest feedback's, kept until a table
    they read changes."""
    return compiled.kept(ws, f"recent_spikes:{weeks}", SPIKE_TABLES, lambda: _recent(ws, weeks))


def _recent(ws: Workspace, weeks: int) -> list[dict[str, Any]]:
    [(newest,)] = ws.store.sql("SELECT max(created_at) FROM feedback")
    if newest is None:
        return []
    return _spikes(ws, shift(period_start(newest.astimezone(UTC), "week"), "week", 1 - weeks))


def _first_week(table: Callable[[str], ir.Table]) -> ir.Table:
    weekly = _weekly(table)
    return weekly.group_by("theme_id").aggregate(first_week=weekly.period_start.min())


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def search_feedback(ws: Workspace, words: str, limit: int = 50) -> list[dict[str, Any]]:
    """Feedback whose text holds every word of `words` (any case), newest first, with its
    themes' labels."""
    terms = [w for w in words.split() if w]
    if not terms:
        return []
    where = " AND ".join("text ILIKE ?" for _ in terms)
    rows: list[dict[str, Any]] = ws.store.arrow(  # the newest found first, then their themes
        "WITH f AS (SELECT id, created_at, channel, language, text, sentiment_label, account_id "
        f"FROM feedback WHERE {where} ORDER BY created_at DESC, id LIMIT ?) "
        "SELECT f.id, f.created_at, f.channel, f.language, f.text, f.sentiment_label, "
        "f.account_id, string_agg(t.label, '; ' ORDER BY t.label) AS themes FROM f "
        "LEFT JOIN feedback_theme ft ON ft.feedback_id = f.id LEFT JOIN theme t ON t.id = ft.theme_id "
        "GROUP BY ALL ORDER BY f.created_at DESC, f.id",
        [*[f"%{_escaped(t)}%" for t in terms], limit],
    ).to_pylist()
    return rows


def _escaped(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def suggested_links(ws: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """Suggested links from feedback to work items, most similar first, with the feedback's
    text and the item's title, team and whether it was delivered; kept until a table it
    reads changes (its join reads every feedback text: 50-100 ms at `--scale 10`)."""
    key = f"suggested_links:{limit}"
    return compiled.kept(ws, key, LINK_TABLES, lambda: _suggested_links(ws, limit))


def _suggested_links(ws: Workspace, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ws.store.arrow(
        "SELECT l.feedback_id, l.work_item_id, l.score, f.created_at, f.text, w.title, w.team_id, "
        "(w.released_at IS NOT NULL OR (w.status_category = 'done' AND w.resolved_at IS NOT NULL)) "
        "AS delivered FROM feedback_link l JOIN feedback f ON f.id = l.feedback_id "
        "JOIN work_item w ON w.id = l.work_item_id WHERE l.state = 'suggested' "
        "ORDER BY l.score DESC NULLS LAST, l.feedback_id, l.work_item_id LIMIT ?",
        [limit],
    ).to_pylist()
    return rows


def insights(ws: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """Published insights, newest first."""
    rows: list[dict[str, Any]] = ws.store.arrow(
        "SELECT id, team_id, title, summary, audience, published_at FROM insight "
        "ORDER BY published_at DESC NULLS LAST, id LIMIT ?",
        [limit],
    ).to_pylist()
    return rows


def roadmap(ws: Workspace, grain: Grain, periods: int = 4) -> list[Roadmap]:
    """`_roadmap`, kept until a table it reads changes."""
    key = f"roadmap:{grain}:{periods}"
    return compiled.kept(ws, key, ROADMAP_TABLES, lambda: _roadmap(ws, grain, periods))


def _roadmap(ws: Workspace, grain: Grain, periods: int) -> list[Roadmap]:
    """Feedback to roadmap for the organisation in the last `periods` periods up to the newest
    feedback, newest first (those with linked feedback; computed now from the links, not
    kept)."""

    [(newest,)] = ws.store.sql("SELECT max(created_at) FROM feedback")
    if newest is None:
        return []
    start = shift(period_start(newest.astimezone(UTC), grain), grain, 1 - periods)

    def build(table: Callable[[str], ir.Table]) -> ir.Table:
        f = table("feedback")  # received from `start` on: the periods shown (compiled per start)
        per_team = feedback_incorporated(
            f.filter(f.created_at >= start), table("feedback_link"), table("work_item"), grain
        )
        return per_team.group_by("period_start").aggregate(
            feedback=per_team.feedback.max(),
            linked=per_team.linked.sum(),
            incorporated=per_team.incorporated.sum(),
        )

    found = compiled.rows(ws, f"feedback_incorporated_org:{grain}:{start.isoformat()}", build)
    rows = sorted(found, key=lambda r: r["period_start"], reverse=True)[:periods]
    return [
        Roadmap(
            r["period_start"].astimezone(UTC),
            int(r["feedback"]),
            int(r["linked"]),
            int(r["incorporated"]),
            int(r["incorporated"]) / int(r["feedback"]) if r["feedback"] else None,
        )
        for r in rows
    ]
