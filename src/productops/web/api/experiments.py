"""`GET /api/v1/experiments...`: the experiment registry and an experiment's analysis, as
`productops experiment list|analyze -f json`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from productops.services import experiments as service
from productops.web.auth import WorkspaceDep
from productops.web.paging import Page, PagingDep
from productops.web.params import Team, utc
from productops.web.usage import ReaderDep, log_read

__all__ = ["router"]

router = APIRouter(tags=["experiments"])


@router.get("/experiments")
def experiments(
    ws: WorkspaceDep, paging: PagingDep, access: ReaderDep, team: Team = None
) -> Page[service.ExperimentListed]:
    """Experiments with their status and setup time in days, by team and creation."""
    log_read(ws, access, paging, "search", "experiments", team=team)
    return paging.page(service.list_experiments(ws, team))


@router.get("/experiments/{experiment}/results")
def results(
    ws: WorkspaceDep,
    access: ReaderDep,
    experiment: str,
    method: Annotated[service.Method, Query(description="How to test.")] = "frequentist",
    absolute: Annotated[bool, Query(description="Absolute effects, not relative lift.")] = False,
    cuped: Annotated[bool, Query(description="Adjust for the pre-period covariate.")] = True,
    alpha: Annotated[float, Query(gt=0, lt=1, description="Significance level.")] = 0.05,
    correction: Annotated[
        service.Correction, Query(description="Across goal metrics: holm, bh or none.")
    ] = "holm",
    prior_mean: Annotated[
        float | None,
        Query(ge=-100, le=100, description="Bayesian: Gaussian prior mean of the relative lift."),
    ] = None,
    prior_variance: Annotated[
        float, Query(gt=0, le=100, description="Bayesian: the prior's variance.")
    ] = 0.01,
    target_effect: Annotated[
        float, Query(gt=0, le=100, description="Relative lift the test should find.")
    ] = 0.05,
    power: Annotated[float, Query(gt=0, lt=1, description="Wanted power.")] = 0.8,
) -> service.ExperimentAnalysis:
    """An experiment's analysis (its id, or a unique start of its part after `source:`): per
    metric and arm the effect, interval, p-value or chance to win, power and warnings."""
    settings = service.analysis_settings(
        method,
        absolute=absolute,
        cuped=cuped,
        alpha=alpha,
        correction=correction,
        prior_mean=prior_mean,
        prior_variance=prior_variance,
        target_effect=target_effect,
        power=power,
    )
    found = service.experiment_analysis(ws, experiment, settings, utc(None))
    log_read(ws, access, None, "open", found.experiment.experiment_id)
    return found
