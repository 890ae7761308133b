"""A clone of the repository tests itself: no test reads ../shared."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_reads_shared() -> None:
    for path in TESTS.rglob("*.py"):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        assert '"shared"' not in text, f"{path} reads ../shared"
        assert "shared/" not in text, f"{path} reads ../shared"


def test_every_fixture_has_a_notice() -> None:
    notice = (TESTS / "fixtures" / "NOTICE.md").read_text(encoding="utf-8")
    for path in (TESTS / "fixtures").iterdir():
        if path.name != "NOTICE.md":
            assert f"`{path.name}" in notice, f"tests/fixtures/NOTICE.md does not name {path.name}"
