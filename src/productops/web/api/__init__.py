"""The JSON API's routers, each mounted under `/api/v1`."""

from __future__ import annotations

from productops.web.api import (
    activities,
    audit,
    checks,
    decisions,
    dora,
    experiments,
    feedback,
    flow,
    initiatives,
    insights,
    metrics,
    notify,
    nudges,
    schedule,
    scorecard,
    surveys,
    syncs,
    targets,
    teams,
    themes,
    users,
    workspace,
)

__all__ = ["ROUTERS"]

ROUTERS = [
    teams.router,
    users.router,
    workspace.router,
    scorecard.router,
    flow.router,
    dora.router,
    themes.router,
    insights.router,
    metrics.router,
    experiments.router,
    activities.router,
    audit.router,
    decisions.router,
    feedback.router,
    nudges.router,
    initiatives.router,
    surveys.reads,
    surveys.router,
    targets.router,
    checks.router,
    syncs.router,
    schedule.router,
    notify.router,
]
