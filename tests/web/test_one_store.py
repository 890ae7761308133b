"""One store, two kinds of process: `productops serve` and the command line take the workspace's
store in short turns. A store another process holds is waited for up to `[workspace]
lock_wait_seconds`; past it a command fails in one line naming the holder, and the server
answers 503 `busy` with Retry-After (docs/server.md, "One store, two kinds of process")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from productops.config import load_config, write_config
from productops.engine import Store, store_wanted
from productops.errors import StoreBusyError
from productops.workspace import STORE_FILE, Workspace
from tests.web.conftest import Site, build
from tests.web.test_serve_process import SRC, STARTUP_LIMIT, free_port

ENV = {**os.environ, "PYTHONPATH": str(SRC)}
READERS = 3  # threads reading through the API
WRITES = 4  # commands writing beside them, as many as start within LOOP seconds
LOOP = 15.0  # seconds: the budget of the interleaving test, not a speed check
BOUND = 60.0  # seconds: no request or command may take longer (a loaded machine, not a speed)

# Holds the store open for writing, as a long command does, until its standard input closes
# or, given a number, for that many seconds.
HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("ready", flush=True)
    time.sleep(float(sys.argv[2])) if len(sys.argv) > 2 else sys.stdin.read()
    con.close()
""")


def hold(store: Path, *seconds: str) -> subprocess.Popen[str]:
    """A process holding `store` for writing, once it is ready."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store), *seconds],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    return child


def set_lock_wait(root: Path, seconds: float) -> None:
    """Set `[workspace] lock_wait_seconds` in the workspace's productops.toml."""
    path = root / "productops.toml"
    config = load_config(path)
    workspace = config.workspace.model_copy(update={"lock_wait_seconds": seconds})
    write_config(path, config.model_copy(update={"workspace": workspace}))


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`productops -w ROOT ARGS` as a process of its own."""
    command = [sys.executable, "-m", "productops", "-w", str(root), *args]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=BOUND)


def team_ids(root: Path) -> set[str]:
    ws = Workspace.open(root, read_only=True)
    try:
        return {row[0] for row in ws.store.sql("SELECT id FROM team")}
    finally:
        ws.close()


@pytest.fixture
def own(tmp_path: Path) -> Site:
    return build(tmp_path / "ws")


@pytest.fixture
def server(own: Site, tmp_path: Path) -> Iterator[httpx.Client]:
    """A client of `productops serve` on a free port of 127.0.0.1, answering already."""
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "productops", "-w", str(own.root), "serve"]
    with (
        log.open("wb") as out,
        subprocess.Popen(
            [*command, "--port", str(port)], env=ENV, stdout=out, stderr=out
        ) as process,
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            headers={"Authorization": f"Bearer {own.tokens['viewer']}"},
            timeout=BOUND,
        ) as client,
    ):
        try:
            deadline = time.monotonic() + STARTUP_LIMIT
            while True:
                assert process.poll() is None, log.read_text(encoding="utf-8")
                try:
                    client.get("/teams")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "productops serve did not answer"
                    time.sleep(0.2)
            yield client
        finally:
            process.terminate()
            process.wait(timeout=30)


def teams_file(folder: Path, *ids: str) -> Path:
    path = folder / f"teams-{'-'.join(ids)}.csv"
    path.write_text("id,name\n" + "".join(f"{i},{i.title()}\n" for i in ids), encoding="utf-8")
    return path


# -- Store.open waits its turn --------------------------------------------------------------


def test_a_store_released_within_the_wait_opens(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    holder = hold(path, "1")
    try:
        store = Store.open(path, lock_wait=BOUND)
        assert store.schema_version() > 0
        store.close()
    finally:
        holder.communicate("")


def test_a_store_held_past_the_wait_is_a_one_line_error_naming_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    holder = hold(path)
    try:
        with pytest.raises(StoreBusyError) as raised:
            Store.open(path, lock_wait=0.5)
    finally:
        holder.communicate("")
    message = str(raised.value)
    assert "\n" not in message
    assert f"{path} is held by process {holder.pid} (" in message
    assert "lock_wait_seconds" in message


WAITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from productops.engine import Store
    Store.open(Path(sys.argv[1]), lock_wait=60).close()
    print("opened", flush=True)
""")


