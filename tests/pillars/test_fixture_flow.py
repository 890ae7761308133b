"""Process analytics on real payloads: the Jira Cloud and GitHub fixtures and a git repository."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from productops.config import GitSettings
from productops.pillars import process as p
from productops.sync import sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import configure, sync_github_fixtures, sync_jira_fixtures
from tests.connectors.test_git import Repo
from tests.connectors.test_git import repo as repo  # the fixture
from tests.connectors.test_jira import ISSUES, by_hand_category, by_hand_transitions
from tests.pillars.builders import result_rows

AS_OF = datetime(2030, 1, 1, tzinfo=UTC)


def _seconds(a: datetime, b: datetime) -> float:
    """Whole seconds between, as the analytics count them."""
    return (b.replace(microsecond=0) - a.replace(microsecond=0)).total_seconds()


def _by_hand_stays(issue: dict[str, Any]) -> list[tuple[str, str | None, float]]:
    """(status, category, seconds) of every closed stay, from the raw changelog."""
    moves = by_hand_transitions(issue)
    if not moves:
        return []
    first = next(
        item
        for history in sorted(
            issue["changelog"]["histories"], key=lambda h: (h["created"], int(h["id"]))
        )
        for item in history["items"]
        if item["field"] == "status"
    )
    created = datetime.fromisoformat(issue["fields"]["created"]).astimezone(UTC)
    stays = [
        (
            moves[0][1],
            by_hand_category(first["from"], first["fromString"]),
            _seconds(created, moves[0][0]),
        )
    ]
    for (at, _, to, category), (after, *_rest) in itertools.pairwise(moves):
        stays.append((to, category, _seconds(at, after)))
    return stays


def test_time_in_status_and_cycle_time_match_the_raw_jira_changelogs(workspace: Workspace) -> None:
    sync_jira_fixtures(workspace)
    b = workspace.backend()
    stays = p.status_stays(b.table("work_item"), b.table("work_item_transition"), AS_OF)
    closed = stays.filter(stays.left_at.notnull())
    per_item: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in result_rows(closed):
        per_item[r["work_item_id"]][r["status"]] += r["seconds"]
    items = {r["work_item_id"]: r for r in result_rows(p.flow_items(b.table("work_item"), stays))}
    checked = 0
    for issue in ISSUES:
        key = f"jira:{issue['key']}"
        by_hand: dict[str, float] = defaultdict(float)
        active = 0.0
        for status, category, seconds in _by_hand_stays(issue):
            by_hand[status] += seconds
            active += seconds if category == "in_progress" else 0.0
        assert dict(per_item.get(key, {})) == dict(by_hand), key
        if items[key]["status_category"] in ("done", "cancelled"):
            assert items[key]["cycle_time_days"] * 86_400 == pytest.approx(active), key
            checked += 1
    assert checked > 10


def _quarter(ts: datetime) -> datetime:
    return datetime(ts.year, 3 * ((ts.month - 1) // 3) + 1, 1, tzinfo=UTC)


def _github_by_hand(ws: Workspace) -> tuple[list[datetime], dict[datetime, list[float]]]:
    """Successful production deployment times, and merged changes' lead times in hours by quarter."""
    deployed = sorted(
        r[0]
        for r in ws.store.sql(
            "SELECT finished_at FROM deployment WHERE result = 'success' AND environment = 'production'"
        )
    )
    leads: dict[datetime, list[float]] = defaultdict(list)
    for first_commit, merged in ws.store.sql(
        "SELECT first_commit_at, merged_at FROM change WHERE merged_at IS NOT NULL AND first_commit_at IS NOT NULL"
    ):
        shipped = next((d for d in deployed if d >= merged), None)
        if shipped is not None:
            leads[_quarter(shipped)].append((shipped - first_commit).total_seconds() // 1 / 3600)
    return deployed, leads


def test_dora_on_the_github_fixture_matches_by_hand(workspace: Workspace) -> None:
    sync_github_fixtures(workspace)
    deployed, leads = _github_by_hand(workspace)
    assert len(deployed) > 3
    assert sum(len(h) for h in leads.values()) > 3
    b = workspace.backend()
    freq = result_rows(p.deployment_frequency(b.table("deployment"), "quarter"))
    assert sum(r["deployments"] for r in freq) == len(deployed)
    assert sum(r["deployment_days"] for r in freq) == len({(d.date()) for d in deployed})
    lead = result_rows(
        p.change_lead_time(
            b.table("change"), b.table("deployment"), b.table("deployment_change"), "quarter"
        )
    )
    got = {_quarter(r["period_start"]): (r["changes"], r["lead_time_hours"]) for r in lead}
    assert got == {
        q: (len(hours), pytest.approx(statistics.median(hours), abs=1e-3))
        for q, hours in leads.items()
    }
    incidents = result_rows(
        p.change_failure_rate(b.table("deployment"), b.table("incident"), "quarter")
    )
    assert sum(r["deployments"] for r in incidents) == len(deployed)


def test_dora_on_a_git_repository_matches_by_hand(
    workspace: Workspace, repo: Repo, tmp_path: Path
) -> None:
    configure(workspace, git=GitSettings(path=str(repo.path), tag_pattern="v*", default_team="web"))
    sync_source(workspace.store, workspace.config.connectors, workspace.root, "git")
    b = workspace.backend()
    (freq,) = result_rows(p.deployment_frequency(b.table("deployment"), "week"))
    # v1.0 on Thursday 4 January and v1.1 on Sunday 7 January 2024: one ISO week.
    assert (freq["deployments"], freq["deployment_days"], freq["per_week"]) == (2, 2, 2.0)
    (lead,) = result_rows(
        p.change_lead_time(
            b.table("change"), b.table("deployment"), b.table("deployment_change"), "week"
        )
    )
    # #7: 2 Jan 12:00 -> v1.0 4 Jan 15:00 = 51 h; #12: 2 Jan 09:00 -> v1.0 = 54 h;
    # #13: 5 Jan 17:00 -> v1.1 7 Jan 12:00 = 43 h. Median 51 h.
    assert (lead["changes"], lead["lead_time_hours"]) == (3, 51.0)
    assert lead["band"] == "high"  # 2024 bands: between a day and a week
