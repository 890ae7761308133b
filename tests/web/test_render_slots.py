"""Page renders are bounded: with N render slots at most N page reads render at once, the rest
wait for a slot before they take the store (so a waiting page holds no store turn), and every
one is answered; counted, not timed."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from productops.services.teams import list_teams
from productops.web.app import create_app
from productops.web.pages import teams as teams_page
from productops.web.pages.slots import RenderSlots
from tests.web.conftest import Site

REQUESTS = 6


@pytest.mark.parametrize("size", [1, 2, REQUESTS])
def test_at_most_n_pages_render_at_once(
    served: Site, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    app = create_app(served.root)
    slots = app.state.render_slots = RenderSlots(size)
    lock, go = threading.Lock(), threading.Event()
    rendering = {"now": 0, "most": 0}

    def counted(ws: Any) -> Any:  # the /teams page's service, held open until `go`
        with lock:
            rendering["now"] += 1
            rendering["most"] = max(rendering["most"], rendering["now"])
        go.wait()
        with lock:
            rendering["now"] -= 1
        return list_teams(ws)

    monkeypatch.setattr(teams_page, "list_teams", counted)
    headers = served.headers("admin's session")

    async def settled() -> None:  # every request renders or waits for a slot
        while not (rendering["now"] == size and slots.waiting == REQUESTS - size):
            await asyncio.sleep(0.01)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            asked = [
                asyncio.create_task(client.get("/teams", headers=headers)) for _ in range(REQUESTS)
            ]
            try:
                await asyncio.wait_for(settled(), 60)  # a bound, not a measure
                assert slots.held == size
                assert app.state.served._using == size  # the waiting ones hold no store turn
            finally:
                go.set()
            answers = await asyncio.gather(*asked)
        return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200] * REQUESTS
    assert rendering["most"] == size
    assert slots.held == slots.waiting == 0


def test_a_page_says_its_wait_for_a_slot_and_its_render(served: Site) -> None:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(served.root))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/teams", headers=served.headers("admin's session"))

    timing = asyncio.run(run()).headers["server-timing"]
    assert timing.startswith("slot;dur=")
    assert ", render;dur=" in timing
