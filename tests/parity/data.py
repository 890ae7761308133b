"""Parity data: a seeded delivery history, landed through the import path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from productops.engine import Store
from productops.ingest import land_arrow
from productops.schema import TABLES

START = datetime(2024, 1, 1, tzinfo=UTC)


def load_parity_data(store: Store, items: int = 3000, seed: int = 11) -> None:
    """Teams and work items with lognormal lead times, some open, some cancelled."""
    rng = np.random.default_rng(seed)
    teams = ["alpha", "beta", "gamma", "delta"]
    land_arrow(
        store,
        TABLES["team"],
        pa.table({"id": teams, "name": [t.title() for t in teams]}),
        source="parity",
        label="parity",
    )
    created = [START + timedelta(seconds=int(s)) for s in rng.uniform(0, 700 * 86_400, items)]
    lead = rng.lognormal(mean=1.8, sigma=0.9, size=items)
    category = rng.choice(["done", "done", "done", "in_progress", "cancelled"], size=items)
    resolved = [
        c + timedelta(days=float(d)) if k in ("done", "cancelled") else None
        for c, d, k in zip(created, lead, category, strict=True)
    ]
    data = pa.table(
        {
            "id": [f"parity:P-{i}" for i in range(items)],
            "team_id": rng.choice(teams, size=items).tolist(),
            "status_category": category.tolist(),
            "created_at": pa.array(created, pa.timestamp("us", tz="UTC")),
            "resolved_at": pa.array(resolved, pa.timestamp("us", tz="UTC")),
        }
    )
    counts = land_arrow(store, TABLES["work_item"], data, source="parity", label="parity")
    assert counts.quarantined == 0
