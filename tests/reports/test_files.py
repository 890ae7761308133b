"""The HTML needs no network and renders in a real browser; the PDF's pages render with text."""

from __future__ import annotations

import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from PIL import Image

from productops.reports import build_report, write_files
from productops.workspace import Workspace
from tests.reports.rows import NEEDS, NOW, land_history

NAMES = [
    "Payments Squad",
    "Growth Tribe",
    "Following the standard workflow",
    "Time-to-market of features",
]
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


class _Links(HTMLParser):
    """Every src, href and srcset value, and every tag, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "xlink:href")]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reports")
    ws = Workspace.init(root / "ws")
    try:
        land_history(ws.store)
        write_files(build_report(ws.backend(), "quarter", 4, NOW), root / "out", ["html", "pdf"])
    finally:
        ws.close()
    return root / "out"


def test_html_fetches_nothing(written: Path) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    page = _Links()
    page.feed(text)
    assert page.links
    assert all(link.startswith("#") for link in page.links), page.links
    assert not page.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not re.search(r"url\(|@import|https?://", text)
    assert "svg" in page.tags
    assert "title" in page.tags
    for name in [*NAMES, NEEDS]:
        assert name in text


def test_html_renders_offline_in_a_browser(written: Path) -> None:
    browser = next((p for p in map(shutil.which, BROWSERS) if p), None)
    if browser is None:
        pytest.skip(
            "no Chromium on this machine: scripts/setup.sh installs chromium-headless-shell"
        )
    from playwright.sync_api import sync_playwright

    url = (written / "report.html").as_uri()
    requested: list[str] = []
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=browser)
        try:
            page = chrome.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(url)
            shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
            body = page.inner_text("body")
            charts = page.locator("svg").count()
            tip = page.locator("table.grid td[title]").first.get_attribute("title")
        finally:
            chrome.close()
    assert requested == [url]
    assert charts == 4 + 5  # a chart per pillar group and a trend line per criterion
    assert shot.height > 1500
    assert _inked(shot) > 0.05
    for name in NAMES:
        assert name in body
    assert tip == "targets met 4 periods without support"


def _inked(image: Image.Image) -> float:
    """Share of pixels that are not near-white."""
    grey = image.convert("L")
    return sum(grey.point(lambda v: 255 if v < 235 else 0).histogram()[255:]) / (
        grey.width * grey.height
    )


def test_pdf_pages_render_with_text(written: Path) -> None:
    pdf = pdfium.PdfDocument(written / "report.pdf")
    try:
        assert len(pdf) == 3
        text = ""
        for page in pdf:
            image = page.render(scale=1).to_pil()
            assert _inked(image) > 0.002, "blank page"
            text += page.get_textpage().get_text_range()
    finally:
        pdf.close()
    for name in [
        *NAMES,
        "Product Ops scorecard",
        "not enough data: needs usage_event",
        "aware [3]",
    ]:
        assert name in text, name
