"""`productops demo`: build the demo organisation, run every analysis on it, say what was found."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from productops import ops
from productops.commands.common import FallbackOption, FormatOption, err, pick_embedder
from productops.commands.demo_pipeline import analyse, planted_themes
from productops.commands.report import write_report
from productops.config import CONFIG_FILE
from productops.demo import STEPS, build_demo
from productops.errors import WorkspaceError
from productops.experiments.analysis import Settings
from productops.pillars import process as p
from productops.pillars.customer.trends import SpikeRule
from productops.pillars.data import compile_metric
from productops.registry.experiments import analyze_experiment, list_experiments
from productops.registry.feedback_analysis import spike_report
from productops.render import Format, literal, render_sections
from productops.services.catalog import workspace_catalog
from productops.services.checks import CheckRun
from productops.status import table_counts
from productops.workspace import Workspace

# Suffix of the hidden folder an old demo workspace is renamed to while the new one moves in.
ASIDE = "-old"


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path(
        "demo-org"
    ),
    scale: Annotated[
        int, typer.Option(min=1, help="Grow the organisation N times (rows grow linearly).")
    ] = 1,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed builds the same organisation.")
    ] = 7,
    replace: Annotated[
        bool, typer.Option(help="Rebuild an existing demo workspace in DIRECTORY.")
    ] = False,
    fallback: FallbackOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Build a realistic demo organisation in a fresh workspace and run every analysis on it."""
    parent = directory.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(parent, directory.resolve().name)
    _check_target(directory, replace)
    # Built and analysed beside the target, then swapped in: an interrupted run leaves the
    # old workspace as it was.
    building = Path(
        tempfile.mkdtemp(prefix=f".{directory.resolve().name}-{os.getpid()}-", dir=parent)
    )
    try:
        manifest, checks, reports = _build(building, scale, seed, fallback)
        _swap(building, directory)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    ws = Workspace.open(directory)
    try:
        _summary(ws, manifest, checks, fmt)
    finally:
        ws.close()
    err.print(
        literal("Reports:\n" + "\n".join(f"  {(directory / r).resolve()}" for r in reports)),
        highlight=False,
        soft_wrap=True,
    )


def _build(
    root: Path, scale: int, seed: int, fallback: bool
) -> tuple[dict[str, Any], list[CheckRun], list[Path]]:
    """Build the demo in `root` and run the analyses and reports: the manifest, the checks'
    rows and the reports written (relative to `root`)."""
    ws = Workspace.init(root)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("Building the demo organisation", total=len(STEPS))

            def step(name: str, rows: int) -> None:
                progress.update(task, advance=1, description=f"{name}: {rows:,} rows")

            manifest = build_demo(ws.store, ws.manifest_path, scale=scale, seed=seed, on_step=step)
        err.print("Running the data checks and finding the feedback's themes ...")
        checks = analyse(ws, _as_of(manifest), pick_embedder(fallback))
        reports = _reports(ws, manifest)
    finally:
        ws.close()
    return manifest, checks, [r.relative_to(root) for r in reports]


def _check_target(directory: Path, replace: bool) -> None:
    """Refuse a folder that holds anything but a demo, and a demo without `replace`; remove an
    empty one."""
    if not directory.exists() or not any(directory.iterdir()):
        if directory.exists():
            directory.rmdir()
        return
    if not replace:
        raise WorkspaceError(
            f"{directory} exists; pass --replace to rebuild the demo there, or choose another folder"
        )
    if not (directory / CONFIG_FILE).exists() or not (directory / "demo-manifest.json").exists():
        raise WorkspaceError(f"{directory} is not a demo workspace; refusing to replace it")


def _swap(new: Path, target: Path) -> None:
    """Put the complete workspace `new` at `target`: the old one is renamed aside first and
    deleted last (a run killed between the renames leaves it aside; the next run restores it)."""
    aside = new.with_name(new.name + ASIDE)
    if target.exists():
        target.rename(aside)
    new.rename(target)
    shutil.rmtree(aside, ignore_errors=True)


