"""Targets a team (or the organisation) sets itself for a success criterion (as `productops
scorecard target`): `PUT /api/v1/teams/{team}/targets/{criterion}` for a team (its members or
an admin), `PUT /api/v1/targets/{criterion}` for the organisation (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from productops.ops.criteria import ORG
from productops.registry.scorecard import TARGET_TABLES
from productops.services.scorecard import set_criterion_target
from productops.services.users import Access, authorize
from productops.web.auth import TEAM_WRITE, WRITE, WorkspaceDep
from productops.web.turns import Served, ServedDep
from productops.workspace import Workspace

__all__ = ["router"]

router = APIRouter(tags=["scorecard"])


class Target(BaseModel):
    """The target value, in the criterion's unit."""

    value: float = Field(allow_inf_nan=False)


class TargetOut(BaseModel):
    """A target as set: the criterion, whose (a team or `(organisation)`), the value."""

    criterion: str
    team_id: str
    value: float
    unit: str
    direction: str


def _set(
    ws: Workspace, served: Served, access: Access, criterion: str, team: str, value: float
) -> TargetOut:
    served.wrote_only(*TARGET_TABLES)  # the remembered scorecard values stay: targets are laid over
    known = set_criterion_target(ws, access.actor, criterion, team, value)
    return TargetOut(
        criterion=known.id, team_id=team, value=value, unit=known.unit, direction=known.direction
    )


@router.put("/teams/{team}/targets/{criterion}")
def team_target(
    ws: WorkspaceDep,
    served: ServedDep,
    access: Annotated[Access, Depends(TEAM_WRITE)],
    team: str,
    criterion: str,
    body: Target,
) -> TargetOut:
    """Set the team's own target for a criterion in use."""
    authorize(access, "write", team)
    return _set(ws, served, access, criterion, team, body.value)


@router.put("/targets/{criterion}")
def organisation_target(
    ws: WorkspaceDep,
    served: ServedDep,
    access: Annotated[Access, Depends(WRITE)],
    criterion: str,
    body: Target,
) -> TargetOut:
    """Set the organisation's target for a criterion in use."""
    return _set(ws, served, access, criterion, ORG, body.value)
