"""Theme groups on hand-made vectors whose grouping is known, in a workspace and on the demo."""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score
from typer.testing import CliRunner

from productops.cli import app
from productops.demo.text import THEMES, render
from productops.pillars.customer.embeddings import Matrix, minilm_dir, minilm_embedder, normalise
from productops.pillars.customer.groups import GroupSettings, group_themes
from productops.pillars.customer.themes import OUTLIER, ThemeSettings, discover
from productops.registry.themes import discover_themes, list_groups, list_themes, merge_themes
from productops.workspace import Workspace
from tests.pillars.builders import T0, at, land
from tests.pillars.customer.test_themes import _coarse, _fine, _purity

ROOT = Path(__file__).resolve().parents[3]
DIMENSIONS = 96
# the designed topics are a distinct level of the items' tree, so discovery would stop there;
# these tests keep the sub-themes as themes to see the groups find the topics above them
FINE = ThemeSettings(level_gap=np.inf)


def _design(topics: int, subs: int, per: int) -> tuple[Matrix, np.ndarray, np.ndarray]:
    """`per` items around each of `subs` sub-theme directions of each of `topics` topics: a
    sub-theme is its topic's axis plus 0.6 of its own axis (two of one topic: cosine 0.74;
    of two topics: 0). Returns the vectors, each item's sub-theme and each sub-theme's topic."""
    axes = np.eye(DIMENSIONS)
    centres = [
        axes[t] + 0.6 * axes[topics + t * subs + s] for t in range(topics) for s in range(subs)
    ]
    rng = np.random.default_rng(5)
    points = np.repeat(np.asarray(centres), per, axis=0)
    noise = rng.normal(0, 0.05 * np.sqrt(32 / DIMENSIONS), points.shape)  # norm 0.28
    vectors = normalise((points + noise).astype(np.float32))
    return vectors, np.repeat(np.arange(topics * subs), per), np.repeat(np.arange(topics), subs)


