"""Incremental theme runs keep discovery's outlier bar: a new text fits a known theme when its
cosine to the theme's centroid reaches 0.4 times the theme's stored median similarity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from productops.engine import META_TABLE, Store
from productops.pillars.customer.embeddings import Matrix, normalise
from productops.pillars.customer.themes import (
    OUTLIER,
    ThemeSettings,
    discover,
    median_similarities,
    update,
)
from productops.registry.themes import discover_themes, list_themes
from productops.workspace import STORE_FILE, Workspace
from tests.pillars.builders import T0, at, land

DIMENSIONS = 32
SETTINGS = ThemeSettings()


def _design() -> Matrix:
    """40 items: 20 of a tight theme (axis 0, median cosine 0.92), 20 of a broad one (axis 1
    plus as much again off it, median 0.65); then two new texts: `near_tight` at cosine 0.31
    to the tight theme (over the old fixed 0.3, under 0.4 x 0.92) and `far_broad`, a broad-like
    text at 0.28 to the broad theme (under 0.3, over 0.4 x 0.65)."""
    rng = np.random.default_rng(3)
    axes = np.eye(DIMENSIONS, dtype=np.float32)
    tight = axes[0] + rng.normal(0, 0.08, (20, DIMENSIONS))

    def broad(count: int, spread: float) -> Matrix:
        off = rng.normal(0, 1, (count, DIMENSIONS))
        off[:, :4] = 0
        moved = axes[1] + spread * off / np.linalg.norm(off, axis=1, keepdims=True)
        return np.asarray(moved, np.float32)

    wide = broad(20, 1.25)
    near_tight = 0.285 * axes[0] + np.sqrt(1 - 0.285**2) * axes[2]
    far_broad = broad(1, 2.8)
    rows = np.concatenate([tight, wide, near_tight[None], far_broad])
    return normalise(rows.astype(np.float32))


VECTORS = _design()
BASE, NEAR_TIGHT, FAR_BROAD = 40, 40, 41


def test_the_incremental_bar_is_discoverys_relative_one() -> None:
    found = discover(VECTORS[:BASE], SETTINGS)
    medians = median_similarities(VECTORS[:BASE], found.labels, found.centroids)
    tight, broad = found.labels[0], found.labels[20]
    assert medians[tight] > 0.9
    assert 0.6 < medians[broad] < 0.7
    new = VECTORS[BASE:]
    similarity = new @ found.centroids.T
    # the fixed bar and the relative one disagree on both new texts
    assert 0.3 <= similarity[0, tight] < SETTINGS.outlier_ratio * medians[tight]
    assert SETTINGS.outlier_ratio * medians[broad] <= similarity[1, broad] < 0.3
    assert update(new, found.centroids, SETTINGS).labels.tolist() == [tight, OUTLIER]
    relative = update(new, found.centroids, SETTINGS, medians).labels.tolist()
    full = discover(VECTORS, SETTINGS).labels
    assert relative == [OUTLIER, broad]
    assert full[NEAR_TIGHT] == OUTLIER
    assert full[FAR_BROAD] == full[20]
    # a theme whose median is not known (NaN) keeps the fixed bar
    unknown = np.array([np.nan, np.nan])
    assert update(new, found.centroids, SETTINGS, unknown).labels.tolist() == [tight, OUTLIER]


class Designed:
    """Texts 'item I' embedded as the designed vector I."""

    name = "designed"
    dimensions = DIMENSIONS

    def embed(self, texts: Sequence[str]) -> Matrix:
        return VECTORS[[int(t.split()[-1]) for t in texts]]


def _land(ws: Workspace, items: range) -> None:
    rows: list[dict[str, Any]] = [
        {"id": f"t:{i:02d}", "channel": "support", "text": f"item {i}", "created_at": at(i)}
        for i in items
    ]
    land(ws.store, "feedback", rows)


def _theme_of(ws: Workspace) -> dict[str, str]:
    return dict(ws.store.sql("SELECT feedback_id, theme_id FROM feedback_theme"))


def test_an_incremental_run_classifies_new_texts_as_a_full_run_does(tmp_path: Path) -> None:
    stepwise, whole = Workspace.init(tmp_path / "a"), Workspace.init(tmp_path / "b")
    try:
        _land(stepwise, range(BASE))
        discover_themes(stepwise.store, Designed(), T0)
        stored = list_themes(stepwise.store)
        assert sorted(round(t["median_similarity"], 2) for t in stored) == [0.65, 0.92]
        assert {t["model"] for t in stored} == {"designed"}
        _land(stepwise, range(BASE, BASE + 2))
        (run,) = discover_themes(stepwise.store, Designed(), T0)  # incremental: known themes
        assert run.new_themes == 0
        _land(whole, range(BASE + 2))
        discover_themes(whole.store, Designed(), T0)  # a full run: no themes before
        for ws in (stepwise, whole):
            theme = _theme_of(ws)
            assert f"t:{NEAR_TIGHT}" not in theme  # an outlier
            assert theme[f"t:{FAR_BROAD}"] == theme["t:20"]  # in the broad theme
    finally:
        stepwise.close()
        whole.close()


def test_themes_stored_before_migration_14_keep_the_fixed_bar_until_a_run(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    _land(ws, range(BASE))
    discover_themes(ws.store, Designed(), T0)
    ws.close()
    old = Store.open(tmp_path / "ws" / STORE_FILE)
    old.sql("ALTER TABLE theme DROP COLUMN median_similarity")  # as migration 13 left it
    old.sql("ALTER TABLE theme DROP COLUMN model")
    old.sql(f"UPDATE {META_TABLE} SET value = '13' WHERE key = 'schema_version'")
    old.close()
    ws = Workspace.open(tmp_path / "ws")  # upgraded to 14: the columns back, empty
    try:
        assert ws.store.schema_version() >= 14
        assert {(t["median_similarity"], t["model"]) for t in list_themes(ws.store)} == {
            (None, None)
        }
        _land(ws, range(BASE, BASE + 2))
        discover_themes(ws.store, Designed(), T0)
        theme = _theme_of(ws)
        assert theme[f"t:{NEAR_TIGHT}"] == theme["t:00"]  # the fixed bar 0.3: it fits
        assert f"t:{FAR_BROAD}" not in theme
        assert all(t["median_similarity"] for t in list_themes(ws.store))  # stored now
    finally:
        ws.close()
