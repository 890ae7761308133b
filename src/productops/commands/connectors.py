"""`productops connect SOURCE ...` and `productops sync [SOURCE]` (docs/connectors.md).

`connect` stores a source's settings in productops.toml: the names of the
environment variables (or files outside the workspace) that hold secrets,
never the secrets. Running it again changes only the options given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from productops.commands.common import FormatOption, err, open_workspace
from productops.config import (
    CONFIG_FILE,
    AzureDevOpsSettings,
    BitbucketSettings,
    CircleCISettings,
    GitHubSettings,
    GitLabSettings,
    GitSettings,
    IntercomSettings,
    JenkinsSettings,
    JiraCsvSettings,
    JiraSettings,
    LinearSettings,
    OpsgenieSettings,
    PagerDutySettings,
    TransitionsCsvSettings,
    ZendeskSettings,
    write_config,
)
from productops.connectors import CATEGORIES, SOURCES, check_env_name, check_secret_file
from productops.errors import UsageError
from productops.render import Format, literal, render
from productops.sync import SyncReport, configured_sources, sync_source
from productops.workspace import Workspace

__all__ = ["connect_app", "sync"]

connect_app = typer.Typer(
    help="Store a source's settings in productops.toml (secrets stay in environment variables "
    "or files outside the workspace).",
    no_args_is_help=True,
)

TeamDefault = Annotated[
    str | None, typer.Option("--default-team", help="Team of items nothing else places.")
]
TokenEnv = Annotated[
    str | None,
    typer.Option("--token-env", help="NAME of the environment variable holding the token."),
]
TokenFile = Annotated[
    Path | None,
    typer.Option("--token-file", help="A file outside the workspace holding the token."),
]


def _pairs(values: list[str] | None, option: str) -> dict[str, str] | None:
    if values is None:
        return None
    found = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{option} {text!r}: expected KEY=TEAM, e.g. {option} EE=payments")
        found[key.strip()] = value.strip()
    return found


def _save(
    ctx: typer.Context,
    key: str,
    model: type[BaseModel],
    given: dict[str, Any],
    *,
    secret_file: Path | None = None,
) -> None:
    """Merge the options given into [connectors.KEY] and write productops.toml."""
    ws = open_workspace(ctx)
    try:
        updates = {k: v for k, v in given.items() if v is not None}
        for name in ("token_env", "email_env", "username_env"):
            if name in updates:
                check_env_name(updates[name], f"--{name.replace('_', '-')}")
        if secret_file is not None:
            updates["token_file"] = str(check_secret_file(secret_file, ws.root))
            updates.setdefault("token_env", None)
        current = getattr(ws.config.connectors, key)
        data = {**(current.model_dump() if current is not None else {}), **updates}
        try:
            settings = model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise UsageError(f"connect {key.replace('_', '-')}: {problems}") from None
        connectors = ws.config.connectors.model_copy(update={key: settings})
        write_config(ws.root / CONFIG_FILE, ws.config.model_copy(update={"connectors": connectors}))
    finally:
        ws.close()
    err.print(
        f"Saved [connectors.{key}] in {ws.root / CONFIG_FILE}; secrets are read at sync time "
        "and never stored. Next: productops sync " + key.replace("_", "-"),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@connect_app.command("jira")
def connect_jira(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="Jira Cloud site, e.g. https://acme.atlassian.net.")
    ] = None,
    email_env: Annotated[
        str | None,
        typer.Option("--email-env", help="NAME of the variable holding the account e-mail."),
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    jql: Annotated[str | None, typer.Option(help="Which issues, e.g. 'project = EE'.")] = None,
    team_field: Annotated[
        str | None, typer.Option(help="Field naming the team, e.g. customfield_10001.")
    ] = None,
    project_team: Annotated[
        list[str] | None,
        typer.Option("--project-team", help="PROJECT=TEAM, repeatable."),
    ] = None,
    default_team: TeamDefault = None,
    estimate_field: Annotated[
        str | None, typer.Option(help="Field holding story points, e.g. customfield_10016.")
    ] = None,
    page_size: Annotated[int | None, typer.Option(help="Issues per search page.")] = None,
) -> None:
    """Jira Cloud: issues by JQL with full changelogs, statuses, links, flags, fix versions."""
    _save(
        ctx,
        "jira",
        JiraSettings,
        {
            "url": url,
            "email_env": email_env,
            "token_env": token_env,
            "jql": jql,
            "team_field": team_field,
            "project_teams": _pairs(project_team, "--project-team"),
            "default_team": default_team,
            "estimate_field": estimate_field,
            "page_size": page_size,
        },
        secret_file=token_file,
    )


@connect_app.command("github")
def connect_github(
    ctx: typer.Context,
    repo: Annotated[
        list[str] | None, typer.Option(help="OWNER/NAME, repeatable (replaces the list).")
    ] = None,
    api_url: Annotated[
        str | None, typer.Option(help="API root (GitHub Enterprise: https://HOST/api/v3).")
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    repo_team: Annotated[
        list[str] | None, typer.Option("--repo-team", help="OWNER/NAME=TEAM, repeatable.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None,
        typer.Option(help="actions, deployments or releases; repeatable."),
    ] = None,
    deploy_workflow: Annotated[
        str | None, typer.Option(help="Regex on the name or path of deploy workflows.")
    ] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only runs on this branch are deployments.")
    ] = None,
    environment: Annotated[str | None, typer.Option(help="Environment of deployments.")] = None,
    incident_label: Annotated[
        list[str] | None, typer.Option(help="Issues with this label are incidents; repeatable.")
    ] = None,
    work_item_pattern: Annotated[
        str | None, typer.Option(help="Regex finding a tracker key in PR titles or branches.")
    ] = None,
) -> None:
    """GitHub: pull requests, reviews, commits, issues, events, Actions runs, deployments, releases."""
    _save(
        ctx,
        "github",
        GitHubSettings,
        {
            "repos": repo,
            "api_url": api_url,
            "token_env": token_env,
            "default_team": default_team,
            "repo_teams": _pairs(repo_team, "--repo-team"),
            "deploy_from": deploy_from,
            "deploy_workflow": deploy_workflow,
            "deploy_branch": deploy_branch,
            "environment": environment,
            "incident_labels": incident_label,
            "work_item_pattern": work_item_pattern,
        },
        secret_file=token_file,
    )


@connect_app.command("gitlab")
def connect_gitlab(
    ctx: typer.Context,
    project: Annotated[
        list[str] | None, typer.Option(help="GROUP/NAME path, repeatable (replaces the list).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="API root (self-managed: https://HOST/api/v4).")
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    project_team: Annotated[
        list[str] | None, typer.Option("--project-team", help="GROUP/NAME=TEAM, repeatable.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None,
        typer.Option(help="deployments, jobs or pipelines; repeatable."),
    ] = None,
    production_environment: Annotated[
        str | None, typer.Option(help="Regex on the names of production environments.")
    ] = None,
    deploy_job: Annotated[
        str | None, typer.Option(help="Regex on the name or stage of deploy jobs.")
    ] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only jobs and pipelines on this branch are deployments.")
    ] = None,
    incident_label: Annotated[
        list[str] | None, typer.Option(help="Issues with this label are incidents; repeatable.")
    ] = None,
    work_item_pattern: Annotated[
        str | None, typer.Option(help="Regex finding a tracker key in MR titles or branches.")
    ] = None,
) -> None:
    """GitLab: merge requests with commits and notes, issues, pipelines, jobs, deployments, members."""
    _save(
        ctx,
        "gitlab",
        GitLabSettings,
        {
            "projects": project,
            "url": url,
            "token_env": token_env,
            "default_team": default_team,
            "project_teams": _pairs(project_team, "--project-team"),
            "deploy_from": deploy_from,
            "production_environment": production_environment,
            "deploy_job": deploy_job,
            "deploy_branch": deploy_branch,
            "incident_labels": incident_label,
            "work_item_pattern": work_item_pattern,
        },
        secret_file=token_file,
    )


@connect_app.command("bitbucket")
def connect_bitbucket(
    ctx: typer.Context,
    repo: Annotated[
        list[str] | None, typer.Option(help="WORKSPACE/SLUG, repeatable (replaces the list).")
    ] = None,
    username_env: Annotated[
        str | None,
        typer.Option(
            "--username-env", help="NAME of the variable holding an app password's username."
        ),
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    repo_team: Annotated[
        list[str] | None, typer.Option("--repo-team", help="WORKSPACE/SLUG=TEAM, repeatable.")
    ] = None,
    issues: Annotated[
        bool | None, typer.Option("--issues/--no-issues", help="Read the issue tracker.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None, typer.Option(help="deployments or steps; repeatable.")
    ] = None,
    production_environment: Annotated[
        str | None, typer.Option(help="Regex on the names or types of production environments.")
    ] = None,
    deploy_step: Annotated[
        str | None, typer.Option(help="Regex on the names of deploy steps.")
    ] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only steps of pipelines on this branch are deployments.")
    ] = None,
) -> None:
    """Bitbucket Cloud: pull requests with commits and comments, issues, pipelines, deployments."""
    _save(
        ctx,
        "bitbucket",
        BitbucketSettings,
        {
            "repos": repo,
            "username_env": username_env,
            "token_env": token_env,
            "default_team": default_team,
            "repo_teams": _pairs(repo_team, "--repo-team"),
            "issues": issues,
            "deploy_from": deploy_from,
            "production_environment": production_environment,
            "deploy_step": deploy_step,
            "deploy_branch": deploy_branch,
        },
        secret_file=token_file,
    )


@connect_app.command("azure-devops")
def connect_azure_devops(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="Organization URL, e.g. https://dev.azure.com/acme.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Project name.")] = None,
    repo: Annotated[
        list[str] | None, typer.Option(help="Git repository, repeatable (replaces the list).")
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    repo_team: Annotated[
        list[str] | None, typer.Option("--repo-team", help="REPOSITORY=TEAM, repeatable.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None, typer.Option(help="builds or timeline; repeatable.")
    ] = None,
    deploy_pipeline: Annotated[
        str | None, typer.Option(help="Regex on the names of deploy pipelines.")
    ] = None,
    deploy_record: Annotated[
        str | None, typer.Option(help="Regex on the names of deploy stages or jobs.")
    ] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only builds of this branch are deployments.")
    ] = None,
) -> None:
    """Azure DevOps: pull requests with their commits, builds with their timelines."""
    _save(
        ctx,
        "azure_devops",
        AzureDevOpsSettings,
        {
            "url": url,
            "project": project,
            "repos": repo,
            "token_env": token_env,
            "default_team": default_team,
            "repo_teams": _pairs(repo_team, "--repo-team"),
            "deploy_from": deploy_from,
            "deploy_pipeline": deploy_pipeline,
            "deploy_record": deploy_record,
            "deploy_branch": deploy_branch,
        },
        secret_file=token_file,
    )


@connect_app.command("jenkins")
def connect_jenkins(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="Jenkins root, e.g. https://ci.acme.com.")] = None,
    job: Annotated[
        list[str] | None,
        typer.Option(help="Job by full name (FOLDER/NAME, or .../BRANCH), repeatable."),
    ] = None,
    username_env: Annotated[
        str | None,
        typer.Option("--username-env", help="NAME of the variable holding the user name."),
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    job_team: Annotated[
        list[str] | None, typer.Option("--job-team", help="JOB or FOLDER=TEAM, repeatable.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None, typer.Option(help="builds or stages; repeatable.")
    ] = None,
    deploy_job: Annotated[str | None, typer.Option(help="Regex on deploy jobs' names.")] = None,
    deploy_stage: Annotated[str | None, typer.Option(help="Regex on deploy stages' names.")] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only builds of this branch are deployments.")
    ] = None,
) -> None:
    """Jenkins: builds and pipeline stages, as deployments."""
    _save(
        ctx,
        "jenkins",
        JenkinsSettings,
        {
            "url": url,
            "jobs": job,
            "username_env": username_env,
            "token_env": token_env,
            "default_team": default_team,
            "job_teams": _pairs(job_team, "--job-team"),
            "deploy_from": deploy_from,
            "deploy_job": deploy_job,
            "deploy_stage": deploy_stage,
            "deploy_branch": deploy_branch,
        },
        secret_file=token_file,
    )


@connect_app.command("circleci")
def connect_circleci(
    ctx: typer.Context,
    project: Annotated[
        list[str] | None, typer.Option(help="Project slug VCS/ORG/REPO, repeatable.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="API root (default CircleCI's v2).")] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    default_team: TeamDefault = None,
    project_team: Annotated[
        list[str] | None, typer.Option("--project-team", help="SLUG=TEAM, repeatable.")
    ] = None,
    deploy_from: Annotated[
        list[str] | None, typer.Option(help="workflows or jobs; repeatable.")
    ] = None,
    deploy_workflow: Annotated[
        str | None, typer.Option(help="Regex on deploy workflows' names.")
    ] = None,
    deploy_job: Annotated[str | None, typer.Option(help="Regex on deploy jobs' names.")] = None,
    deploy_branch: Annotated[
        str | None, typer.Option(help="Only pipelines of this branch are deployments.")
    ] = None,
) -> None:
    """CircleCI: pipelines, workflows and jobs, as deployments."""
    _save(
        ctx,
        "circleci",
        CircleCISettings,
        {
            "projects": project,
            "url": url,
            "token_env": token_env,
            "default_team": default_team,
            "project_teams": _pairs(project_team, "--project-team"),
            "deploy_from": deploy_from,
            "deploy_workflow": deploy_workflow,
            "deploy_job": deploy_job,
            "deploy_branch": deploy_branch,
        },
        secret_file=token_file,
    )


ServiceTeam = Annotated[
    list[str] | None,
    typer.Option(
        "--service-team",
        help="SERVICE=TEAM (service name or id), repeatable: incidents of the service are the "
        "team's, and are linked to its deployments.",
    ),
]
Start = Annotated[
    str | None, typer.Option(help="First sync: incidents created since this ISO date.")
]


@connect_app.command("pagerduty")
def connect_pagerduty(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="API root (default api.pagerduty.com).")] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    service: Annotated[
        list[str] | None,
        typer.Option(help="Service id whose incidents to read, repeatable (default: all)."),
    ] = None,
    service_team: ServiceTeam = None,
    default_team: TeamDefault = None,
    start: Start = None,
) -> None:
    """PagerDuty: incidents with when they were created, acknowledged and resolved."""
    _save(
        ctx,
        "pagerduty",
        PagerDutySettings,
        {
            "url": url,
            "token_env": token_env,
            "services": service,
            "service_teams": _pairs(service_team, "--service-team"),
            "default_team": default_team,
            "start": start,
        },
        secret_file=token_file,
    )


@connect_app.command("opsgenie")
def connect_opsgenie(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="API root (EU: https://api.eu.opsgenie.com).")
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    service_team: ServiceTeam = None,
    default_team: TeamDefault = None,
) -> None:
    """Opsgenie: incidents with when they were created and resolved."""
    _save(
        ctx,
        "opsgenie",
        OpsgenieSettings,
        {
            "url": url,
            "token_env": token_env,
            "service_teams": _pairs(service_team, "--service-team"),
            "default_team": default_team,
        },
        secret_file=token_file,
    )


@connect_app.command("git")
def connect_git(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Option(help="Folder of a local clone.")] = None,
    repo: Annotated[str | None, typer.Option(help="Name in keys (default: folder).")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch holding the changes.")] = None,
    tag_pattern: Annotated[
        str | None, typer.Option(help="Glob of tags that are deployments, e.g. 'v*'.")
    ] = None,
    default_team: TeamDefault = None,
    environment: Annotated[str | None, typer.Option(help="Environment of tags.")] = None,
) -> None:
    """A local git clone: merges and (#123) commits as changes, tags as deployments."""
    _save(
        ctx,
        "git",
        GitSettings,
        {
            "path": str(path.resolve()) if path else None,
            "repo": repo,
            "branch": branch,
            "tag_pattern": tag_pattern,
            "default_team": default_team,
            "environment": environment,
        },
    )


@connect_app.command("linear")
def connect_linear(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="GraphQL endpoint.")] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", help="LINEARKEY=TEAM, repeatable.")
    ] = None,
    default_team: TeamDefault = None,
) -> None:
    """Linear: issues with their state history."""
    _save(
        ctx,
        "linear",
        LinearSettings,
        {
            "url": url,
            "token_env": token_env,
            "team_map": _pairs(team, "--team"),
            "default_team": default_team,
        },
        secret_file=token_file,
    )


