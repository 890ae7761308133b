"""Surveys: the list, a survey's results under the anonymity rule, and its answer page,
reached by a link with no account.

The answer page needs no sign-in and looks at none (`auth.ANYONE`). Its form is protected
against cross-site posts by a token in a cookie of its own that the form repeats; the
browser's answers are replaced, not added, when it answers again (its respondent token,
another cookie, is stored only as a salted hash)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from productops.errors import NotAllowedError
from productops.registry.surveys import load_survey, parse_answer
from productops.services.surveys import answer_survey, list_surveys, questions, survey_results
from productops.services.teams import list_teams
from productops.web.auth import ANYONE, WorkspaceDep
from productops.web.pages.render import TEMPLATES, log_use, page, plain_rows
from productops.web.pages.rules import Reader
from productops.web.params import utc

__all__ = ["ANSWER_COOKIE", "RESPONDENT_COOKIE", "SURVEYS_SHOWN", "router"]

router = APIRouter(include_in_schema=False)
ANSWER_COOKIE = "productops_answer"
RESPONDENT_COOKIE = "productops_respondent"
COLOURS = ("green", "amber", "red")
SURVEYS_SHOWN = 100
"""Surveys the list shows (the newest opened first): a page of 1,200 rows took 100 ms of
Jinja alone."""


@router.get("/surveys")
def surveys(
    request: Request,
    ws: WorkspaceDep,
    access: Reader,
    team: Annotated[str | None, Query(description="Only this team's surveys.")] = None,
) -> Response:
    """The surveys (of `team`) with their status and respondents, the newest `SURVEYS_SHOWN`
    (the CSV and JSON have them all)."""
    log_use(ws, access, "page_view", "surveys", team=team)
    found = list_surveys(ws, team or None)
    whole = request.query_params.get("format") in ("csv", "json")
    newest = sorted(found, key=lambda s: (s.opened_at is not None, s.opened_at), reverse=True)
    shown = found if whole else newest[:SURVEYS_SHOWN]
    return page(
        request, access, "surveys.html", {"surveys": shown}, title="Surveys", found=shown,
        total=len(found), team=team, teams=list_teams(ws),
    )  # fmt: skip


@router.get("/surveys/{survey}")
def results(request: Request, ws: WorkspaceDep, access: Reader, survey: str) -> Response:
    """A survey's results and comments; groups under the minimum are suppressed."""
    found = load_survey(ws.store, survey)
    chosen = survey_results(ws, found.id)
    rows, comments = plain_rows(chosen.results), chosen.comments
    log_use(ws, access, "open", f"survey:{found.id}")
    return page(
        request, access, "survey.html", {"results": rows, "comments": comments},
        title=found.title or found.id, s=found, rows=rows, comments=comments,
        min_group=ws.config.surveys.min_group,
    )  # fmt: skip


def _form(
    request: Request, ws: WorkspaceDep, survey: str, message: str = "", done: bool = False
) -> Response:
    found = load_survey(ws.store, survey)
    token = request.cookies.get(ANSWER_COOKIE) or secrets.token_urlsafe(32)
    context = {
        "title": found.title or found.id, "s": found, "asked": questions(ws, found.id),
        "colours": COLOURS, "token": token, "message": message, "done": done,
    }  # fmt: skip
    response = TEMPLATES.TemplateResponse(request, "answer.html", context)
    response.set_cookie(ANSWER_COOKIE, token, httponly=True, samesite="strict", path="/answer")
    return response


@router.get("/answer/{survey}", dependencies=[Depends(ANYONE)])
def answer_form(request: Request, ws: WorkspaceDep, survey: str) -> Response:
    """The survey's questions, to answer anonymously."""
    return _form(request, ws, survey)


@router.post("/answer/{survey}", dependencies=[Depends(ANYONE)])
async def answer(request: Request, ws: WorkspaceDep, survey: str) -> Response:
    """Record the answers (no account; who answered is not stored)."""
    form = await request.form()
    given, expected = str(form.get("token", "")), request.cookies.get(ANSWER_COOKIE, "")
    if not expected or not hmac.compare_digest(given, expected):
        raise NotAllowedError(
            "the form is stale or not from this site: reload the page and answer again"
        )
    found = load_survey(ws.store, survey)
    answers = dict(
        parse_answer(found.kind, f"{q}={form[f'q:{q}']}")
        for q in questions(ws, found.id)
        if str(form.get(f"q:{q}", "")).strip()
    )
    comment = str(form.get("comment", "")).strip() or None
    respondent = request.cookies.get(RESPONDENT_COOKIE) or secrets.token_urlsafe(32)
    answer_survey(ws, found.id, answers, comment=comment, token=respondent, at=utc(None))
    response = _form(
        request, ws, found.id, "Thank you: your answers are recorded, anonymously.", done=True
    )
    response.set_cookie(
        RESPONDENT_COOKIE, respondent, httponly=True, samesite="strict", path="/answer"
    )
    return response
