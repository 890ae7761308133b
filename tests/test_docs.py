"""The README, the metric docs and the settings stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from productops import pillars
from productops.config import Config
from productops.pillars import process
from tests.test_cli import command_names

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
METRICS = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/check.sh"]
    for script in ("demo.sh", "check.sh"):
        assert (ROOT / "scripts" / script).exists()
    assert "scripts/check.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_tours_every_command() -> None:
    for name in command_names():
        assert f"productops {name}" in README, name


def test_every_metric_has_a_definition_with_a_unit() -> None:
    assert pillars.__doc__
    for name in process.__all__:
        if name.islower() and name != "GRAINS":
            section = METRICS.split(f"### {name}\n", 1)
            assert len(section) == 2, f"docs/metrics.md has no section for {name}"
            assert "**Unit:**" in section[1].split("\n### ", 1)[0], name


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _fields(annotation, f"{prefix}{name}.")
        else:
            found.append((f"{prefix}{name}", field.description))
    return found


def test_every_setting_has_help_text() -> None:
    for name, description in _fields(Config):
        assert description, f"setting {name} has no description"