def remove_stale_builds(parent: Path, name: str) -> list[Path]:
    """Delete the hidden build folders of demo runs into `parent/name` whose process is gone
    (a concurrent run's are kept); an old workspace such a run had set aside goes back to
    `name` when nothing is there. Returns the folders removed or restored."""
    pattern = re.compile(rf"\.{re.escape(name)}-(\d+)-\w{{8}}({re.escape(ASIDE)})?")
    found = []
    for path in sorted(parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if match is None or not path.is_dir() or _running(int(match[1])):
            continue
        if match[2] and not (parent / name).exists():
            path.rename(parent / name)
        else:
            shutil.rmtree(path, ignore_errors=True)
        found.append(path)
    return found


def _running(pid: int) -> bool:
    """Whether process `pid` exists (on Windows, where signal 0 would end it, always True)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delivery(ws: Workspace, as_of: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per team over the whole history: lead and cycle time, bottleneck, efficiency, conformance."""
    b = ws.backend()
    work_item, transition = b.table("work_item"), b.table("work_item_transition")
    stays = p.status_stays(work_item, transition, as_of)
    waits = ws.config.workflow.wait_statuses
    frames = {
        "lead": p.lead_time(work_item, "quarter").to_pandas(),
        "cycle": p.cycle_time(p.flow_items(work_item, stays), "quarter").to_pandas(),
        "bottleneck": p.bottleneck(stays, work_item, "quarter", waits).to_pandas(),
        "efficiency": p.flow_efficiency(
            stays, work_item, b.table("work_item_flag"), as_of, "quarter", waits
        ).to_pandas(),
        "conformance": p.conformance(
            work_item, p.deviations(work_item, transition), "quarter"
        ).to_pandas(),
    }
    rows = []
    for team, bottleneck in frames["bottleneck"].groupby("team_id"):
        rows.append(
            {
                "team_id": team,
                "lead_p50_days": frames["lead"].loc[frames["lead"].team_id == team, "p50"].median(),
                "cycle_p50_days": frames["cycle"]
                .loc[frames["cycle"].team_id == team, "p50"]
                .median(),
                "bottleneck": bottleneck.status.mode().iloc[0],
                "bottleneck_share": bottleneck.share_of_cycle.mean(),
                "efficiency": frames["efficiency"]
                .loc[frames["efficiency"].team_id == team, "efficiency"]
                .mean(),
                "conformance": frames["conformance"]
                .loc[frames["conformance"].team_id == team, "share"]
                .mean(),
            }
        )
    blocks = p.cross_team_blocks(work_item, b.table("work_item_link"), as_of)
    pairs: list[dict[str, Any]] = p.blocking_pairs(blocks).limit(3).to_pyarrow().to_pylist()
    return rows, pairs


def _dora(ws: Workspace, as_of: datetime) -> list[dict[str, Any]]:
    """Per team, the DORA keys of the latest full quarter with their 2024 bands."""
    b = ws.backend()
    tables = {
        "frequency": p.deployment_frequency(b.table("deployment"), "quarter", as_of=as_of),
        "lead": p.change_lead_time(
            b.table("change"), b.table("deployment"), b.table("deployment_change"), "quarter"
        ),
        "failure": p.change_failure_rate(b.table("deployment"), b.table("incident"), "quarter"),
    }
    latest = {}
    for name, expr in tables.items():
        frame = expr.to_pandas()
        starts = pd.to_datetime(frame.period_start, utc=True)
        full = starts[starts + pd.DateOffset(months=3) <= pd.Timestamp(as_of)].max()
        latest[name] = frame[starts == full].set_index("team_id")
    return [
        {
            "team_id": team,
            "deploy_days_per_week": row.per_week,
            "frequency_band": row.band,
            "lead_time_hours": latest["lead"].lead_time_hours.get(team),
            "lead_time_band": latest["lead"].band.get(team),
            "failure_rate": latest["failure"].rate.get(team),
            "failure_band": latest["failure"].band.get(team),
        }
        for team, row in latest["frequency"].iterrows()
    ]


def _experiments(ws: Workspace, as_of: datetime) -> list[dict[str, Any]]:
    """Each experiment's goal results, frequentist with Holm's correction."""
    backend = ws.backend()
    rows = []
    for listed in list_experiments(backend):
        analysis = analyze_experiment(ws.store, backend, listed["id"], Settings(), as_of)
        trustworthy = analysis.summary["trustworthy"]
        for r in analysis.rows:
            if r["role"] == "goal":
                rows.append(
                    {
                        "experiment_id": listed["id"],
                        "team_id": listed["team_id"],
                        "metric": r["metric"],
                        "effect": r["effect"],
                        "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"],
                        "adjusted_p_value": r["adjusted_p_value"],
                        "trustworthy": trustworthy,
                        "decision": listed["decision"],
                    }
                )
    return rows


