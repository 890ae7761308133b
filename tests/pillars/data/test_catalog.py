"""Catalog definitions: built-ins load, bad YAML is reported by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from productops.errors import ConfigError
from productops.pillars.data import load_catalog
from productops.pillars.data.catalog import LENSES

METRIC = """\
metrics:
  - name: logins
    type: simple
    model: events
    measure: events
    filter: ["event_name = login"]
    description: Logins.
    owner: growth
    unit: events
    direction: higher
"""


def write(tmp_path: Path, text: str, name: str = "mine.yml") -> Path:
    folder = tmp_path / "metrics"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_builtins_cover_every_metric_type_and_lens() -> None:
    catalog = load_catalog()
    types = {m.type for m in catalog.metrics.values()}
    assert types == {"simple", "ratio", "cumulative", "derived", "conversion", "lens"}
    assert {m.lens for m in catalog.metrics.values() if m.lens} == set(LENSES)
    assert {"dau", "wau", "mau", "stickiness", "items_done", "lead_time_p50"} <= set(
        catalog.metrics
    )
    for metric in catalog.metrics.values():
        assert metric.owner
        assert metric.unit
        assert metric.description
        assert catalog.origins[f"metric:{metric.name}"].builtin


def test_a_workspace_metric_is_added_and_can_override_a_builtin(tmp_path: Path) -> None:
    folder = write(tmp_path, METRIC + METRIC.split("metrics:\n")[1].replace("logins", "dau"))
    catalog = load_catalog([folder])
    assert catalog.metrics["logins"].filter == ["event_name = login"]
    assert catalog.metrics["dau"].type == "simple"
    origin = catalog.origins["metric:dau"]
    assert origin.path == folder / "mine.yml"
    assert origin.line == 11
    assert origin.overrides is not None
    assert origin.overrides.name == "usage.yml"


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        (
            "    unit: events\n",
            "    unit: events\n    colour: red\n",
            10,
            "metrics.0.colour",
            "Extra",
        ),
        (
            "direction: higher",
            "direction: up",
            10,
            "metrics.0.direction (of logins)",
            "'higher' or 'lower'",
        ),
        ("type: simple", "type: fancy", 3, "metrics.0.type (of logins)", "Input should be"),
        ("    measure: events\n", "", 2, "metrics.0 (of logins)", "a simple metric needs measure"),
        ("    owner: growth\n", "", 2, "metrics.0.owner (of logins)", "Field required"),
        ("name: logins", "name: Logins", 2, "metrics.0.name", "pattern"),
    ],
)
def test_schema_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, message: str
) -> None:
    folder = write(tmp_path, METRIC.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_catalog([folder])
    text = str(caught.value)
    assert text.startswith(f"{folder / 'mine.yml'}:{line}: {field}"), text
    assert message in text


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("model: events", "model: nowhere", "model", "no semantic model 'nowhere'"),
        ("measure: events", "measure: clicks", "measure", "no measure 'clicks'"),
        ("event_name = login", "colour = red", "filter", "unknown dimension 'colour'"),
    ],
)
def test_reference_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    folder = write(tmp_path, METRIC.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_catalog([folder])
    assert str(caught.value).startswith(f"{folder / 'mine.yml'}:2: {field}: ")
    assert message in str(caught.value)


def test_derived_expressions_are_arithmetic_only(tmp_path: Path) -> None:
    text = METRIC.replace("type: simple", "type: derived\n    expr: __import__('os').sep")
    with pytest.raises(
        ConfigError, match=r"mine.yml:2: metrics.0 \(of logins\): .*only metric names"
    ):
        load_catalog([write(tmp_path, text)])
    loop = METRIC.replace("type: simple", "type: derived\n    expr: logins * 2")
    with pytest.raises(ConfigError, match="depends on itself: logins -> logins"):
        load_catalog([write(tmp_path, loop)])


def test_unknown_table_and_columns_in_a_model(tmp_path: Path) -> None:
    model = (
        "semantic_models:\n"
        "  - name: things\n"
        "    table: thing\n"
        "    time_dimensions: [{name: ts, column: ts}]\n"
    )
    with pytest.raises(ConfigError, match=r"mine.yml:2: table: no canonical table 'thing'"):
        load_catalog([write(tmp_path, model)])
    model = model.replace("table: thing", "table: event").replace("column: ts", "column: when")
    with pytest.raises(ConfigError, match=r"mine.yml:2: column: event has no column 'when'"):
        load_catalog([write(tmp_path, model)])


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    folder = write(tmp_path, METRIC.replace("    unit: events", "    unit: [events"))
    with pytest.raises(ConfigError, match=r"mine.yml:\d+: not valid YAML"):
        load_catalog([folder])


def test_a_name_defined_twice_in_one_file(tmp_path: Path) -> None:
    folder = write(tmp_path, METRIC + METRIC.split("metrics:\n")[1])
    with pytest.raises(ConfigError, match=r"mine.yml:11: name: metric logins is defined twice"):
        load_catalog([folder])


def test_search_ranks_name_matches_first() -> None:
    catalog = load_catalog()
    ranked = [m.name for _, m in catalog.search("active users")]
    assert ranked[0] == "active_users"
    assert "dau" in ranked  # description: "Daily active users"
    assert [m.name for _, m in catalog.search("growth activation")] == ["activation_rate"]
    assert catalog.search("no such words here") == []


def test_docs_define_every_type_and_lens_and_show_a_valid_example(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "catalog.md").read_text("utf-8")
    for kind in ("simple", "ratio", "cumulative", "derived", "conversion", "lens"):
        assert f"\n### {kind}\n" in docs, kind
    lenses = docs.split("\n## Lenses\n", 1)[1].split("\n## ", 1)[0]
    catalog = load_catalog()
    for lens in ("active_users", "cohort_retention", "funnel", "feature_adoption", "lifecycle"):
        section = lenses.split(f"\n### {lens} (metric `", 1)
        assert len(section) == 2, lens
        metric = section[1].split("`", 1)[0]
        assert catalog.metrics[metric].type == "lens"
        assert "**Unit:**" in section[1].split("\n### ", 1)[0], lens
    example = docs.split("## The format, a full example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    example = example.replace("name: events ", "name: my_events ").replace(
        "model: events", "model: my_events"
    )
    loaded = load_catalog([write(tmp_path, example)])
    assert loaded.metrics["logins"].filter == ["event_name = login", "platform = web"]
