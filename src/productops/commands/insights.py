"""`productops feedback sentiment|trends|spikes|duplicates|demand|links|link|insight|roadmap`:
what customer feedback says and how fast it reaches the roadmap (docs/customer-insights.md).

The commands join the `feedback` group (`PARTS` in cli.py: command modules never import each other).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

from productops.commands.common import (
    FallbackOption,
    FormatOption,
    GrainOption,
    SinceOption,
    TeamOption,
    UntilOption,
    err,
    grain,
    known,
    moment,
    open_workspace,
    periods,
    pick_embedder,
    show_records,
)
from productops.errors import UsageError
from productops.pillars.customer.duplicates import DuplicateRule
from productops.render import Format, literal, render, render_sections
from productops.services import Actor
from productops.services import feedback as service
from productops.services import insights as reads
from productops.services.rows import columns as columns_of

app = typer.Typer(
    help="Customer insights: sentiment, trends and spikes per theme, repeated feedback, "
    "ARR-weighted demand, links to work items, published insights and how fast they come.",
    no_args_is_help=True,
)


@app.command()
def sentiment(
    ctx: typer.Context,
    rescore: Annotated[
        bool, typer.Option(help="Read every item again, not only those without a label.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Read the sentiment of feedback not read yet, then show sentiment per theme."""
    ws = open_workspace(ctx)
    try:
        scored = service.score_sentiment(ws, Actor.cli(), rescore)
        err.print(
            f"Read the sentiment of {scored:,} feedback items "
            "(those in a language not read are marked unknown)."
        )
        found = reads.sentiment(ws)
        show_records(found, reads.ThemeSentiment, fmt, "sentiment per theme")
    finally:
        ws.close()


