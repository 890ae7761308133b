"""The server runs the schedule in the background (its lifespan), each job in a store turn of
its own, and admins read the jobs and runs at `/api/v1/schedule` and `/api/v1/schedule/runs`,
as `productops schedule list|history -f json` shows them."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from productops.cli import app as cli
from productops.config import ScheduleSettings, load_config, write_config
from productops.web.app import create_app
from productops.web.schedule import Scheduler
from tests.web.conftest import build

T0 = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)
WAIT = 60.0  # seconds: a bound on a loaded machine, not a speed check


def test_serve_runs_due_jobs_in_the_background_and_admins_read_them(tmp_path: Path) -> None:
    site = build(tmp_path / "ws")
    path = site.root / "productops.toml"
    config = load_config(path)
    settings = ScheduleSettings(checks="0 * * * *", scorecard="0 6 * * *", interval_seconds=0.05)
    write_config(path, config.model_copy(update={"schedule": settings}))
    app = create_app(site.root)
    scheduler: Scheduler = app.state.scheduler
    ticks = (T0 + timedelta(seconds=i) for i in itertools.count())  # one second per reading
    scheduler.clock = lambda: next(ticks)

    async def serve() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            # Three passes: the first runs both jobs, the next two find nothing due.
            await asyncio.wait_for(scheduler.passed(3), WAIT)
            return [
                await client.get(path, headers={"Authorization": f"Bearer {token}"})
                for path, token in [
                    ("/api/v1/schedule", site.tokens["admin"]),
                    ("/api/v1/schedule/runs", site.tokens["admin"]),
                    ("/api/v1/schedule/runs?job=checks", site.tokens["admin"]),
                    ("/api/v1/schedule/runs", site.tokens["viewer"]),
                ]
            ]

    jobs, every, checks, viewer = asyncio.run(serve())
    assert jobs.status_code == 200, jobs.text
    assert [
        (j["job"], j["last_outcome"], j["failures_in_a_row"]) for j in jobs.json()["items"]
    ] == [
        ("checks", "succeeded", 0),
        ("scorecard", "succeeded", 0),
    ]
    runs = every.json()["items"]
    assert [(r["job"], r["due_at"], r["outcome"]) for r in runs] == [
        ("scorecard", "2026-03-02T06:00:00Z", "succeeded"),
        ("checks", "2026-03-02T10:00:00Z", "succeeded"),
    ]
    assert [r["job"] for r in checks.json()["items"]] == ["checks"]
    assert viewer.status_code == 403
    # The API answers what the command line shows.
    shown = CliRunner().invoke(cli, ["-w", str(site.root), "schedule", "history", "-f", "json"])
    assert shown.exit_code == 0, shown.output
    assert [_same(r) for r in json.loads(shown.output)] == [_same(r) for r in runs]


def _same(run: dict[str, Any]) -> tuple[Any, ...]:
    """A run's fields, times read as datetimes (the API writes Z, the command line +00:00)."""
    times = [datetime.fromisoformat(run[k]) for k in ("due_at", "started_at", "ended_at")]
    return (run["job"], *times, run["outcome"], run["error"], run["summary"])
