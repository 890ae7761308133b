"""Charts as plain shapes, drawn once here and written as SVG (HTML) or PDF vector paths."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from productops.reports.model import Section, Trend

__all__ = [
    "STAGE_COLOURS",
    "STATUS_COLOURS",
    "Chart",
    "Dot",
    "Line",
    "Rect",
    "Text",
    "interval_bar",
    "sparkline",
    "status_bars",
    "to_svg",
]

STATUS_COLOURS = {
    "on target": "#2e7d32",
    "off target": "#ef8f00",
    "no target": "#90a4ae",
    "no value": "#dfe3e6",
}
STAGE_COLOURS = {
    "unaware": "#f6cdc9",
    "aware": "#fde6ac",
    "practising": "#cfe8c4",
    "habitual": "#7cc27f",
}
INK = "#263238"
MUTED = "#78909c"
ACCENT = "#1565c0"
TRACK = "#f1f3f4"  # an interval bar's axis, from -scale to +scale
INTERVAL_COLOURS = {"better": "#9fd3b2", "worse": "#f0a9a2", "unclear": "#d6dbe2"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.0
    dash: bool = False


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = 9
    fill: str = INK
    anchor: str = "start"  # start, middle or end


Shape = Rect | Line | Dot | Text


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    shapes: list[Shape]
    title: str


def status_bars(section: Section, periods: list[str]) -> Chart:
    """Stacked bars per period: the pillar's criteria on target, off target, without target or value."""
    width, height, left, top, bottom = 520.0, 150.0, 34.0, 30.0, 22.0
    total = max(len(section.trends), 1)
    plot_h = height - top - bottom
    step = (width - left - 8) / max(len(periods), 1)
    shapes: list[Shape] = []
    for tick in sorted({0, total // 2, total}):
        y = top + plot_h * (1 - tick / total)
        shapes.append(Line(((left, y), (width - 8, y)), "#eceff1", 0.8))
        shapes.append(Text(left - 6, y + 3, str(tick), 8, MUTED, "end"))
    for i, name in enumerate(periods):
        x, base = left + i * step + step * 0.18, top + plot_h
        for what, count in section.counts(i).items():
            if count:
                h = plot_h * count / total
                base -= h
                title = f"{name}: {count} of {total} criteria {what}"
                shapes.append(Rect(x, base, step * 0.64, h, STATUS_COLOURS[what], title))
        shapes.append(Text(x + step * 0.32, height - 8, name, 8, MUTED, "middle"))
    x = left
    for what, colour in STATUS_COLOURS.items():
        shapes += [Rect(x, 8, 9, 9, colour), Text(x + 13, 16, what, 8, INK)]
        x += 24 + 4.6 * len(what)
    return Chart(width, height, shapes, f"{section.title}: criteria on target per period")


def sparkline(trend: Trend, width: float = 120, height: float = 28) -> Chart:
    """The organisation's values over the periods, with the latest target dashed."""
    values = [v.value if v else None for v in trend.values]
    known = [v for v in values if v is not None]
    latest = trend.latest
    target = latest.target if latest else None
    scale = known + ([target] if target is not None else [])
    shapes: list[Shape] = []
    if not known:
        shapes.append(Line(((2, height / 2), (width - 2, height / 2)), "#dfe3e6", 1, True))
        return Chart(width, height, shapes, f"{trend.label.name}: no values")
    low, high = min(scale), max(scale)
    span = high - low or 1.0
    step = (width - 8) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height - 4 - (height - 8) * (v - low) / span

    if target is not None and math.isfinite(target):
        shapes.append(Line(((2, y(target)), (width - 2, y(target))), MUTED, 0.8, True))
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append((4 + i * step, y(v)))
        elif run:
            shapes.append(
                Line(tuple(run), ACCENT, 1.5) if len(run) > 1 else Dot(*run[0], 1.2, ACCENT)
            )
            run = []
    last = max(i for i, v in enumerate(values) if v is not None)
    shapes.append(Dot(4 + last * step, y(known[-1]), 2.2, ACCENT))
    return Chart(width, height, shapes, f"{trend.label.name} per period")


def interval_bar(
    effect: float | None,
    low: float | None,
    high: float | None,
    scale: float,
    direction: str = "higher",
    title: str = "",
    width: float = 120,
    height: float = 16,
) -> Chart:
    """An effect's interval [`low`, `high`] drawn as a bar, in the manner of GrowthBook's
    results: the axis runs from -`scale` (left edge) to +`scale` (right edge), zero in the
    middle (dashed), the effect a dark tick. The bar is green when the whole interval lies on
    the better side of zero (`direction` "higher" or "lower"), red on the worse side, grey
    when it crosses zero.

    >>> bar = interval_bar(0.05, 0.0, 0.1, 0.2)
    >>> [(round(s.x, 6), round(s.w, 6)) for s in bar.shapes if isinstance(s, Rect)][1]
    (60.0, 30.0)
    """

    def x(value: float) -> float:
        return width * (min(max(value, -scale), scale) + scale) / (2 * scale)

    shapes: list[Shape] = [Rect(0, height * 0.2, width, height * 0.6, TRACK)]
    if low is not None and high is not None:
        above, below = low > 0, high < 0
        better = above if direction == "higher" else below
        worse = below if direction == "higher" else above
        side = "better" if better else "worse" if worse else "unclear"
        shapes.append(Rect(x(low), height * 0.25, x(high) - x(low), height * 0.5,
                           INTERVAL_COLOURS[side]))  # fmt: skip
    shapes.append(Line(((width / 2, 0), (width / 2, height)), MUTED, 0.8, True))
    if effect is not None:
        shapes.append(Rect(x(effect) - 0.6, height * 0.1, 1.2, height * 0.8, INK))
    return Chart(width, height, shapes, title)


def to_svg(chart: Chart) -> str:
    """The chart as an inline SVG element (titles show on hover)."""
    parts = [
        f'<svg viewBox="0 0 {chart.width:g} {chart.height:g}" '
        f'width="{chart.width:g}" height="{chart.height:g}" role="img" '
        f'aria-label="{escape(chart.title)}">'
    ]
    for s in chart.shapes:
        if isinstance(s, Rect):
            tip = f"<title>{escape(s.title)}</title>" if s.title else ""
            parts.append(
                f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" '
                f'fill="{s.fill}">{tip}</rect>'
            )
        elif isinstance(s, Line):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in s.points)
            dash = ' stroke-dasharray="3 2"' if s.dash else ""
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{s.stroke}" '
                f'stroke-width="{s.width:g}"{dash}/>'
            )
        elif isinstance(s, Dot):
            parts.append(f'<circle cx="{s.x:.1f}" cy="{s.y:.1f}" r="{s.r:g}" fill="{s.fill}"/>')
        else:
            parts.append(
                f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size:g}" fill="{s.fill}" '
                f'text-anchor="{s.anchor}">{escape(s.text)}</text>'
            )
    return "".join(parts) + "</svg>"
