"""Reports of the scorecard: a self-contained HTML page, a PDF and a Markdown digest.

Read what the scorecard persisted (`metric_snapshot`, `maturity_reading`, `nudge`,
`initiative`, `team`); see README.md.
"""

from productops.reports.model import NoScorecardError, Report, build_report
from productops.reports.write import FORMATS, formats, write_atomic, write_files

__all__ = [
    "FORMATS",
    "NoScorecardError",
    "Report",
    "build_report",
    "formats",
    "write_atomic",
    "write_files",
]
