"""A deterministic demo organisation of any size, with planted facts to find.

`build_demo` draws every canonical table with numpy from one seed, lands each
through the same validation and upsert path as a file import, and writes a
manifest of what was planted (see `productops.demo.manifest` for its keys).

May import `schema`, `engine`, `ingest` and `errors`; only interfaces import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from productops.demo.activities import activities, nudges
from productops.demo.billing import CHECKS, subscriptions
from productops.demo.customers import accounts, feedback
from productops.demo.delivery import delivery_tables, work_items
from productops.demo.experiments import experiments
from productops.demo.governance import decisions, initiatives, kpis
from productops.demo.manifest import KEYS, manifest, write_manifest
from productops.demo.org import Org, organisation, team_tables
from productops.demo.release import releases
from productops.demo.surveys import surveys
from productops.demo.targets import targets
from productops.demo.usage import events, usage_events
from productops.engine import Store
from productops.errors import UsageError
from productops.ingest import land_arrow
from productops.schema import TABLES

__all__ = ["MANIFEST_KEYS", "STEPS", "build_demo"]

MANIFEST_KEYS = KEYS
# The tables in the order they are landed: one progress step each.
STEPS = (
    "team",
    "person",
    "kpi",
    "work_item",
    "work_item_transition",
    "work_item_flag",
    "work_item_link",
    "work_item_kpi",
    "change",
    "deployment",
    "deployment_change",
    "incident",
    "account",
    "subscription",
    "feedback",
    "feedback_link",
    "insight",
    "event",
    "experiment",
    "experiment_metric",
    "experiment_arm",
    "experiment_arm_stat",
    "decision",
    "decision_evidence",
    "initiative",
    "activity",
    "nudge",
    "survey",
    "survey_response",
    "usage_event",
    "criterion_target",
)


def build_demo(
    store: Store,
    manifest_path: Path,
    *,
    scale: int = 1,
    seed: int = 7,
    on_step: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Generate the demo organisation into `store` (an empty, migrated workspace store), write the
    manifest of planted facts as JSON to `manifest_path`, and return the manifest.

    `scale` multiplies the organisation (scale N: N groups of six teams, N times the rows);
    the same `seed` and `scale` give the same rows. `on_step(table, rows)` is called after each
    of the `len(STEPS)` tables is landed. Beside the manifest, `checks/demo.yml` declares the
    reconciliation that finds the planted billing discrepancy.

    >>> build_demo(Store.open(Path("demo.duckdb")), Path("manifest.json"))["bottleneck"]  # doctest: +SKIP
    {'team_id': 'payments', 'status': 'In Review'}
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise UsageError(f"demo scale must be a whole number of at least 1, got {scale!r}")
    facts: dict[str, Any] = {}
    row_counts: dict[str, int] = {}
    # One independent stream per area, so that changing one area leaves the others' rows alone.
    streams = np.random.default_rng(seed).spawn(11)
    org = organisation(streams[0], scale)
    for name, data in _tables(org, streams[1:], facts):
        counts = land_arrow(store, TABLES[name], data, source="demo", label="demo")
        del data  # landed: not held while the next table is drawn
        row_counts[name] = counts.landed + counts.updated + counts.unchanged
        if on_step is not None:
            on_step(name, row_counts[name])
    result = manifest(org, seed, facts, row_counts)
    write_manifest(manifest_path, result)
    (manifest_path.parent / "checks").mkdir(exist_ok=True)
    (manifest_path.parent / "checks" / "demo.yml").write_text(CHECKS, encoding="utf-8")
    return result


def _tables(
    org: Org, streams: list[np.random.Generator], facts: dict[str, Any]
) -> Iterator[tuple[str, pa.Table]]:
    """Every table in STEPS order, each area drawing from its own stream; fills `facts`."""
    (
        r_items,
        r_release,
        r_delivery,
        r_accounts,
        r_feedback,
        r_events,
        r_experiments,
        r_governance,
        r_surveys,
        r_usage,
    ) = streams
    yield from team_tables(org).items()
    yield "kpi", kpis(org)
    items = work_items(r_items, org)
    release, released = releases(r_release, org, items)
    yield from delivery_tables(r_delivery, org, items, released).items()
    yield from release.items()
    acc = accounts(r_accounts, org.scale)
    yield "account", acc.table
    subscription, billing_facts = subscriptions(r_accounts, acc)
    facts.update(billing_facts)
    yield "subscription", subscription
    customer, customer_facts = feedback(r_feedback, acc, items, org.scale)
    facts.update(customer_facts)
    yield from customer.items()
    # Evidence cites feedback: a sample of ids is enough to draw from (the rest, texts and
    # all, is let go before the events are drawn).
    cited = customer["feedback"]["id"].take(np.arange(0, customer["feedback"].num_rows, 97))
    del customer
    yield "event", events(r_events, acc, org.scale)
    experiment, experiment_facts = experiments(r_experiments, org)
    facts.update(experiment_facts)
    yield from experiment.items()
    experiment_ids = [str(i) for i in experiment["experiment"]["id"].to_pylist()]
    governance = decisions(r_governance, org, experiment_ids, [str(i) for i in cited.to_pylist()])
    yield from governance.items()
    yield "initiative", initiatives(org)
    yield "activity", activities(r_governance, org)
    yield "nudge", nudges(org)
    survey, survey_facts = surveys(r_surveys, org)
    facts.update(survey_facts)
    yield from survey.items()
    yield "usage_event", usage_events(r_usage, org, governance["decision"])
    yield "criterion_target", targets(org)
