"""`productops.toml`: the workspace's settings, typed once and validated.

An unknown key or a wrong value is a `ConfigError` naming the key and the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from productops.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "Config",
    "EngineSettings",
    "ImportMapping",
    "load_config",
    "write_config",
]

CONFIG_FILE = "productops.toml"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSettings(_Settings):
    name: str = Field("productops", description="A name for this workspace, shown in reports.")


class EngineSettings(_Settings):
    kind: Literal["duckdb", "pyspark"] = Field(
        "duckdb",
        description="Where analytics run: the embedded DuckDB store, or Apache Spark "
        "over the canonical tables exported as Parquet.",
    )
    spark_master: str = Field(
        "local[2]",
        description="Spark master URL when kind is pyspark, e.g. local[2] or spark://host:7077.",
    )


class ImportMapping(_Settings):
    source: str | None = Field(
        None,
        description="Source that qualifies keys of imported rows (e.g. jira); default: the file's stem.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical column -> column name in the file."
    )
    timestamp_formats: list[str] = Field(
        default_factory=list,
        description="Extra strptime formats tried for timestamps, before the built-in ones.",
    )


class Config(_Settings):
    workspace: WorkspaceSettings = WorkspaceSettings()
    engine: EngineSettings = EngineSettings()
    imports: dict[str, ImportMapping] = Field(
        default_factory=dict,
        description="Column mappings per canonical table for `productops import`.",
    )


def load_config(path: Path) -> Config:
    """Read and validate a `productops.toml`.

    >>> load_config(Path("productops.toml")).engine.kind  # doctest: +SKIP
    'duckdb'
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: not found; run `productops init` to create a workspace"
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {_describe(err)}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc


def _describe(err: object) -> str:
    assert isinstance(err, dict)
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling against `productops init`'s file)"
    return f"{err['msg']} (got {err.get('input')!r})"


def write_config(path: Path, config: Config) -> None:
    """Write `config` as TOML, with defaults spelled out so the file documents itself."""
    path.write_text(tomli_w.dumps(config.model_dump(exclude_none=True)), encoding="utf-8")
