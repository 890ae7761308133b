"""Write-back: a ticket in Jira, GitHub, GitLab or Linear from a theme or an insight
(docs/feedback.md#tickets).

The ticket says what the theme or insight is, its demand (`pillars.customer.demand`: items,
distinct requesters, accounts and their ARR, all time) and links back to its page. Once made,
the ticket lands as a `work_item` under the id the sync gives it (so a later sync updates the
same row), every feedback of the theme (or the insight's themes) is linked to it as
`confirmed`, and one audit row `feedback.ticket` on `theme:ID` or `insight:ID` records it.

Idempotent: that audit row is the record checked before any request, so a second call
returns the same ticket. Before its first request a call claims the subject (a `ticket_claim`
row, unique per subject, committed on its own): a call at the same moment, from another thread
or process, finds the claim and waits for the record instead of creating. A failed create
gives the claim back; one whose call died lapses after `CLAIM_LEASE`. And the ticket carries a
marker (`productops-theme-...`) that is searched before creating, so a call after a crash
between the create and the record finds the ticket instead of making a second one.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from productops.connectors.base import ConnectorError
from productops.connectors.http import RetryPolicy
from productops.connectors.tickets import NewIssue, TrackerIssue, open_tracker
from productops.errors import NotFoundError, UsageError
from productops.ingest.landing import land_arrow
from productops.pillars.customer.demand import theme_demand
from productops.registry.feedback_analysis import SUGGESTED_IMPORTANCE
from productops.registry.rows import TIMESTAMP, land, strings
from productops.schema.tables import TABLES
from productops.services import audit

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = ["ACTION", "CLAIM_LEASE", "Ticket", "create_ticket"]

ACTION = "feedback.ticket"
# How long a claim holds without its ticket recorded: past it, its call is taken to have died.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Ticket:
    """The ticket of a theme or insight (`subject`: `theme:ID` or `insight:ID`).

    `created`: made by this call (False: recorded before, or found by its marker);
    `linked`: feedback items linked to it as confirmed.
    """

    subject: str
    tracker: str
    work_item_id: str
    key: str
    url: str
    created: bool
    linked: int


@dataclass(frozen=True)
class _Subject:
    kind: str
    ident: str
    label: str
    summary: str | None
    theme_ids: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.ident}"


def _subject(ws: Workspace, ref: str) -> _Subject:
    """The theme or insight `ref` names (its id, or the part after `source:`)."""
    match = "WHERE id = ? OR ends_with(id, ':' || ?) ORDER BY id"
    themes = ws.store.sql(f"SELECT id, label, keywords FROM theme {match}", [ref, ref])
    insights = ws.store.sql(
        f"SELECT id, title, summary, theme_ids FROM insight {match}", [ref, ref]
    )
    if len(themes) + len(insights) > 1:
        raise UsageError(f"{ref!r} names several themes or insights; give the full id")
    if themes:
        ident, label, keywords = themes[0]
        said = f"Feedback theme: {label}" + (f" ({keywords})" if keywords else "")
        return _Subject("theme", ident, label, said, (ident,))
    if insights:
        ident, title, summary, theme_ids = insights[0]
        return _Subject("insight", ident, title, summary, tuple(_json_list(theme_ids)))
    raise NotFoundError(
        f"no theme or insight {ref!r}; see `productops feedback themes list` and "
        "`productops feedback insight`"
    )


def _json_list(text: str | None) -> list[str]:
    return [str(t) for t in json.loads(text or "[]")]


def _recorded(ws: Workspace, subject: _Subject) -> dict[str, Any] | None:
    """The ticket the audit trail records for `subject`, if any."""
    for event in audit.events(ws, object=subject.ref):
        if event.action == ACTION and event.object == subject.ref and event.after:
            return event.after
    return None


def _demand(ws: Workspace, subject: _Subject) -> dict[str, Any]:
    """Items, distinct requesters, accounts and ARR behind the subject's themes, all time
    (a feedback in two of an insight's themes counts once)."""
    b = ws.backend()
    ft = b.table("feedback_theme")
    ft = (
        ft.filter(ft.theme_id.isin(list(subject.theme_ids)))
        .select("feedback_id", theme_id=ibis.literal(subject.ref))
        .distinct()
    )
    rows = theme_demand(b.table("feedback"), ft, b.table("account")).to_pyarrow().to_pylist()
    if not rows:
        return {"items": 0, "requesters": 0, "accounts": 0, "arr": 0.0}
    r = rows[0]
    return {k: r[k] for k in ("items", "requesters", "accounts", "arr")}


def _link_back(ws: Workspace, subject: _Subject) -> str:
    """The subject's page: under `[server] public_url`, else `[notify] base_url`."""
    base = (ws.config.server.public_url or ws.config.notify.base_url).rstrip("/")
    short = subject.ident.removeprefix("productops:")
    return f"{base}/feedback/{subject.kind}s/{short}"


def _new_issue(ws: Workspace, subject: _Subject, title: str | None) -> NewIssue:
    d = _demand(ws, subject)
    demand = (
        f"Demand: {d['requesters']} requesters, {d['accounts']} accounts, "
        f"ARR {d['arr']:,.0f} ({d['items']} feedback items)."
    )
    paragraphs = [
        p for p in (subject.summary, demand, f"From productops: {_link_back(ws, subject)}") if p
    ]
    digest = hashlib.sha256(subject.ident.encode()).hexdigest()[:12]
    return NewIssue(
        title or subject.label, tuple(paragraphs), f"productops-{subject.kind}-{digest}"
    )


def create_ticket(
    ws: Workspace,
    actor: Actor,
    ref: str,
    tracker: str,
    *,
    title: str | None = None,
    project: str | None = None,
    policy: RetryPolicy | None = None,
) -> Ticket:
    """Create the ticket of the theme or insight `ref` in `tracker` (jira, github, gitlab,
    linear; `project`: its project key, repository, project path or team key, default the
    one its settings name), or return the one made before (a write: audited as `actor`'s)."""
    subject = _subject(ws, ref)
    policy = policy or RetryPolicy.from_settings(ws.config.connectors.http)
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    before = _recorded_or_claimed(ws, subject, tracker, holder, policy)
    if before is not None:
        return Ticket(
            subject.ref,
            before["tracker"],
            before["work_item_id"],
            before["key"],
            before["url"],
            False,
            0,
        )
    try:
        return _create(ws, actor, subject, tracker, holder, title, project, policy)
    except BaseException:
        _give_back(ws, subject, holder)
        raise


def _give_back(ws: Workspace, subject: _Subject, holder: str) -> None:
    ws.store.sql("DELETE FROM ticket_claim WHERE subject = ? AND holder = ?", [subject.ref, holder])


def _recorded_or_claimed(
    ws: Workspace, subject: _Subject, tracker: str, holder: str, policy: RetryPolicy
) -> dict[str, Any] | None:
    """The ticket recorded for `subject` (looked for again once claimed); else None once
    `holder` holds its claim. While another call holds it, wait (`policy.sleep`) for its
    record up to one request's timeout, then refuse; a claim whose lease ran out is taken
    over."""
    waited, pause = 0.0, 0.05
    while True:
        before = _recorded(ws, subject)
        if before is not None:
            return before
        now = datetime.now(UTC)
        if ws.store.insert_once(
            "INSERT INTO ticket_claim (subject, tracker, holder, claimed_at, lease_until, "
            "source, ingested_at) VALUES (?, ?, ?, ?, ?, 'productops', ?) ON CONFLICT DO NOTHING",
            [subject.ref, tracker, holder, now, now + CLAIM_LEASE, now],
        ):
            # A call whose record (and claim's release) committed after the look above.
            before = _recorded(ws, subject)
            if before is not None:
                _give_back(ws, subject, holder)
            return before
        claims = ws.store.sql(
            "SELECT holder, claimed_at, lease_until FROM ticket_claim WHERE subject = ?",
            [subject.ref],
        )
        if claims and claims[0][2] <= now:
            ws.store.sql(
                "DELETE FROM ticket_claim WHERE subject = ? AND lease_until = ?",
                [subject.ref, claims[0][2]],
            )
        elif claims and waited >= policy.timeout_seconds:
            other, since, lapse = claims[0]
            raise UsageError(
                f"{subject.ref}: another call ({other}) has been creating its ticket since "
                f"{since:%Y-%m-%d %H:%M:%S} UTC; run again to get it (if that call died, its "
                f"claim lapses at {lapse:%H:%M:%S} UTC)"
            )
        elif claims:
            policy.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, 1.0)


