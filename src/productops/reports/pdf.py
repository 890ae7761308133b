"""The report as a PDF (fpdf2): vector charts, tables, the maturity grid with its reasons, a page
per team. Text is set in DejaVu Sans, with Droid Sans Fallback for Chinese and Japanese; both
ship in `fonts/` (licences in fonts/NOTICE.md) and are embedded, subset, in the file."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont, TTFFont

from productops.reports.charts import (
    STAGE_COLOURS,
    STATUS_COLOURS,
    Chart,
    Dot,
    Line,
    Rect,
    sparkline,
    status_bars,
)
from productops.reports.labels import number, period_label
from productops.reports.model import MATURITY_PILLARS, STAGES, Report, Section, Value
from productops.reports.tables import (
    Listing,
    evidence_tables,
    headline,
    listings,
    summary_tables,
    team_tables,
)

__all__ = ["FONTS", "to_pdf"]

FONTS = Path(__file__).resolve().parent / "fonts"
_W = 180.0  # text width of an A4 page with 15 mm margins
_BAR = 30.0  # mm, the column of a listing's charts (an experiment's interval bars)
_PAGES = "{pages}"  # the page count's alias: wide enough for a report of 10,000+ pages


def _cmap(font: CoreFont | TTFFont) -> set[int]:
    """The code points a TrueType font draws (a core font: none, the PDF embeds none)."""
    return set(font.cmap) if isinstance(font, TTFFont) else set()


class _Doc(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(format="A4")
        self._footer = footer
        self.add_font("dejavu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("dejavu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font("fallback", "", FONTS / "DroidSansFallbackFull.ttf")
        self.set_fallback_fonts(["fallback"], exact_match=False)
        self._glyphs = {c for name in ("dejavu", "fallback") for c in _cmap(self.fonts[name])}
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, 16)
        self.alias_nb_pages(_PAGES)

    def printable(self, text: str) -> str:
        """`text` with each character no embedded font draws as "?" (rather than a blank box)."""
        return "".join(c if ord(c) in self._glyphs or c in "\n\t" else "?" for c in text)

    def footer(self) -> None:
        self.set_y(-11)
        self.style(7.5, "#78909c")
        self.cell(
            0, 4, self.printable(f"{self._footer}  |  page {self.page_no()} of {_PAGES}"), align="R"
        )

    def style(self, size: float, colour: str = "#263238", bold: bool = False) -> None:
        self.set_font("dejavu", "B" if bold else "", size)
        self.set_text_color(colour)

    def line_of(self, text: str, size: float, colour: str = "#263238", bold: bool = False) -> None:
        """A paragraph of `text`, wrapped to the page's width."""
        self.style(size, colour, bold)
        self.multi_cell(_W, size * 0.45, self.printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, room: float = 30, size: float = 13) -> None:
        if self.will_page_break(room):
            self.add_page()
        self.ln(3)
        self.style(size, bold=True)
        self.cell(0, size * 0.6, self.printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color("#eceff1")
        self.set_line_width(0.5)
        self.line(self.l_margin, self.get_y(), self.l_margin + _W, self.get_y())
        self.ln(2)

    def draw(self, chart: Chart, x: float, y: float, width: float) -> None:
        """Draw `chart` scaled to `width` mm with its top left corner at (x, y)."""
        k = width / chart.width
        for s in chart.shapes:
            if isinstance(s, Rect):
                self.set_fill_color(s.fill)
                self.rect(x + s.x * k, y + s.y * k, s.w * k, s.h * k, style="F")
            elif isinstance(s, Line):
                self.set_draw_color(s.stroke)
                self.set_line_width(s.width * k)
                self.set_dash_pattern(1.2, 0.8) if s.dash else self.set_dash_pattern()
                self.polyline([(x + px * k, y + py * k) for px, py in s.points])
                self.set_dash_pattern()
            elif isinstance(s, Dot):
                self.set_fill_color(s.fill)
                self.circle(x + s.x * k, y + s.y * k, s.r * k, style="F")
            else:
                self.style(s.size * k * 2.83, s.fill)
                text = self.printable(s.text)
                shift = {"middle": 0.5, "end": 1.0}.get(s.anchor, 0.0)
                self.text(x + s.x * k - shift * self.get_string_width(text), y + s.y * k, text)

    def row(self, cells: list[tuple[str, float, str]], height: float = 6.5) -> None:
        """One table row of (text, width mm, align) cells, each cut to fit, with a rule below."""
        if self.will_page_break(height):
            self.add_page()
        for text, width, align in cells:
            self.cell(width, height, self.fit(text, width), align=align)
        self.ln(height)
        self.set_draw_color("#eceff1")
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.l_margin + _W, self.get_y())

    def fit(self, text: str, width: float) -> str:
        """`text` cut with an ellipsis to fit a cell `width` mm wide."""
        text = self.printable(text)
        while len(text) > 4 and self.get_string_width(text) > width - 1.5:
            text = text[:-4] + "..."
        return text

    def widths(self, found: Listing, room: float = _W) -> list[float]:
        """Column widths (mm) for a listing: each as wide as its widest text (at most 70 mm),
        scaled to fill `room` (the page's width)."""
        self.style(8.5)
        wanted = [
            min(
                max(
                    self.get_string_width(self.printable(r[i]))
                    for r in [found.columns, *found.rows]
                )
                + 3,
                70.0,
            )
            for i in range(len(found.columns))
        ]
        return [w * room / sum(wanted) for w in wanted]

    def listing(self, found: Listing) -> None:
        """A listing under its heading: a table whose header repeats on each new page (a first
        column's text shows once per run of rows), or wrapped lines for long text."""
        self.heading(found.title)
        if not found.rows:
            self.style(9, "#78909c")
            self.cell(0, 6, self.printable(found.empty), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        if found.wrap:
            for r in found.rows:
                self.line_of(" · ".join(c for c in r if c), 8.5)
                self.ln(1)
            return
        bar = _BAR if found.charts else 0.0
        columns = list(zip(found.columns, self.widths(found, _W - bar), strict=True))
        header = [(c, w, "L") for c, w in columns] + (
            [(found.chart_column, bar, "L")] if bar else []
        )
        self.style(7.5, "#546e7a", bold=True)
        self.row(header)
        before = ""
        for n, r in enumerate(found.rows):
            if self.will_page_break(6.5):
                self.add_page()
                self.style(7.5, "#546e7a", bold=True)
                self.row(header)
                before = ""
            self.style(8.5)
            y = self.get_y()
            shown = ["" if i == 0 and text == before else text for i, text in enumerate(r)]
            cells = [(text, w, "L") for text, (_, w) in zip(shown, columns, strict=True)]
            self.row(cells + ([("", bar, "L")] if bar else []))
            if bar:
                chart = found.charts[n]
                height = chart.height * (bar - 2) / chart.width
                self.draw(chart, self.l_margin + _W - bar + 1, y + (6.5 - height) / 2, bar - 2)
            before = r[0]

    def badge(self, x: float, y: float, what: str) -> None:
        colour = STATUS_COLOURS.get(what, STAGE_COLOURS.get(what, "#eceff1"))
        self.set_fill_color(colour)
        self.rect(x, y + 1.6, 3.2, 3.2, style="F")
        self.style(8)
        self.text(x + 4.5, y + 4.4, what)


def _shown(value: Value | None) -> str:
    if value is None:
        return "-"
    return "no value" if value.value is None else number(value.value, value.unit)


def to_pdf(report: Report) -> bytes:
    """The whole report as PDF bytes."""
    names = [period_label(p, report.grain) for p in report.periods]
    doc = _Doc(f"Product Ops scorecard, {names[-1]}")
    doc.set_title(doc.printable(f"Product Ops scorecard {names[-1]}"))
    doc.set_creator("productops")
    doc.add_page()
    doc.style(20, bold=True)
    doc.cell(0, 10, "Product Ops scorecard", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.line_of(
        f"{report.grain.title()}ly, {names[0]} to {names[-1]}; generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC",
        9.5,
        "#78909c",
    )
    doc.ln(2)
    doc.line_of(headline(report), 12, bold=True)
    _counts(doc, report)
    for found in summary_tables(report):
        doc.listing(found)
    for section in report.sections:
        _section(doc, section, names)
    _maturity(doc, report)
    for found in [*listings(report).values(), *evidence_tables(report)]:
        doc.listing(found)
    for team in report.team_trends:
        doc.add_page()
        doc.heading(f"Team: {report.team_name(team)}", size=16)
        for found in team_tables(report, team):
            doc.listing(found)
    return bytes(doc.output())


def _counts(doc: _Doc, report: Report) -> None:
    """The organisation's criteria per status and pillar group, in the latest period."""
    doc.ln(3)
    doc.style(8, "#546e7a", bold=True)
    doc.row([("Pillar", 80, "L"), ("On target", 25, "R"), ("Off target", 25, "R"),
             ("No target", 25, "R"), ("No value", 25, "R")])  # fmt: skip
    doc.style(9.5)
    for s in report.sections:
        c = s.counts(-1)
        doc.row(
            [
                (
                    f"{s.title} ({len(s.trends)} {'criterion' if len(s.trends) == 1 else 'criteria'})",
                    80,
                    "L",
                ),
                *((str(c[k]), 25.0, "R") for k in ("on target", "off target", "no target")),
                (str(c["no value"]), 25, "R"),
            ]
        )


def _section(doc: _Doc, section: Section, names: list[str]) -> None:
    doc.heading(section.title, room=75)
    chart = status_bars(section, names)
    width = 150.0
    doc.draw(chart, doc.l_margin, doc.get_y(), width)
    doc.set_y(doc.get_y() + chart.height * width / chart.width + 2)
    doc.style(7.5, "#546e7a", bold=True)
    doc.row([("Criterion (organisation)", 68, "L"), ("Trend", 26, "L"), ("Latest", 31, "R"),
             ("Target", 31, "R"), ("", 4, "L"), ("Status", 16, "L")])  # fmt: skip
    missing = []
    for t in section.trends:
        doc.style(8.5)
        if doc.will_page_break(7):
            doc.add_page()
        y = doc.get_y()
        latest = t.latest
        doc.row(
            [
                (t.label.name, 68, "L"),
                ("", 26, "L"),
                (_shown(latest), 31, "R"),
                (number(latest.target, latest.unit) if latest else "", 31, "R"),
                ("", 20, "L"),
            ]
        )
        doc.draw(sparkline(t), doc.l_margin + 69, y + 0.8, 24)
        doc.badge(doc.l_margin + 161, y, t.status())
        if latest is not None and latest.value is None and latest.reason:
            missing.append(f"{t.label.name}, no value: {latest.reason}")
    if missing:
        doc.ln(1.5)
        for line in missing:
            doc.line_of(line, 7.5, "#8d6e63")


def _maturity(doc: _Doc, report: Report) -> None:
    doc.heading("Maturity: teams x pillars", room=60)
    teams = report.maturity_teams()
    if not teams:
        doc.style(9, "#78909c")
        doc.cell(0, 6, "No maturity readings yet.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    doc.style(8, "#546e7a", bold=True)
    doc.row([("Team", 60, "L"), *((p.title(), 40.0, "C") for p in MATURITY_PILLARS)])
    notes: list[str] = []
    for team in teams:
        if doc.will_page_break(7):
            doc.add_page()
        y = doc.get_y()
        for i, p in enumerate(MATURITY_PILLARS):
            found = report.maturity.get((team, p))
            if found is not None:
                doc.set_fill_color(STAGE_COLOURS.get(found.stage, "#ffffff"))
                doc.rect(doc.l_margin + 60 + 40 * i + 0.5, y + 0.5, 39, 6, style="F")
        cells = [(report.team_name(team), 60.0, "L")]
        for p in MATURITY_PILLARS:
            found = report.maturity.get((team, p))
            if found is None:
                cells.append(("no reading", 40, "C"))
                continue
            notes.append(
                f"[{len(notes) + 1}] {report.team_name(team)}, {p}: " + "; ".join(found.reasons)
            )
            cells.append((f"{found.stage} [{len(notes)}]", 40, "C"))
        doc.style(8.5)
        doc.row(cells, 7)
    doc.ln(1.5)
    x = doc.l_margin
    for stage in STAGES:
        doc.badge(x, doc.get_y(), stage)
        x += 28
    doc.ln(7)
    for note in notes:
        doc.line_of(note, 7, "#546e7a")
