"""Weekly digests: per team (its scorecard's changes, its nudges, spikes in its themes,
decisions due for review) and for the organisation, each queued once per week in the outbox
as one channel-neutral message (Slack Block Kit, e-mail with its chart inline, webhook JSON).

`run_digest` is what the schedules call (`[schedule]`, docs/notify.md): it covers the ISO week
before the one `now` is in, so a digest run late, or twice, queues the same week's key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from productops.channels import Image, Message, Part
from productops.errors import NotFoundError, UsageError
from productops.ops.criteria import ORG
from productops.reports.charts import status_bars
from productops.reports.labels import label, number, period_label
from productops.reports.model import Section, Trend, Value
from productops.reports.png import to_png
from productops.services.alerts import theme_spikes
from productops.services.notify import queue

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["Digest", "DigestRun", "build_digest", "run_digest", "week_of"]

CHART_PERIODS = 6


@dataclass(frozen=True)
class Digest:
    """One digest: its key (kind, team, ISO week), its team (None: the organisation), its
    message."""

    key: str
    team: str | None
    message: Message


@dataclass(frozen=True)
class DigestRun:
    """The digests made and the outbox keys queued now."""

    digests: list[Digest]
    queued: list[str] = field(default_factory=list)


def week_of(now: datetime) -> tuple[datetime, datetime, str]:
    """The ISO week before the one `now` is in: its Monday 00:00 UTC, the next Monday, its name.

    >>> week_of(datetime(2026, 3, 11, 8, tzinfo=UTC))[2]
    '2026-W10'
    """
    monday = (now.astimezone(UTC) - timedelta(days=now.astimezone(UTC).weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = monday - timedelta(days=7)
    year, week, _ = start.isocalendar()
    return start, monday, f"{year}-W{week:02d}"


def _snapshots(
    ws: Workspace, team: str
) -> tuple[str, list[datetime], dict[str, list[Value | None]]]:
    """The grain last computed for `team`, its latest periods and each criterion's values."""
    found = ws.store.sql(
        "SELECT grain FROM metric_snapshot WHERE team_id = ? ORDER BY computed_at DESC, "
        "period_start DESC LIMIT 1",
        [team],
    )
    if not found:
        return "", [], {}
    grain = found[0][0]
    rows = ws.store.sql(
        "SELECT metric, period_start, value, unit, target, reason FROM metric_snapshot "
        "WHERE team_id = ? AND grain = ? AND period_start IN (SELECT DISTINCT period_start FROM "
        "metric_snapshot WHERE team_id = ? AND grain = ? ORDER BY period_start DESC LIMIT ?)",
        [team, grain, team, grain, CHART_PERIODS],
    )
    periods = sorted({r[1] for r in rows})
    index = {p: i for i, p in enumerate(periods)}
    values: dict[str, list[Value | None]] = {}
    for metric, period, value, unit, target, reason in rows:
        values.setdefault(metric, [None] * len(periods))[index[period]] = Value(
            value, unit or label(metric).unit, target, reason
        )
    return grain, periods, values


def _scorecard(ws: Workspace, team: str, who: str) -> tuple[list[Part], list[Image], int]:
    """What changed in `team`'s scorecard from the period before, a chart of criteria on
    target per period, and how many criteria changed."""
    grain, periods, values = _snapshots(ws, team)
    if not periods:
        return [Part("Scorecard", ("No scorecard yet: run `productops scorecard`.",))], [], 0
    trends = [
        Trend(label(m), v) for m, v in sorted(values.items(), key=lambda i: label(i[0]).order)
    ]
    changed = []
    for t in trends:
        now, before = t.latest, t.previous
        if now is None or now.value is None or before is None or before.value == now.value:
            continue
        target = f", target {number(now.target, now.unit)}" if now.target is not None else ""
        changed.append(
            f"{t.label.name}: {number(now.value, now.unit)} (was "
            f"{number(before.value, before.unit) or 'no value'}){target}, {t.status()}"
        )
    section = Section("all", "All criteria", trends)
    counts = section.counts(len(periods) - 1)
    latest = period_label(periods[-1], grain)  # type: ignore[arg-type]
    chart = status_bars(section, [period_label(p, grain) for p in periods])  # type: ignore[arg-type]
    alt = f"{who}: criteria on target per {grain}, last {len(periods)}"
    part = Part(
        f"Scorecard ({latest})",
        tuple(changed) or ("No criterion changed from the period before.",),
        tuple((what, str(n)) for what, n in counts.items()),
    )
    return [part], [Image("scorecard", alt, to_png(chart))], len(changed)


