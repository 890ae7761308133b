"""DORA's four keys on workspaces fed only by a code host and a paging tool, both synced
from local servers paging the real DevLake payloads: GitLab with PagerDuty, Bitbucket with
Opsgenie.

The fixtures' incidents happened months after their deployments, so none would link.
Each test therefore replays the paging tool's real payloads with every timestamp in them
moved by one fixed offset (a date shift, computed below from the fixture rows); nothing
else in them changes. The paging tool's `service_teams` gives the incident's service the
code host's team, which is how an incident finds the deployments that may have caused it
(docs/metrics.md#change_failure_rate).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from productops.config import (
    BitbucketSettings,
    GitLabSettings,
    OpsgenieSettings,
    PagerDutySettings,
)
from productops.sync import sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.code_sites import BitbucketSite, GitLabSite
from tests.connectors.fixtures import (
    BITBUCKET_REPO,
    GITLAB_PROJECT,
    bitbucket_fixture,
    configure,
    gitlab_fixture,
)
from tests.connectors.ops_sites import OpsgenieSite, PagerDutySite
from tests.connectors.server import FixtureServer, Site, load_jsonl, utc
from tests.test_cli import run

# A month's deployment days per week at one deployment day (docs/metrics.md#deployment_frequency).
ONE_DAY_A_MONTH = 7 / 30.44
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def shifted(payload: Any, offset: timedelta) -> Any:
    """`payload` with every ISO 8601 timestamp in it moved by `offset` (whole seconds): the
    date and time part is rewritten, fractions and zone kept as the payload wrote them."""
    if isinstance(payload, dict):
        return {k: shifted(v, offset) for k, v in payload.items()}
    if isinstance(payload, list):
        return [shifted(v, offset) for v in payload]
    if isinstance(payload, str) and _STAMP.match(payload):
        moved = datetime.fromisoformat(payload[:19]) + offset
        return moved.isoformat() + payload[19:]
    return payload


def whole_seconds(delta: timedelta) -> timedelta:
    return timedelta(seconds=int(delta.total_seconds()))


def hours(start: datetime, end: datetime) -> float:
    """Hours between two instants in whole seconds, as docs/metrics.md counts durations."""
    return (int(end.timestamp()) - int(start.timestamp())) / 3600


@contextmanager
def serving(code: Site, paging: Site) -> Iterator[tuple[FixtureServer, FixtureServer]]:
    """Local servers of a code host and a paging tool, stopped on leaving."""
    with FixtureServer(code) as first, FixtureServer(paging) as second:
        yield first, second


def sync(ws: Workspace, *sources: str) -> None:
    for source in sources:
        sync_source(ws.store, ws.config.connectors, ws.root, source)


def dora(ws: str, metric: str, *extra: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(run("-w", ws, "dora", metric, *extra, "-f", "json"))
    return rows


# -- GitLab and PagerDuty ----------------------------------------------------------------

GL_MERGES = list(
    {
        m["id"]: m
        for name in (
            "merge_requests",
            "merge_requests_for_mr_commit_test",
            "merge_requests_for_mr_notes_test",
        )
        for m in gitlab_fixture(name)
    }.values()
)
GL_COMMITS = gitlab_fixture("merge_request_commits")
GL_JOBS = gitlab_fixture("job") + gitlab_fixture("trigger_job")
GL_DEPLOYMENTS = gitlab_fixture("deployments")
PD_INCIDENTS = load_jsonl(FIXTURES / "pagerduty" / "incidents.jsonl")


def pd_incident(number: int, incidents: list[dict[str, Any]]) -> dict[str, Any]:
    return next(i for i in incidents if i["incident_number"] == number)


def test_dora_on_gitlab_and_pagerduty(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production here is GitLab's `staging` (the fixture's production deployments were
    cancelled or blocked): deployments of team data succeed on 2019-03-13 14:17:47 and fail
    at 15:02, and the `deploy` job on master succeeds on 2022-08-25 23:00:08.

    Date shift: the three real PagerDuty incidents on service DevService (#4 at 06:23:06,
    #5 at 06:44:28, #6 at 06:45:36 resolved at 06:51:44, all 2022-11-03) move so that #5
    opens ten minutes after the deploy job. #4 then opens 11 min 22 s before it, with no
    successful deployment in the 24 hours before: unlinked. #5 and #6 link to the deploy
    job; #6 alone is resolved, 368 s after it opened.
    """
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-doraTokenValue0123456789")
    monkeypatch.setenv("PAGERDUTY_TOKEN", "u+pagerdutyDoraKey0123")
    deploy_job = next(j for j in GL_JOBS if j["name"] == "deploy")
    shipped = utc(deploy_job["finished_at"])
    offset = whole_seconds(
        shipped + timedelta(minutes=10) - utc(pd_incident(5, PD_INCIDENTS)["created_at"])
    )
    incidents = [shifted(i, offset) for i in PD_INCIDENTS]
    gitlab = GitLabSite(
        GITLAB_PROJECT,
        merge_requests=GL_MERGES,
        commits=GL_COMMITS,
        notes=gitlab_fixture("merge_request_notes"),
        issues=gitlab_fixture("issues"),
        pipelines=gitlab_fixture("pipeline"),
        jobs=GL_JOBS,
        deployments=GL_DEPLOYMENTS,
        members=gitlab_fixture("users"),
    )
    pagerduty = PagerDutySite(incidents, "u+pagerdutyDoraKey0123")
    with serving(gitlab, pagerduty) as (gl, pd):
        given = {
            "url": f"{gl.url}/api/v4",
            "projects": [GITLAB_PROJECT],
            "default_team": "data",
            "deploy_from": ["deployments", "jobs"],
            "deploy_branch": "master",
            "production_environment": "^staging$",
        }
        configure(
            workspace,
            gitlab=GitLabSettings.model_validate(given),
            pagerduty=PagerDutySettings(url=pd.url, service_teams={"DevService": "data"}),
        )
        sync(workspace, "gitlab", "pagerduty")
    assert workspace.store.sql("SELECT DISTINCT source FROM incident") == [("pagerduty",)]
    ws = str(workspace.root)
    workspace.close()

    frequency = dora(ws, "frequency")
    assert [(r["period_start"][:7], r["deployments"], r["deployment_days"]) for r in frequency] == [
        ("2019-03", 1, 1),
        ("2022-08", 1, 1),
    ]
    assert [r["per_week"] for r in frequency] == pytest.approx([ONE_DAY_A_MONTH] * 2)

    # Every merge with commits came after 2019-03-13: the deploy job shipped them all.
    first_commits = [
        min(
            utc(c["response"]["authored_date"])
            for c in GL_COMMITS
            if c["request"]["GitlabId"] == m["id"]
        )
        for m in GL_MERGES
        if m["merged_at"] and any(c["request"]["GitlabId"] == m["id"] for c in GL_COMMITS)
    ]
    lead = dora(ws, "lead-time")
    assert [(r["period_start"][:7], r["changes"]) for r in lead] == [("2022-08", 7)]
    by_hand = sorted(hours(t, shipped) for t in first_commits)
    assert lead[0]["lead_time_hours"] == pytest.approx(by_hand[3], abs=1e-6)  # median of 7

    rate = dora(ws, "failure-rate")
    assert [(r["period_start"][:7], r["deployments"], r["failed"], r["rate"]) for r in rate] == [
        ("2019-03", 1, 0, 0.0),
        ("2022-08", 1, 1, 1.0),
    ]
    restore = dora(ws, "recovery")
    resolved = pd_incident(6, PD_INCIDENTS)
    end = next(e for e in resolved["log_entries"] if e["type"] == "resolve_log_entry")
    assert [(r["period_start"][:7], r["incidents"]) for r in restore] == [("2022-08", 1)]
    by_hand_restore = hours(utc(resolved["created_at"]), utc(end["created_at"]))
    assert by_hand_restore == 368 / 3600
    assert restore[0]["median_hours"] == pytest.approx(by_hand_restore)
    # Nine minutes of window: #5 (ten minutes after the job) no longer links; #6 neither.
    assert [r["failed"] for r in dora(ws, "failure-rate", "--link-hours", "0.15")] == [0, 0]


