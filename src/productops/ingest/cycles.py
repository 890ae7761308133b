"""Teams form a tree: a team that is its own parent, or a row that would close a cycle of
parents, is quarantined (such teams would drop out of every roll-up)."""

from __future__ import annotations

import pyarrow as pa

from productops.engine import Store
from productops.ingest.read import LINE

__all__ = ["quarantine_cycles"]


def quarantine_cycles(store: Store) -> None:
    """Give a reason to each valid team row of `_checked` whose parent_id would break the tree.

    Rows are taken in file order over the stored teams: a row that would close a
    cycle is set aside, and the parent the store had for that team stays.
    """
    parents: dict[str, str | None] = dict(store.sql("SELECT id, parent_id FROM team"))
    rows = store.sql(
        f"SELECT {LINE}, id, parent_id FROM _checked WHERE _reason = '' ORDER BY {LINE}"
    )
    bad: dict[int, str] = {}
    for line, team, parent in rows:
        if parent == team:
            bad[line] = f'parent_id: "{parent}" is the team itself; leave it empty for a top team'
            continue
        cycle = _way_up(parents, parent, team)
        if cycle:
            shown = " -> ".join([team, *cycle])
            bad[line] = f'parent_id: "{parent}" would close the cycle {shown}; break it'
            continue
        parents[team] = parent
    if not bad:
        return
    reasons = pa.table(
        {"line": pa.array(list(bad), pa.int64()), "reason": pa.array(list(bad.values()))}
    )
    with store.staged("_cycles", reasons):
        store.sql(
            f"UPDATE _checked c SET _reason = b.reason FROM _cycles b WHERE c.{LINE} = b.line"
        )


def _way_up(parents: dict[str, str | None], start: str | None, team: str) -> list[str]:
    """The teams from `start` up its parents to `team`; empty when `team` is not above it."""
    way: list[str] = []
    node = start
    while node is not None and node not in way:
        way.append(node)
        if node == team:
            return way
        node = parents.get(node)
    return []