def _usage(ws: Workspace, as_of: datetime) -> list[dict[str, Any]]:
    """Catalog metrics of the product's use in the last full month, by segment."""
    catalog = workspace_catalog(ws)
    month = (as_of - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows: dict[str, dict[str, Any]] = {}
    for name in ("dau", "mau", "stickiness"):
        expr = compile_metric(
            catalog, name, ws.backend().table, by=["segment"], grain="month", since=month
        )
        for r in expr.to_pyarrow().to_pylist():
            rows.setdefault(r["segment"], {"segment": r["segment"]})[name] = r["value"]
    return sorted(rows.values(), key=lambda r: str(r["segment"]))


def _team_health(ws: Workspace) -> list[dict[str, Any]]:
    """Each team's latest health check: indicators by colour, or why no figure is shown."""
    b = ws.backend()
    found = ops.health_check(
        b.table("survey"), b.table("survey_response"), ws.config.surveys.min_group
    )
    latest = found.filter(found.opened_at == found.opened_at.max().over(group_by=found.team_id))
    summary = latest.group_by("team_id").aggregate(
        indicators=latest.count(),
        respondents=latest.respondents.max(),
        green=(latest.colour == "green").sum(),
        amber=(latest.colour == "amber").sum(),
        red=(latest.colour == "red").sum(),
        worse=(latest.trend == "worse").sum(),
        suppressed=latest.suppressed.any(),
    )
    rows: list[dict[str, Any]] = summary.order_by("team_id").to_pyarrow().to_pylist()
    return rows


def _activities(ws: Workspace) -> list[dict[str, Any]]:
    """Activities held per kind over the whole history."""
    counts = ops.activity_counts(ws.backend().table("activity"), "quarter")
    totals = counts.group_by("kind").aggregate(
        held=counts.activities.sum(), teams=counts.team_id.nunique()
    )
    rows: list[dict[str, Any]] = totals.order_by("kind").to_pyarrow().to_pylist()
    return rows


def _summary(ws: Workspace, manifest: dict[str, Any], checks: list[CheckRun], fmt: Format) -> None:
    """What the demo holds, what the analyses found against what was planted, and where to look."""
    as_of = _as_of(manifest)
    delivery, pairs = _delivery(ws, as_of)
    experiments = _experiments(ws, as_of)
    render_sections(
        {
            "demo organisation": (
                [r for r in table_counts(ws.store) if r["rows"]],
                ["table", "area", "rows"],
            ),
            "delivery per team, whole history (productops flow)": (
                delivery,
                [
                    "team_id",
                    "lead_p50_days",
                    "cycle_p50_days",
                    "bottleneck",
                    "bottleneck_share",
                    "efficiency",
                    "conformance",
                ],
            ),
            "most blocking team pairs (productops flow blocking-pairs)": (
                pairs,
                ["blocking_team", "blocked_team", "links", "items_delayed", "blocked_days"],
            ),
            "experiments, goal metrics, relative effect (productops experiment analyze)": (
                experiments,
                [
                    "experiment_id",
                    "team_id",
                    "metric",
                    "effect",
                    "ci_low",
                    "ci_high",
                    "adjusted_p_value",
                    "trustworthy",
                    "decision",
                ],
            ),
            "product use by segment, last full month (productops metrics query)": (
                _usage(ws, as_of),
                ["segment", "dau", "mau", "stickiness"],
            ),
            "team health, latest health check (productops survey results)": (
                _team_health(ws),
                [
                    "team_id",
                    "indicators",
                    "respondents",
                    "green",
                    "amber",
                    "red",
                    "worse",
                    "suppressed",
                ],
            ),
            "activities held (productops activity summary)": (
                _activities(ws),
                ["kind", "held", "teams"],
            ),
            "DORA, latest full quarter, 2024 bands (productops dora)": (
                _dora(ws, as_of),
                [
                    "team_id",
                    "deploy_days_per_week",
                    "frequency_band",
                    "lead_time_hours",
                    "lead_time_band",
                    "failure_rate",
                    "failure_band",
                ],
            ),
        },
        fmt,
    )
    notes = Console(stderr=fmt is not Format.table)
    worst = max(delivery, key=lambda r: r["bottleneck_share"])
    least = min(delivery, key=lambda r: r["conformance"])
    found = [
        (
            "bottleneck",
            f"{worst['team_id']} / {worst['bottleneck']}",
            f"{manifest['bottleneck']['team_id']} / {manifest['bottleneck']['status']}",
        ),
        (
            "blocking pair",
            f"{pairs[0]['blocking_team']} -> {pairs[0]['blocked_team']}",
            f"{manifest['blocking_pair']['blocking_team']} -> {manifest['blocking_pair']['blocked_team']}",
        ),
        ("non-conforming team", least["team_id"], manifest["non_conforming_team"]),
        (
            "experiment with an effect",
            _significant(experiments),
            manifest["experiment_with_effect"],
        ),
        (
            "experiment with a sample-ratio mismatch",
            _untrustworthy(experiments),
            manifest["experiment_with_srm"],
        ),
        (
            "accounts billed other than their CRM ARR (productops check)",
            _misbilled(checks),
            ", ".join(manifest["arr_discrepancy"]["account_ids"]),
        ),
        (
            "theme with a weekly spike (productops feedback spikes)",
            _spiking(ws, manifest),
            f"{manifest['spike']['theme']}, week of {manifest['spike']['week_start']}",
        ),
    ]
    lines = [
        f"  {what}: found {got}, planted {want} {'(match)' if got == want else '(MISMATCH)'}"
        for what, got, want in found
    ]
    lines.append(_theme_groups(ws, manifest))
    notes.print(
        literal(
            "What the analyses found, against what the demo planted:\n" + "\n".join(lines) + "\n"
            f"\nWorkspace: {ws.root.resolve()}\n"
            f"  store:    {ws.store.path.resolve()}\n"
            f"  manifest: {ws.manifest_path.resolve()}\n"
            f"Next: productops -w {ws.root} status\n"
            f"      productops -w {ws.root} flow bottleneck --grain quarter"
        ),
        soft_wrap=True,
    )


def _significant(experiments: list[dict[str, Any]]) -> str:
    """The trustworthy experiment with the smallest adjusted p-value below 0.05."""
    found = [e for e in experiments if e["trustworthy"] and (e["adjusted_p_value"] or 1) < 0.05]
    return min(found, key=lambda e: e["adjusted_p_value"])["experiment_id"] if found else "none"


def _misbilled(checks: list[CheckRun]) -> str:
    """The accounts the demo's CRM-against-billing reconciliation found differing."""
    found = next(c for c in checks if c.id == "crm_vs_billing_arr")
    return ", ".join(found.failing_keys) or "none"


def _spiking(ws: Workspace, manifest: dict[str, Any]) -> str:
    """The planted theme whose themes found hold the steepest weekly spike, and its week."""
    spikes = spike_report(ws.backend(), SpikeRule())
    if not spikes:
        return "none"
    top = max(spikes, key=lambda s: s["ratio"])
    planted = planted_themes(ws, manifest["themes"])
    names = {
        theme: manifest["themes"][int(key.rsplit("-", 1)[1]) - 1]["name"]
        for key, found in planted.items()
        for theme in found
    }
    name = names.get(top["theme_id"], top["label"])
    return f"{name}, week of {top['week_start']:%Y-%m-%d}"


def _theme_groups(ws: Workspace, manifest: dict[str, Any]) -> str:
    """How the English theme groups hold the planted themes (each planted theme's themes found)."""
    group_of = dict(
        ws.store.sql(
            "SELECT id, group_id FROM theme WHERE language = 'en' AND group_id IS NOT NULL "
            "AND coalesce(status, 'active') = 'active'"
        )
    )
    planted = [
        {group_of[t] for t in themes if t in group_of}
        for themes in planted_themes(ws, manifest["themes"]).values()
    ]
    holding = {group for groups in planted for group in groups}
    whole = sum(len(groups) == 1 for groups in planted)
    return (
        f"  theme groups in English (productops feedback themes groups): found "
        f"{len(set(group_of.values()))}; the {len(manifest['themes'])} planted themes lie in "
        f"{len(holding)} of them, {whole} each within one group"
    )


def _untrustworthy(experiments: list[dict[str, Any]]) -> str:
    return (
        ", ".join(sorted({e["experiment_id"] for e in experiments if not e["trustworthy"]}))
        or "none"
    )


def _as_of(manifest: dict[str, Any]) -> datetime:
    """The demo's history ends on its last day: measure as of the next midnight, not today."""
    return datetime.fromisoformat(manifest["period"]["end"]).replace(tzinfo=UTC) + timedelta(days=1)


def _reports(ws: Workspace, manifest: dict[str, Any]) -> list[Path]:
    """Write the scorecard report of the last 8 quarters (HTML, PDF, Markdown) in the demo's
    reports/; returns the files written."""
    return write_report(
        ws, ws.root / "reports", ["html", "pdf", "md"], "quarter", 8, _as_of(manifest)
    )
