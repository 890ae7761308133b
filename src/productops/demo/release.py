"""Code and release: pull requests tied to work items, deployments that ship them, incidents.

A pull request opens when its item moves to In Review and merges when review
ends, so review waits show in both; each change ships with the team's next
production deployment after the item is done, which gives the item its
`released_at`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from productops.demo.columns import (
    DAY,
    END,
    HOUR,
    MINUTE,
    START,
    Ints,
    Times,
    choose,
    concat,
    hex_strings,
    lognormal,
    numbered,
    strings,
    take,
    timestamps,
    within,
)
from productops.demo.delivery import CANCELLED, EPIC, SKIPPED, STANDARD, WorkItems
from productops.demo.org import Org

__all__ = ["releases"]

DEPLOY_GAP_DAYS = (1.2, 1.5, 2.5, 1.0, 3.0, 0.8)
FAILURE_RATE = (0.06, 0.05, 0.07, 0.05, 0.12, 0.06)
_CHORES = (
    "Bump dependencies",
    "Refactor logging",
    "Fix flaky test",
    "Update CI config",
    "Tidy up dead code",
)


def _sorted_key(team: Ints, moment: Times) -> Ints:
    """One sortable int64 per (team, time); times fit in 51 bits until the year 2041."""
    return (team << 51) | np.maximum(moment, 0)


def releases(
    rng: np.random.Generator, org: Org, items: WorkItems
) -> tuple[dict[str, pa.Table], Times]:
    """change, deployment, deployment_change and incident; with each item's release time."""
    n = len(items)
    std, skip = items.path == STANDARD, items.path == SKIPPED
    has_pr = (items.kind != EPIC) & (items.path != CANCELLED) & (rng.random(n) < 0.85)
    work = items.done - items.start
    opened = np.where(
        std,
        items.review - (rng.random(n) * 10 * MINUTE).astype(np.int64),
        items.start + (work * 0.6).astype(np.int64),
    )
    has_pr &= (opened < END) & (opened > items.start)
    first_commit = items.start + (
        rng.random(n) * np.where(std, items.review - items.start, work) * 0.4
    ).astype(np.int64)
    reviewed = np.where(
        std,
        items.review
        + (rng.uniform(0.3, 0.9, n) * (items.first_review_end - items.review)).astype(np.int64),
        np.where(rng.random(n) < 0.5, opened + (work * 0.2).astype(np.int64), -1),
    )
    merged = np.where(
        std,
        items.review_end - (rng.random(n) * MINUTE).astype(np.int64),
        items.done - (work * 0.02).astype(np.int64),
    )
    item = np.flatnonzero(has_pr)

    # Changes with no work item: chores, a few per team and month.
    chores = rng.poisson(80, org.teams).astype(np.int64)
    chore_team = np.repeat(np.arange(org.teams), chores)
    chore_open = START + (rng.random(len(chore_team)) * (END - START)).astype(np.int64)
    chore_review = chore_open + (lognormal(rng, 0.2, 0.9, len(chore_team)) * DAY).astype(np.int64)
    chore_merged = chore_review + (lognormal(rng, 0.1, 0.9, len(chore_team)) * DAY).astype(np.int64)

    team = np.concatenate((items.team[item], chore_team))
    created = np.concatenate((opened[item], chore_open))
    commit = np.concatenate(
        (
            first_commit[item],
            np.maximum(START, chore_open - (rng.random(len(chore_team)) * DAY).astype(np.int64)),
        )
    )
    first_review = within(np.concatenate((reviewed[item], chore_review)))
    merged_at = within(np.concatenate((merged[item], chore_merged)))
    work_item = np.concatenate((item, np.full(len(chore_team), -1)))
    order = np.lexsort((created, team))
    team, created, commit, first_review, merged_at, work_item = (
        a[order] for a in (team, created, commit, first_review, merged_at, work_item)
    )
    count = np.bincount(team, minlength=org.teams)
    number = np.arange(len(team)) - np.concatenate(([0], np.cumsum(count)[:-1]))[team] + 1
    repo = concat("acme/", take(strings(org.team_ids), team), "-service")
    linked = work_item >= 0
    item_ids = take(items.ids, np.maximum(work_item, 0))
    title = pc.if_else(
        pa.array(linked),
        concat(
            pc.utf8_slice_codeunits(item_ids, 5),
            " ",
            take(strings(items.title), np.maximum(work_item, 0)),
        ),
        choose(rng, _CHORES, len(team))[0],
    )
    author = org.pick(rng, "engineer", team)
    owned = linked & (items.owner[np.maximum(work_item, 0)] != None)  # noqa: E711
    author[owned] = items.owner[work_item[owned]]
    sha = hex_strings(rng, len(team), 20)
    change_ids = concat("demo:", repo, "#", pc.cast(pa.array(number), pa.string()))
    change = pa.table(
        {
            "id": change_ids,
            "team_id": take(strings(org.team_ids), team),
            "repo": repo,
            "title": title,
            "author_id": strings(author),
            "created_at": timestamps(created),
            "first_commit_at": timestamps(commit),
            "first_review_at": timestamps(first_review),
            "merged_at": timestamps(merged_at),
            "merge_sha": pc.if_else(pa.array(merged_at >= 0), sha, pa.scalar(None, pa.string())),
            "work_item_id": take(items.ids, work_item, ~linked),
        }
    )

    deploy_team, finished, deployment = _deployments(rng, org)
    # An item ships with the first deployment after it is both merged and done.
    item_done = np.where(linked, within(items.done[np.maximum(work_item, 0)]), merged_at)
    ready = np.where((merged_at >= 0) & (item_done >= 0), np.maximum(merged_at, item_done), -1)
    deploy_key = _sorted_key(deploy_team, finished)
    pos = np.searchsorted(deploy_key, _sorted_key(team, ready))
    pos_ok = np.minimum(pos, len(deploy_team) - 1)
    shipped = (ready >= 0) & (pos < len(deploy_team)) & (deploy_team[pos_ok] == team)
    released = np.full(n, -1, dtype=np.int64)
    released[work_item[shipped & linked]] = finished[pos_ok[shipped & linked]]
    released = np.where(std | skip, released, -1)
    deployment_change = pa.table(
        {
            "deployment_id": take(deployment["id"], pos_ok[shipped]),
            "change_id": change_ids.filter(pa.array(shipped)),
        }
    )
    tables = {
        "change": change,
        "deployment": deployment,
        "deployment_change": deployment_change,
        "incident": _incidents(rng, org, deployment, deploy_team, finished),
    }
    return tables, released


