"""`productops survey ...`: create, answer, close surveys and show their anonymous results
(definitions and the anonymity rule: docs/surveys.md)."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from productops import ops
from productops.commands.common import (
    FormatOption,
    GrainOption,
    TeamOption,
    err,
    grain,
    known,
    moment,
    open_workspace,
)
from productops.errors import UsageError
from productops.registry.surveys import SURVEY_KINDS, list_surveys, load_survey, parse_answer
from productops.render import Format, literal, render, render_sections
from productops.services import surveys
from productops.services.actor import Actor
from productops.services.survey_results import results_of

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="Surveys: team health checks, stakeholder and Product Ops support satisfaction, "
    "PM time, onboarding, self-assessment. Anonymous; results are shown once a survey is "
    "closed, and never for groups under 3 respondents.",
    no_args_is_help=True,
)

SurveyArg = Annotated[
    str, typer.Argument(metavar="SURVEY", help="Survey id (or the part after 'survey-').")
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="When, as ISO 8601 (default: now; no offset means UTC)."),
]
KindOption = Annotated[
    str | None, typer.Option("--kind", "-k", help=f"Only this kind: {', '.join(SURVEY_KINDS)}.")
]


def _kind(text: str | None) -> str | None:
    if text is not None and text not in SURVEY_KINDS:
        raise UsageError(f"--kind {text!r}: use one of {', '.join(SURVEY_KINDS)}")
    return text


@app.command("new")
def new(
    ctx: typer.Context,
    team: Annotated[
        str,
        typer.Argument(help="Team (or group of teams) the survey asks.", callback=known("team")),
    ],
    kind: Annotated[str, typer.Argument(help=f"One of {', '.join(SURVEY_KINDS)}.")],
    title: Annotated[str, typer.Argument(help="Title; the id is productops:survey-<team-title>.")],
    at: AtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Open a survey for a team: health_check, stakeholder, ops_support, pm_time or onboarding."""
    survey = surveys.open_survey(
        open_workspace(ctx), Actor.cli(), team_id=team, kind=kind, title=title, at=moment(at)
    )
    _survey_rows([vars(survey) | {"status": survey.status}], fmt, f"opened {survey.id}")
    example = "speed=green" if kind == "health_check" else "satisfaction=4"
    err.print(literal(f"Next: productops survey answer {survey.id} --answer {example}"))


def _survey_rows(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    columns = ["id", "team_id", "kind", "title", "status", "opened_at", "closed_at"]
    if rows and "respondents" in rows[0]:
        columns.append("respondents")
    render(rows, columns, fmt, title=title)


@app.command("answer")
def answer(
    ctx: typer.Context,
    survey: SurveyArg,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            "-a",
            help="QUESTION=VALUE, repeatable: green/amber/red for a health check, 1-5 for a "
            "rating, 0-100 for pm_time percentages, days for an onboarding 'days' question.",
        ),
    ] = None,
    comment: Annotated[
        str | None,
        typer.Option(
            help="Free text; shown only after the close, if 3 or more respondents wrote one."
        ),
    ] = None,
    respondent: Annotated[
        str | None,
        typer.Option(
            help="A private token of your choosing: answering again with it replaces your "
            "answers. Stored only as a salted hash; default: your login, so one person counts "
            "once.",
            envvar="PRODUCTOPS_RESPONDENT",
        ),
    ] = None,
    at: AtOption = None,
) -> None:
    """Answer an open survey anonymously (no one's identity is stored)."""
    ws = open_workspace(ctx)
    found = load_survey(ws.store, survey)
    answers = dict(parse_answer(found.kind, a) for a in answer or [])
    done = surveys.answer_survey(
        ws, found.id, answers, comment=comment, token=respondent or _login(), at=moment(at)
    )
    err.print(literal(f"Recorded {done.answers} answers to {done.survey.id}, anonymously."))


def _login() -> str:
    """The default respondent token: who is logged in, so answering twice replaces, never adds."""
    try:
        return f"login:{getpass.getuser()}"
    except (OSError, KeyError):
        raise UsageError(
            "cannot tell who you are (no login name); give --respondent TOKEN"
        ) from None


