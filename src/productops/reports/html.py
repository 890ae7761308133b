"""The report as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from html import escape

from productops.reports.charts import STAGE_COLOURS, STATUS_COLOURS, sparkline, status_bars, to_svg
from productops.reports.labels import Label, number, period_label
from productops.reports.model import MATURITY_PILLARS, STAGES, Report, Section, Trend, Value

__all__ = ["to_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:#263238;margin:0;background:#f5f7f8}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #eceff1;
padding-bottom:4px}.meta,.muted{color:#78909c}.small{font-size:12px}
nav a{margin-right:14px;color:#1565c0;text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:10px;margin:18px 0}
.card{border:1px solid #eceff1;border-radius:6px;padding:10px 12px}.card b{font-size:22px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{padding:5px 8px;text-align:left;
border-bottom:1px solid #eceff1;vertical-align:middle}th{font-size:12px;color:#546e7a;font-weight:600}
td.num{text-align:right;white-space:nowrap}.reason{color:#8d6e63;font-style:italic;font-size:12px;
white-space:normal;display:inline-block;max-width:16em;text-align:left}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;white-space:nowrap}
.better{color:#2e7d32}.worse{color:#c62828}.grid td{text-align:center;cursor:help}
.chart svg{width:100%;max-width:720px;height:auto}
.trends td:first-child{width:34%}
"""


def to_html(report: Report) -> str:
    """The whole report as an HTML document."""
    names = [period_label(p, report.grain) for p in report.periods]
    body = [
        "<header><h1>Product Ops scorecard</h1>",
        f'<p class="meta">{escape(report.grain.title())}ly, {escape(names[0])} to '
        f"{escape(names[-1])} &middot; generated {report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        "<nav>"
        + "".join(f'<a href="#{escape(s.pillar)}">{escape(s.title)}</a>' for s in report.sections)
        + '<a href="#maturity">Maturity</a><a href="#nudges">Nudges</a></nav></header>',
        _cards(report.sections),
    ]
    for s in report.sections:
        body += [
            f'<section id="{escape(s.pillar)}"><h2>{escape(s.title)}</h2>',
            f'<div class="chart">{to_svg(status_bars(s, names))}</div>',
            _trends(s, names),
            "</section>",
        ]
    body += [_maturity(report), _off_target(report), _nudges(report), _initiatives(report)]
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
    now, before = trend.latest, trend.previous
    if now is None or before is None or now.value is None or before.value is None:
        return ""
    delta = now.value - before.value
    if delta == 0:
        return '<span class="muted">=</span>'
    better = (delta < 0) == (trend.label.direction == "lower")
    arrow = "&#9650;" if delta > 0 else "&#9660;"
    sign = "+" if delta > 0 else "-"
    # a change of a share is in percentage points
    text = (
        f"{sign}{number(abs(delta))} pp"
        if now.unit == "%"
        else f"{sign}{number(abs(delta), now.unit)}"
    )
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
        f'<p class="small muted">Stages of competence {legend}; hover a cell for why.</p>'
        f"{body}</section>"
    )


def _table(columns: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _off_target(report: Report) -> str:
    rows = [
        [
            escape(report.team_name(o.team)),
            _criterion(o.label),
            _shown(o.value),
            escape(number(o.value.target, o.value.unit)),
        ]
        for o in report.off_target
    ]
    latest = period_label(report.periods[-1], report.grain)
    return (
        f'<section id="off-target"><h2>Teams off target, {escape(latest)}</h2>'
        + _table(["Team", "Criterion", "Value", "Target"], rows, "Every team meets its targets.")
        + "</section>"
    )


def _nudges(report: Report) -> str:
    rows = [
        [
            escape(report.team_name(n.team)),
            escape(n.rule),
            _criterion(n.criterion),
            _badge(n.status),
            f"{n.offered_at:%Y-%m-%d}" if n.offered_at else "",
        ]
        for n in report.nudges
    ]
    return (
        '<section id="nudges"><h2>Open nudges</h2>'
        + _table(["Team", "Rule", "Criterion", "Status", "Offered"], rows, "No open nudges.")
        + "</section>"
    )


def _initiatives(report: Report) -> str:
    rows = [
        [
            escape(report.team_name(i.team)),
            escape(i.title),
            escape(i.stage or ""),
            _criterion(i.criterion),
            escape(number(i.baseline, i.criterion.unit if i.criterion else "")),
            escape(number(i.after, i.criterion.unit if i.criterion else "")),
        ]
        for i in report.initiatives
    ]
    return (
        '<section id="initiatives"><h2>Improvement initiatives</h2>'
        + _table(
            ["Team", "Initiative", "Stage", "Criterion", "Baseline", "After"],
            rows,
            "No improvement initiatives.",
        )
        + "</section>"
    )