def _create(
    ws: Workspace,
    actor: Actor,
    subject: _Subject,
    tracker: str,
    holder: str,
    title: str | None,
    project: str | None,
    policy: RetryPolicy,
) -> Ticket:
    """Find the subject's ticket in `tracker` by its marker or create it, then record it and
    give back `holder`'s claim, in one transaction."""
    new = _new_issue(ws, subject, title)
    client = open_tracker(tracker, ws.config.connectors, ws.root, policy, project)
    try:
        issue = client.find(new.marker)
        created = issue is None
        if issue is None:
            issue = client.create(new)
    except ConnectorError as exc:
        raise ConnectorError(f"{tracker}: the ticket was not created: {exc}") from None
    finally:
        client.close()
    with ws.store.transaction():
        _give_back(ws, subject, holder)
        _land_item(ws, tracker, issue, new.title)
        linked = _confirm_links(ws, subject, issue.work_item_id)
        after = {
            "tracker": tracker,
            "work_item_id": issue.work_item_id,
            "key": issue.key,
            "url": issue.url,
            "created": created,
            "linked": linked,
            "marker": new.marker,
        }
        audit.record(ws, actor, ACTION, subject.ref, None, after)
    return Ticket(subject.ref, tracker, issue.work_item_id, issue.key, issue.url, created, linked)


