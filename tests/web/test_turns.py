"""The server's turns (docs/server.md, "One store, two kinds of process"): reads side by side,
writes one at a time beside them, each read on one state of the store; the store kept open a
while after the last turn, then given back; and the rule of remembered reads: a kept result is
given while it saw the caller's own writes, and computed again in the background after others'.
The hand-off to a command line process is tested in test_one_store.py and test_concurrency.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from productops.errors import NotFoundError
from productops.registry.usage import record_usage
from productops.web.turns import LINGER_SECONDS, Served
from productops.workspace import Workspace
from tests.web.conftest import Site, copy_site

BOUND = 60.0  # seconds: how long a test waits for the server to do something in the background


@pytest.fixture
def root(served: Site, tmp_path: Path) -> Path:
    return copy_site(served, tmp_path / "ws").root


def uses(ws: Workspace) -> int:
    """The usage rows `ws`'s turn sees."""
    found: int = ws.store.sql("SELECT count(*) FROM usage_event")[0][0]
    return found


def use(ws: Workspace) -> None:
    """Write one usage row."""
    record_usage(ws.store, "search", "teams", person_id=None, at=datetime.now(UTC))


async def until(done: Callable[[], bool]) -> None:
    """Wait until `done()`, at most `BOUND` seconds."""
    deadline = time.monotonic() + BOUND
    while not done():
        assert time.monotonic() < deadline, "not done in time"
        await asyncio.sleep(0.01)


def test_reads_run_side_by_side_and_beside_a_write_on_one_state_each(root: Path) -> None:
    served = Served(root)

    async def run() -> None:
        async with served.turn() as first, served.turn() as second:  # both in progress
            assert first.store is not second.store
            before = uses(first)
            assert uses(second) == before
            async with served.turn(writes=True) as writing:  # a write beside them
                use(writing)
            # each read sees one state, as of its first query
            assert uses(first) == uses(second) == before
        async with served.turn() as after:
            assert uses(after) == before + 1

    asyncio.run(run())


def test_writes_take_their_turns_one_at_a_time(root: Path) -> None:
    served = Served(root)
    order: list[str] = []

    async def write(name: str, hold: float) -> None:
        async with served.turn(writes=True) as ws:
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            use(ws)
            order.append(f"{name} out")

    async def run() -> None:
        await asyncio.gather(write("first", 0.3), write("second", 0))

    asyncio.run(run())
    assert order == ["first in", "first out", "second in", "second out"]


def test_the_store_stays_open_between_turns_and_is_given_back_when_idle(root: Path) -> None:
    served = Served(root)

    async def run() -> None:
        async with served.turn() as ws:
            uses(ws)
        held = served.held
        async with served.turn() as ws:  # soon after: the store held since
            assert served.held is held is not None
        ended = time.monotonic()
        await until(lambda: served.held is None)
        assert time.monotonic() - ended >= LINGER_SECONDS * 0.9  # not before the linger

    asyncio.run(run())
    other = Workspace.open(root)  # no process holds it: this one opens it at once
    other.close()


def test_a_callers_error_keeps_the_store_and_a_fault_gives_it_back(root: Path) -> None:
    served = Served(root)

    async def fail(error: Exception) -> None:
        with pytest.raises(type(error)):
            async with served.turn():
                raise error

    async def run() -> None:
        async with served.turn():
            held = served.held
        await fail(NotFoundError("unknown decision"))
        assert served.held is held
        await fail(RuntimeError("a fault"))
        assert served.held is None  # the next turn opens it afresh

    asyncio.run(run())


def test_remembered_reads_show_the_callers_writes_and_others_after_a_background_refresh(
    root: Path,
) -> None:
    served = Served(root)
    computed: list[int] = []

    def count(ws: Workspace) -> int:
        computed.append(uses(ws))
        return computed[-1]

    async def read(caller: str, ignoring: frozenset[str] = frozenset()) -> int:
        async with served.turn() as ws:
            return served.remembered(ws, "uses", count, ignoring, caller)

    async def write(caller: str, *only: str) -> None:
        async with served.turn(writes=True) as ws:
            served.written_by(caller)
            if only:
                served.wrote_only(*only)
            use(ws)

    async def run() -> None:
        first = await read("ana")
        assert await read("ana") == first  # kept
        assert len(computed) == 1
        await write("ben")
        assert await read("ana") == first  # another's write: the kept result, while...
        await until(lambda: len(computed) == 2 and not served._background)
        assert await read("ana") == first + 1  # ... it is computed again in the background
        await write("ana")
        assert await read("ana") == first + 2  # the caller's own write: computed for it
        assert len(computed) == 3
        await write("ana", "usage_event")  # a write the read says it ignores
        assert await read("ana", frozenset({"usage_event"})) == first + 2
        assert len(computed) == 3

    asyncio.run(run())
