"""`productops demo`: build the demo organisation, run every analysis on it, say what was found."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from productops.commands.common import FallbackOption, FormatOption, err, pick_embedder
from productops.config import CONFIG_FILE
from productops.demo import STEPS, build_demo
from productops.errors import WorkspaceError
from productops.render import Format, literal, render_sections
from productops.services import Actor
from productops.services.checks import CheckRun
from productops.services.demo import (
    DemoAdmin,
    add_demo_admin,
    analyse,
    demo_as_of,
    write_demo_reports,
)
from productops.services.demo_summary import (
    Activities,
    BlockingPair,
    DemoSummary,
    ExperimentGoal,
    TeamDelivery,
    TeamHealth,
    Usage,
    summarise,
)
from productops.services.dora import TeamDora
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
        manifest, checks, reports, admin = _build(building, scale, seed, fallback)
        _swap(building, directory)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    ws = Workspace.open(directory)
    try:
        _show_summary(ws, summarise(ws, manifest, checks), fmt)
    finally:
        ws.close()
    err.print(
        literal("Reports:\n" + "\n".join(f"  {(directory / r).resolve()}" for r in reports)),
        highlight=False,
        soft_wrap=True,
    )
    _show_app(directory, admin)


def _show_app(directory: Path, admin: DemoAdmin) -> None:
    """How to open the app on the demo, and the demo admin's sign-in (its password shown once)."""
    err.print(
        literal(
            f"Open the app: productops -w {directory} serve   then http://127.0.0.1:8080/\n"
            f"  sign in as {admin.name}, password {admin.password}\n"
            "  (made by this run and shown only now: `productops demo --replace` makes a new one)"
        ),
        highlight=False,
        soft_wrap=True,
    )


def _build(
    root: Path, scale: int, seed: int, fallback: bool
) -> tuple[dict[str, Any], list[CheckRun], list[Path], DemoAdmin]:
    """Build the demo in `root`, run the analyses and reports and add its admin: the manifest,
    the checks' rows, the reports written (relative to `root`) and the admin."""
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
        checks = analyse(
            ws,
            Actor.cli(),
            demo_as_of(manifest),
            pick_embedder(ws, fallback),
            on_step=lambda name: err.print(f"  {name}: done"),
        )
        written = write_demo_reports(ws, Actor.cli(), manifest)
        for note in written.notes:
            err.print(note)
        admin = add_demo_admin(ws, Actor.cli())
    finally:
        ws.close()
    return manifest, checks, [r.relative_to(root) for r in written.files], admin


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


def _show_summary(ws: Workspace, summary: DemoSummary, fmt: Format) -> None:
    """What the demo holds, what the analyses found against what was planted, and where to look."""
    sections = {
        "demo organisation": (summary.tables, ["table", "area", "rows"]),
        "delivery per team, whole history (productops flow)": _section(
            TeamDelivery, summary.delivery
        ),
        "most blocking team pairs (productops flow blocking-pairs)": _section(
            BlockingPair, summary.blocking_pairs
        ),
        "experiments, goal metrics, relative effect (productops experiment analyze)": _section(
            ExperimentGoal, summary.experiments
        ),
        "product use by segment, last full month (productops metrics query)": _section(
            Usage, summary.usage
        ),
        "team health, latest health check (productops survey results)": _section(
            TeamHealth, summary.team_health
        ),
        "activities held (productops activity summary)": _section(Activities, summary.activities),
        "DORA, latest full quarter, 2024 bands (productops dora)": _section(TeamDora, summary.dora),
    }
    render_sections(sections, fmt)
    lines = [
        f"  {f.what}: found {f.found}, planted {f.planted} "
        f"{'(match)' if f.matches else '(MISMATCH)'}"
        for f in summary.findings
    ]
    groups = summary.theme_groups
    lines.append(
        f"  theme groups in English (productops feedback themes groups): found "
        f"{groups.groups}; the {groups.planted} planted themes lie in "
        f"{groups.holding} of them, {groups.whole} each within one group"
    )
    Console(stderr=fmt is not Format.table).print(
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


def _section(kind: type[Any], rows: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of the dataclass `kind` as a section to render: their dicts, its fields as columns."""
    return [asdict(r) for r in rows], [f.name for f in fields(kind)]
