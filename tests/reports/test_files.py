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

from productops.reports import write_files
from productops.services.reports import scorecard_report
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.reports.rows import NEEDS, NOW, QUARTERS, land_history

NAMES = [
    "Payments Squad",
    "Growth Tribe",
    "Following the standard workflow",
    "Time-to-market of features",
]
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
# A team's name in Latin with diacritics, Greek, Chinese and Japanese, and a character
# (Devanagari) that no embedded font draws.
UNICODE_TEAM = "Zürich Ωmega 東京 チーム"


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
        land(ws.store, "team", [{"id": "zurich", "name": UNICODE_TEAM + " क"}])
        land(
            ws.store,
            "metric_snapshot",
            [{"metric": "process.time_to_market", "team_id": "zurich", "grain": "quarter",
              "period_start": QUARTERS[-1], "value": 31.0, "unit": "days", "target": 30.0}],
        )  # fmt: skip
        write_files(scorecard_report(ws, "quarter", 4, NOW), root / "out", ["html", "pdf"])
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
    assert UNICODE_TEAM in body
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
        # the scorecard on 3 pages, then a page per team: Growth Tribe, Payments Squad, Zürich
        assert len(pdf) == 3 + 3
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
        "1 of 2 criteria on target",  # the summary's headline
        "Team: Payments Squad",
        UNICODE_TEAM + " ?",  # every character it can draw, and "?" for the rest
    ]:
        assert name in text, name


def test_pdf_embeds_its_fonts(written: Path) -> None:
    """The fonts ship in the package, with their licences; the PDF embeds them (subset)."""
    from productops.reports.pdf import FONTS

    data = (written / "report.pdf").read_bytes()
    assert data.count(b"/FontFile2") == 3  # DejaVu Sans, its bold, Droid Sans Fallback
    assert b"DejaVuSans" in data
    assert b"DroidSansFallback" in data
    assert b"/Helvetica" not in data

    shipped = sorted(p.name for p in FONTS.iterdir())
    assert shipped == [
        "DejaVuSans-Bold.ttf",
        "DejaVuSans.ttf",
        "DroidSansFallbackFull.ttf",
        "NOTICE.md",
    ]
    notice = (FONTS / "NOTICE.md").read_text(encoding="utf-8")
    assert "Bitstream Vera" in notice
    assert "Apache License" in notice