def _deployments(rng: np.random.Generator, org: Org) -> tuple[Ints, Times, pa.Table]:
    gaps = np.asarray(DEPLOY_GAP_DAYS)[org.team_base]
    counts = rng.poisson((END - START) / DAY / gaps).astype(np.int64)
    team = np.repeat(np.arange(org.teams), counts)
    finished = START + (rng.random(len(team)) * (END - START)).astype(np.int64)
    order = np.lexsort((finished, team))
    team, finished = team[order], finished[order]
    number = np.arange(len(team)) - np.concatenate(([0], np.cumsum(counts)[:-1]))[team] + 1
    failed = rng.random(len(team)) < np.asarray(FAILURE_RATE)[org.team_base[team]]
    started = finished - (lognormal(rng, 12.0, 0.5, len(team)) * MINUTE).astype(np.int64)
    team_ids = take(strings(org.team_ids), team)
    table = pa.table(
        {
            "id": numbered(concat("demo:deploy-", team_ids, "-"), number, 5),
            "team_id": team_ids,
            "environment": pa.array(np.full(len(team), "production")),
            "started_at": timestamps(started),
            "finished_at": timestamps(finished),
            "result": pc.if_else(pa.array(failed), "failure", "success"),
            "commit_sha": hex_strings(rng, len(team), 20),
        }
    )
    return team, finished, table


def _incidents(
    rng: np.random.Generator, org: Org, deployment: pa.Table, deploy_team: Ints, finished: Times
) -> pa.Table:
    """Incidents: some successful deployments cause one (change failures); others have no known cause."""
    succeeded = np.asarray(pc.equal(deployment["result"], pa.scalar("success")))
    rate = np.asarray(FAILURE_RATE)[org.team_base[deploy_team]]
    caused = np.flatnonzero(succeeded & (rng.random(len(succeeded)) < rate))
    other = rng.poisson(24, org.teams).astype(np.int64)
    other_team = np.repeat(np.arange(org.teams), other)
    created = np.concatenate(
        (
            finished[caused] + (lognormal(rng, 0.5, 0.8, len(caused)) * HOUR).astype(np.int64),
            START + (rng.random(len(other_team)) * (END - START)).astype(np.int64),
        )
    )
    team = np.concatenate((deploy_team[caused], other_team))
    cause = np.concatenate((caused, np.full(len(other_team), -1)))
    keep = created < END
    created, team, cause = created[keep], team[keep], cause[keep]
    order = np.argsort(created, kind="stable")
    created, team, cause = created[order], team[order], cause[order]
    resolved = within(created + (lognormal(rng, 3.0, 1.0, len(created)) * HOUR).astype(np.int64))
    severity, _ = choose(
        rng, ("sev1", "sev2", "sev3", "sev4"), len(created), (0.05, 0.2, 0.45, 0.3)
    )
    return pa.table(
        {
            "id": numbered("demo:INC-", np.arange(1, len(created) + 1)),
            "team_id": take(strings(org.team_ids), team),
            "severity": severity,
            "created_at": timestamps(created),
            "resolved_at": timestamps(resolved),
            "deployment_id": take(deployment["id"], cause, cause < 0),
        }
    )
