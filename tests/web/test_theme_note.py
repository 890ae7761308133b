"""The note that an English model found themes in other languages, where themes are shown: the
API's theme list, the customer page and `productops feedback themes list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from productops.cli import app as cli
from productops.pillars.customer.embeddings import MINILM
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.web.conftest import PASSWORD, Site, build, get

NOTE = f"themes in de were found with {MINILM}, an English model"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The small served workspace; its themes found with MiniLM, one of them in German."""
    made = build(tmp_path_factory.mktemp("note") / "ws")
    ws = Workspace.open(made.root)
    try:
        land(
            ws.store,
            "theme",
            [
                {"id": "theme-1", "label": "upload crashes", "language": "en", "model": MINILM},
                {"id": "theme-2", "label": "dark mode", "language": "en", "model": MINILM},
                {"id": "theme-4", "label": "stürzt ab", "size": 2, "status": "active"}
                | {"language": "de", "model": MINILM},
            ],
        )
    finally:
        ws.close()
    return made


def test_the_api_carries_the_note_once_beside_the_themes(site: Site) -> None:
    found = get(create_app(site.root), "/api/v1/themes", site.tokens["viewer"]).json()
    assert found["note"].startswith(NOTE)
    assert "[themes] model" in found["note"]
    assert {t["language"] for t in found["items"]} == {"de", "en"}
    assert all("note" not in t for t in found["items"])


def test_the_customer_page_shows_the_note(site: Site) -> None:
    client = TestClient(create_app(site.root), follow_redirects=False)
    assert client.post("/signin", data={"name": "dan", "password": PASSWORD}).status_code == 303
    page = client.get("/customer").text
    assert f'<p class="note" role="note">Note: {NOTE}' in page


def test_themes_list_says_it_too(site: Site) -> None:
    result = CliRunner().invoke(cli, ["-w", str(site.root), "feedback", "themes", "list"])
    assert result.exit_code == 0, result.output
    assert f"note: {NOTE}" in " ".join(result.stderr.split())
    assert "set [themes] model" in " ".join(result.stderr.split())  # not read as markup


def test_no_note_for_english_themes_or_another_model(tmp_path: Path) -> None:
    made = build(tmp_path / "ws")
    ws = Workspace.open(made.root)
    try:
        rows = [{"id": "theme-4", "label": "x", "language": "de", "model": "multilingual@0123"}]
        land(ws.store, "theme", rows)
    finally:
        ws.close()
    app = create_app(made.root)
    assert get(app, "/api/v1/themes", made.tokens["viewer"]).json()["note"] is None
    client = TestClient(app, follow_redirects=False)
    client.post("/signin", data={"name": "dan", "password": PASSWORD})
    assert 'class="note" role="note"' not in client.get("/customer").text
