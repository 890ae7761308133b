"""Teams form a tree: a team that is its own parent, a row that would close a cycle of
parents, or one whose parent's row is set aside, is quarantined (such teams would drop
out of every roll-up)."""

from __future__ import annotations

import pyarrow as pa

from productops.engine import Store
from productops.ingest.read import LINE

__all__ = ["check_team_tree"]


def check_team_tree(store: Store) -> None:
    """Give a reason to each valid team row of `_checked` whose parent_id would break the tree.

    Rows are taken in file order over the stored teams: a row that would close a
    cycle is set aside, and the parent the store had for that team stays.
    """
    stored: dict[str, str | None] = dict(store.sql("SELECT id, parent_id FROM team"))
    parents = dict(stored)
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
    _orphans(rows, bad, set(stored))
    if not bad:
        return
    reasons = pa.table(
        {"line": pa.array(list(bad), pa.int64()), "reason": pa.array(list(bad.values()))}
    )
    with store.staged("_tree", reasons):
        store.sql(f"UPDATE _checked c SET _reason = b.reason FROM _tree b WHERE c.{LINE} = b.line")


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


def _orphans(
    rows: list[tuple[int, str, str | None]], bad: dict[int, str], stored: set[str]
) -> None:
    """Add to `bad` the rows whose parent neither is stored nor lands, until none is left."""
    while True:
        landing = {team for line, team, _ in rows if line not in bad}
        orphans = {
            line: parent
            for line, _, parent in rows
            if line not in bad and parent is not None and parent not in landing | stored
        }
        if not orphans:
            return
        for line, parent in orphans.items():
            bad[line] = f'parent_id: the row of team "{parent}" is quarantined; fix it first'
