"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from html import escape

from productops.reports.charts import STAGE_COLOURS, STATUS_COLOURS, sparkline, status_bars, to_svg
from productops.reports.labels import Label, number, period_label
from productops.reports.model import MATURITY_PILLARS, STAGES, Report, Section, Trend, Value
from productops.reports.tables import (
    Listing,
    evidence_tables,
    headline,
    listings,
    summary_tables,
    team_tables,
    trend_change,
)

__all__ = ["to_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#263238;margin:0;background:#f5f7f8}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #eceff1;
padding-bottom:4px}h3{font-size:15px;margin:18px 0 4px}.meta,.muted{color:#78909c}.small{font-size:12px}
.headline{font-size:18px;font-weight:600;margin:8px 0}
nav a{margin-right:14px;color:#1565c0;text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:10px;margin:18px 0}
.card{border:1px solid #eceff1;border-radius:6px;padding:10px 12px}.card b{font-size:22px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{padding:5px 8px;text-align:left;
border-bottom:1px solid #eceff1;vertical-align:middle}th{font-size:12px;color:#546e7a;font-weight:600}
td.num{text-align:right;white-space:nowrap}.reason{color:#8d6e63;font-style:italic;font-size:12px;
white-space:normal;display:inline-block;max-width:16em;text-align:left}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;white-space:nowrap}
.better{color:#2e7d32}.worse{color:#c62828}.grid td{text-align:center;cursor:help}
.chart svg{width:100%;max-width:720px;height:auto}td.bar svg{display:block}
.trends td:first-child{width:34%}
.team{border-top:4px solid #eceff1;margin-top:40px}
"""


def to_html(report: Report) -> str:
    """The whole report as an HTML document."""
    names = [period_label(p, report.grain) for p in report.periods]
    teams = list(report.team_trends)
    nav = [("summary", "Summary")] if report.summary else []
    nav += [(s.pillar, s.title) for s in report.sections]
    nav += [("maturity", "Maturity"), ("nudges", "Nudges"), ("dora", "DORA"),
            ("demand", "Demand"), ("experiments", "Experiments"), ("teams", "Teams")]  # fmt: skip
    body = [
        "<header><h1>Product Ops scorecard</h1>",
        f'<p class="meta">{escape(report.grain.title())}ly, {escape(names[0])} to '
        f"{escape(names[-1])} &middot; generated {report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        "<nav>" + "".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t in nav) + "</nav>",
        "</header>",
        '<section id="summary"><h2>Summary</h2>',
        f'<p class="headline">{escape(headline(report))}</p>',
        _cards(report.sections),
        *(_listing(x, "h3") for x in summary_tables(report)),
        "</section>",
    ]
    for s in report.sections:
        body += [
            f'<section id="{escape(s.pillar)}"><h2>{escape(s.title)}</h2>',
            f'<div class="chart">{to_svg(status_bars(s, names))}</div>',
            _trends(s, names),
            "</section>",
        ]
    body.append(_maturity(report))
    body += [_listing(x) for x in listings(report).values()]
    body += [_listing(x) for x in evidence_tables(report)]
    body.append('<section id="teams"><h2>Teams</h2><p class="muted">One page per team: '
                + ", ".join(f'<a href="#team-{i}">{escape(report.team_name(t))}</a>'
                            for i, t in enumerate(teams))
                + ".</p></section>")  # fmt: skip
    for i, team in enumerate(teams):
        body.append(
            f'<section class="team" id="team-{i}"><h2>Team: {escape(report.team_name(team))}</h2>'
            + "".join(_listing(x, "h3") for x in team_tables(report, team))
            + "</section>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Product Ops scorecard {escape(names[-1])}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _badge(what: str) -> str:
    colour = STATUS_COLOURS.get(what, STAGE_COLOURS.get(what, "#eceff1"))
    ink = "#fff" if what in ("on target", "off target") else "#263238"
    return f'<span class="badge" style="background:{colour};color:{ink}">{escape(what)}</span>'


def _cell(text: str) -> str:
    """A table cell's text, escaped; a status or stage as a badge, better or worse coloured."""
    if text in STATUS_COLOURS or text in STAGE_COLOURS:
        return _badge(text)
    if text in ("better", "worse"):
        return f'<span class="{text}">{text}</span>'
    return escape(text)


def _listing(found: Listing, level: str = "h2") -> str:
    """A listing as a titled table (a section with its anchor when it has one)."""
    title = f"<{level}>{escape(found.title)}</{level}>"
    if found.rows:
        columns = found.columns + ([found.chart_column] if found.charts else [])
        head = "".join(f"<th>{escape(c)}</th>" for c in columns)
        drawn = [f'<td class="bar">{to_svg(c)}</td>' for c in found.charts] or [""] * len(
            found.rows
        )
        rows = "".join(
            "<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in r) + bar + "</tr>"
            for r, bar in zip(found.rows, drawn, strict=True)
        )
        table = f"<table><tr>{head}</tr>{rows}</table>"
    else:
        table = f'<p class="muted">{escape(found.empty)}</p>'
    if found.anchor:
        return f'<section id="{escape(found.anchor)}">{title}{table}</section>'
    return title + table


def _cards(sections: list[Section]) -> str:
    cards = []
    for s in sections:
        counts = s.counts(-1)
        cards.append(
            f'<div class="card"><div class="muted small">{escape(s.title)}</div>'
            f"<b>{counts['on target']}</b> of {len(s.trends)} on target"
            f'<div class="small muted">{counts["off target"]} off target, '
            f"{counts['no value']} without a value</div></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _shown(value: Value | None, why: bool = True) -> str:
    """The value with its unit, else the reason it has none (or just "no value")."""
    if value is None or value.value is None:
        reason = value.reason if value and why else None
        return f'<span class="reason">{escape(reason or "no value")}</span>'
    return escape(number(value.value, value.unit))


def _change(trend: Trend) -> str:
    text = trend_change(trend)
    if text in ("", "="):
        return f'<span class="muted">{text}</span>' if text else ""
    delta = text.startswith("+")
    better = (not delta) == (trend.label.direction == "lower")
    arrow = "&#9650;" if delta else "&#9660;"
    return f'<span class="{"better" if better else "worse"}">{arrow} {escape(text)}</span>'


def _criterion(lab: Label | None) -> str:
    if lab is None:
        return ""
    if lab.name == lab.id:
        return escape(lab.id)
    return f'{escape(lab.name)} <span class="muted small">{escape(lab.id)}</span>'


def _trends(section: Section, names: list[str]) -> str:
    rows = []
    for t in section.trends:
        latest = t.latest
        target = number(latest.target, latest.unit) if latest else ""
        rows.append(
            f"<tr><td>{_criterion(t.label)}</td><td>{to_svg(sparkline(t))}</td>"
            f'<td class="num">{_shown(t.previous, why=False)}</td><td class="num">{_shown(latest)}</td>'
            f'<td class="num">{_change(t)}</td><td class="num">{escape(target)}</td>'
            f"<td>{_badge(t.status())}</td></tr>"
        )
    head = (
        f"<tr><th>Criterion (organisation)</th><th>Trend {escape(names[0])} to "
        f"{escape(names[-1])}</th><th>Previous</th><th>Latest</th><th>Change</th><th>Target</th>"
        "<th>Status</th></tr>"
    )
    return f'<table class="trends">{head}{"".join(rows)}</table>'


def _maturity(report: Report) -> str:
    teams = report.maturity_teams()
    head = "".join(f"<th>{escape(p.title())}</th>" for p in MATURITY_PILLARS)
    rows = []
    for team in teams:
        cells = []
        for p in MATURITY_PILLARS:
            found = report.maturity.get((team, p))
            if found is None:
                cells.append('<td class="muted">no reading</td>')
                continue
            tip = "\n".join(found.reasons) or found.stage
            cells.append(
                f'<td style="background:{STAGE_COLOURS.get(found.stage, "#fff")}" '
                f'title="{escape(tip)}">{escape(found.stage)}</td>'
            )
        rows.append(f"<tr><th>{escape(report.team_name(team))}</th>{''.join(cells)}</tr>")
    legend = " ".join(_badge(s) for s in STAGES)
    body = (
        f'<table class="grid"><tr><th>Team</th>{head}</tr>{"".join(rows)}</table>'
        if rows
        else '<p class="muted">No maturity readings yet.</p>'
    )
    return (
        '<section id="maturity"><h2>Maturity: teams &times; pillars</h2>'
        f'<p class="small muted">Stages of competence {legend}; hover a cell for why (each '
        "team's page writes it out).</p>"
        f"{body}</section>"
    )
