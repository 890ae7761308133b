"""`productops notify ...`: the outbox of alerts and digests, sending it, testing a channel,
muting (docs/notify.md).

The command line at the machine acts as an admin (`Access.cli`); its writes are audited as
`cli:OS_USER`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from productops.commands.common import FormatOption, open_workspace
from productops.render import Format, render
from productops.services.alerts import queue_alerts
from productops.services.digests import run_digest
from productops.services.notify import deliver, mute, outbox, requeue, send_test, unmute
from productops.services.users import Access, authorize

__all__ = ["app"]

app = typer.Typer(
    help="Alerts and digests to Slack, e-mail and webhooks: the outbox, sending it, testing a "
    "channel, muting (docs/notify.md).",
    no_args_is_help=True,
)
OUTBOX_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "channel",
    "recipient",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
]
UserArgument = Annotated[str, typer.Argument(metavar="USER", help="The user's name.")]
KindOption = Annotated[
    str,
    typer.Option(help="What to mute: * (everything), digest, or an alert kind (docs/notify.md)."),
]


@app.command("outbox")
def list_outbox(
    ctx: typer.Context,
    dead: Annotated[
        bool, typer.Option("--dead", help="Only dead messages (failed for good), with why.")
    ] = False,
    status: Annotated[
        str | None, typer.Option(help="Only messages in this status: pending, sending, sent, dead.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """Queued, sent and dead messages, newest first."""
    authorize(Access.cli(), "admin")
    entries = outbox(open_workspace(ctx, read_only=True), "dead" if dead else status, limit)
    render([asdict(e) for e in entries], OUTBOX_COLUMNS, fmt, title="outbox")


@app.command("requeue")
def requeue_(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Dead messages' ids.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Send dead messages again, once their channel is mended: each is pending from now with
    its tries counted afresh (`productops notify send` sends it)."""
    ws, access = open_workspace(ctx), Access.cli()
    entries = [requeue(ws, access, ident) for ident in ids]
    render([asdict(e) for e in entries], OUTBOX_COLUMNS, fmt, title="requeued")


@app.command()
def send(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Send at most this many.")] = 1000,
    fmt: FormatOption = Format.table,
) -> None:
    """Send the messages that are due; failures are tried again later (run it again, or let
    `productops serve` or a schedule run it)."""
    access = Access.cli()
    run = deliver(open_workspace(ctx), access.actor, limit=limit)
    columns = ["idempotency_key", "channel", "status", "attempts", "next_attempt_at", "error"]
    render(
        [asdict(a) for a in run.attempts], columns, fmt, title=f"{run.sent} sent, {run.dead} dead"
    )


@app.command("test")
def sample(
    ctx: typer.Context,
    channel: Annotated[str, typer.Argument(help="A channel named under [notify.channels].")],
    to: Annotated[
        str | None, typer.Option(help="E-mail address to send to (e-mail channels).")
    ] = None,
) -> None:
    """Send a sample message to a channel now, to check its settings and secrets."""
    access = Access.cli()
    authorize(access, "admin")
    key = send_test(open_workspace(ctx), access.actor, channel, to, datetime.now(UTC))
    typer.echo(f"sent a test message to {channel} (key {key})")


@app.command()
def alerts(
    ctx: typer.Context,
    since: Annotated[
        datetime | None,
        typer.Option(help="Look at what happened from this time on (default: the last 7 days)."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Queue the alerts the workspace shows (incidents, spikes, experiments, targets, nudges);
    each once, however often this runs. `productops notify send` sends them."""
    now = datetime.now(UTC)
    start = None if since is None else since.replace(tzinfo=since.tzinfo or UTC)
    run = queue_alerts(open_workspace(ctx), Access.cli().actor, now, start)
    rows = [
        {"kind": a.kind, "subject": a.message.subject, "summary": a.message.summary}
        for a in run.alerts
    ]
    render(rows, ["kind", "subject", "summary"], fmt, title=f"{len(run.queued)} messages queued")


@app.command()
def digest(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="teams (each team's), org, or team:ID (one team's).")],
    fmt: FormatOption = Format.table,
) -> None:
    """Queue a weekly digest for last week, once per week and subscriber (the schedules run
    it; `productops notify send` sends it)."""
    run = run_digest(open_workspace(ctx), Access.cli().actor, name, datetime.now(UTC))
    rows = [
        {"key": d.key, "subject": d.message.subject, "summary": d.message.summary}
        for d in run.digests
    ]
    render(rows, ["key", "subject", "summary"], fmt, title=f"{len(run.queued)} messages queued")


@app.command("mute")
def mute_(ctx: typer.Context, user: UserArgument, kind: KindOption = "*") -> None:
    """Stop notifications of a kind to a user's own subscriptions."""
    left = mute(open_workspace(ctx), Access.cli(), user, kind)
    typer.echo(f"{user} has muted: {', '.join(left)}")


@app.command("unmute")
def unmute_(ctx: typer.Context, user: UserArgument, kind: KindOption = "*") -> None:
    """Lift a user's mute of a kind (* lifts every mute)."""
    left = unmute(open_workspace(ctx), Access.cli(), user, kind)
    typer.echo(f"{user} has muted: {', '.join(left) or 'nothing'}")
