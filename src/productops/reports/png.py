"""Charts as PNG images, for e-mail (mail clients show no inline SVG).

A small rasteriser of the shapes `charts.py` lays out: rectangles, lines (dashed or not) and
dots, drawn at `scale` pixels per unit on white. Text shapes are left out (there is no font
here): the e-mail says in words what the chart's labels would, and the image's alt text names
the chart.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

from productops.reports.charts import Chart, Dot, Line, Rect

__all__ = ["to_png"]


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _disc(
    canvas: npt.NDArray[np.uint8], cx: float, cy: float, r: float, rgb: tuple[int, int, int]
) -> None:
    h, w, _ = canvas.shape
    y0, y1 = max(int(cy - r), 0), min(int(cy + r) + 2, h)
    x0, x1 = max(int(cx - r), 0), min(int(cx + r) + 2, w)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    inside = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r
    canvas[y0:y1, x0:x1][inside] = rgb


def _line(canvas: npt.NDArray[np.uint8], s: Line, scale: float) -> None:
    rgb, r = _rgb(s.stroke), max(s.width * scale / 2, 0.6)
    walked = 0.0
    for (ax, ay), (bx, by) in zip(s.points, s.points[1:], strict=False):
        length = float(np.hypot(bx - ax, by - ay))
        for t in np.linspace(0, 1, max(int(length * scale * 2), 2)):
            if not s.dash or (walked + t * length) % 5 < 3:  # dashes as in the SVG: 3 on, 2 off
                _disc(canvas, (ax + (bx - ax) * t) * scale, (ay + (by - ay) * t) * scale, r, rgb)
        walked += length


def _encode(canvas: npt.NDArray[np.uint8]) -> bytes:
    h, w, _ = canvas.shape
    rows = np.hstack([np.zeros((h, 1), np.uint8), canvas.reshape(h, w * 3)])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def to_png(chart: Chart, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes, `scale` pixels per chart unit (2: sharp on high-density screens).

    >>> to_png(Chart(10, 10, [Rect(0, 0, 5, 5, "#ff0000")], "a square"))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    w, h = max(int(chart.width * scale), 1), max(int(chart.height * scale), 1)
    canvas = np.full((h, w, 3), 255, np.uint8)
    for s in chart.shapes:
        if isinstance(s, Rect):
            x0, y0 = max(round(s.x * scale), 0), max(round(s.y * scale), 0)
            x1, y1 = round((s.x + s.w) * scale), round((s.y + s.h) * scale)
            canvas[y0:y1, x0:x1] = _rgb(s.fill)
        elif isinstance(s, Line):
            _line(canvas, s, scale)
        elif isinstance(s, Dot):
            _disc(canvas, s.x * scale, s.y * scale, s.r * scale, _rgb(s.fill))
    return _encode(canvas)