@connect_app.command("jira-csv")
def connect_jira_csv(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Option(help="The CSV exported from Jira.")] = None,
    project_team: Annotated[
        list[str] | None, typer.Option("--project-team", help="PROJECT=TEAM, repeatable.")
    ] = None,
    default_team: TeamDefault = None,
    timestamp_format: Annotated[
        str | None, typer.Option(help="strptime format of Created and Resolved.")
    ] = None,
) -> None:
    """A Jira CSV export (work items only: it has no status history)."""
    _save(
        ctx,
        "jira_csv",
        JiraCsvSettings,
        {
            "path": str(path.resolve()) if path else None,
            "project_teams": _pairs(project_team, "--project-team"),
            "default_team": default_team,
            "timestamp_format": timestamp_format,
        },
    )


@connect_app.command("transitions-csv")
def connect_transitions_csv(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Option(help="CSV: item, changed_at, from, to.")] = None,
    source: Annotated[str | None, typer.Option(help="Source of item keys, e.g. jira.")] = None,
    default_team: TeamDefault = None,
) -> None:
    """A generic CSV of status changes, one per row."""
    _save(
        ctx,
        "transitions_csv",
        TransitionsCsvSettings,
        {
            "path": str(path.resolve()) if path else None,
            "source": source,
            "default_team": default_team,
        },
    )


