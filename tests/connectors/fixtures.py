"""The real Jira, GitHub and GitLab fixtures synced into a workspace, for any test that needs them.

Both go through the replay path (`productops sync SOURCE --from-file ...`), which
lands the payloads in `raw_record` and maps them as an API sync does.

>>> sync_jira_fixtures(ws)  # doctest: +SKIP
>>> ws.store.sql("SELECT count(*) FROM work_item_transition")  # doctest: +SKIP
[(165,)]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from productops.config import (
    AzureDevOpsSettings,
    BitbucketSettings,
    Config,
    GitHubSettings,
    GitLabSettings,
    JiraSettings,
    write_config,
)
from productops.sync import SyncReport, sync_source
from productops.workspace import Workspace
from tests.conftest import FIXTURES
from tests.connectors.server import load_jsonl

__all__ = [
    "AZURE_DIR",
    "AZURE_FILES",
    "BITBUCKET_DIR",
    "BITBUCKET_FILES",
    "BITBUCKET_REPO",
    "GITHUB_DIR",
    "GITHUB_FILES",
    "GITHUB_REPO",
    "GITLAB_DIR",
    "GITLAB_FILES",
    "GITLAB_PROJECT",
    "JIRA_CATEGORIES",
    "JIRA_DIR",
    "JIRA_FILES",
    "JIRA_TEAMS",
    "azure_fixture",
    "bitbucket_fixture",
    "configure",
    "github_fixture",
    "gitlab_fixture",
    "jira_fixture",
    "sync_azure_fixtures",
    "sync_bitbucket_fixtures",
    "sync_github_fixtures",
    "sync_gitlab_fixtures",
    "sync_jira_fixtures",
]

JIRA_DIR = FIXTURES / "jira-cloud"
GITHUB_DIR = FIXTURES / "github"
JIRA_FILES = ("statuses", "issues", "issues_with_links", "issue_changelogs")
GITHUB_FILES = (
    "pulls",
    "pull_commits",
    "pull_reviews",
    "issues",
    "issue_events",
    "issue_comments",
    "actions_runs",
)
GITHUB_REPO = "panjf2000/ants"
GITLAB_DIR = FIXTURES / "gitlab"
GITLAB_FILES = (
    "merge_requests",
    "merge_requests_for_mr_commit_test",
    "merge_requests_for_mr_notes_test",
    "merge_request_commits",
    "merge_request_notes",
    "issues",
    "pipeline",
    "job",
    "trigger_job",
    "deployments",
    "users",
)
GITLAB_PROJECT = "gitlab-data/snowflake_spend"
BITBUCKET_DIR = FIXTURES / "bitbucket"
BITBUCKET_FILES = (
    "pull_requests",
    "pull_request_commits",
    "pullrequest_comments",
    "issues",
    "pipelines",
    "pipeline_steps",
    "deployments",
)
BITBUCKET_REPO = "likyh/likyhphp"
AZURE_DIR = FIXTURES / "azuredevops"
AZURE_FILES = ("pull_requests", "pull_request_commits", "builds", "timeline_records")
# Project -> team for the two Jira sites in the fixtures.
JIRA_TEAMS = {"EE": "ee", "K5": "k5", "DZFNK0168": "dz"}
# Statuses the fixture's changelogs use that /status no longer lists (ids 10000, 10020, 10029).
JIRA_CATEGORIES: dict[str, dict[str, str]] = {
    "*": {"Inbox": "todo", "Ready for Dev": "todo", "To Do": "todo"}
}


def jira_fixture(name: str) -> list[dict[str, Any]]:
    """The objects of tests/fixtures/jira-cloud/NAME.jsonl."""
    return load_jsonl(JIRA_DIR / f"{name}.jsonl")


def github_fixture(name: str) -> list[dict[str, Any]]:
    """The objects of tests/fixtures/github/NAME.jsonl."""
    return load_jsonl(GITHUB_DIR / f"{name}.jsonl")


def gitlab_fixture(name: str) -> list[dict[str, Any]]:
    """The objects of tests/fixtures/gitlab/NAME.jsonl."""
    return load_jsonl(GITLAB_DIR / f"{name}.jsonl")


def azure_fixture(name: str) -> list[dict[str, Any]]:
    """The objects of tests/fixtures/azuredevops/NAME.jsonl."""
    return load_jsonl(AZURE_DIR / f"{name}.jsonl")


def bitbucket_fixture(name: str) -> list[dict[str, Any]]:
    """The objects of tests/fixtures/bitbucket/NAME.jsonl; deployments once per uuid (the
    fixture repeats one with every state name, DevLake's enumeration: the first is real)."""
    found = load_jsonl(BITBUCKET_DIR / f"{name}.jsonl")
    if name != "deployments":
        return found
    first: dict[str, dict[str, Any]] = {}
    for deployment in found:
        first.setdefault(deployment["uuid"], deployment)
    return list(first.values())


def configure(ws: Workspace, **connectors: Any) -> Config:
    """Set fields of `[connectors]` in the workspace's config (and its productops.toml)."""
    updated = ws.config.connectors.model_copy(update=connectors)
    ws.config = ws.config.model_copy(update={"connectors": updated})
    write_config(ws.root / "productops.toml", ws.config)
    return ws.config


def sync_jira_fixtures(
    ws: Workspace,
    *,
    teams: Mapping[str, str] = JIRA_TEAMS,
    categories: Mapping[str, Mapping[str, str]] = JIRA_CATEGORIES,
) -> SyncReport:
    """Sync every Jira fixture (statuses, issues with changelogs and links) into `ws`.

    Work items are `jira:KEY` of teams ee, k5 and dz; the three issues of
    issue_changelogs.jsonl are not in the fixtures, so their entries stay raw.
    """
    configure(
        ws,
        jira=JiraSettings(project_teams=dict(teams)),
        status_categories={k: dict(v) for k, v in categories.items()},
    )
    files = [JIRA_DIR / f"{name}.jsonl" for name in JIRA_FILES]
    return sync_source(ws.store, ws.config.connectors, ws.root, "jira", files=files)


def sync_github_fixtures(
    ws: Workspace,
    *,
    team: str = "ants",
    deploy_workflow: str = "^CodeQL$",
    deploy_branch: str | None = "master",
    incident_labels: tuple[str, ...] = ("bug",),
) -> SyncReport:
    """Sync every GitHub fixture (panjf2000/ants) into `ws`, as team `team`.

    ants has no deploy workflow, GitHub deployments or releases: successful and
    failed runs of `deploy_workflow` on `deploy_branch` stand in for deployments,
    and issues labelled `bug` for incidents.
    """
    configure(
        ws,
        github=GitHubSettings(
            repos=[GITHUB_REPO],
            default_team=team,
            deploy_from=["actions"],
            deploy_workflow=deploy_workflow,
            deploy_branch=deploy_branch,
            incident_labels=list(incident_labels),
        ),
    )
    files = [GITHUB_DIR / f"{name}.jsonl" for name in GITHUB_FILES]
    return sync_source(ws.store, ws.config.connectors, ws.root, "github", files=files)


def sync_gitlab_fixtures(ws: Workspace, **settings: Any) -> SyncReport:
    """Sync every GitLab fixture into `ws` as team `data` (settings override GitLabSettings).

    DevLake's fixtures join several projects under one id: merge requests and
    issues of gitlab-data/snowflake_spend, deployments of merico-dev/ee/vdev.co,
    jobs of merico/pip_test. Only the production deployments are cancelled or
    blocked, so a test wanting finished production ones maps `staging` to it.
    """
    given = {"projects": [GITLAB_PROJECT], "default_team": "data", **settings}
    configure(ws, gitlab=GitLabSettings.model_validate(given))
    files = [GITLAB_DIR / f"{name}.jsonl" for name in GITLAB_FILES]
    return sync_source(ws.store, ws.config.connectors, ws.root, "gitlab", files=files)


def sync_bitbucket_fixtures(ws: Workspace, tmp: Path, **settings: Any) -> SyncReport:
    """Sync every Bitbucket fixture (likyh/likyhphp) into `ws` as team `web`, both deploy
    sources on; `tmp` holds the replay files written from `bitbucket_fixture`."""
    given = {
        "repos": [BITBUCKET_REPO],
        "default_team": "web",
        "deploy_from": ["deployments", "steps"],
        **settings,
    }
    configure(ws, bitbucket=BitbucketSettings.model_validate(given))
    files = []
    for name in BITBUCKET_FILES:
        path = tmp / f"bitbucket-{name}.jsonl"
        lines = (json.dumps(item) for item in bitbucket_fixture(name))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return sync_source(ws.store, ws.config.connectors, ws.root, "bitbucket", files=files)


def sync_azure_fixtures(ws: Workspace, **settings: Any) -> SyncReport:
    """Sync every Azure DevOps fixture into `ws` as team `platform`."""
    given = {"project": "test-project", "repos": ["test-repo2"], "default_team": "platform"}
    configure(ws, azure_devops=AzureDevOpsSettings.model_validate({**given, **settings}))
    files = [AZURE_DIR / f"{name}.jsonl" for name in AZURE_FILES]
    return sync_source(ws.store, ws.config.connectors, ws.root, "azure-devops", files=files)