def _items(groups: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each item's group (OUTLIER for an item of no theme)."""
    return np.where(labels >= 0, groups[np.maximum(labels, 0)], OUTLIER)


@pytest.mark.parametrize(("topics", "subs"), [(5, 3), (6, 4), (8, 3), (5, 2)])
def test_a_planted_two_level_structure_is_recovered(topics: int, subs: int) -> None:
    # a few sub-themes per topic, each a large share of the items: too far apart for the cost
    # cut, but the topics are a distinct level of the themes' tree
    vectors, labels, topic = _design(topics, subs, 10)
    groups = group_themes(vectors, labels, topics * subs)
    assert len(set(groups.tolist())) == topics
    assert len(set(zip(groups.tolist(), topic.tolist(), strict=True))) == topics


def test_the_same_defaults_group_fine_themes_and_keep_broad_ones() -> None:
    # many small themes (each 1.4% of the items) of 12 topics: grouped by the cost cut into
    # about their topics, 2-8 themes per group; six broad themes (a sixth of the items each):
    # kept apart, so the groups' NMI against the broad labels is the themes'
    vectors, labels, topic = _design(12, 6, 8)
    groups = group_themes(vectors, labels, 72)
    count = len(set(groups.tolist()))
    assert 72 / 8 <= count <= 72 / 2
    assert normalized_mutual_info_score(topic[labels], _items(groups, labels)) >= 0.95
    vectors, truth = _coarse(np.random.default_rng(4))
    found = discover(vectors)
    items = _items(group_themes(vectors, found.labels, len(found.centroids)), found.labels)
    assert np.bincount(items[items >= 0]).max() <= 0.25 * len(items)
    grouped = normalized_mutual_info_score(truth, items)
    assert grouped >= normalized_mutual_info_score(truth, found.labels)


def test_the_cost_cut_is_a_share_of_the_variance() -> None:
    # the same 72 small themes: no merge at a cost cut of 0 (and no distinct level, as the
    # topics are reached by the cost cut first), all within topics at the default
    vectors, labels, topic = _design(12, 6, 8)
    none = group_themes(vectors, labels, 72, GroupSettings(max_cost=0.0, level_gap=np.inf))
    assert sorted(none.tolist()) == list(range(72))
    groups = group_themes(vectors, labels, 72)
    assert len(set(zip(groups.tolist(), topic.tolist(), strict=True))) == len(set(groups.tolist()))


def test_groups_are_numbered_by_items_and_empty_themes_have_none() -> None:
    vectors, labels, _ = _design(5, 2, 10)  # topic t: themes 2t and 2t + 1
    labels = labels.copy()
    labels[labels == 3] = 2  # topic 1 is theme 2 alone; theme 3 is empty (and theme 10)
    for first, dropped in ((0, 2), (20, 1), (60, 4), (80, 6)):
        labels[first : first + dropped] = OUTLIER  # topics of 18, 19, 20, 16, 14 items
    groups = group_themes(vectors, labels, 11)
    assert groups.tolist() == [2, 2, 1, OUTLIER, 0, 0, 3, 3, 4, 4, OUTLIER]


def test_themes_without_a_coarser_level_stay_one_per_group() -> None:
    # four themes at right angles, a quarter of the items each
    points = np.repeat(np.eye(DIMENSIONS)[:4], 10, axis=0).astype(np.float32)
    groups = group_themes(points, np.repeat(np.arange(4), 10), 4)
    assert sorted(groups.tolist()) == [0, 1, 2, 3]


def test_no_group_holds_more_than_a_quarter_of_the_items() -> None:
    # eight themes of an eighth each, drawn from one cloud: free to join, but never past a
    # quarter
    vectors = normalise(np.random.default_rng(3).normal(size=(1600, DIMENSIONS)))
    labels = np.arange(1600) % 8
    groups = group_themes(vectors, labels, 8)
    assert np.bincount(groups[labels]).max() <= 0.25 * len(labels)
    assert len(set(groups.tolist())) == 4
    # 40 themes of 4 to 43 items at random directions: none is over a quarter, nor any group
    vectors, truth = _fine(np.random.default_rng(6), count=40, per=40)
    keep = np.concatenate([np.flatnonzero(truth == t)[: 4 + t] for t in range(40)])
    vectors, truth = vectors[keep], truth[keep]
    groups = group_themes(vectors, truth, 40)
    assert np.bincount(groups[truth]).max() <= 0.25 * len(truth)


def test_a_dominating_theme_is_a_group_by_itself() -> None:
    # one theme holds 60% of the items (a true label that large): its group does too, alone;
    # the small themes beside it still group by topic
    vectors, labels, topic = _design(8, 4, 5)
    big = np.eye(DIMENSIONS, dtype=np.float32)[DIMENSIONS - 1]
    vectors = np.concatenate([vectors, np.repeat(big[None, :], 240, axis=0)])
    labels = np.concatenate([labels, np.full(240, 32)])
    groups = group_themes(vectors, labels, 33)
    assert groups[32] == 0
    assert np.bincount(groups[labels])[0] == 240 == 0.6 * len(labels)
    assert np.count_nonzero(groups == 0) == 1
    assert len(set(zip(groups[:32].tolist(), topic.tolist(), strict=True))) == 8


def test_every_caller_uses_the_default_group_settings() -> None:
    # the same defaults for every set: the bench and the store call group_themes without
    # settings (no per-set parameter; the items' weights are data)
    files = ["bench/bench_themes.py", "src/productops/registry/themes.py"]
    for file in files:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "group_themes"
        ]
        assert calls, file
        given = [[k.arg for k in c.keywords] for c in calls]
        assert all(len(c.args) == 3 for c in calls), file
        assert all(k in ([], ["weights"]) for k in given), file


class Designed:
    """An embedder for texts 'theme S item I': the designed vector of item I of sub-theme S."""

    name = "designed"
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        self.vectors, self.labels, self.topic = _design(5, 3, 12)

    def embed(self, texts: Sequence[str]) -> Matrix:
        return self.vectors[[int(t.split()[-1]) for t in texts]]