@connect_app.command("zendesk")
def connect_zendesk(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="Zendesk Support site, e.g. https://acme.zendesk.com.")
    ] = None,
    email_env: Annotated[
        str | None,
        typer.Option("--email-env", help="NAME of the variable holding the agent e-mail."),
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    start: Annotated[
        str | None, typer.Option(help="First sync: tickets changed since this ISO date.")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="feedback.channel of tickets.")] = None,
) -> None:
    """Zendesk Support: tickets from the incremental export, as feedback (docs/feedback.md)."""
    _save(
        ctx,
        "zendesk",
        ZendeskSettings,
        {
            "url": url,
            "email_env": email_env,
            "token_env": token_env,
            "start": start,
            "channel": channel,
        },
        secret_file=token_file,
    )


@connect_app.command("intercom")
def connect_intercom(
    ctx: typer.Context,
    url: Annotated[
        str | None, typer.Option(help="API root (EU: https://api.eu.intercom.io).")
    ] = None,
    token_env: TokenEnv = None,
    token_file: TokenFile = None,
    version: Annotated[str | None, typer.Option(help="Intercom-Version header.")] = None,
    channel: Annotated[str | None, typer.Option(help="feedback.channel of conversations.")] = None,
) -> None:
    """Intercom: conversations customers started, as feedback (docs/feedback.md)."""
    _save(
        ctx,
        "intercom",
        IntercomSettings,
        {"url": url, "token_env": token_env, "version": version, "channel": channel},
        secret_file=token_file,
    )


