"""The JSON API's routers, each mounted under `/api/v1`."""

from __future__ import annotations

from productops.web.api import (
    audit,
    checks,
    decisions,
    feedback,
    flow,
    initiatives,
    metrics,
    notify,
    nudges,
    schedule,
    scorecard,
    surveys,
    targets,
    teams,
    themes,
)

__all__ = ["ROUTERS"]

ROUTERS = [
    teams.router,
    scorecard.router,
    flow.router,
    themes.router,
    metrics.router,
    audit.router,
    decisions.router,
    feedback.router,
    nudges.router,
    initiatives.router,
    surveys.router,
    targets.router,
    checks.router,
    schedule.router,
    notify.router,
]