# -- Bitbucket and Opsgenie --------------------------------------------------------------

BB_PULLS = bitbucket_fixture("pull_requests")
BB_COMMITS = bitbucket_fixture("pull_request_commits")
BB_DEPLOYMENTS = bitbucket_fixture("deployments")
BB_STEPS = bitbucket_fixture("pipeline_steps")
OG_INCIDENTS = load_jsonl(FIXTURES / "opsgenie" / "incidents.jsonl")
OG_SERVICE = "695bce3d-4621-4630-8ae1-24eb89c22d6e"
_SUCCESS = ("SUCCESSFUL", "COMPLETED")


def bb_production() -> list[tuple[datetime, str]]:
    """(finished, id) of the successful production deployments, by hand: deployments to the
    environment named Production, and pipeline steps named like `prod` (the default
    deploy_step pattern)."""
    key = f"bitbucket:{BITBUCKET_REPO}"
    found = [
        (utc(d["state"]["completed_on"]), f"{key}/deployments/{d['uuid']}")
        for d in BB_DEPLOYMENTS
        if d["environment"]["name"] == "Production" and d["state"]["name"] in _SUCCESS
    ]
    found += [
        (utc(s["response"]["completed_on"]), f"{key}/steps/{s['response']['uuid']}")
        for s in BB_STEPS
        if "prod" in s["response"]["name"]
        and (s["response"]["state"].get("result") or {}).get("name") in _SUCCESS
    ]
    return sorted(found)


