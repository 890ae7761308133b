"""Surveys under `/api/v1/surveys`. `reads`: the surveys and their results and comments, as
`productops survey list|results -f json`, under the anonymity rule of `services.surveys` (no
filter splits a group: a figure or comment of fewer than 3 respondents, or of an open survey, is
never given). `router`: `POST /api/v1/surveys/{survey}/answers` answers an open survey
anonymously (as `productops survey answer`). No account is needed and none is looked at: the
answer is stored without who answered, `respondent` only as a salted hash, and its audit row
names no one and keeps no request id (docs/server.md#survey-answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from productops.durations import Grain
from productops.registry.surveys import load_survey, parse_answer
from productops.services import surveys as service
from productops.web.auth import ANYONE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team, utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["reads", "router"]

router = APIRouter(tags=["surveys"], dependencies=[Depends(ANYONE)])
reads = APIRouter(tags=["surveys"])
Kind = Annotated[
    str | None, Query(description="Only this kind: health_check, stakeholder, ops_support, ...")
]


class Answers(BaseModel):
    """One respondent's answers: question to value (`green`, `3`, ...), as the survey's kind
    takes them, and free text."""

    answers: dict[str, str | float] = {}
    comment: str | None = None
    respondent: Annotated[
        str,
        Field(
            min_length=8,
            max_length=200,
            description="A private token of the respondent's choosing: answering again with it "
            "replaces the answers. Stored only as a salted hash.",
        ),
    ]
    at: datetime | None = Field(default=None, description="Default now.")


class AnsweredOut(BaseModel):
    """The survey answered and how many answers (and a comment) were stored."""

    survey_id: str
    answers: int


@router.post("/surveys/{survey}/answers")
def answer(ws: WorkspaceDep, survey: str, body: Answers) -> AnsweredOut:
    """Answer an open survey (409 once it is closed); no account needed."""
    found = load_survey(ws.store, survey)
    answers = dict(parse_answer(found.kind, f"{q}={v}") for q, v in body.answers.items())
    done = service.answer_survey(
        ws, found.id, answers, comment=body.comment, token=body.respondent, at=utc(body.at)
    )
    return AnsweredOut(survey_id=done.survey.id, answers=done.answers)


@reads.get("/surveys")
def surveys(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None, kind: Kind = None
) -> Page[service.SurveyListed]:
    """Surveys with their status and number of respondents."""
    log_read(ws, access, paging, "search", "surveys", team=team, survey_kind=kind)
    return paging.page(service.list_surveys(ws, team, kind))


Survey = Annotated[str | None, Query(description="One survey (default: every survey of `kind`).")]
Quarter = Annotated[Grain, Query(description="The length of a period.")]


@reads.get("/surveys/results")
def results(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    survey: Survey = None,
    kind: Kind = None,
    team: Team = None,
    grain: Quarter = "quarter",
) -> Page[service.SurveyResult]:
    """Results of a survey, or of every survey of a kind (default health_check): one row per
    group, its figures null and `suppressed` when the survey is open or the group has fewer
    than 3 respondents (`reason` says which)."""
    log_read(
        ws, access, paging, "query", "survey.results", survey=survey, survey_kind=kind, team=team
    )
    return paging.page(service.survey_results(ws, survey, kind, team, grain).results)


@reads.get("/surveys/comments")
def comments(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    survey: Survey = None,
    kind: Kind = None,
    team: Team = None,
) -> Page[service.SurveyComment]:
    """Comments of closed surveys where 3 or more respondents wrote one, by text (never who)."""
    log_read(
        ws, access, paging, "query", "survey.comments", survey=survey, survey_kind=kind, team=team
    )
    return paging.page(service.survey_results(ws, survey, kind, team).comments)
