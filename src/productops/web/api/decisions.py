"""The decision log under `/api/v1/decisions`: its reads (as `productops decision list|show|
verify`) and its writes (as `productops decision new|decide|evidence|review|supersede`): a
member writes only its teams' decisions. Responses are the services' own dataclasses
(`Decision`, `Evidence`, `Outcome`, ...), which FastAPI validates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, model_validator

from productops.durations import Grain
from productops.registry.decisions import load_decision
from productops.registry.evidence import MetricRequest
from productops.services import decisions as service
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team, maybe_utc, utc
from productops.web.usage import ReaderDep, log_read
from productops.workspace import Workspace

__all__ = ["router"]

router = APIRouter(tags=["decisions"])
Writer = Annotated[Access, Depends(TEAM_WRITE)]


class NewDecision(BaseModel):
    """A proposed decision for a team."""

    team_id: str
    title: str
    context: str | None = None
    options: list[str] = []
    deciders: list[str] = Field(default=[], description="Ids of the person table.")
    expected_metric: str | None = Field(default=None, description="A metric of the catalog.")
    expected_direction: Literal["up", "down"] | None = None
    expected_by: datetime | None = None
    review_at: datetime | None = None
    at: datetime | None = Field(default=None, description="When it was logged; default now.")

    @model_validator(mode="after")
    def _expectation(self) -> NewDecision:
        if (self.expected_metric is None) != (self.expected_direction is None):
            raise ValueError("give expected_metric and expected_direction together")
        return self


class Choice(BaseModel):
    """What was decided: an option's text or number."""

    choice: str
    rationale: str | None = None
    at: datetime | None = Field(default=None, description="When it was decided; default now.")


class MetricEvidence(BaseModel):
    """A metric query to freeze, as `productops metrics query`."""

    metric: str
    by: list[str] = []
    grain: Grain = "week"
    where: list[str] = []
    since: datetime | None = None
    until: datetime | None = None


class RecordEvidence(BaseModel):
    """A record to cite: an experiment, insight or feedback."""

    kind: Literal["experiment", "insight", "feedback"]
    id: str


class NewEvidence(BaseModel):
    """Exactly one of a metric query or a record."""

    metric: MetricEvidence | None = None
    record: RecordEvidence | None = None
    at: datetime | None = Field(default=None, description="When it was captured; default now.")

    @model_validator(mode="after")
    def _one(self) -> NewEvidence:
        if (self.metric is None) == (self.record is None):
            raise ValueError("give exactly one of metric or record")
        return self


class Review(BaseModel):
    """When to measure the outcome."""

    at: datetime | None = Field(default=None, description="Default now.")


class Supersede(BaseModel):
    """The decision that replaces this one."""

    by: str


@router.get("/decisions")
def decisions(
    ws: WorkspaceDep,
    paging: PagingDep,
    access: ReaderDep,
    team: Team = None,
    status: Annotated[
        Literal["proposed", "decided", "superseded"] | None,
        Query(description="Only decisions in this status."),
    ] = None,
) -> Page[service.DecisionListed]:
    """Every decision, newest first: status, expected outcome, review date, evidence count."""
    log_read(ws, access, paging, "search", "decisions", team=team, status=status)
    return paging.page(service.list_decisions(ws, team, status))


@router.get("/decisions/{decision}")
def show(ws: WorkspaceDep, access: ReaderDep, decision: str) -> service.DecisionShown:
    """A decision (its id, or the part after `decision-`) with its evidence."""
    found = service.show_decision(ws, decision)
    log_read(ws, access, None, "open", found.decision.id)
    return found


@router.get("/decisions/{decision}/verify")
def verify(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, decision: str
) -> Page[service.Verification]:
    """Each frozen piece of evidence run again: does it reproduce, has the data changed since?"""
    found = service.verify_decision(ws, decision, utc(None))
    log_read(ws, access, paging, "query", "decision.verify", decision=decision)
    return paging.page(found)


def _decision(ws: Workspace, access: Access, ref: str) -> str:
    """The id of decision `ref`, once `access` may write for its team."""
    found = load_decision(ws.store, ref)
    authorize(access, "write", found["team_id"])
    return str(found["id"])


@router.post("/decisions")
def new_decision(ws: WorkspaceDep, access: Writer, body: NewDecision) -> service.Decision:
    """Log a proposed decision."""
    authorize(access, "write", body.team_id)
    expect = None
    if body.expected_metric is not None and body.expected_direction is not None:
        expect = (body.expected_metric, body.expected_direction)
    made = service.log_decision(
        ws, access.actor, team_id=body.team_id, title=body.title, context=body.context,
        options=body.options, deciders=body.deciders, expect=expect,
        expected_by=maybe_utc(body.expected_by), review_at=maybe_utc(body.review_at), at=utc(body.at),
    )  # fmt: skip
    return made


@router.post("/decisions/{decision}/decide")
def decide(ws: WorkspaceDep, access: Writer, decision: str, body: Choice) -> service.Decision:
    """Record what was decided; the decision becomes decided (409 unless it is proposed)."""
    ident = _decision(ws, access, decision)
    return service.decide(ws, access.actor, ident, body.choice, body.rationale, utc(body.at))


@router.post("/decisions/{decision}/evidence")
def evidence(
    ws: WorkspaceDep, access: Writer, decision: str, body: NewEvidence
) -> service.Evidence:
    """Freeze evidence for a decision: a metric query's rows, or a record as seen."""
    ident = _decision(ws, access, decision)
    given: MetricRequest | tuple[str, str]
    if body.metric is not None:
        m = body.metric
        given = MetricRequest(
            m.metric, tuple(m.by), m.grain, tuple(m.where),
            maybe_utc(m.since), maybe_utc(m.until),
        )  # fmt: skip
    else:
        assert body.record is not None
        given = (body.record.kind, body.record.id)
    return service.attach_evidence(ws, access.actor, ident, given, utc(body.at))


@router.post("/decisions/{decision}/review")
def review(ws: WorkspaceDep, access: Writer, decision: str, body: Review) -> service.Outcome:
    """Measure the expected metric again and record the outcome (409 unless decided)."""
    ident = _decision(ws, access, decision)
    return service.review(ws, access.actor, ident, utc(body.at))


@router.post("/decisions/{decision}/supersede")
def supersede(ws: WorkspaceDep, access: Writer, decision: str, body: Supersede) -> service.Decision:
    """Mark the decision superseded by decision `by` (a write for both decisions' teams)."""
    ident = _decision(ws, access, decision)
    by = _decision(ws, access, body.by)
    return service.supersede(ws, access.actor, ident, by)
