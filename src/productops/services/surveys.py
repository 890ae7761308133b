"""Surveys' writes: open, answer anonymously, close (definitions and the anonymity rule:
docs/surveys.md).

Opening and closing are audited as the actor's (`survey.new`, `survey.close` on `survey:ID`,
with the survey before and after). An answer is audited too, but never as anyone's: its row
names the actor `anonymous` and the survey, and holds neither the answers nor the
respondent's token or hash (docs/server.md#audit-trail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from productops.ingest.privacy import workspace_salt
from productops.registry import surveys as registry
from productops.registry.surveys import Survey
from productops.services import audit
from productops.services.actor import Actor

if TYPE_CHECKING:
    from productops.workspace import Workspace

__all__ = ["ANONYMOUS", "Answered", "Survey", "answer_survey", "close_survey", "open_survey"]

# Who an answer's audit row names: no one.
ANONYMOUS = Actor("anonymous")


@dataclass(frozen=True)
class Answered:
    """An answer recorded: the survey and how many answers (and a comment) it stored."""

    survey: Survey
    answers: int


def open_survey(
    ws: Workspace, actor: Actor, *, team_id: str, kind: str, title: str, at: datetime
) -> Survey:
    """Open a survey of `kind` for a team (a write: audited as `actor`'s)."""
    with ws.store.transaction():
        made = registry.create_survey(ws.store, team_id=team_id, kind=kind, title=title, at=at)
        audit.record(ws, actor, "survey.new", f"survey:{made.id}", None, asdict(made))
    return made


def answer_survey(
    ws: Workspace,
    ref: str,
    answers: Mapping[str, float],
    *,
    comment: str | None,
    token: str,
    at: datetime,
) -> Answered:
    """Record one respondent's answers to an open survey; `token` names the respondent (the
    same token again replaces their answers) and is stored only as a salted hash.

    Takes no actor: an answer is stored without who answered, and audited as `ANONYMOUS`
    with no answers and no respondent in the row.
    """
    salt = workspace_salt(ws.root)
    with ws.store.transaction():
        survey, count = registry.answer_survey(
            ws.store, ref, answers, comment=comment, salt=salt, token=token, at=at
        )
        audit.record(ws, ANONYMOUS, "survey.answer", f"survey:{survey.id}", None, None)
    return Answered(survey, count)


def close_survey(ws: Workspace, actor: Actor, ref: str, at: datetime) -> Survey:
    """Close a survey: it takes no more answers (a write: audited as `actor`'s)."""
    before = registry.load_survey(ws.store, ref)
    with ws.store.transaction():
        after = registry.close_survey(ws.store, before.id, at)
        audit.record(ws, actor, "survey.close", f"survey:{after.id}", asdict(before), asdict(after))
    return after
