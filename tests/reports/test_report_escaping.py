"""Data in a report is shown as text: no script, handler, link or image of its own in any format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from markdown_it import MarkdownIt

from productops.ops.criteria import ORG
from productops.reports import write_files
from productops.services.reports import scorecard_report
from productops.workspace import Workspace
from tests.pillars.builders import land
from tests.reports.rows import NOW, QUARTERS, land_history

# A team name, initiative title, nudge rule and criterion id that try to become markup.
PAYLOAD = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> "
    "[x](javascript:alert(1)) ![x](http://evil/x.png) **bold** `code` a|b"
)


class _Page(HTMLParser):
    """A page's tags, their attributes and its text as a reader sees it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self.text = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(k, v or "") for k, v in attrs]

    def handle_data(self, data: str) -> None:
        self.text += data


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("escaping")
    ws = Workspace.init(root / "ws")
    try:
        land_history(ws.store)
        land(ws.store, "team", [{"id": "evil", "name": PAYLOAD}])
        latest = QUARTERS[-1]
        snapshot = {"grain": "quarter", "period_start": latest, "unit": "%", "computed_at": NOW}
        land(
            ws.store,
            "metric_snapshot",
            [
                {**snapshot, "metric": "process.workflow_adherence", "team_id": "evil",
                 "value": 10.0, "target": 90.0},
                {**snapshot, "metric": PAYLOAD, "team_id": ORG, "value": 1.0},
            ],
        )  # fmt: skip
        land(
            ws.store,
            "maturity_reading",
            [{"team_id": "evil", "pillar": "process", "period_start": latest, "stage": "aware",
              "reasons": json.dumps([PAYLOAD])}],
        )  # fmt: skip
        offered = datetime(2025, 11, 9, tzinfo=UTC)
        land(
            ws.store,
            "nudge",
            [{"id": "n9", "team_id": "evil", "rule": PAYLOAD, "status": "offered",
              "criterion": "process.workflow_adherence", "offered_at": offered}],
        )  # fmt: skip
        land(
            ws.store,
            "initiative",
            [{"id": "i9", "team_id": "evil", "title": PAYLOAD, "stage": "define",
              "target_metric": PAYLOAD, "started_at": latest}],
        )  # fmt: skip
        report = scorecard_report(ws, "quarter", 4, NOW)
        write_files(report, root / "out", ["html", "pdf", "md"])
    finally:
        ws.close()
    return root / "out"


def test_markdown_shows_data_as_text(written: Path) -> None:
    digest = (written / "report.md").read_text(encoding="utf-8")
    # as GitHub renders it: raw HTML allowed, tables
    page = _Page(MarkdownIt("commonmark", {"html": True}).enable("table").render(digest))
    assert not page.tags & {"script", "img", "a", "strong", "code"}, page.tags
    assert not [k for k, _ in page.attrs if k.startswith("on") or k in ("src", "href")]
    # the team (summary's off target, maturity grid, nudge, initiative, its page's heading),
    # the criterion's trend, the nudge's rule, the initiative's title and criterion, and on the
    # team's page its maturity reason, nudge rule, initiative title and criterion
    assert page.text.count(PAYLOAD) == 13
    assert "[x](javascript:" not in digest
    assert "<" not in digest


def test_html_shows_data_as_text(written: Path) -> None:
    page = _Page((written / "report.html").read_text(encoding="utf-8"))
    assert not page.tags & {"script", "img", "iframe", "object", "embed"}
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    assert all(v.startswith("#") for k, v in page.attrs if k in ("src", "href"))
    # the team (off target, maturity, nudge, initiative), the rule, the title, the criterion
    assert page.text.count(PAYLOAD) >= 7
    assert ("title", PAYLOAD) in page.attrs  # the maturity cell's reason, shown on hover


def test_pdf_shows_data_as_text_without_links(written: Path) -> None:
    data = (written / "report.pdf").read_bytes()
    assert b"/URI" not in data
    assert b"/JavaScript" not in data
    pdf = pdfium.PdfDocument(written / "report.pdf")
    try:
        text = "".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()
    assert "<script>alert(1)</script>" in text
