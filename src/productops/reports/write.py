"""Writing the report files: each one whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from productops.errors import UsageError
from productops.reports.html import to_html
from productops.reports.markdown import to_markdown
from productops.reports.model import Report
from productops.reports.pdf import to_pdf

__all__ = ["FORMATS", "formats", "write_atomic", "write_files"]

FORMATS: dict[str, tuple[str, Callable[[Report], str | bytes]]] = {
    "html": ("report.html", to_html),
    "pdf": ("report.pdf", to_pdf),
    "md": ("report.md", to_markdown),
}


def formats(text: str) -> list[str]:
    """Check a comma-separated --format value such as `html,pdf,md`."""
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(
            f"--format {text!r}: use one or more of {', '.join(FORMATS)}, comma-separated"
        )
    return list(dict.fromkeys(chosen))


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temp, 0o666 & ~_umask())  # as an ordinary new file: mkstemp makes it private
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_files(report: Report, out: Path, chosen: list[str]) -> list[Path]:
    """Write `report` in each chosen format into `out`; the paths written."""
    written = []
    for name in chosen:
        filename, render = FORMATS[name]
        write_atomic(out / filename, render(report))
        written.append(out / filename)
    return written


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