def test_dora_on_bitbucket_and_opsgenie(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Team web's successful production deployments all finish on 2023-02-20, from 09:12:39
    to 09:39:09 (several at the same second, deployments and pipeline steps alike).

    Date shift: the two real Opsgenie incidents on one service (Incident#2 at 2023-09-05
    18:20:28, resolved at 18:21:21; Incident#1 at 2023-09-06 14:30:56, open) move so that
    Incident#2 opens five minutes after the deployments finishing at 09:16:09. It links to
    the one of them with the largest id; Incident#1, 20 h 10 min later, links to the last
    deployment (09:39:09, again the larger id of two). Two of the successful production
    deployments failed; only Incident#2 is resolved, 53 s after it opened.
    """
    monkeypatch.setenv("BITBUCKET_TOKEN", "ATCTT3xFfGN0-bitbucket-dora-token-0123")
    monkeypatch.setenv("OPSGENIE_TOKEN", "0aa1bb2c-opsgenie-dora-3dd4ee5ff6")
    production = bb_production()
    middle = max(at for at, _ in production if at.strftime("%H:%M:%S") == "09:16:09")
    second = next(i for i in OG_INCIDENTS if i["message"] == "Incident#2")
    offset = whole_seconds(middle + timedelta(minutes=5) - utc(second["createdAt"]))
    incidents = [shifted(i, offset) for i in OG_INCIDENTS]
    bitbucket = BitbucketSite(
        BITBUCKET_REPO,
        pullrequests=BB_PULLS,
        commits=BB_COMMITS,
        comments=bitbucket_fixture("pullrequest_comments"),
        issues=bitbucket_fixture("issues"),
        pipelines=bitbucket_fixture("pipelines"),
        steps=BB_STEPS,
        deployments=BB_DEPLOYMENTS,
    )
    opsgenie = OpsgenieSite(incidents, "0aa1bb2c-opsgenie-dora-3dd4ee5ff6")
    with serving(bitbucket, opsgenie) as (bb, og):
        configure(
            workspace,
            bitbucket=BitbucketSettings(
                url=f"{bb.url}/2.0",
                repos=[BITBUCKET_REPO],
                default_team="web",
                deploy_from=["deployments", "steps"],
            ),
            opsgenie=OpsgenieSettings(url=og.url, service_teams={OG_SERVICE: "web"}),
        )
        sync(workspace, "bitbucket", "opsgenie")
    assert workspace.store.sql("SELECT DISTINCT source FROM incident") == [("opsgenie",)]
    ws = str(workspace.root)
    workspace.close()

    frequency = dora(ws, "frequency")
    assert [(r["period_start"][:7], r["deployments"], r["deployment_days"]) for r in frequency] == [
        ("2023-02", len(production), 1)
    ]
    assert len(production) == 11
    assert frequency[0]["per_week"] == pytest.approx(ONE_DAY_A_MONTH)

    # Every merge (2022-08) precedes the first production deployment: it shipped them; one
    # merged pull request has commits.
    merged = [
        p
        for p in BB_PULLS
        if p["state"] == "MERGED"
        and any(c["request"]["BitbucketId"] == p["id"] for c in BB_COMMITS)
    ]
    first = min(
        utc(c["response"]["date"])
        for c in BB_COMMITS
        if c["request"]["BitbucketId"] == merged[0]["id"]
    )
    lead = dora(ws, "lead-time")
    assert [(r["period_start"][:7], r["changes"]) for r in lead] == [("2023-02", 1)]
    assert lead[0]["lead_time_hours"] == pytest.approx(hours(first, production[0][0]), abs=1e-6)

    rate = dora(ws, "failure-rate")
    assert [(r["deployments"], r["failed"]) for r in rate] == [(11, 2)]
    assert rate[0]["rate"] == pytest.approx(2 / 11)
    restore = dora(ws, "recovery")
    assert [(r["period_start"][:7], r["incidents"]) for r in restore] == [("2023-02", 1)]
    # 18:20:28.003 to 18:21:21.49, in whole seconds.
    by_hand_restore = hours(utc(second["createdAt"]), utc(second["impactEndDate"]))
    assert by_hand_restore == 53 / 3600
    assert restore[0]["median_hours"] == pytest.approx(by_hand_restore)
