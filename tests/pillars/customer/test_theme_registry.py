"""Themes in a real workspace: the embedding cache, stable ids, new themes, person's edits kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.engine import Store
from productops.errors import UsageError
from productops.pillars.customer.embeddings import HashedNgrams, Matrix
from productops.pillars.customer.labels import keywords
from productops.registry.embeddings import cached_embeddings
from productops.registry.themes import (
    discover_themes,
    list_themes,
    merge_themes,
    rename_theme,
    split_theme,
)
from productops.workspace import Workspace
from tests.pillars.builders import T0, at, land
from tests.pillars.customer.test_themes import CRASH, DARK, INVOICE


class Counting(HashedNgrams):
    """The fallback embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> Matrix:
        self.embedded += texts
        return super().embed(texts)


def _feedback(store: Store, texts: Sequence[str], prefix: str, language: str = "en") -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": f"{prefix}{i}",
            "channel": "support",
            "text": t,
            "created_at": at(i),
            "language": language,
        }
        for i, t in enumerate(texts)
    ]
    land(store, "feedback", rows)


def _members(store: Store) -> dict[str, str]:
    return dict(store.sql("SELECT feedback_id, theme_id FROM feedback_theme"))


def test_cache_embeds_only_new_text(workspace: Workspace) -> None:
    embedder = Counting()
    first = cached_embeddings(workspace.store, embedder, ["a b", "c d", "a b"])
    assert embedder.embedded == ["a b", "c d"]
    again = cached_embeddings(workspace.store, embedder, ["c d", "a b", "e f"])
    assert embedder.embedded == ["a b", "c d", "e f"]
    np.testing.assert_allclose(again[:2], first[[1, 0]], atol=1e-6)
    np.testing.assert_allclose(again, HashedNgrams().embed(["c d", "a b", "e f"]), atol=1e-6)
    rows = workspace.store.sql("SELECT model, count(*) FROM embedding GROUP BY model")
    assert rows == [("hashed-ngrams-1024", 3)]


def test_runs_keep_ids_and_open_a_theme_for_new_feedback(workspace: Workspace) -> None:
    store, embedder = workspace.store, Counting()
    _feedback(store, DARK + CRASH, "t:f")
    first = discover_themes(store, embedder, T0)
    assert [(r.language, r.feedback, r.themes, r.new_themes, r.outliers) for r in first] == [
        ("en", 12, 2, 2, 0)
    ]
    before = _members(store)
    assert set(before.values()) == {"productops:theme-1", "productops:theme-2"}
    assert len(embedder.embedded) == 12

    _feedback(store, INVOICE, "t:g")
    second = discover_themes(store, embedder, T0)
    assert (second[0].themes, second[0].new_themes) == (3, 1)
    assert len(embedder.embedded) == 12 + len(INVOICE)  # only the new feedback was embedded
    after = _members(store)
    assert {k: after[k] for k in before} == before
    assert {after[f"t:g{i}"] for i in range(len(INVOICE))} == {"productops:theme-3"}
    themes = {t["id"]: t for t in list_themes(store)}
    invoice = themes["productops:theme-3"]
    assert invoice["size"] == 6
    assert "invoice" in invoice["keywords"]
    assert "vat" in invoice["label"] + invoice["keywords"]
    assert len(json.loads(invoice["quotes"])) == 3
    assert len(json.loads(invoice["centroid"])) == embedder.dimensions


def test_rename_merge_and_split_survive_the_next_run(workspace: Workspace) -> None:
    store, embedder = workspace.store, Counting()
    _feedback(store, DARK + CRASH + INVOICE, "t:f")
    discover_themes(store, embedder, T0)
    dark, crash, invoice = (_members(store)[f"t:f{i}"] for i in (0, 6, 12))
    rename_theme(store, dark, "Dark mode please", "ana")
    merge_themes(store, crash.split("-")[-1], invoice)
    with pytest.raises(UsageError, match="only active themes merge"):
        merge_themes(store, crash, invoice)
    children = split_theme(store, embedder, invoice, T0)
    assert {c["split_from"] for c in children} == {invoice}

    discover_themes(store, embedder, T0)
    themes = {t["id"]: t for t in list_themes(store, include_inactive=True)}
    assert (themes[dark]["label"], themes[dark]["renamed_by"]) == ("Dark mode please", "ana")
    assert (themes[crash]["status"], themes[crash]["merged_into"]) == ("merged", invoice)
    assert themes[invoice]["status"] == "split"
    members = _members(store)
    assert {members[f"t:f{i}"] for i in range(6, 18)} <= {c["id"] for c in children}
    assert crash not in members.values()
    assert invoice not in members.values()
    assert not [t for t in list_themes(store) if t["id"] in (crash, invoice)]


def test_outliers_are_reduced_on_request_and_languages_kept_apart(workspace: Workspace) -> None:
    store, embedder = workspace.store, Counting()
    _feedback(store, DARK + CRASH, "t:f")
    _feedback(store, ["Bitte einen Dunkelmodus einbauen"] * 4, "t:d", "de")
    _feedback(store, ["Hello there", "dark mode in the app would help"], "t:o")
    runs = {r.language: r for r in discover_themes(store, embedder, T0)}
    assert runs["de"].themes == 1
    assert runs["en"].themes == 2
    strict = runs["en"].outliers
    assert strict >= 1
    assert runs["en"].outlier_share == strict / runs["en"].feedback
    reduced = {r.language: r for r in discover_themes(store, embedder, T0, outlier_similarity=0.0)}
    assert reduced["en"].outliers == 0
    languages = {t["id"]: t["language"] for t in list_themes(store)}
    assert languages[_members(store)["t:d0"]] == "de"