def _land_item(ws: Workspace, tracker: str, issue: TrackerIssue, title: str) -> None:
    """Land the new issue as a work item (and its team, if new), unless a sync landed it."""
    if ws.store.sql("SELECT 1 FROM work_item WHERE id = ?", [issue.work_item_id]):
        return
    if not ws.store.sql("SELECT 1 FROM team WHERE id = ?", [issue.team_id]):  # as a sync does
        team = pa.table({"id": strings([issue.team_id]), "name": strings([issue.team_id])})
        land_arrow(ws.store, TABLES["team"], team, source=tracker, label="ticket")
    now = datetime.now(UTC).replace(microsecond=0)
    row = {
        "id": strings([issue.work_item_id]),
        "team_id": strings([issue.team_id]),
        "type": strings(["task"]),
        "title": strings([title]),
        "status_category": strings(["todo"]),
        "created_at": pa.array([now], TIMESTAMP),
    }
    counts = land_arrow(
        ws.store, TABLES["work_item"], pa.table(row), source=tracker, label="ticket"
    )
    if counts.quarantined:
        raise UsageError(
            f"work item {issue.work_item_id}: not accepted (see `productops quarantine`)"
        )


def _confirm_links(ws: Workspace, subject: _Subject, item: str) -> int:
    """Link every feedback of the subject's themes to `item` as confirmed; returns how many."""
    marks = ", ".join("?" for _ in subject.theme_ids)
    rows = ws.store.sql(
        "SELECT DISTINCT ft.feedback_id, l.importance, l.score, l.created_at "
        "FROM feedback_theme ft LEFT JOIN feedback_link l "
        "ON l.feedback_id = ft.feedback_id AND l.work_item_id = ? "
        f"WHERE ft.theme_id IN ({marks}) ORDER BY ft.feedback_id",
        [item, *subject.theme_ids],
    )
    if not rows:
        return 0
    now = datetime.now(UTC).replace(microsecond=0)
    data = {
        "feedback_id": strings([r[0] for r in rows]),
        "work_item_id": strings([item] * len(rows)),
        "importance": pa.array(
            [SUGGESTED_IMPORTANCE if r[1] is None else r[1] for r in rows], pa.int64()
        ),
        "state": strings(["confirmed"] * len(rows)),
        "score": pa.array([r[2] for r in rows], pa.float64()),
        "created_at": pa.array([r[3] or now for r in rows], TIMESTAMP),
    }
    land(ws.store, "feedback_link", pa.table(data), "ticket")
    return len(rows)
