"""A real server and a real browser for the journeys: `productops`'s app on Uvicorn in a
thread on a free port of 127.0.0.1, and headless Chromium through Playwright (the
executable the report tests use), with every console error, page error and failed request
collected, and a screenshot saved as a test artefact."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from productops.web.app import create_app
from tests.reports.test_files import BROWSERS
from tests.web.demo_site import PASSWORD, USERS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTEFACTS = Path(os.environ.get("PRODUCTOPS_ARTEFACTS", "tmp/artefacts"))
START_SECONDS = 20


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """Serve the workspace `root` until the block ends; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        assert time.monotonic() < deadline, f"the server did not start in {START_SECONDS} s"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_SECONDS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, or a skip where this machine has none."""
    executable = next((p for p in map(shutil.which, BROWSERS) if p), None)
    if executable is None:
        pytest.skip(
            "no Chromium on this machine: scripts/setup.sh installs chromium-headless-shell"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Journey:
    """A browser tab on the served app that records what went wrong in it."""

    page: Page
    base: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def finish(self, name: str) -> None:
        """Save the screenshot `name`.png, then fail on any problem seen."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
        assert not self.problems, "\n".join(self.problems)


@contextmanager
def journey(browser: Browser, base: str, width: int = 1200) -> Iterator[Journey]:
    """A fresh browser context (no cookies) with its problems recorded."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    found = Journey(page, base)
    page.on(
        "console",
        lambda m: (
            found.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: found.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: found.problems.append(f"failed: {r.url} {r.failure}"))
    page.on(
        "response",
        lambda r: found.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
    )
    try:
        yield found
    finally:
        context.close()


def sign_in(j: Journey, role: str, path: str = "/") -> None:
    """Open `path`, get sent to the sign-in form, sign in as `role`'s user, land on `path`."""
    j.go(path)
    assert j.page.url.startswith(j.base + "/signin?next=")
    j.page.get_by_label("User name").fill(USERS[role])
    j.page.get_by_label("Password").fill(PASSWORD)
    j.page.get_by_role("button", name="Sign in").click()
    j.page.wait_for_url(j.base + path)
