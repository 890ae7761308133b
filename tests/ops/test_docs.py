"""docs/surveys.md defines every figure of productops.ops with its unit."""

from __future__ import annotations

from pathlib import Path

from productops import ops

DOC = (Path(__file__).resolve().parents[2] / "docs" / "surveys.md").read_text(encoding="utf-8")


def test_every_ops_figure_has_a_definition_with_a_unit() -> None:
    for name in ops.__all__:
        if name.islower():
            section = DOC.split(f"### {name}\n", 1)
            assert len(section) == 2, f"docs/surveys.md has no section for {name}"
            assert "**Unit:**" in section[1].split("\n### ", 1)[0], name


def test_the_doc_states_the_anonymity_threshold() -> None:
    assert ops.MIN_GROUP == 3
    assert "fewer than 3 respondents" in DOC
    assert ops.SUPPRESSED_REASON.format(min_group=3) == "fewer than 3 respondents"
