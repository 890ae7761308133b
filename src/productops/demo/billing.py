"""Billing: one subscription per account, charging ARR / 12 a month, with a planted
discrepancy: a handful of mid-market accounts billed other than their CRM ARR, and one
with no subscription at all. `CHECKS` is the reconciliation that finds them, which the
demo writes into the workspace's `checks/`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from productops.demo.columns import END, START, strings, timestamps
from productops.demo.customers import SEGMENTS, Accounts

__all__ = ["CHECKS", "subscriptions"]

PLANTED_SEGMENT = "mid_market"
MISBILLED = 4  # billed other than their ARR, per scale unit
CHECKS = """\
# Written by `productops demo`: CRM ARR against billing (format: docs/data-quality.md).
reconciliations:
  - id: crm_vs_billing_arr
    description: ARR in the CRM (account.arr) against billing (subscription.mrr x 12), per segment and account.
    left: {table: account, key: id, value: arr, segment: segment}
    right: {table: subscription, key: account_id, value: mrr * 12}
    tolerance: {absolute: 1}
    severity: error
"""


def subscriptions(rng: np.random.Generator, acc: Accounts) -> tuple[pa.Table, dict[str, Any]]:
    """The `subscription` table and the manifest's `arr_discrepancy` fact."""
    arr = acc.table["arr"].to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero(acc.segment == SEGMENTS.index(PLANTED_SEGMENT))
    planted = np.sort(rng.choice(candidates, MISBILLED * (len(arr) // 500) + 1, replace=False))
    missing, misbilled = planted[:1], planted[1:]
    factor = np.ones(len(arr))
    factor[misbilled] = rng.choice((0.5, 0.8, 1.25, 1.5), len(misbilled))
    keep = np.ones(len(arr), dtype=bool)
    keep[missing] = False
    mrr = np.round(arr * factor / 12, 2)
    started = np.maximum(acc.created, START)
    ids = acc.ids.filter(pa.array(keep))
    table = pa.table(
        {
            "id": strings([f"sub-{str(i).removeprefix('acc-')}" for i in ids.to_pylist()]),
            "account_id": ids,
            "plan": acc.table["plan"].combine_chunks().filter(pa.array(keep)),
            "mrr": pa.array(mrr[keep]),
            "started_at": timestamps(started[keep]),
            "ended_at": timestamps(np.where(acc.active_until < END, acc.active_until, -1)[keep]),
        }
    )
    account_ids = sorted(str(acc.ids[int(i)].as_py()) for i in planted)
    return table, {"arr_discrepancy": {"segment": PLANTED_SEGMENT, "account_ids": account_ids}}