def _land_design(ws: Workspace, embedder: Designed) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": f"t:f{i}",
            "channel": "support",
            "text": f"theme {s} item {i}",
            "created_at": at(i),
            "language": "en",
        }
        for i, s in enumerate(embedder.labels)
    ]
    land(ws.store, "feedback", rows)


def test_runs_store_groups_and_keep_their_ids(workspace: Workspace) -> None:
    embedder = Designed()
    _land_design(workspace, embedder)
    (run,) = discover_themes(workspace.store, embedder, T0, FINE)
    assert (run.themes, run.groups) == (15, 5)
    groups = list_groups(workspace.store)
    assert [(g["themes"], g["size"], g["language"]) for g in groups] == [(3, 36, "en")] * 5
    assert all(g["label"] and g["keywords"] for g in groups)
    themes = {t["id"]: t for t in list_themes(workspace.store)}
    members = dict(workspace.store.sql("SELECT feedback_id, theme_id FROM feedback_theme"))
    # each group holds the three sub-themes of one topic
    topic_of_group = {
        (themes[members[f"t:f{i}"]]["group_id"], int(embedder.topic[s]))
        for i, s in enumerate(embedder.labels)
    }
    assert len(topic_of_group) == 5
    assert {g["id"] for g in groups} == {g for g, _ in topic_of_group}
    for group in groups:
        assert {themes[t]["group_id"] for t in group["theme_ids"].split(", ")} == {group["id"]}
    discover_themes(workspace.store, embedder, T0, FINE)
    assert list_groups(workspace.store) == groups
    # two of a group's three themes merged: the group keeps its id (2 of its 3 earlier themes)
    first = groups[0]["theme_ids"].split(", ")
    merge_themes(workspace.store, first[0], first[1])
    (run,) = discover_themes(workspace.store, embedder, T0, FINE)
    assert (run.themes, run.groups) == (14, 5)
    after = {g["id"]: g for g in list_groups(workspace.store)}
    assert set(after) == {g["id"] for g in groups}
    assert after[groups[0]["id"]]["theme_ids"].split(", ") == [first[1], first[2]]


def test_cli_groups_and_the_group_column(workspace: Workspace, tmp_path: Path) -> None:
    _land_design(workspace, Designed())
    discover_themes(workspace.store, Designed(), T0, FINE)
    root = str(workspace.root)
    workspace.close()
    runner = CliRunner()
    base = ["--workspace", root, "feedback", "themes"]
    listed = runner.invoke(app, [*base, "groups", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [g["themes"] for g in json.loads(listed.stdout)] == [3] * 5
    csv_out = runner.invoke(app, [*base, "groups", "--format", "csv"])
    assert csv_out.stdout.splitlines()[0] == "id,label,language,themes,size,keywords,theme_ids"
    themes = json.loads(runner.invoke(app, [*base, "list", "--format", "json"]).stdout)
    assert all(t["group_id"].startswith("productops:group-") for t in themes)


@pytest.mark.skipif(minilm_dir() is None, reason="the MiniLM wheel is not installed")
def test_demo_planted_themes_fall_into_one_group_each() -> None:
    # 600 English demo items (a third of them unplanted): discovery already finds the planted
    # themes' level (14 themes: one per planted theme, one of unplanted feedback, one planted
    # theme in two), so the groups are the themes: each planted theme some group's majority.
    rng = np.random.default_rng(7)
    planted = rng.integers(-1, len(THEMES), 600)
    texts = [str(t) for t in render(rng, planted, np.zeros(len(planted), int)).to_pylist()]
    vectors = minilm_embedder().embed(texts)
    found = discover(vectors)
    groups = group_themes(vectors, found.labels, len(found.centroids))
    items = np.where(found.labels >= 0, groups[np.maximum(found.labels, 0)], OUTLIER)
    assert _purity(planted + 1, items) >= 0.9
    count = int(groups.max()) + 1
    assert len(THEMES) <= count <= len(THEMES) + 3
    majorities = [int(np.bincount(planted[items == g] + 1).argmax()) - 1 for g in range(count)]
    planted_groups = [m for m in majorities if m >= 0]
    assert set(planted_groups) == set(range(len(THEMES)))
