"""The JSON API's routers, each mounted under `/api/v1`."""

from __future__ import annotations

from productops.web.api import audit, flow, metrics, scorecard, teams, themes

__all__ = ["ROUTERS"]

ROUTERS = [teams.router, scorecard.router, flow.router, themes.router, metrics.router, audit.router]
