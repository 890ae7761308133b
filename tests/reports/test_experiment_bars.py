"""The report draws each experiment metric's effect interval as a bar, in HTML (SVG) and PDF
(vector rectangles), where the interval lies on an axis from -scale to +scale; read back from
the SVG's geometry and from the PDF's drawing (pypdfium2), the bar starts and ends where the
interval does, and takes the colour of the side of zero it lies on."""

from __future__ import annotations

import ctypes
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_raw  # type: ignore[import-untyped]
import pytest

from productops.reports import write_files
from productops.reports.charts import INTERVAL_COLOURS, TRACK
from productops.reports.model import Report
from productops.services.experiment_results import ExperimentResult, MetricResult
from productops.services.reports import scorecard_report
from productops.workspace import Workspace
from tests.reports.rows import NOW, land_history

# (metric, relative effect, interval, better direction, the bar's colour)
METRICS = [
    ("uploads", 0.05, (0.01, 0.09), "higher", "better"),
    ("errors", 0.03, (0.01, 0.05), "lower", "worse"),
    ("latency", -0.02, (-0.05, 0.01), "lower", "unclear"),
]
SCALE = 0.09 * 1.1  # the largest end of an interval from zero, and a tenth more


def _experiment() -> ExperimentResult:
    metrics = [
        MetricResult(name, "goal", "treatment", True, effect, low, high, 0.01, [], direction)
        for name, effect, (low, high), direction, _ in METRICS
    ]
    started = datetime(2025, 11, 3, tzinfo=UTC)
    return ExperimentResult(
        "exp-1", None, "Bigger upload button", "running", None, started, None, "user", 0.5,
        True, metrics,
    )  # fmt: skip


def _expected(low: float, high: float) -> tuple[float, float]:
    """Where the bar should start and end, as shares of the axis's width."""
    return (low + SCALE) / (2 * SCALE), (high + SCALE) / (2 * SCALE)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bars")
    ws = Workspace.init(root / "ws")
    try:
        land_history(ws.store)
        report: Report = replace(
            scorecard_report(ws, "quarter", 4, NOW), experiments=[_experiment()]
        )
        write_files(report, root / "out", ["html", "pdf", "md"])
    finally:
        ws.close()
    return root / "out"


class _Svgs(HTMLParser):
    """The rects (x, width, fill) of each SVG in the experiments section, with its label."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.svgs: list[tuple[str, list[tuple[float, float, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.inside = given.get("id") == "experiments"
        if self.inside and tag == "svg":
            self.svgs.append((given["aria-label"], []))
        if self.inside and tag == "rect":
            self.svgs[-1][1].append((float(given["x"]), float(given["width"]), given["fill"]))


def test_html_draws_each_interval_where_it_lies(written: Path) -> None:
    page = _Svgs()
    page.feed((written / "report.html").read_text("utf-8"))
    assert len(page.svgs) == len(METRICS)
    for (label, rects), (name, _, (low, high), direction, side) in zip(
        page.svgs, METRICS, strict=True
    ):
        assert label.startswith(f"{name}: effect ")
        assert f"{direction} is better" in label
        [track] = [r for r in rects if r[2] == TRACK]
        [bar] = [r for r in rects if r[2] in INTERVAL_COLOURS.values()]
        start, end = _expected(low, high)
        assert (bar[0] - track[0]) / track[1] == pytest.approx(start, abs=0.002)
        assert (bar[0] + bar[1] - track[0]) / track[1] == pytest.approx(end, abs=0.002)
        assert bar[2] == INTERVAL_COLOURS[side]


def _fill(obj: pdfium.PdfObject) -> str | None:
    """The path's fill colour; None when it is only stroked (a line)."""
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_raw.FPDFPath_GetDrawMode(obj.raw, mode, stroke)
    if mode.value == pdfium_raw.FPDF_FILLMODE_NONE:
        return None
    channels = [ctypes.c_uint() for _ in range(4)]
    pdfium_raw.FPDFPageObj_GetFillColor(obj.raw, *channels)
    return "#{:02x}{:02x}{:02x}".format(*(c.value for c in channels[:3]))


def _boxes(
    pdf: pdfium.PdfDocument,
) -> list[tuple[str | None, tuple[float, float, float, float]]]:
    """Every filled path of the PDF with its fill colour and bounds (left, bottom, right, top
    in points), pages in order, top to bottom within a page (page index taken into y)."""
    found = []
    for number, page in enumerate(pdf):
        for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH]):
            left, bottom, right, top = obj.get_bounds()
            found.append(
                (_fill(obj), (left, bottom - number * 10_000, right, top - number * 10_000))
            )
    return sorted(found, key=lambda f: -f[1][3])


def test_pdf_draws_each_interval_where_it_lies(written: Path) -> None:
    pdf = pdfium.PdfDocument(written / "report.pdf")
    try:
        boxes = _boxes(pdf)
    finally:
        pdf.close()
    tracks = [b for fill, b in boxes if fill == TRACK]
    bars = [(fill, b) for fill, b in boxes if fill in INTERVAL_COLOURS.values()]
    assert len(tracks) == len(bars) == len(METRICS)
    for track, (fill, bar), (_, _, (low, high), _, side) in zip(tracks, bars, METRICS, strict=True):
        assert track[1] <= (bar[1] + bar[3]) / 2 <= track[3]  # on the track's line
        width = track[2] - track[0]
        start, end = _expected(low, high)
        assert (bar[0] - track[0]) / width == pytest.approx(start, abs=0.002)
        assert (bar[2] - track[0]) / width == pytest.approx(end, abs=0.002)
        assert fill == INTERVAL_COLOURS[side]


def test_markdown_writes_the_interval_as_text(written: Path) -> None:
    text = (written / "report.md").read_text("utf-8")
    assert re.search(r"uploads \(goal\) \| \+5(\.0)?% \| \+1(\.0)?% to \+9(\.0)?%", text), text[
        -800:
    ]