def test_a_process_waiting_for_the_store_says_so_until_it_has_it(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    assert not store_wanted(path)
    holder = hold(path)
    waiter = subprocess.Popen(
        [sys.executable, "-c", WAITER, str(path)], env=ENV, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + BOUND
        while not store_wanted(path):  # once it has tried and found the store held
            assert waiter.poll() is None
            assert time.monotonic() < deadline, "the waiting process never said so"
            time.sleep(0.01)
    finally:
        holder.communicate("")
    out, _ = waiter.communicate(timeout=BOUND)
    assert out == "opened\n"
    assert not store_wanted(path)  # the system dropped its lock with it


# -- the server and the command line on one workspace ----------------------------------------


def test_the_command_line_reads_and_writes_beside_the_server(
    own: Site, server: httpx.Client, tmp_path: Path
) -> None:
    assert server.get("/teams").status_code == 200  # the server has had the store
    for args in (["status", "-f", "json"], ["flow", "items", "-f", "json"]):
        done = cli(own.root, *args)
        assert done.returncode == 0, done.stderr
    done = cli(own.root, "import", "team", str(teams_file(tmp_path, "ops")))
    assert done.returncode == 0, done.stderr
    listed = server.get("/teams", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    assert "ops" in {team["id"] for team in listed.json()["items"]}


def test_api_reads_and_command_line_writes_interleave_and_lose_nothing(
    own: Site, server: httpx.Client, tmp_path: Path
) -> None:
    statuses: list[tuple[int, str]] = []
    writing = threading.Event()
    writing.set()

    def read() -> None:
        while writing.is_set():
            for path in ("/teams", "/themes", "/flow/items"):
                response = server.get(path)
                code = response.json()["error"]["code"] if response.status_code != 200 else ""
                statuses.append((response.status_code, code))

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    started: list[str] = []
    accepted: list[str] = []
    end = time.monotonic() + LOOP
    try:
        for n in range(WRITES):
            if started and time.monotonic() > end:
                break
            team = f"team-{n}"
            started.append(team)
            done = cli(own.root, "import", "team", str(teams_file(tmp_path, team)))
            assert done.returncode == 0 or "is held by process" in done.stderr, done.stderr
            if done.returncode == 0:
                accepted.append(team)
    finally:
        writing.clear()
        for reader in readers:
            reader.join(timeout=BOUND)
    assert not any(reader.is_alive() for reader in readers)
    assert statuses
    assert {status for status in statuses} <= {(200, ""), (503, "busy")}, set(statuses)
    assert accepted == started  # none waited past lock_wait_seconds
    assert set(accepted) <= team_ids(own.root)


def test_a_command_holding_the_store_past_the_wait_makes_the_server_answer_busy(
    own: Site, server: httpx.Client
) -> None:
    set_lock_wait(own.root, 0.5)  # read by each request's turn
    holder = hold(own.root / STORE_FILE)  # as a long command (an import, a demo build) does
    try:
        busy = server.get("/teams")
    finally:
        holder.communicate("")
    assert busy.status_code == 503, busy.text
    assert busy.headers["Retry-After"].isdecimal()
    error = busy.json()["error"]
    assert error["code"] == "busy"
    assert "\n" not in error["message"]
    assert server.get("/teams").status_code == 200  # the store is free again


def test_a_backup_beside_the_server_is_a_consistent_workspace(
    own: Site, server: httpx.Client, tmp_path: Path
) -> None:
    reading = threading.Event()
    reading.set()
    statuses: list[int] = []

    def read() -> None:  # each read also writes its usage row
        while reading.is_set() and len(statuses) < 1000:
            statuses.append(server.get("/teams").status_code)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = cli(own.root, "backup", str(tmp_path / "copy"))
    finally:
        reading.clear()
        reader.join(timeout=BOUND)
    assert done.returncode == 0, done.stderr
    assert set(statuses) <= {200, 503}, statuses
    assert team_ids(tmp_path / "copy") == team_ids(own.root)
    copy = Workspace.open(tmp_path / "copy", read_only=True)
    try:
        assert copy.store.sql("SELECT count(*) FROM app_user")[0][0] == 5
    finally:
        copy.close()
