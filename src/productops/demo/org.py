"""The demo organisation: groups of six product teams and their people.

At scale N there are N groups; the first one carries every planted fact, the
others are well-behaved copies (ids suffixed `-2`, `-3`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from productops.demo.columns import DAY, START, Ints, Times, at, strings, timestamps

__all__ = [
    "BASE_TEAMS",
    "BLOCKED",
    "BLOCKING",
    "BOTTLENECK",
    "NON_CONFORMING",
    "QA_TEAMS",
    "SMALL_SURVEY_TEAM",
    "Org",
    "organisation",
    "team_tables",
]

# (id, name, work item key, focus pillar, engineers)
BASE_TEAMS = (
    ("payments", "Payments", "PAY", "process", 6),
    ("checkout", "Checkout", "CHK", "customer", 5),
    ("activation", "Activation", "ACT", "customer", 4),
    ("search", "Search", "SRC", "data", 5),
    ("mobile", "Mobile", "MOB", "customer", 5),
    ("platform", "Platform", "PLT", "process", 7),
)
# Planted in the first group, by index into BASE_TEAMS.
BOTTLENECK = 0
NON_CONFORMING = 4
BLOCKING, BLOCKED = 5, 1
SMALL_SURVEY_TEAM = 2
QA_TEAMS = (3,)  # teams whose workflow has a QA step after review

TEAM_ROLES = ("pm", "em", "designer")
GROUP_ROLES = ("pm", "product_ops", "product_ops", "data", "data")


@dataclass(frozen=True)
class Org:
    """Teams (product teams only, group by group) and people, as parallel arrays."""

    scale: int
    group_ids: list[str]
    team_ids: list[str]
    team_names: list[str]
    team_keys: list[str]
    team_base: Ints  # index into BASE_TEAMS
    team_group: Ints
    person_ids: npt.NDArray[np.object_]
    person_team: npt.NDArray[np.object_]  # team or group id
    person_team_index: Ints  # index into team_ids, -1 for group members
    person_group: Ints
    person_role: npt.NDArray[np.object_]
    person_joined: Times

    @property
    def teams(self) -> int:
        return len(self.team_ids)

    def members(self, role: str) -> tuple[npt.NDArray[np.object_], Ints, Ints]:
        """People of `role` in product teams sorted by team, with each team's offset and count."""
        chosen = np.flatnonzero((self.person_role == role) & (self.person_team_index >= 0))
        chosen = chosen[np.argsort(self.person_team_index[chosen], kind="stable")]
        counts = np.bincount(self.person_team_index[chosen], minlength=self.teams).astype(np.int64)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        return self.person_ids[chosen], offsets, counts

    def pick(self, rng: np.random.Generator, role: str, team: Ints) -> npt.NDArray[np.object_]:
        """One person of `role` from each given team (index into team_ids), at random."""
        ids, offsets, counts = self.members(role)
        index = offsets[team] + (rng.random(len(team)) * counts[team]).astype(np.int64)
        return ids[index]


def _suffix(group: int) -> str:
    return "" if group == 0 else f"-{group + 1}"


def organisation(rng: np.random.Generator, scale: int) -> Org:
    """`scale` groups of the six base teams with their members."""
    team_ids, names, keys, base, group_of = [], [], [], [], []
    for g in range(scale):
        for b, (tid, name, key, _, _) in enumerate(BASE_TEAMS):
            team_ids.append(tid + _suffix(g))
            names.append(name if g == 0 else f"{name} {g + 1}")
            keys.append(key if g == 0 else f"{key}{g + 1}")
            base.append(b)
            group_of.append(g)
    group_ids = [f"product{_suffix(g)}" for g in range(scale)]
    p_team, p_index, p_group, p_role = [], [], [], []
    for t, tid in enumerate(team_ids):
        b = base[t]
        roles = [*TEAM_ROLES, *["engineer"] * BASE_TEAMS[b][4]]
        if BASE_TEAMS[b][0] == "search":
            roles.append("data")
        p_team += [tid] * len(roles)
        p_index += [t] * len(roles)
        p_group += [group_of[t]] * len(roles)
        p_role += roles
    for g, gid in enumerate(group_ids):
        p_team += [gid] * len(GROUP_ROLES)
        p_index += [-1] * len(GROUP_ROLES)
        p_group += [g] * len(GROUP_ROLES)
        p_role += GROUP_ROLES
    n = len(p_team)
    # Most people were there before the period; about one in five joined during it.
    before = START - (rng.random(n) * 4 * 365 * DAY).astype(np.int64)
    during = START + (rng.random(n) * (at("2026-09-01") - START)).astype(np.int64)
    joined = np.where(rng.random(n) < 0.2, during, before)
    return Org(
        scale=scale,
        group_ids=group_ids,
        team_ids=team_ids,
        team_names=names,
        team_keys=keys,
        team_base=np.asarray(base, dtype=np.int64),
        team_group=np.asarray(group_of, dtype=np.int64),
        person_ids=np.asarray([f"p-{i + 1:05d}" for i in range(n)], dtype=object),
        person_team=np.asarray(p_team, dtype=object),
        person_team_index=np.asarray(p_index, dtype=np.int64),
        person_group=np.asarray(p_group, dtype=np.int64),
        person_role=np.asarray(p_role, dtype=object),
        person_joined=joined.astype(np.int64),
    )


def team_tables(org: Org) -> dict[str, pa.Table]:
    """The `team` and `person` tables."""
    pillars = [BASE_TEAMS[b][3] for b in org.team_base]
    team = pa.table(
        {
            "id": strings([*org.group_ids, *org.team_ids]),
            "name": strings(
                [
                    *(f"Product {g + 1}" if g else "Product" for g in range(org.scale)),
                    *org.team_names,
                ]
            ),
            "parent_id": strings(
                [*([None] * org.scale), *(org.group_ids[g] for g in org.team_group)]
            ),
            "focus_pillar": strings([*([None] * org.scale), *pillars]),
        }
    )
    person = pa.table(
        {
            "id": strings(org.person_ids),
            "team_id": strings(org.person_team),
            "role": strings(org.person_role),
            "joined_at": timestamps(org.person_joined),
        }
    )
    return {"team": team, "person": person}
