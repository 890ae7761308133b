"""The report as Markdown: the summary, headlines per pillar, maturity, nudges, initiatives,
DORA, demand, experiment results and a section per team.

Every piece of data is written as text (`_text`): no HTML, link, image or formatting of its own.
"""

from __future__ import annotations

import re
from html import escape

from productops.reports.labels import number, period_label
from productops.reports.model import MATURITY_PILLARS, Report
from productops.reports.tables import (
    Listing,
    evidence_tables,
    headline,
    listings,
    shown,
    summary_tables,
    team_tables,
)

__all__ = ["to_markdown"]

# What Markdown reads as syntax inside a line: emphasis, code, links and images, table cells;
# an underscore between letters or digits (usage_event) emphasises nothing and stays as it is.
_SYNTAX = re.compile(r"([\\`*~\[\]|]|(?<![^\W_])_|_(?![^\W_]))")


def _text(value: str) -> str:
    """`value` as Markdown that shows it verbatim, on one line: HTML as entities, syntax escaped."""
    return _SYNTAX.sub(r"\\\1", escape(" ".join(value.splitlines()), quote=False))


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(_text(c) for c in r) + " |" for r in rows),
        "",
    ]


def to_markdown(report: Report) -> str:
    """The report as Markdown text."""
    latest = period_label(report.periods[-1], report.grain)
    lines = [
        f"# Product Ops digest, {latest}",
        "",
        f"Organisation scorecard for {latest} ({report.grain}ly), generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC.",
        "",
        "## Summary",
        "",
        _text(headline(report)),
        "",
    ]
    for found in summary_tables(report):
        lines += _listing(found, "###")
    for s in report.sections:
        counts = s.counts(-1)
        lines += [
            f"## {_text(s.title)}: {counts['on target']} of {len(s.trends)} on target",
            "",
            *_table(
                ["Criterion", "Latest", "Previous", "Target", "Status"],
                [
                    [
                        t.label.name,
                        shown(t.latest),
                        shown(t.previous, why=False),
                        number(t.latest.target, t.latest.unit) if t.latest else "",
                        t.status(),
                    ]
                    for t in s.trends
                ],
            ),
        ]
    teams = report.maturity_teams()
    lines += ["## Maturity", ""]
    lines += (
        _table(
            ["Team", *(p.title() for p in MATURITY_PILLARS)],
            [
                [
                    report.team_name(t),
                    *(
                        report.maturity[(t, p)].stage if (t, p) in report.maturity else ""
                        for p in MATURITY_PILLARS
                    ),
                ]
                for t in teams
            ],
        )
        if teams
        else ["No maturity readings yet.", ""]
    )
    for found in [*listings(report).values(), *evidence_tables(report)]:
        lines += _listing(found)
    for team in report.team_trends:
        lines += [f"## Team: {_text(report.team_name(team))}", ""]
        for found in team_tables(report, team):
            lines += _listing(found, "###")
    return "\n".join(lines)


def _listing(found: Listing, level: str = "##") -> list[str]:
    return [
        f"{level} {_text(found.title)}",
        "",
        *(_table(found.columns, found.rows) if found.rows else [found.empty, ""]),
    ]
