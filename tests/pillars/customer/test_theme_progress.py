"""`themes discover` shows its progress: the steps it reports, and the bar that shows them."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from productops.commands.common import progress_bar
from productops.registry import embeddings
from productops.registry.themes import discover_themes
from productops.workspace import Workspace
from tests.pillars.builders import T0
from tests.pillars.customer.test_theme_registry import Counting, _feedback
from tests.pillars.customer.test_themes import CRASH, DARK, INVOICE


def test_discovery_reports_each_languages_embedding_in_batches_then_its_themes(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings, "EMBED_BATCH", 4)
    english = DARK + CRASH + INVOICE
    _feedback(workspace.store, english, "t:en")
    _feedback(workspace.store, DARK[:5], "t:de", language="de")
    said: list[tuple[str, int, int]] = []
    embedder = Counting()
    runs = discover_themes(
        workspace.store, embedder, T0, on_progress=lambda *step: said.append(step)
    )
    distinct = len(set(english))
    new = distinct - len(set(DARK[:5]))  # German ran first: its texts' vectors are kept
    embedded = [(s, d, t) for s, d, t in said if s == "en: texts embedded"]
    assert [d for _, d, _ in embedded] == [*range(4, new, 4), new]  # batches of 4
    assert {t for _, _, t in embedded} == {new}
    found = {s: (d, t) for s, d, t in said if s.endswith("themes found")}
    assert found == {f"{r.language}: themes found": (r.themes, r.themes) for r in runs}
    assert [s for s, _, _ in said if s.startswith("de:")][-1] == "de: themes found"

    said.clear()
    discover_themes(workspace.store, embedder, T0, on_progress=lambda *step: said.append(step))
    assert not [s for s, _, _ in said if s.endswith("embedded")]  # cached: nothing to embed
    assert len(embedder.embedded) == distinct  # each text once


def test_the_bar_shows_on_a_terminal_and_nothing_elsewhere() -> None:
    shown = io.StringIO()
    terminal = Console(file=shown, force_terminal=True, width=100)
    with progress_bar("Finding themes", terminal) as show:
        show("en: texts embedded", 3, 8)
    assert "Finding themes: en: texts embedded" in shown.getvalue()
    assert "3/8" in shown.getvalue()

    logged = io.StringIO()
    with progress_bar("Finding themes", Console(file=logged, force_terminal=False)) as show:
        show("en: texts embedded", 3, 8)
    assert logged.getvalue() == ""
