"""`productops serve` as a real process on 127.0.0.1 answers the API; without a workspace it
stops with a one-line error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from productops.cli import app as cli
from tests.web.conftest import Site, build

SRC = Path(__file__).resolve().parents[2] / "src"
STARTUP_LIMIT = 60.0  # seconds: a bound on a loaded machine, not a speed check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def own(tmp_path: Path) -> Site:
    """A workspace of its own: other tests' commands may keep the shared one open."""
    return build(tmp_path / "ws")


@pytest.fixture
def server(own: Site, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`productops serve` on a free port; its output goes to a log file."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    log = tmp_path / "serve.log"
    command = ["-w", str(own.root), "serve", "--port", str(port)]
    with (
        log.open("wb") as out,
        subprocess.Popen(
            [sys.executable, "-m", "productops", *command], env=env, stdout=out, stderr=out
        ) as process,
    ):
        try:
            yield f"http://127.0.0.1:{port}", log, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serve_answers_the_api_over_http(
    own: Site, server: tuple[str, Path, subprocess.Popen[bytes]]
) -> None:
    url, log, process = server
    headers = {"Authorization": f"Bearer {own.tokens['viewer']}"}
    deadline = time.monotonic() + STARTUP_LIMIT
    while True:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        try:
            response = httpx.get(f"{url}/api/v1/teams", headers=headers, timeout=10)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "productops serve did not answer"
            time.sleep(0.2)
    assert response.status_code == 200, response.text
    assert [t["id"] for t in response.json()["items"]] == ["growth", "payments", "product"]
    assert httpx.get(f"{url}/api/v1/teams", timeout=10).status_code == 401
    assert f"Serving {own.root.resolve()} at {url}/api/v1" in log.read_text(encoding="utf-8")


def test_serve_without_a_workspace_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(tmp_path), "serve"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "is not a workspace" in result.output


def test_serve_on_a_port_in_use_is_a_one_line_error(served: Site) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["-w", str(served.root), "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
