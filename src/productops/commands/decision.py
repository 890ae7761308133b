"""`productops decision ...`: the decision log and its frozen evidence (docs/decisions.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from productops.commands.common import (
    ByOption,
    FormatOption,
    GrainOption,
    TeamOption,
    WhereOption,
    grain,
    known,
    log_usage,
    moment,
    open_workspace,
    show_records,
    when,
)
from productops.errors import UsageError
from productops.registry.decisions import parse_expectation
from productops.registry.evidence import MetricRequest
from productops.render import Format, render, render_sections
from productops.services import decisions
from productops.services.actor import Actor
from productops.services.rows import columns

__all__ = ["app"]

app = typer.Typer(
    help="The decision log: decisions, the evidence behind them frozen as seen, their outcomes.",
    no_args_is_help=True,
)

DecisionArg = Annotated[
    str,
    typer.Argument(
        metavar="DECISION",
        help="Decision id (or the part after 'decision-', or its start).",
        callback=known("decision"),
    ),
]
LIST_COLUMNS = ["id", "team_id", "title", "status", "decided_at", "expected", "review_at"]


def _date(text: str | None, option: str) -> datetime | None:
    return None if text is None else moment(text, option)


def _decision_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        metric, direction = r.get("expected_metric"), r.get("expected_direction")
        r["expected"] = f"{metric} {direction}" if metric else None
    return rows


@app.command()
def new(
    ctx: typer.Context,
    title: str,
    team: Annotated[
        str,
        typer.Option("--team", "-t", help="Team the decision belongs to.", callback=known("team")),
    ],
    context: Annotated[str | None, typer.Option(help="Why the decision is needed.")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="An option considered (repeatable).")
    ] = None,
    decider: Annotated[
        list[str] | None, typer.Option("--decider", help="Person id deciding (repeatable).")
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(help="Expected outcome: a catalog metric and direction, METRIC:up|down."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Date the outcome is expected by (ISO 8601).")
    ] = None,
    review: Annotated[
        str | None, typer.Option("--review", help="Date to review the outcome (ISO 8601).")
    ] = None,
    at: Annotated[str | None, typer.Option(help="When it was logged (default: now).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Log a proposed decision with its options, deciders and expected outcome."""
    ws = open_workspace(ctx)
    d = decisions.log_decision(
        ws,
        Actor.cli(),
        team_id=team,
        title=title,
        context=context,
        options=option or [],
        deciders=decider or [],
        expect=parse_expectation(expect) if expect else None,
        expected_by=_date(by, "--by"),
        review_at=_date(review, "--review"),
        at=moment(at),
    )
    log_usage(ws, "author", d.id, team_id=team, table="decision")
    render(_decision_rows([asdict(d)]), LIST_COLUMNS, fmt, title="decision logged")


@app.command()
def decide(
    ctx: typer.Context,
    decision: DecisionArg,
    choice: Annotated[str, typer.Option(help="The option chosen: its text or its number.")],
    rationale: Annotated[str | None, typer.Option(help="Why, in a sentence.")] = None,
    at: Annotated[str | None, typer.Option(help="When it was decided (default: now).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Record what was decided: the decision's status becomes decided."""
    ws = open_workspace(ctx)
    d = decisions.decide(ws, Actor.cli(), decision, choice, rationale, moment(at))
    render(_decision_rows([asdict(d)]), [*LIST_COLUMNS, "decision"], fmt, title="decided")


@app.command("supersede")
def supersede_(
    ctx: typer.Context,
    decision: DecisionArg,
    by: Annotated[
        str, typer.Option("--by", help="The decision that replaces it.", callback=known("decision"))
    ],
    fmt: FormatOption = Format.table,
) -> None:
    """Mark a decision superseded by another one."""
    ws = open_workspace(ctx)
    d = decisions.supersede(ws, Actor.cli(), decision, by)
    render(_decision_rows([asdict(d)]), [*LIST_COLUMNS, "superseded_by"], fmt, title="superseded")


@app.command()
def evidence(
    ctx: typer.Context,
    decision: DecisionArg,
    metric: Annotated[
        str | None,
        typer.Option(
            help="Freeze this catalog metric's query as evidence.", callback=known("metric")
        ),
    ] = None,
    by: ByOption = None,
    period: GrainOption = "week",
    where: WhereOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only periods from this date on, or from the start of a month or quarter."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            help="Only periods starting before this date, or the end of a month or quarter."
        ),
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(help="Cite this experiment.", callback=known("experiment"))
    ] = None,
    insight: Annotated[str | None, typer.Option(help="Cite this insight.")] = None,
    feedback: Annotated[str | None, typer.Option(help="Cite this feedback.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Attach evidence: a metric query (frozen with its rows, SQL, hash and data time) or a record."""
    ws = open_workspace(ctx)
    records = {"experiment": experiment, "insight": insight, "feedback": feedback}
    given = [k for k, v in records.items() if v is not None] + (["metric"] if metric else [])
    if len(given) != 1:
        raise UsageError(
            "give exactly one of --metric, --experiment, --insight or --feedback"
            + (f" (got {', '.join('--' + g for g in given)})" if given else "")
        )
    cited: MetricRequest | tuple[str, str]
    if metric is None:
        cited = (given[0], str(records[given[0]]))
    else:
        cited = MetricRequest(
            metric,
            tuple(by or ()),
            grain(period),
            tuple(where or ()),
            None if since is None else when(since, "--since", "start"),
            None if until is None else when(until, "--until", "end"),
        )
    row = decisions.attach_evidence(ws, Actor.cli(), decision, cited, datetime.now(UTC))
    render([asdict(row)], columns(decisions.EvidenceListed), fmt, title="evidence frozen")


@app.command()
def verify(ctx: typer.Context, decision: DecisionArg, fmt: FormatOption = Format.table) -> None:
    """Re-run each frozen evidence: does it reproduce, and has the data changed since?"""
    ws = open_workspace(ctx)
    found = decisions.verify_decision(ws, decision, datetime.now(UTC))
    show_records(found, decisions.Verification, fmt, f"evidence of {decision}")


@app.command("review")
def review_(
    ctx: typer.Context,
    decision: DecisionArg,
    at: Annotated[str | None, typer.Option(help="Review as of this date (default: now).")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Measure the expected metric again and record the outcome (value, when, met or not)."""
    ws = open_workspace(ctx)
    done = decisions.review(ws, Actor.cli(), decision, moment(at))
    render(
        _decision_rows([asdict(done.decision) | {"baseline": done.baseline}]),
        ["id", "expected", "baseline", "outcome_value", "outcome_at", "outcome_met"],
        fmt,
        title="outcome recorded",
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    status: Annotated[
        str | None,
        typer.Option(help="Only decisions in this status: proposed, decided, superseded."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Every decision: status, expected outcome, review date and how much evidence it has."""
    chosen = decisions.decision_status(status, "--status")
    found = decisions.list_decisions(open_workspace(ctx), team, chosen)
    show_records(found, decisions.DecisionListed, fmt, "decisions")


@app.command()
def show(ctx: typer.Context, decision: DecisionArg, fmt: FormatOption = Format.table) -> None:
    """A decision with its evidence."""
    found = decisions.show_decision(open_workspace(ctx), decision)
    fields = [{"field": k, "value": v} for k, v in asdict(found.decision).items()]
    render_sections(
        {
            found.decision.id: (fields, ["field", "value"]),
            "evidence": ([asdict(e) for e in found.evidence], columns(decisions.EvidenceListed)),
        },
        fmt,
    )