@app.command("close")
def close(
    ctx: typer.Context,
    survey: SurveyArg,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Close a survey: it takes no more answers."""
    done = surveys.close_survey(open_workspace(ctx), Actor.cli(), survey, moment(at))
    _survey_rows([vars(done) | {"status": done.status}], fmt, f"closed {done.id}")


@app.command("list")
def list_(
    ctx: typer.Context,
    team: TeamOption = None,
    kind: KindOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List surveys with their status and number of respondents."""
    rows = list_surveys(open_workspace(ctx).store, team, _kind(kind))
    _survey_rows(rows, fmt, "surveys")


_RESULTS: dict[str, list[str]] = {
    "health_check": [
        "team_id",
        "survey_id",
        "question",
        "respondents",
        "green_share",
        "amber_share",
        "red_share",
        "score",
        "colour",
        "trend",
        "suppressed",
    ],
    "stakeholder": [
        "team_id",
        "survey_id",
        "question",
        "respondents",
        "mean",
        "favourable_share",
        "suppressed",
    ],
    "pm_time": [
        "team_id",
        "survey_id",
        "respondents",
        "strategic_share",
        "operational_share",
        "suppressed",
    ],
    "onboarding": [
        "team_id",
        "survey_id",
        "respondents",
        "rating_mean",
        "favourable_share",
        "days_median",
        "days_mean",
        "suppressed",
    ],
}
_RESULTS["ops_support"] = _RESULTS["self_assessment"] = _RESULTS["stakeholder"]


@app.command("results")
def results(
    ctx: typer.Context,
    survey: Annotated[
        str | None, typer.Argument(metavar="[SURVEY]", help="One survey (default: all of --kind).")
    ] = None,
    kind: KindOption = None,
    team: TeamOption = None,
    period: GrainOption = "quarter",
    fmt: FormatOption = Format.table,
) -> None:
    """Results and comments of a survey, or of every survey of a kind; small groups suppressed."""
    ws = open_workspace(ctx)
    chosen = None if survey is None else load_survey(ws.store, survey)
    what = chosen.kind if chosen is not None else _kind(kind) or "health_check"
    if what is None:
        raise UsageError(f"{survey}: the survey has no kind; it has no results to compute")
    b = ws.backend()
    s, r = b.table("survey"), b.table("survey_response")
    min_group = ws.config.surveys.min_group
    table = results_of(s, r, what, min_group, grain(period))
    said = ops.comments(s.filter(s.kind == what), r, min_group)
    if chosen is not None:
        table = table.filter(table.survey_id == chosen.id)
        said = said.filter(said.survey_id == chosen.id)
    if team is not None:
        table = table.filter(table.team_id == team)
        said = said.filter(said.team_id == team)
    rows: list[dict[str, Any]] = table.to_pyarrow().to_pylist()
    texts: list[dict[str, Any]] = said.to_pyarrow().to_pylist()
    hidden = sum(1 for row in rows if row["suppressed"])
    columns = _RESULTS[what]
    if fmt is not Format.table:
        columns = [c for c in rows[0] if c != "reason"] + ["reason"] if rows else columns
    elif chosen is not None:  # one survey: its team and id are in the title
        columns = [c for c in columns if c not in ("team_id", "survey_id")]
    sections = {
        f"{what} results" + (f" of {chosen.id}" if chosen and fmt is Format.table else ""): (
            rows,
            columns,
        ),
        "comments": (texts, ["team_id", "survey_id", "text"]),
    }
    if fmt is Format.table and not texts:
        del sections["comments"]
    render_sections(sections, fmt)
    if hidden:
        reasons = "; ".join(sorted({str(row["reason"]) for row in rows if row["suppressed"]}))
        err.print(
            f"{hidden} of {len(rows)} groups suppressed ({reasons}): their figures are not shown; "
            f"comments are shown only for closed surveys where {min_group} or more respondents "
            "wrote one.",
            highlight=False,
        )
