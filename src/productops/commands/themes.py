"""`productops feedback themes ...`: discover feedback themes and curate them; `productops feedback
cluster FILE.csv` clusters any CSV without a workspace (definitions: docs/themes.md)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from productops.commands.common import (
    FallbackOption,
    FormatOption,
    current_user,
    err,
    known,
    moment,
    open_workspace,
    pick_embedder,
    progress_bar,
    show_records,
)
from productops.errors import UsageError
from productops.ingest.read import LINE, read_file
from productops.pillars.customer.groups import group_themes
from productops.pillars.customer.labels import theme_labels
from productops.pillars.customer.themes import ThemeSettings
from productops.pillars.customer.themes import discover as discover_in
from productops.render import Format, literal, render
from productops.services import Actor
from productops.services import themes as service

app = typer.Typer(
    help="Feedback themes: discovered without being told how many, kept stable across runs; "
    "rename, merge and split them and later runs keep your changes.",
    no_args_is_help=True,
)

ThemeArg = Annotated[
    str, typer.Argument(metavar="THEME", help="Theme id (or its number).", callback=known("theme"))
]
HeightOption = Annotated[
    float,
    typer.Option(
        "--height",
        min=0.1,
        help=(
            "The Ward tree's fine cut (a distinct coarser level is cut instead, where the "
            "data shows one): higher gives fewer, broader themes (docs/themes.md)."
        ),
    ),
]
_COLUMNS = ["id", "label", "language", "size", "status", "group_id", "keywords"]


@app.command("discover")
def discover(
    ctx: typer.Context,
    reduce_outliers: Annotated[
        float | None,
        typer.Option(
            "--reduce-outliers",
            help="Also join outliers to their nearest theme when their cosine similarity to it "
            "is at least this (0-1, e.g. 0.2).",
        ),
    ] = None,
    height: HeightOption = ThemeSettings.height,
    fallback: FallbackOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Assign all feedback to themes per language; new themes open where enough fits none."""
    ws = open_workspace(ctx)
    embedder = pick_embedder(ws, fallback)
    settings = ThemeSettings(height=height)
    with progress_bar("Finding themes") as show:
        done = service.discover(
            ws, Actor.cli(), embedder, moment(None), settings, reduce_outliers, show
        )
    rows = [vars(r) | {"outlier_share": round(r.outlier_share, 4)} for r in done.runs]
    columns = [
        "language",
        "feedback",
        "themes",
        "new_themes",
        "outliers",
        "outlier_share",
        "groups",
    ]
    if done.note:
        err.print(literal(f"note: {done.note}"), soft_wrap=True, highlight=False)
    render(rows, columns, fmt, title=f"themes ({embedder.name})")


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Include merged, split and archived themes.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Themes, largest first."""
    ws = open_workspace(ctx)
    found = service.list_themes(ws, include_inactive=all_)
    if note := service.themes_note(ws):
        err.print(literal(f"note: {note}"), soft_wrap=True, highlight=False)
    columns = _COLUMNS + (["merged_into", "split_from"] if all_ else [])
    render([asdict(t) for t in found], columns, fmt, title="themes")


@app.command("groups")
def groups(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Theme groups, largest first: similar themes of one language under one label (size:
    feedback items in their themes), recomputed by each `themes discover`."""
    found = service.theme_groups(open_workspace(ctx))
    show_records(found, service.ThemeGroup, fmt, "theme groups")


@app.command("show")
def show(ctx: typer.Context, theme: ThemeArg, fmt: FormatOption = Format.table) -> None:
    """A theme's feedback, most similar to the theme first (score: cosine similarity 0-1)."""
    found, members = service.theme_feedback(open_workspace(ctx), theme)
    if fmt is Format.table:
        err.print(literal(f"{found.id}: {found.label} ({found.keywords})"))
    show_records(members, service.ThemeFeedback, fmt, found.label)


def _done(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    render(rows, _COLUMNS, fmt, title=title)


@app.command("rename")
def rename(
    ctx: typer.Context,
    theme: ThemeArg,
    label: Annotated[str, typer.Argument(help="The new label; later runs keep it.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Rename a theme (recorded as renamed by the current user: PRODUCTOPS_USER or
    `[workspace] user`)."""
    ws = open_workspace(ctx)
    _done([service.rename(ws, Actor.cli(), theme, label, current_user(ws))], fmt, "renamed")


@app.command("merge")
def merge(
    ctx: typer.Context,
    theme: ThemeArg,
    into: Annotated[
        str,
        typer.Argument(metavar="INTO", help="The theme it merges into.", callback=known("theme")),
    ],
    fmt: FormatOption = Format.table,
) -> None:
    """Merge THEME into INTO: its feedback moves, and later runs keep it merged."""
    _done([service.merge(open_workspace(ctx), Actor.cli(), theme, into)], fmt, "merged into")


@app.command("split")
def split(
    ctx: typer.Context,
    theme: ThemeArg,
    parts: Annotated[int, typer.Option("--parts", min=2, help="Into how many themes.")] = 2,
    fallback: FallbackOption = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Split a theme into new ones by its feedback's meaning; later runs keep it split."""
    ws = open_workspace(ctx)
    embedder = pick_embedder(ws, fallback)
    children = service.split(ws, Actor.cli(), embedder, theme, moment(None), parts)
    _done(children, fmt, "split into")


def cluster(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A CSV, JSON Lines or Parquet file.")
    ],
    text_column: Annotated[
        str, typer.Option("--text-column", help="The column holding the texts.")
    ] = "text",
    height: HeightOption = ThemeSettings.height,
    fallback: FallbackOption = False,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Embed with this model instead of the shipped English MiniLM: an ONNX file "
            "(tokenizer.json beside it) or a sentence-transformers folder, as [themes] model "
            "(docs/themes.md).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Cluster any file's texts, no workspace needed: each row's theme (-1: outlier), its label
    and the theme's group (docs/themes.md)."""
    read = read_file(file, ["text"], {"text": text_column})
    if "text" not in read.data.column_names:
        raise UsageError(f"{file}: no column {text_column!r}; pick one with --text-column")
    texts = [str(t or "") for t in read.data.column("text").to_pylist()]
    distinct, index = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    embedder = pick_embedder(None, fallback, model)
    vectors = embedder.embed([str(t) for t in distinct])[index]
    found = discover_in(vectors, ThemeSettings(height=height))
    labels = theme_labels(texts, found.labels, len(found.centroids))
    groups = group_themes(vectors, found.labels, len(found.centroids))
    rows = [
        {
            read.line_label: line,
            "theme": int(theme),
            "label": labels[theme] if theme >= 0 else "(outlier)",
            "group": int(groups[theme]) if theme >= 0 else -1,
            "score": round(float(score), 4),
            "text": text,
        }
        for line, theme, score, text in zip(
            read.data.column(LINE).to_pylist(), found.labels, found.scores, texts, strict=True
        )
    ]
    for rejection in read.rejected:
        err.print(f"{file}: skipped line {rejection.line}: {rejection.reason}", markup=False)
    if fmt is Format.table:
        err.print(
            f"{len(found.centroids)} themes in {int(groups.max(initial=-1)) + 1} groups, "
            f"{found.outlier_share:.1%} outliers ({embedder.name})",
            highlight=False,
        )
    columns = [read.line_label, "theme", "label", "group", "score", "text"]
    render(rows, columns, fmt, title=str(file))
