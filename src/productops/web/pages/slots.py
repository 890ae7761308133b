"""How many pages render at once: every page route takes a render slot first (`render_slot`,
before its store turn), and the requests past `RenderSlots.size` wait for one in the order
they came.

A page is CPU work (queries on DuckDB's threads, then Python and Jinja under the interpreter
lock); 20 renders at once on 2 cores each take 10 times as long, which gains nothing. With one
slot per core (`os.sched_getaffinity`) a page renders in about the time it takes alone, and a
crowd waits its turn before it starts rather than while it runs (docs/server.md, "Pages at
speed"). Only reads (GET, HEAD) take a slot: a page's form write is one at a time already.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request

__all__ = ["RenderSlots", "cores", "render_slot"]


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class RenderSlots:
    """At most `size` page renders at once: `held` of them now, `waiting` requests waiting."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"render slots: {size}; at least 1")
        self.size = size
        self.held = self.waiting = 0
        self._free: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[float]:
        """Hold a slot for the caller's duration; yields how long the wait for it took (s)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a semaphore belongs to one loop (a test may run several)
            self._loop, self._free = loop, asyncio.Semaphore(self.size)
            self.held = self.waiting = 0
        free = self._free
        assert free is not None
        came = time.perf_counter()
        self.waiting += 1
        try:
            await free.acquire()
        finally:
            self.waiting -= 1
        self.held += 1
        try:
            yield time.perf_counter() - came
        finally:
            self.held -= 1
            free.release()


async def render_slot(request: Request) -> AsyncIterator[None]:
    """A page read's render slot (`app.state.render_slots`), held until it is answered; the
    wait for it is kept in `request.state.slot_wait` (s) for the `Server-Timing` header."""
    if request.method not in ("GET", "HEAD"):
        yield
        return
    slots: RenderSlots = request.app.state.render_slots
    async with slots.hold() as waited:
        request.state.slot_wait = waited
        yield
