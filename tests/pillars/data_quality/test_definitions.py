"""Check definitions: built-ins load, workspace files override, errors name file:line:field."""

from __future__ import annotations

from pathlib import Path

import pytest

from productops.errors import ConfigError
from productops.pillars.data import load_catalog
from productops.pillars.data.quality import CHECK_KINDS, load_checks

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "data-quality.md").read_text(
    encoding="utf-8"
)


def _load(tmp_path: Path, text: str) -> None:
    (tmp_path / "checks.yml").write_text(text, encoding="utf-8")
    load_checks([tmp_path], catalog=load_catalog(), builtins=False)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    return str(info.value)


def test_builtins_load_and_a_workspace_check_replaces_one(tmp_path: Path) -> None:
    builtin = load_checks()
    assert builtin.checks["account_arr_not_negative"].params == {"column": "arr", "min": 0}
    (tmp_path / "mine.yml").write_text(
        "checks:\n"
        "  - id: account_arr_not_negative\n"
        "    kind: range\n"
        "    target: account\n"
        "    params: {column: arr, min: 10}\n"
        "    severity: warn\n",
        encoding="utf-8",
    )
    found = load_checks([tmp_path])
    assert found.checks["account_arr_not_negative"].severity == "warn"
    assert found.origins["account_arr_not_negative"] == (tmp_path / "mine.yml", 2)
    assert len(found.checks) == len(builtin.checks)


def test_an_unknown_kind_names_its_line_and_field(tmp_path: Path) -> None:
    text = "checks:\n  - id: a\n    target: account\n    kind: fresh\n"
    message = _error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'checks.yml'}:4: checks.0.kind (of a):")


def test_missing_params_name_the_check(tmp_path: Path) -> None:
    message = _error(tmp_path, "checks:\n  - id: a\n    kind: freshness\n    target: event\n")
    assert ":2: checks.0 (of a):" in message
    assert "needs params column, max_age_hours" in message


def test_an_unknown_column_names_the_params_line(tmp_path: Path) -> None:
    text = (
        "checks:\n"
        "  - id: arr\n"
        "    kind: not_null\n"
        "    target: account\n"
        "    params:\n"
        "      column: arrr\n"
    )
    message = _error(tmp_path, text)
    assert message == (
        f"{tmp_path / 'checks.yml'}:6: params.column: account has no column 'arrr' (of arr)"
    )


def test_unknown_tables_metrics_and_filters(tmp_path: Path) -> None:
    assert ":4: target: no canonical table 'acount'" in _error(
        tmp_path, "checks:\n  - id: a\n    kind: schema\n    target: acount\n"
    )
    assert "target: no metric 'nope'" in _error(
        tmp_path,
        "checks:\n  - id: a\n    kind: range\n    target: metric:nope\n    params: {max: 1}\n",
    )
    assert "a not_null check needs a table" in _error(
        tmp_path,
        "checks:\n  - id: a\n    kind: not_null\n    target: metric:dau\n    params: {column: x}\n",
    )
    rec = (
        "reconciliations:\n"
        "  - id: r\n"
        "    left: {table: account, key: id}\n"
        "    right:\n"
        "      table: subscription\n"
        "      key: account_id\n"
        "      where: [colour = red]\n"
    )
    message = _error(tmp_path, rec)
    assert ":7: right.where:" in message
    assert "unknown dimension 'colour'" in message
    bad_value = "reconciliations:\n  - id: r\n    left: {table: account, value: arr + x}\n    right: {table: account}\n"
    assert ":3: left.value: account has no column 'x' (of r)" in _error(tmp_path, bad_value)


def test_an_id_defined_twice_in_one_file(tmp_path: Path) -> None:
    check = "  - id: a\n    kind: schema\n    target: account\n"
    assert ":5: id: a is defined twice" in _error(tmp_path, "checks:\n" + check + check)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    assert ":3: not valid YAML" in _error(tmp_path, "checks:\n  - id: a\n   kind: [\n")


def test_every_kind_has_a_definition_with_a_unit() -> None:
    for name in [
        *CHECK_KINDS,
        "reconciliation",
        "source_discrepancies",
        "incidents_touching_decisions",
    ]:
        section = DOCS.split(f"### {name}\n", 1)
        assert len(section) == 2, f"docs/data-quality.md has no section for {name}"
        assert "**Unit:**" in section[1].split("\n### ", 1)[0], name


def test_the_documented_examples_are_valid(tmp_path: Path) -> None:
    blocks = DOCS.split("```yaml\n")[1:]
    for block in blocks:
        _load(tmp_path, block.split("```", 1)[0])
