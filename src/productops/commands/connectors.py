"""`productops connect SOURCE ...` and `productops sync [SOURCE]` (docs/connectors.md).

`connect` stores a source's settings in productops.toml: the names of the
environment variables (or files outside the workspace) that hold secrets,
never the secrets. Running it again changes only the options given. Each
source's options are read off its settings model in `productops.config`
(`_option`), so a new source needs no code here.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import typer
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from productops.commands.common import FormatOption, err, open_workspace
from productops.config import CONFIG_FILE, ConnectorSettings, write_config
from productops.connectors import CATEGORIES, SOURCES, check_env_name, check_secret_file
from productops.errors import UsageError
from productops.render import Format, literal, render
from productops.services.actor import Actor
from productops.services.syncs import sync_now
from productops.sync import SyncReport, configured_sources
from productops.workspace import Workspace

__all__ = ["connect_app", "sync"]

connect_app = typer.Typer(
    help="Store a source's settings in productops.toml (secrets stay in environment variables "
    "or files outside the workspace).",
    no_args_is_help=True,
)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    found = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{option} {text!r}: expected KEY=TEAM, e.g. {option} EE=payments")
        found[key.strip()] = value.strip()
    return found


def _settings_model(key: str) -> type[BaseModel]:
    """The settings model of [connectors.KEY] (its field's type, less the None)."""
    hint = ConnectorSettings.model_fields[key].annotation
    model: type[BaseModel] = next(a for a in get_args(hint) if a is not type(None))
    return model


def _save(ctx: typer.Context, key: str, model: type[BaseModel], given: dict[_Option, Any]) -> None:
    """Merge the options given into [connectors.KEY] and write productops.toml."""
    ws = open_workspace(ctx)
    try:
        updates: dict[str, Any] = {}
        for option, value in given.items():
            if value is None:
                continue
            flag = option.flag.split("/")[0]
            if option.kind == "secret_env":
                updates[option.field] = check_env_name(value, flag)
            elif option.kind == "secret_file":
                updates[option.field] = str(check_secret_file(value, ws.root, flag))
                updates.setdefault(option.field.removesuffix("_file") + "_env", None)
            elif option.kind == "path":
                updates[option.field] = str(value.resolve())
            elif option.kind == "pairs":
                updates[option.field] = _pairs(value, flag)
            else:
                updates[option.field] = value
        current = getattr(ws.config.connectors, key)
        data = {**(current.model_dump() if current is not None else {}), **updates}
        try:
            settings = model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise UsageError(f"connect {key.replace('_', '-')}: {problems}") from None
        connectors = ws.config.connectors.model_copy(update={key: settings})
        write_config(ws.root / CONFIG_FILE, ws.config.model_copy(update={"connectors": connectors}))
    finally:
        ws.close()
    err.print(
        f"Saved [connectors.{key}] in {ws.root / CONFIG_FILE}; secrets are read at sync time "
        "and never stored. Next: productops sync " + key.replace("_", "-"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@dataclass(frozen=True)
class _Option:
    """A setting as an option of `connect SOURCE`, read off its field (see `_option`)."""

    field: str
    flag: str
    kind: Literal["value", "list", "pairs", "path", "secret_env", "secret_file"]
    hint: Any
    help: str


def _option(name: str, field: FieldInfo) -> _Option | None:
    """The option of the setting `name`, from its type, name and description; None for a
    setting only productops.toml takes (a nested table).

    A list is a repeatable option named in the singular (`repos`: `--repo`), replacing the
    list; a `str -> str` table a repeatable `--KEY-TEAM KEY=VALUE` (`project_teams`:
    `--project-team`); a bool a `--NAME/--no-NAME` flag; choices are listed in the help. Names
    say what needs care: `*_env` is the NAME of an environment variable holding a secret
    (refused when it cannot be one, never echoed), `*_file` a file outside the workspace
    holding one (stored resolved; it replaces the variable), `path` a local file or folder
    (stored resolved). `json_schema_extra={"option": NAME}` names the option otherwise.
    """
    hint = field.annotation
    if get_origin(hint) in (Union, UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    flag = "--" + str(extra.get("option", name.removesuffix("s"))).replace("_", "-")
    text = field.description or ""
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        choices = get_args(args[0]) if get_origin(args[0]) is Literal else ()
        listed = f" One of {', '.join(choices)}." if choices else ""
        return _Option(
            name, flag, "list", list[str], f"{text}{listed} Repeatable (replaces the list)."
        )
    if origin is dict:
        if args != (str, str):
            return None
        return _Option(name, flag, "pairs", list[str], f"{text} As KEY=VALUE, repeatable.")
    flag = "--" + str(extra.get("option", name)).replace("_", "-")
    if hint is bool:
        return _Option(name, f"{flag}/--no-{flag[2:]}", "value", bool, text)
    if name == "path":
        return _Option(name, flag, "path", Path, text)
    if name.endswith("_file"):
        return _Option(name, flag, "secret_file", Path, text)
    kind: Literal["value", "secret_env"] = "secret_env" if name.endswith("_env") else "value"
    if hint in (int, float, str):
        return _Option(name, flag, kind, hint, text)
    return None


def _connect_command(key: str, model: type[BaseModel]) -> Callable[..., None]:
    """A `productops connect` command: an option per setting of `model` (`_option`), saved
    into [connectors.KEY]; its help is the model's docstring."""
    options = [o for n, f in model.model_fields.items() if (o := _option(n, f)) is not None]

    def command(ctx: typer.Context, **given: Any) -> None:
        _save(ctx, key, model, {o: given[o.field] for o in options})

    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    ]
    for o in options:
        metavar = "KEY=VALUE" if o.kind == "pairs" else None
        option = typer.Option(None, o.flag, help=o.help, metavar=metavar)
        params.append(
            inspect.Parameter(
                o.field, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=o.hint | None
            )
        )
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = inspect.getdoc(model)
    command.__name__ = f"connect_{key}"
    return command


for _name, _source in SOURCES.items():
    _model = _settings_model(_source.settings_key)
    connect_app.command(_name)(_connect_command(_source.settings_key, _model))


@connect_app.command("status-category")
def connect_status_category(
    ctx: typer.Context,
    status: Annotated[str, typer.Argument(help="Status name as the source spells it.")],
    category: Annotated[str, typer.Argument(help="todo, in_progress, done or cancelled.")],
    team: Annotated[str, typer.Option(help="Only for this team (default: every team).")] = "*",
) -> None:
    """Map a status to a category for one team (or all), overriding the source's category."""
    if category not in CATEGORIES:
        raise UsageError(f"category {category!r}: use {', '.join(CATEGORIES)}")
    ws = open_workspace(ctx)
    try:
        mapping: dict[str, dict[str, str]] = {
            k: dict(v) for k, v in ws.config.connectors.status_categories.items()
        }
        mapping.setdefault(team, {})[status] = category
        connectors = ws.config.connectors.model_validate(
            {**ws.config.connectors.model_dump(), "status_categories": mapping}
        )
        write_config(ws.root / CONFIG_FILE, ws.config.model_copy(update={"connectors": connectors}))
    finally:
        ws.close()
    err.print(
        f"{status!r} is {category} for {'every team' if team == '*' else team}; "
        "`productops sync SOURCE --replay` re-maps what is stored",
        markup=False,
        highlight=False,
    )


class _ToConsole(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err.print(self.format(record), style="dim", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _waits_shown() -> Iterator[None]:
    """Show the connectors' retries and rate-limit waits on standard error."""
    logger = logging.getLogger("productops.connectors")
    handler = _ToConsole(logging.INFO)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def sync(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(help=f"{', '.join(SOURCES)} (default: all connected)."),
    ] = None,
    from_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-file",
            help="Replay API payloads from a JSON Lines file (one object per line) or a CSV; "
            "repeatable.",
        ),
    ] = None,
    replay: Annotated[
        bool, typer.Option("--replay", help="Re-map the stored raw payloads; pull nothing.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Pull connected sources from their last cursor into the canonical tables."""
    ws = open_workspace(ctx)
    try:
        if from_file and source is None:
            raise UsageError("--from-file needs a SOURCE, e.g. productops sync jira --from-file F")
        names = [source] if source else configured_sources(ws.config.connectors)
        if not names:
            raise UsageError("no source is connected; run `productops connect SOURCE` first")
        rows: list[dict[str, Any]] = []
        for name in names:
            report = _sync_one(ws, name, from_file or [], replay)
            rows += report.rows()
            for note in report.notes:
                err.print(f"{name}: {note}", markup=False, highlight=False, soft_wrap=True)
    finally:
        ws.close()
    render(
        rows,
        ["source", "table", "landed", "updated", "unchanged", "quarantined"],
        fmt,
        title="sync",
    )


def _sync_one(ws: Workspace, name: str, files: list[Path], replay: bool) -> SyncReport:
    what = "Replaying" if files or replay else "Syncing"
    with err.status(literal(f"{what} {name}")) as status, _waits_shown():

        def progress(report: SyncReport) -> None:
            landed = sum(c[0] + c[1] for c in report.counts.values())
            status.update(
                literal(f"{what} {name}: page {report.pages}, {landed:,} rows landed or updated")
            )

        return sync_now(ws, Actor.cli(), name, files=files, replay=replay, on_page=progress)