def _nudges(ws: Workspace, team: str | None) -> list[str]:
    where, params = ("AND team_id = ?", [team]) if team else ("", [])
    rows = ws.store.sql(
        f"SELECT team_id, rule, status, status_at, offered_at FROM nudge "
        f"WHERE status IN ('offered', 'accepted') {where} ORDER BY offered_at, id",
        params,
    )
    return [
        f"{'' if team else f'{t}: '}{rule} ({st} {(at or offered):%Y-%m-%d})"
        for t, rule, st, at, offered in rows
        if (at or offered) is not None
    ]


def _decisions_due(ws: Workspace, team: str | None, end: datetime) -> list[str]:
    where, params = ("AND team_id = ?", [team]) if team else ("", [])
    rows = ws.store.sql(
        "SELECT team_id, title, review_at FROM decision WHERE status = 'decided' "
        f"AND review_at < ? AND outcome_at IS NULL {where} ORDER BY review_at, id",
        [end, *params],
    )
    return [
        f"{'' if team else f'{t}: '}{title} (review due {due:%Y-%m-%d})" for t, title, due in rows
    ]


def build_digest(ws: Workspace, team: str | None, now: datetime) -> Digest:
    """The digest of `team` (None: the organisation) for the week before `now`'s."""
    start, end, week = week_of(now)
    base = ws.config.notify.base_url.rstrip("/")
    names = dict(ws.store.sql("SELECT id, name FROM team"))
    if team is not None and team not in names:
        raise NotFoundError(f"no team {team!r}; see `productops scorecard teams`")
    who = names[team] if team else "Organisation"
    parts, images, changed = _scorecard(ws, team or ORG, who)
    spikes = [
        s.message.subject.removeprefix("Feedback spike: ") + f": {s.message.summary}"
        for s in theme_spikes(ws, base, start)
        if team is None or team in s.teams
    ]
    nudges, due = _nudges(ws, team), _decisions_due(ws, team, end)
    for title, lines in (
        ("Nudges open", nudges),
        ("Spikes in your themes" if team else "Feedback spikes", spikes),
        ("Decisions due for review", due),
    ):
        parts.append(Part(title, tuple(lines) or ("None this week.",)))
    summary = (
        f"Week {week}: {changed} criteria changed, {len(nudges)} nudges open, "
        f"{len(spikes)} feedback spikes, {len(due)} decisions due for review."
    )
    kind = "digest.team" if team else "digest.org"
    link = f"{base}/teams/{team}" if team else f"{base}/"
    subject = f"{who}: the week {week} in productops"
    key = f"{kind}:{team or 'org'}:{week}"
    return Digest(key, team, Message(kind, subject, summary, link, tuple(parts), tuple(images)))


def run_digest(ws: Workspace, actor: Actor, name: str, now: datetime) -> DigestRun:
    """Queue the digest `name` for the week before `now`'s: `teams` (each team's), `org`
    (the organisation's) or `team:ID` (one team's). Each is queued once per week and
    subscriber (a write when anything is queued: one audit row `digest.queue`)."""
    if name == "org":
        teams: list[str | None] = [None]
    elif name == "teams":
        teams = [r[0] for r in ws.store.sql("SELECT id FROM team ORDER BY id")]
    elif name.startswith("team:"):
        teams = [name.removeprefix("team:")]
    else:
        raise UsageError(f"digest {name!r}: use teams, org or team:ID")
    digests = [build_digest(ws, t, now) for t in teams]
    items: list[tuple[str, Message, str | None]] = [(d.key, d.message, d.team) for d in digests]
    return DigestRun(digests, queue(ws, actor, "digest.queue", items, now))