@app.command()
def trends(
    ctx: typer.Context,
    period: GrainOption = "week",
    theme: Annotated[
        str | None, typer.Option(help="Only this theme id.", callback=known("theme"))
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Feedback per theme and period: items, mean sentiment, complaints and requests."""
    g = grain(period)
    found = reads.trends(open_workspace(ctx), g, theme, since, until)
    show_records(found, reads.ThemeTrend, fmt, f"feedback per theme and {g}")


@app.command()
def spikes(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option(help="Trailing weeks that form the baseline.")] = 8,
    k: Annotated[float, typer.Option(help="Robust deviations above the median.")] = 5.0,
    min_count: Annotated[int, typer.Option(help="Fewest items a spike week has.")] = 5,
    fmt: FormatOption = Format.table,
) -> None:
    """Weeks in which a theme's feedback jumped far above its own trailing baseline."""
    found = reads.spikes(open_workspace(ctx), weeks, k, min_count)
    show_records(found, reads.ThemeSpike, fmt, "feedback spikes")


@app.command()
def duplicates(
    ctx: typer.Context,
    threshold: Annotated[float, typer.Option(help="Least cosine similarity of a repeat.")] = 0.92,
    window_days: Annotated[
        float, typer.Option(help="Most days between an item and its repeat.")
    ] = 7,
    any_requester: Annotated[
        bool, typer.Option(help="Also count different people's texts as repeats.")
    ] = False,
    fallback: FallbackOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Mark repeated feedback (duplicate_of): similar text, same person and language, close in time."""
    rule = DuplicateRule(threshold, timedelta(days=window_days), not any_requester)
    ws = open_workspace(ctx)
    try:
        with err.status("Comparing feedback"):
            embedder = pick_embedder(ws, fallback)
            checked, repeats = service.mark_duplicates(ws, Actor.cli(), embedder, rule)
        render([{"checked": checked, "repeats": repeats}], ["checked", "repeats"], fmt)
    finally:
        ws.close()


@app.command()
def demand(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="theme, segment or item.")] = "theme",
    period: Annotated[
        str | None, typer.Option("--grain", "-g", help="Per theme and period (by theme only).")
    ] = None,
    suggested: Annotated[
        bool, typer.Option(help="By item: count suggested links too, not only confirmed.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Who asks: requesters, accounts, ARR and churned ARR per theme, segment or work item."""
    ws = open_workspace(ctx)
    if by == "theme":
        g = grain(period) if period else None
        rows = [asdict(r) for r in reads.theme_demand(ws, g)]
        columns = [c for c in columns_of(reads.DemandByTheme) if g or c != "period_start"]
        render(rows, columns, fmt, title="demand per theme")
    elif by == "segment":
        found = reads.segment_demand(ws)
        show_records(found, reads.DemandBySegment, fmt, "demand per theme and segment")
    elif by == "item":
        found_items = reads.item_demand(ws, suggested)
        show_records(found_items, reads.DemandByItem, fmt, "demand per work item")
    else:
        raise UsageError(f"--by {by!r}: use theme, segment or item")


@app.command()
def links(
    ctx: typer.Context,
    suggest: Annotated[
        bool, typer.Option("--suggest", help="First suggest links by text similarity.")
    ] = False,
    by_theme: Annotated[
        bool, typer.Option(help="Suggest per theme (its centroid), for all of its feedback.")
    ] = False,
    threshold: Annotated[float, typer.Option(help="Least similarity of a suggestion.")] = 0.5,
    top: Annotated[int, typer.Option(help="Most suggestions per feedback or theme.")] = 1,
    state: Annotated[
        str | None, typer.Option(help="Only suggested, confirmed or rejected.")
    ] = None,
    fallback: FallbackOption = False,
    limit: Annotated[int, typer.Option(help="Show at most this many links.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List links from feedback to work items, best first; with --suggest, add suggestions."""
    ws = open_workspace(ctx)
    try:
        if suggest:
            with err.status("Suggesting links"):
                embedder = pick_embedder(ws, fallback)
                added = service.suggest_links(ws, Actor.cli(), embedder, threshold, top, by_theme)
            err.print(f"Suggested {added:,} new links.")
        found = reads.feedback_links(ws, state, limit)
        show_records(found, reads.FeedbackLink, fmt, "feedback links")
    finally:
        ws.close()


@app.command()
def link(
    ctx: typer.Context,
    feedback: Annotated[str, typer.Argument(help="Feedback id (or its part after `source:`).")],
    item: Annotated[str, typer.Argument(help="Work item id (or its part after `source:`).")],
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of confirm.")] = False,
    importance: Annotated[
        int | None,
        typer.Option(help="Customer importance: 0 none, 1 nice, 2 important, 3 critical."),
    ] = None,
) -> None:
    """Confirm (or reject) that a piece of feedback asks for a work item."""
    ws = open_workspace(ctx)
    try:
        state = "rejected" if reject else "confirmed"
        made = service.set_link(ws, Actor.cli(), feedback, item, state, importance)
        err.print(literal(f"{made.feedback_id} -> {made.work_item_id}: {made.state}"))
    finally:
        ws.close()


@app.command("insight")
def publish(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The insight's title.")],
    theme: Annotated[
        list[str],
        typer.Option("--theme", help="A theme it covers; repeatable.", callback=known("theme")),
    ],
    team: TeamOption = None,
    summary: Annotated[str | None, typer.Option(help="What was learned.")] = None,
    audience: Annotated[str | None, typer.Option(help="Who it is for.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="When published (default: now).")] = None,
) -> None:
    """Publish an insight on one or more themes (starts the time-to-insight clock's stop)."""
    ws = open_workspace(ctx)
    try:
        when: datetime = moment(at)
        ident = service.publish_insight(
            ws, Actor.cli(), title, theme, team, summary, audience, when
        )
        err.print(literal(f"Published {ident}"))
    finally:
        ws.close()


@app.command()
def roadmap(
    ctx: typer.Context,
    period: GrainOption = "quarter",
    team: TeamOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Feedback linked to and delivered on the roadmap, time to insight, time-to-market of
    insight-driven items and satisfaction before and after they shipped, per team and period."""
    asked = periods(period, team, since, until)
    found = reads.roadmap(open_workspace(ctx), asked)
    sections: dict[str, tuple[list[dict[str, Any]], list[str]]] = {
        name: ([asdict(r) for r in rows], columns_of(kind))
        for name, rows, kind in (
            ("feedback incorporated", found.feedback_incorporated, reads.Incorporated),
            ("time to insight (days)", found.time_to_insight, reads.TimeToInsight),
            (
                "insight time-to-market (days)",
                found.insight_time_to_market,
                reads.InsightTimeToMarket,
            ),
            (
                "satisfaction around releases",
                found.satisfaction_around_releases,
                reads.ReleaseSatisfaction,
            ),
        )
    }
    render_sections(sections, fmt)
