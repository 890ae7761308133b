"""The server's scheduler: while `productops serve` runs, it runs the jobs of `[schedule]` that
are due, every `interval_seconds` (docs/schedule.md).

Each job takes the served store in a turn of its own (`Served.turn`), as a request does, so a
command line on the same workspace gets the store between jobs; requests wait behind a job that
is running. Stopping the server lets the running job end first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from productops.errors import ProductOpsError
from productops.services.schedule import (
    Clock,
    Plan,
    ScheduleRun,
    notify_pass,
    read_plan,
    run_next,
)
from productops.web.turns import Served

__all__ = ["Scheduler", "lifespan"]

log = logging.getLogger("productops.schedule")
# How long to wait before looking again when the settings cannot be read (seconds).
RETRY_SECONDS = 30.0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Scheduler:
    """Runs the served workspace's due jobs, a pass at a time; `passes` counts the passes done."""

    served: Served
    clock: Clock = _now
    passes: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _passed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def run_pass(self, plan: Plan) -> list[ScheduleRun]:
        """Run every job of `plan` due now, each once and each in its own turn; then, in one
        more turn, queue the alerts and send the outbox (`notify_pass`)."""
        ran: list[ScheduleRun] = []
        while plan.jobs and not self._stop.is_set():
            async with self.served.turn(writes=True) as ws:
                one = await run_in_threadpool(run_next, ws, self.clock, {r.job for r in ran})
            if one is None:
                break
            ran.append(one)
            if one.outcome == "failed":
                log.warning("schedule: %s failed: %s", one.job, one.error)
            else:
                log.info("schedule: %s %s", one.job, one.outcome)
        if not plan.sends or self._stop.is_set():
            return ran
        async with self.served.turn(writes=True) as ws:
            told = await run_in_threadpool(notify_pass, ws, self.clock, ran)
        for attempt in told.delivery.attempts:
            if attempt.status != "sent":
                log.warning(
                    "notify: %s %s: %s", attempt.idempotency_key, attempt.status, attempt.error
                )
        return ran

    async def run(self) -> None:
        """Pass after pass until stopped; a pass that fails (a store held past the wait, broken
        settings) is logged and tried again at the next."""
        while not self._stop.is_set():
            interval = RETRY_SECONDS
            try:
                plan = await run_in_threadpool(read_plan, self.served.root)
                interval = plan.interval_seconds
                await self.run_pass(plan)
            except ProductOpsError as exc:
                log.warning("schedule: %s", exc)
            except Exception:
                log.exception("schedule: a pass failed")
            async with self._passed:
                self.passes += 1
                self._passed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)

    async def passed(self, count: int) -> None:
        """Wait until `count` passes are done."""
        async with self._passed:
            await self._passed.wait_for(lambda: self.passes >= count)

    def stop(self) -> None:
        """Stop after the job running now, if any."""
        self._stop.set()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the app's `Scheduler` (`app.state.scheduler`) while the server runs."""
    scheduler: Scheduler = app.state.scheduler
    task = asyncio.create_task(scheduler.run())
    try:
        yield
    finally:
        scheduler.stop()
        await task
