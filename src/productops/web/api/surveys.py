"""`POST /api/v1/surveys/{survey}/answers`: answer an open survey anonymously (as `productops
survey answer`). No account is needed and none is looked at: the answer is stored without who
answered, `respondent` only as a salted hash, and its audit row names no one and keeps no
request id (docs/server.md#survey-answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.registry.surveys import load_survey, parse_answer
from productops.services.surveys import answer_survey
from productops.web.auth import ANYONE, WorkspaceDep
from productops.web.params import utc

__all__ = ["router"]

router = APIRouter(tags=["surveys"], dependencies=[Depends(ANYONE)])


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
    done = answer_survey(
        ws, found.id, answers, comment=body.comment, token=body.respondent, at=utc(body.at)
    )
    return AnsweredOut(survey_id=done.survey.id, answers=done.answers)