def test_cli_discover_list_show_rename_merge_split(workspace: Workspace, tmp_path: Path) -> None:
    _feedback(workspace.store, DARK + CRASH + INVOICE, "t:f")
    root = str(workspace.root)
    workspace.close()
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(
            app, ["--workspace", root, "feedback", "themes", *args, "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    found = run("discover", "--fallback")
    assert found[0]["themes"] == 3
    listed = run("list")
    assert [t["size"] for t in listed] == [6, 6, 6]
    shown = run("show", "1")
    assert len(shown) == 6
    assert shown[0]["score"] >= shown[-1]["score"]
    assert run("rename", "1", "Night mode")[0]["label"] == "Night mode"
    assert run("merge", "2", "3")[0]["size"] == 12
    assert len(run("split", "3", "--fallback")) == 2
    assert {t["status"] for t in run("list", "--all")} == {"active", "merged", "split"}


def test_another_model_keeps_the_themes(workspace: Workspace) -> None:
    store = workspace.store
    _feedback(store, DARK + CRASH, "t:f")
    discover_themes(store, Counting(), T0)
    before = _members(store)
    runs = discover_themes(store, HashedNgrams(dimensions=512), T0)
    assert (runs[0].themes, runs[0].new_themes) == (2, 0)
    assert _members(store) == before
    assert {len(json.loads(t["centroid"])) for t in list_themes(store)} == {512}


def test_cli_cluster_labels_each_row_of_any_file_without_a_workspace(tmp_path: Path) -> None:
    texts = [*DARK, *CRASH, *INVOICE, DARK[0]]
    path = tmp_path / "mine.csv"
    path.write_text("id,body\n" + "".join(f'{i},"{t}"\n' for i, t in enumerate(texts)))
    runner = CliRunner()
    args = ["feedback", "cluster", str(path), "--text-column", "body", "--fallback"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["line"] for r in rows] == list(range(2, len(texts) + 2))  # the header is line 1
    assert [r["text"] for r in rows] == texts
    themes = [r["theme"] for r in rows]
    groups = [themes[0:6], themes[6:12], themes[12:18]]
    assert [len(set(g)) for g in groups] == [1, 1, 1]
    assert len({g[0] for g in groups}) == 3
    assert themes[-1] == themes[0]
    assert {r["label"] for r in rows if r["theme"] == themes[0]} == {
        "add a dark mode"
    }  # 2 of 6 texts
    assert all(0 < r["score"] <= 1.0001 for r in rows)
    group_of = {r["theme"]: r["group"] for r in rows}  # one group per theme
    assert len(group_of) == len({(r["theme"], r["group"]) for r in rows})
    assert all(g >= 0 for g in group_of.values())
    csv_out = runner.invoke(app, [*args, "--format", "csv"])
    assert csv_out.stdout.splitlines()[0] == "line,theme,label,group,score,text"
    missing = runner.invoke(app, ["feedback", "cluster", str(path), "--fallback"])
    assert missing.exit_code != 0
    assert "no column 'text'" in missing.output


def test_cli_cluster_height_sets_the_granularity(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("text\n" + "".join(f'"{t}"\n' for t in [*DARK, *CRASH, *INVOICE]))
    runner = CliRunner()

    def themes(height: str) -> set[int]:
        args = ["feedback", "cluster", str(path), "--fallback", "--height", height, "-f", "json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return {r["theme"] for r in json.loads(result.stdout)} - {-1}

    assert len(themes("2.5")) == 3
    assert len(themes("100")) <= 1


def test_a_language_too_small_for_a_theme_leaves_its_feedback_unthemed(
    workspace: Workspace,
) -> None:
    store = workspace.store
    _feedback(store, DARK + CRASH, "t:f")
    _feedback(store, ["Per favore aggiungete la modalità scura"], "t:i", "it")
    runs = {r.language: r for r in discover_themes(store, Counting(), T0)}
    assert (runs["it"].themes, runs["it"].outliers, runs["it"].groups) == (0, 1, 0)
    assert runs["en"].themes == 2
    assert "t:i0" not in _members(store)


def test_repeated_texts_are_clustered_once_and_each_item_gets_its_texts_theme(
    workspace: Workspace,
) -> None:
    store, embedder = workspace.store, Counting()
    texts = DARK + CRASH + INVOICE
    times = [1 + i % 4 for i in range(len(texts))]  # each text carried by 1-4 items
    _feedback(store, [t for t, n in zip(texts, times, strict=True) for _ in range(n)], "t:f")
    (run,) = discover_themes(store, embedder, T0)
    assert (run.feedback, run.themes, run.outliers) == (sum(times), 3, 0)
    assert sorted(embedder.embedded) == sorted(texts)  # each distinct text embedded once
    pairs = store.arrow(
        "SELECT f.text, ft.theme_id, ft.score FROM feedback f "
        "JOIN feedback_theme ft ON ft.feedback_id = f.id"
    ).to_pylist()
    assert len(pairs) == sum(times)
    by_text = {(p["text"], p["theme_id"], p["score"]) for p in pairs}
    assert len(by_text) == len(texts)  # the copies of a text share its theme and score
    themes = list_themes(store)
    assert sum(t["size"] for t in themes) == sum(times)  # sizes count feedback, not texts
    index = {t["id"]: k for k, t in enumerate(themes)}
    labels = np.array([index[p["theme_id"]] for p in pairs])
    expected = keywords([p["text"] for p in pairs], labels, len(themes))
    assert [t["keywords"].split(", ") for t in themes] == expected  # counted over every item
    quoted = store.sql("SELECT id, text FROM feedback")
    text_of = dict(quoted)
    for theme in themes:
        quotes = [text_of[q] for q in json.loads(theme["quotes"])]
        assert len(set(quotes)) == len(quotes) == 3  # three different texts, not three copies