@connect_app.command("status-category")
def connect_status_category(
    ctx: typer.Context,
    status: Annotated[str, typer.Argument(help="Status name as the source spells it.")],
    category: Annotated[str, typer.Argument(help="todo, in_progress, done or cancelled.")],
    team: Annotated[str, typer.Option(help="Only for this team (default: every team).")] = "*",
) -> None:
    """Map a status to a category for one team (or all), overriding the source's category."""
    if category not in CATEGORIES:
        raise UsageError(f"category {category!r}: use {', '.join(CATEGORIES)}")
    ws = open_workspace(ctx)
    try:
        mapping: dict[str, dict[str, str]] = {
            k: dict(v) for k, v in ws.config.connectors.status_categories.items()
        }
        mapping.setdefault(team, {})[status] = category
        connectors = ws.config.connectors.model_validate(
            {**ws.config.connectors.model_dump(), "status_categories": mapping}
        )
        write_config(ws.root / CONFIG_FILE, ws.config.model_copy(update={"connectors": connectors}))
    finally:
        ws.close()
    err.print(
        f"{status!r} is {category} for {'every team' if team == '*' else team}; "
        "`productops sync SOURCE --replay` re-maps what is stored",
        markup=False,
        highlight=False,
    )


class _ToConsole(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err.print(self.format(record), style="dim", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _waits_shown() -> Iterator[None]:
    """Show the connectors' retries and rate-limit waits on standard error."""
    logger = logging.getLogger("productops.connectors")
    handler = _ToConsole(logging.INFO)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def sync(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Argument(help=f"{', '.join(SOURCES)} (default: all connected)."),
    ] = None,
    from_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-file",
            help="Replay API payloads from a JSON Lines file (one object per line) or a CSV; "
            "repeatable.",
        ),
    ] = None,
    replay: Annotated[
        bool, typer.Option("--replay", help="Re-map the stored raw payloads; pull nothing.")
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Pull connected sources from their last cursor into the canonical tables."""
    ws = open_workspace(ctx)
    try:
        if from_file and source is None:
            raise UsageError("--from-file needs a SOURCE, e.g. productops sync jira --from-file F")
        names = [source] if source else configured_sources(ws.config.connectors)
        if not names:
            raise UsageError("no source is connected; run `productops connect SOURCE` first")
        rows: list[dict[str, Any]] = []
        for name in names:
            report = _sync_one(ws, name, from_file or [], replay)
            rows += report.rows()
            for note in report.notes:
                err.print(f"{name}: {note}", markup=False, highlight=False, soft_wrap=True)
    finally:
        ws.close()
    render(
        rows,
        ["source", "table", "landed", "updated", "unchanged", "quarantined"],
        fmt,
        title="sync",
    )


def _sync_one(ws: Workspace, name: str, files: list[Path], replay: bool) -> SyncReport:
    what = "Replaying" if files or replay else "Syncing"
    with err.status(literal(f"{what} {name}")) as status, _waits_shown():

        def progress(report: SyncReport) -> None:
            landed = sum(c[0] + c[1] for c in report.counts.values())
            status.update(
                literal(f"{what} {name}: page {report.pages}, {landed:,} rows landed or updated")
            )

        return sync_source(
            ws.store,
            ws.config.connectors,
            ws.root,
            name,
            files=files,
            replay=replay,
            on_page=progress,
        )
