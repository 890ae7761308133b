"""`productops nudge ...`: offer nudges where teams are ready, accept, dismiss, complete and
measure them (rules and readiness: docs/scorecard.md#nudges)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from productops.commands.common import (
    FormatOption,
    GrainOption,
    TeamOption,
    grain,
    known,
    moment,
)
from productops.commands.common import open_workspace as open_ws
from productops.commands.scorecard import (
    AsOf,
    PeriodOption,
    compute,
    criterion_value,
    maturity_readings,
    resolve_periods,
)
from productops.errors import UsageError
from productops.ops.nudges import RULES, check_move, offers
from productops.registry import improvement
from productops.render import Format, render

if TYPE_CHECKING:
    from productops.workspace import Workspace

app = typer.Typer(
    help="Nudges: suggestions triggered by a criterion's gap, offered only where a team is ready.",
    no_args_is_help=True,
)

COLUMNS = ["id", "team_id", "rule", "criterion", "status", "status_at", "reason"]
COLUMNS += ["baseline", "after", "measured_at"]
Ref = Annotated[
    str,
    typer.Argument(
        help="The nudge's id or the part after `productops:nudge-` (or its start).",
        callback=known("nudge"),
    ),
]


def _show(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    render(rows, COLUMNS, fmt, title=title)


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status: offered, accepted, dismissed, done.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List nudges, newest first."""
    _show(improvement.list_nudges(open_ws(ctx).store, team, status), fmt, "nudges")


@app.command("offer")
def offer(
    ctx: typer.Context,
    period: PeriodOption = None,
    by: GrainOption = "quarter",
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Offer the nudges whose criterion shows a gap, to the teams ready for them."""
    ws = open_ws(ctx)
    now, g = moment(at, "--as-of"), grain(by)
    starts = resolve_periods(period, g, ws.config.scorecard.habitual_periods, now)
    scores = compute(ws, starts, g, now)
    stages = {(r.team_id, r.pillar): r.stage for r in maturity_readings(ws, scores, starts, g, now)}
    latest = {(s.criterion, s.team_id): s for s in scores if s.period_start == starts[-1]}
    teams = ws.backend().table("team").select("id", "focus_pillar").to_pyarrow().to_pylist()
    scored = {s.team_id for s in scores}
    focus = {t["id"]: t["focus_pillar"] for t in teams if t["id"] in scored}
    settings = ws.config.scorecard
    found = offers(
        latest,
        stages,
        focus,
        improvement.list_nudges(ws.store),
        now,
        max_open=settings.max_open_nudges,
        dismissed_days=settings.dismissed_days,
    )
    made = []
    for o in found:
        readiness = o.readiness | {"value": o.value, "target": o.target}
        ident = improvement.add_nudge(
            ws.store,
            team_id=o.team_id,
            rule=o.rule.id,
            criterion=o.rule.criterion,
            readiness=readiness,
            at=now,
        )
        made.append(
            {"id": ident, "team_id": o.team_id, "rule": o.rule.id, "criterion": o.rule.criterion}
            | {"next_step": o.rule.next_step}
        )
    render(made, ["id", "team_id", "rule", "criterion", "next_step"], fmt, "nudges offered")


def _move(ws: Workspace, ref: str, to: str, now: datetime, **changes: Any) -> dict[str, Any]:
    nudge = improvement.load_nudge(ws.store, ref)
    check_move(nudge["status"], to)
    return improvement.update_nudge(ws.store, nudge["id"], status=to, status_at=now, **changes)


@app.command("accept")
def accept(ctx: typer.Context, ref: Ref, at: AsOf = None, fmt: FormatOption = Format.table) -> None:
    """Accept a nudge; its criterion's current value becomes the baseline."""
    ws = open_ws(ctx)
    now = moment(at, "--as-of")
    nudge = improvement.load_nudge(ws.store, ref)
    check_move(nudge["status"], "accepted")
    base = criterion_value(ws, nudge["criterion"], nudge["team_id"], now)
    readiness = (nudge["readiness"] or {}) | {"accepted_at": now.isoformat()}
    row = _move(ws, ref, "accepted", now, baseline=base.value, readiness=readiness)
    _show([row], fmt, "nudge accepted")
    rule = RULES.get(row["rule"])
    if rule is not None and fmt is Format.table:
        typer.echo(f"Next step: {rule.next_step}")
        for line in rule.playbook:
            typer.echo(f"  - {line}")


@app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    ref: Ref,
    reason: Annotated[str, typer.Option("--reason", help="Why the team does not take it up.")],
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Dismiss a nudge, saying why; the same rule is not offered again for a while."""
    if not reason.strip():
        raise UsageError("--reason: say why the nudge is dismissed")
    ws = open_ws(ctx)
    _show([_move(ws, ref, "dismissed", moment(at, "--as-of"), reason=reason.strip())], fmt, "nudge")


@app.command("done")
def done(
    ctx: typer.Context,
    ref: Ref,
    outcome: Annotated[str | None, typer.Option(help="What was done.")] = None,
    at: AsOf = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Mark an accepted nudge done."""
    ws = open_ws(ctx)
    _show([_move(ws, ref, "done", moment(at, "--as-of"), outcome=outcome)], fmt, "nudge done")


@app.command("measure")
def measure(ctx: typer.Context, at: AsOf = None, fmt: FormatOption = Format.table) -> None:
    """Measure the effect of nudges accepted at least `scorecard.measure_days` days ago."""
    ws = open_ws(ctx)
    now = moment(at, "--as-of")
    wait = timedelta(days=ws.config.scorecard.measure_days)
    measured = []
    for n in improvement.list_nudges(ws.store):
        if n["status"] not in ("accepted", "done") or n["measured_at"] is not None:
            continue
        accepted = _accepted_at(n["readiness"]) if n["readiness"] else None
        if accepted is None or now - accepted < wait:
            continue
        after = criterion_value(ws, n["criterion"], n["team_id"], now)
        measured.append(
            improvement.update_nudge(ws.store, n["id"], after=after.value, measured_at=now)
        )
    _show(measured, fmt, "nudges measured")


def _accepted_at(readiness: str) -> datetime | None:
    when = json.loads(readiness).get("accepted_at")
    return moment(when, "accepted_at") if when else None
