"""`productops.toml`: the workspace's settings, typed once and validated.

An unknown key or a wrong value is a `ConfigError` naming the key and the file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import MutableMapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import tomlkit
from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from productops.errors import ConfigError

__all__ = [
    "ALERT_KINDS",
    "CONFIG_FILE",
    "AlertKind",
    "AzureDevOpsSettings",
    "BitbucketSettings",
    "Channel",
    "CircleCISettings",
    "Config",
    "ConnectorSettings",
    "Cron",
    "CustomCriterion",
    "DateOrder",
    "DecimalSeparator",
    "EmailChannel",
    "EngineSettings",
    "EventFormat",
    "GitHubSettings",
    "GitLabSettings",
    "GitSettings",
    "HttpSettings",
    "ImportMapping",
    "IntercomSettings",
    "JenkinsSettings",
    "JiraCsvSettings",
    "JiraSettings",
    "LinearSettings",
    "NotifySettings",
    "OidcSettings",
    "OpsgenieSettings",
    "PagerDutySettings",
    "ScheduleSettings",
    "ScorecardSettings",
    "ServerSettings",
    "SlackChannel",
    "StatusCategory",
    "Subscription",
    "SurveySettings",
    "ThemesSettings",
    "TransitionsCsvSettings",
    "WebhookChannel",
    "WorkflowSettings",
    "ZendeskSettings",
    "api_url_problem",
    "is_loopback",
    "load_config",
    "write_config",
]

CONFIG_FILE = "productops.toml"


def is_loopback(host: str | None) -> bool:
    """Whether `host` is this machine (localhost, 127.0.0.1, ::1): plain http stays on it."""
    return host in ("localhost", "127.0.0.1", "::1")


def api_url_problem(url: str) -> str | None:
    """Why `url` cannot be an API root, or None; the answer never quotes `url` (it may hold a secret).

    Refused: anything but http(s), credentials (`user:password@host`), a query
    string (`?token=...`), and plain http to another host than this machine.

    >>> api_url_problem("https://me:SECRET@acme.atlassian.net")
    'must not hold credentials (user:password@); name the variable holding the token with token_env'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "is not a URL; give one like https://acme.atlassian.net"
    if parts.scheme not in ("https", "http") or not host:
        return "is not an https:// URL; give one like https://acme.atlassian.net"
    if "@" in parts.netloc:
        return (
            "must not hold credentials (user:password@); name the variable holding the token "
            "with token_env"
        )
    if parts.query or parts.fragment:
        return (
            "must not hold a query string (a ?token= would be stored); name the variable "
            "holding the token with token_env"
        )
    if parts.scheme == "http" and not is_loopback(host):
        return "must use https:// (plain http:// sends the token in clear; only localhost may)"
    return None


def _api_url(url: str) -> str:
    problem = api_url_problem(url)
    if problem is not None:
        raise PydanticCustomError("api_url", "the URL " + problem)
    return url


# An API root a connector sends its token to (checked by `api_url_problem`).
ApiUrl = Annotated[str, AfterValidator(_api_url)]

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")


def _env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise PydanticCustomError(
            "env_name",
            "takes the NAME of an environment variable (A-Z, 0-9, _), not the secret itself; "
            "export the secret in that variable",
        )
    return name


# The name of an environment variable holding a secret; a value that is not one is refused
# without being echoed (it may be the secret, pasted in the wrong place).
EnvName = Annotated[str, AfterValidator(_env_name)]


def _spark_master(url: str) -> str:
    if url.startswith("sc://") and re.search(r";\s*token\s*=", url, re.IGNORECASE):
        raise PydanticCustomError(
            "spark_master",
            "the sc:// URL must not hold the token (it would be stored); name the variable "
            "holding it with spark_token_env",
        )
    return url


# A Spark master URL or a Spark Connect URL without its token (`EngineSettings.spark_master`).
SparkMaster = Annotated[str, AfterValidator(_spark_master)]

_MEMORY = re.compile(r"\d+(\.\d+)?\s*(%|[KMGT]i?B)", re.IGNORECASE)


def _memory_size(size: str) -> str:
    if not _MEMORY.fullmatch(size.strip()):
        raise ValueError('give a size such as "2GB", "500MiB" or "50%" (of the machine\'s memory)')
    return size.strip()


# An amount of memory as DuckDB reads it: 2GB, 500MiB, 50% (of the machine's).
MemorySize = Annotated[str, AfterValidator(_memory_size)]


_CRON_NAMES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _cron(expression: str) -> str:
    text = " ".join(expression.split())
    fields = len(text.split(" "))
    if (fields != 5 and text not in _CRON_NAMES) or not croniter.is_valid(text):
        raise PydanticCustomError(
            "cron",
            "not a cron expression: give five fields (minute hour day month weekday, in UTC), "
            'e.g. "*/30 * * * *", or one of @hourly, @daily, @weekly, @monthly',
        )
    return text


# A cron expression of five fields, read in UTC (or @hourly, @daily, ...).
Cron = Annotated[str, AfterValidator(_cron)]


class EventFormat(StrEnum):
    """Whose export of product events a file is (`productops import event FILE --events`)."""

    segment = "segment"
    posthog = "posthog"
    amplitude = "amplitude"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSettings(_Settings):
    name: str = Field("productops", description="A name for this workspace, shown in reports.")
    user: str | None = Field(
        None,
        description="Person id (from the person table) that usage of productops is logged for; "
        "the PRODUCTOPS_USER environment variable overrides it; none logs no person.",
    )
    lock_wait_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="How long a command or a server request waits for the store while another "
        "process holds it (DuckDB lets one process write at a time) before it gives up saying "
        "which process holds it.",
    )


class EngineSettings(_Settings):
    kind: Literal["duckdb", "pyspark"] = Field(
        "duckdb",
        description="Where analytics run: the embedded DuckDB store, or Apache Spark "
        "over the canonical tables exported as Parquet.",
    )
    spark_master: SparkMaster = Field(
        "local[2]",
        description="Where Spark runs when kind is pyspark: a master URL (local[2], "
        "spark://host:7077, yarn) or a Spark Connect server (sc://host:15002/;use_ssl=true), "
        "as a managed Spark offers; docs/scale.md.",
    )
    spark_token_env: EnvName | None = Field(
        None,
        description="For a sc:// spark_master, the token it wants: the NAME of an environment "
        "variable holding it, never the value (none: PySpark's own "
        "SPARK_CONNECT_AUTHENTICATE_TOKEN, if set).",
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict,
        description='Extra Spark settings, e.g. {"spark.sql.shuffle.partitions" = "200"} on a '
        "cluster; in local mode the shuffle uses 2 partitions and the JVM the JIT's first tier "
        "unless set here (Java options in spark.driver.extraJavaOptions come after productops').",
    )
    memory_limit: MemorySize = Field(
        "1GB",
        description='Memory the store\'s DuckDB may use, e.g. "1GB", "500MiB" or "50%" of the '
        "machine's; past it DuckDB spills work to temp_directory instead of growing (imports "
        "of any size fit in 1GB; large analytics run faster with more).",
    )
    temp_directory: str = Field(
        ".tmp",
        description="Folder, relative to the workspace, where DuckDB spills work past memory_limit.",
    )
    threads: int = Field(
        0,
        ge=0,
        description="Threads DuckDB works on; 0: one per core. Fewer leave cores to other work, "
        "and leave each thread more of memory_limit (less spilling).",
    )


DateOrder = Literal["auto", "dmy", "mdy"]
DecimalSeparator = Literal[".", ","]


class ImportMapping(_Settings):
    source: str | None = Field(
        None,
        description="Source that qualifies keys of imported rows (e.g. jira); default: the file's stem.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical column -> column name in the file."
    )
    timestamp_formats: list[str] = Field(
        default_factory=list,
        description="Extra strptime formats tried for timestamps, before the built-in ones.",
    )
    date_order: DateOrder = Field(
        "auto",
        description="How numeric dates like 01/02/2024 read: dmy (day first), mdy (month first) "
        "or auto (from the column's other values; a row still ambiguous is quarantined).",
    )
    decimal_separator: DecimalSeparator = Field(
        ".",
        description="Decimal separator of numbers in the file; the other of . and , may group "
        "thousands (1,234.5 or 1.234,5).",
    )


class WorkflowSettings(_Settings):
    statuses: list[str] = Field(
        ["To Do", "In Progress", "In Review", "QA", "Done"],
        description="The standard workflow's statuses in order; conformance checks each item's path against it.",
    )
    optional: list[str] = Field(
        ["QA"], description="Statuses of the standard workflow that an item may skip."
    )
    allowed: list[tuple[str, str]] = Field(
        default_factory=list,
        description='Extra allowed moves beyond one step forward, as [from, to] pairs, e.g. ["In Review", "In Progress"].',
    )
    threshold: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Share of conforming items from which a team counts as conforming.",
    )
    wait_statuses: list[str] = Field(
        [
            "In Review",
            "Code Review",
            "Ready for Review",
            "Waiting for Review",
            "Ready for QA",
            "Ready for Release",
            "Ready to Deploy",
            "Waiting",
            "Blocked",
            "On Hold",
        ],
        description="Statuses in which work waits: the bottleneck and flow efficiency count time in them as waiting.",
    )


class SurveySettings(_Settings):
    min_group: int = Field(
        3,
        ge=3,
        description="Smallest group of respondents whose survey figures and comments are shown; "
        "smaller groups are suppressed. May be raised, never below 3.",
    )


class ThemesSettings(_Settings):
    model: str | None = Field(
        None,
        description="The embedding model for themes, repeats and links, when not the shipped "
        "all-MiniLM-L6-v2 (English only): an ONNX file with tokenizer.json beside it, or a "
        "sentence-transformers folder (tokenizer.json, 1_Pooling/config.json, and "
        "model.safetensors with config.json of a BERT model, or onnx/model.onnx); a path "
        "absolute or relative to the workspace (docs/themes.md). None: the shipped model.",
    )


class CustomCriterion(_Settings):
    id: str = Field(description="Id of the criterion, e.g. data.weekly_active_users.")
    metric: str = Field(
        description="Catalog metric it is computed from (`productops metrics list`)."
    )
    pillar: Literal["data", "customer", "process", "operations", "business"] = Field(
        description="Pillar or group it belongs to."
    )
    direction: Literal["higher", "lower"] = Field(description="Whether higher or lower is better.")
    name: str | None = Field(None, description="Display name (default: the metric's label).")
    unit: str | None = Field(None, description="Unit shown (default: the metric's unit).")


class ScorecardSettings(_Settings):
    disabled: list[str] = Field(
        default_factory=list, description="Built-in criteria switched off (ids, docs/scorecard.md)."
    )
    custom: list[CustomCriterion] = Field(
        default_factory=list, description="Own criteria computed from catalog metrics."
    )
    habitual_periods: int = Field(
        3,
        ge=1,
        description="Periods in a row with targets met (and no Product Ops effort) "
        "that make a pillar habitual.",
    )
    max_open_nudges: int = Field(
        3, ge=1, description="A team with this many open nudges is offered no more."
    )
    dismissed_days: int = Field(
        90, ge=0, description="A nudge dismissed by a team is not offered again for this many days."
    )
    measure_days: int = Field(
        90, ge=1, description="Days after acceptance when a nudge's effect is measured."
    )


StatusCategory = Literal["todo", "in_progress", "done", "cancelled"]
DeploySource = Literal["actions", "deployments", "releases"]
GitLabDeploySource = Literal["deployments", "jobs", "pipelines"]
BitbucketDeploySource = Literal["deployments", "steps"]
AzureDeploySource = Literal["builds", "timeline"]
JenkinsDeploySource = Literal["builds", "stages"]
CircleCIDeploySource = Literal["workflows", "jobs"]


class HttpSettings(_Settings):
    max_attempts: int = Field(
        6,
        ge=1,
        description="Attempts per request before a sync gives up (429, 5xx, network errors).",
    )
    backoff_seconds: float = Field(
        1.0, ge=0, description="First wait after a 5xx or network error; doubles on each retry."
    )
    max_wait_seconds: float = Field(
        300.0,
        ge=0,
        description="Longest single wait, also for a Retry-After or rate-limit reset the server asks for.",
    )
    timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest time one HTTP request may take, from sending it to the last byte "
        "of the answer.",
    )
    max_page_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1024,
        description="Largest answer (one page, in bytes) a connector accepts; a larger one fails "
        "the sync and stores nothing of it.",
    )


AlertKind = Literal[
    "incident_opened",
    "incident_resolved",
    "theme_spike",
    "experiment_srm",
    "experiment_guardrail",
    "criterion_target",
    "nudge_offered",
    "sync_failing",
]
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
_SECRET_NAME = "the NAME of an environment variable holding it (A-Z, 0-9, _), never the value"


class SlackChannel(_Settings):
    kind: Literal["slack"] = Field(description="A Slack incoming webhook.")
    url_env: str | None = Field(
        None, description=f"The webhook URL (it holds a token): {_SECRET_NAME}."
    )
    url_file: str | None = Field(
        None, description="Or a file outside the workspace holding the webhook URL."
    )


class EmailChannel(_Settings):
    kind: Literal["email"] = Field(description="E-mail through an SMTP server.")
    host: str = Field(description="SMTP server, e.g. smtp.example.com.")
    port: int = Field(587, ge=1, le=65535, description="587 for STARTTLS, 465 for TLS.")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls (upgrade after connecting), tls (from the start) or none "
        "(only to this machine, e.g. a local relay).",
    )
    username: str | None = Field(None, description="SMTP user; none: no AUTH.")
    password_env: str | None = Field(None, description=f"SMTP password: {_SECRET_NAME}.")
    password_file: str | None = Field(
        None, description="Or a file outside the workspace holding the SMTP password."
    )
    sender: str = Field(description="From address, e.g. productops@example.com.")
    ca_file: str | None = Field(
        None, description="PEM file of the CA to trust for the server (default: the system's)."
    )


class WebhookChannel(_Settings):
    kind: Literal["webhook"] = Field(description="JSON POSTed to a URL, signed with HMAC-SHA256.")
    url: ApiUrl | None = Field(None, description="Endpoint URL (https, or http to this machine).")
    url_env: str | None = Field(
        None, description=f"Or the endpoint URL when it holds a token: {_SECRET_NAME}."
    )
    secret_env: str | None = Field(
        None, description=f"The HMAC-SHA256 signing key: {_SECRET_NAME}."
    )
    secret_file: str | None = Field(
        None, description="Or a file outside the workspace holding the signing key."
    )


Channel = Annotated[SlackChannel | EmailChannel | WebhookChannel, Field(discriminator="kind")]


class Subscription(_Settings):
    channel: str = Field(description="A channel named under [notify.channels].")
    team: str | None = Field(None, description="Alerts and the weekly digest of this team.")
    user: str | None = Field(
        None,
        description="Alerts and digests of this user's teams (productops user name); "
        "the user can mute them.",
    )
    org: bool = Field(False, description="Every alert and the organisation's weekly digest.")
    to: str | None = Field(None, description="E-mail address (e-mail channels only).")
    alerts: list[AlertKind] = Field(
        default_factory=lambda: list(get_args(AlertKind)),
        description="Alert kinds sent; [] for none.",
    )
    digests: bool = Field(True, description="Send the weekly digest.")


class NotifySettings(_Settings):
    base_url: str = Field(
        "http://localhost:8000",
        description="Where the server's pages are: each alert links to its page under it.",
    )
    max_attempts: int = Field(
        8, ge=1, le=100, description="Sends tried before a message is dead (shown to admins)."
    )
    backoff_seconds: float = Field(
        30.0, ge=0, description="Wait after the first failed send; doubles after each."
    )
    max_backoff_seconds: float = Field(
        3600.0, ge=0, description="Longest wait between sends, also for a receiver's Retry-After."
    )
    timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Longest time one send (HTTP request, SMTP session) may take.",
    )
    lease_seconds: float = Field(
        300.0,
        gt=0,
        description="How long a message a sender claimed stays its own; after that (or once that "
        "sender's process is gone) another sender sends it.",
    )
    channels: dict[str, Channel] = Field(
        default_factory=dict, description="Named channels: Slack, e-mail, webhook."
    )
    subscriptions: list[Subscription] = Field(
        default_factory=list, description="Who gets what, on which channel."
    )

    @model_validator(mode="after")
    def _subscriptions_fit_channels(self) -> NotifySettings:
        for i, sub in enumerate(self.subscriptions):
            where = f"subscriptions[{i}]"
            channel = self.channels.get(sub.channel)
            if channel is None:
                known = ", ".join(self.channels) or "none"
                raise ValueError(f"{where}: no channel {sub.channel!r}; channels: {known}")
            if (sub.team is not None) + (sub.user is not None) + sub.org != 1:
                raise ValueError(f"{where}: name exactly one of team, user or org = true")
            if (channel.kind == "email") != (sub.to is not None):
                need = "needs `to`, an e-mail address" if sub.to is None else "takes no `to`"
                raise ValueError(f"{where}: channel {sub.channel!r} ({channel.kind}) {need}")
        for name, channel in self.channels.items():
            clear = isinstance(channel, EmailChannel) and channel.security == "none"
            if clear and not is_loopback(getattr(channel, "host", None)):
                raise ValueError(
                    f"channels.{name}: security = none sends the password in clear; only to "
                    "a relay on this machine (localhost), else use starttls or tls"
                )
            if isinstance(channel, SlackChannel) and not (channel.url_env or channel.url_file):
                raise ValueError(f"channels.{name}: give url_env or url_file (the webhook URL)")
            if isinstance(channel, WebhookChannel) and not (channel.url or channel.url_env):
                raise ValueError(f"channels.{name}: give url or url_env")
            if isinstance(channel, WebhookChannel) and not (
                channel.secret_env or channel.secret_file
            ):
                raise ValueError(f"channels.{name}: give secret_env or secret_file (signing key)")
            env = [getattr(channel, f, None) for f in ("url_env", "password_env", "secret_env")]
            for value in env:
                if value is not None and not _ENV_NAME.fullmatch(value):
                    raise ValueError(f"channels.{name}: a *_env key takes {_SECRET_NAME}")
        return self


class JiraSettings(_Settings):
    """Jira Cloud: issues by JQL with full changelogs, statuses, links, flags, fix versions."""

    url: ApiUrl | None = Field(
        None,
        description="Jira Cloud site, e.g. https://acme.atlassian.net; none for replays from files only.",
    )
    email_env: str = Field(
        "JIRA_EMAIL", description="Environment variable holding the Atlassian account e-mail."
    )
    token_env: str | None = Field(
        "JIRA_TOKEN",
        description="Environment variable holding the API token (never stored in the workspace).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API token."
    )
    jql: str = Field(
        "order by updated",
        description="Which issues to sync; the sync adds its own updated filter.",
    )
    team_field: str | None = Field(
        None, description="Field naming an issue's team, e.g. customfield_10001."
    )
    project_teams: dict[str, str] = Field(
        default_factory=dict, description="Project key -> team, used when team_field is empty."
    )
    default_team: str | None = Field(
        None, description="Team of issues that no team field or project mapping places."
    )
    estimate_field: str | None = Field(
        None, description="Field holding the estimate (story points), e.g. customfield_10016."
    )
    incident_types: list[str] = Field(
        default_factory=lambda: ["Incident"],
        description="Issue types that are also incidents (created to resolved).",
    )
    page_size: int = Field(50, ge=1, le=5000, description="Issues asked for per search page.")


class GitHubSettings(_Settings):
    """GitHub: pull requests, reviews, commits, issues, events, Actions runs, deployments, releases."""

    api_url: ApiUrl = Field(
        "https://api.github.com",
        description="GitHub REST API root (GitHub Enterprise: .../api/v3).",
    )
    repos: list[str] = Field(default_factory=list, description="Repositories as owner/name.")
    token_env: str | None = Field(
        "GITHUB_TOKEN",
        description="Environment variable holding a token (never stored); unset means anonymous.",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the token."
    )
    default_team: str | None = Field(None, description="Team of changes, issues and deployments.")
    repo_teams: dict[str, str] = Field(
        default_factory=dict, description="owner/name -> team, overriding default_team."
    )
    deploy_from: list[DeploySource] = Field(
        default_factory=lambda: list[DeploySource](["deployments"]),
        description="What counts as a deployment: Actions runs of deploy workflows, GitHub "
        "deployments, releases.",
    )
    deploy_workflow: str = Field(
        "(?i)deploy", description="Regex on an Actions workflow's name or path: a deploy workflow."
    )
    deploy_branch: str | None = Field(
        None, description="Only runs on this branch count as deployments (default: any)."
    )
    environment: str = Field(
        "production",
        description="Environment of deployments; GitHub deployments to others are skipped.",
    )
    incident_labels: list[str] = Field(
        default_factory=lambda: ["incident"],
        description="Issues with one of these labels are also incidents.",
    )
    work_item_pattern: str | None = Field(
        None,
        description="Regex finding a tracker key in a pull request's title or branch, e.g. "
        "(?P<key>[A-Z][A-Z0-9]+-\\d+) -> jira:KEY; default: 'fixes #N' links to the issue.",
    )
    work_item_source: str = Field("jira", description="Source of keys found by work_item_pattern.")
    page_size: int = Field(100, ge=1, le=100, description="Items per page (GitHub allows 100).")


class GitLabSettings(_Settings):
    """GitLab: merge requests with commits and notes, issues, pipelines, jobs, deployments, members."""

    url: ApiUrl = Field(
        "https://gitlab.com/api/v4",
        description="GitLab REST v4 root (self-managed: https://HOST/api/v4).",
    )
    projects: list[str] = Field(
        default_factory=list, description="Projects by path, e.g. group/subgroup/name."
    )
    token_env: str | None = Field(
        "GITLAB_TOKEN",
        description="Environment variable holding a token with read_api (never stored); unset "
        "means anonymous (public projects).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the token."
    )
    default_team: str | None = Field(None, description="Team of changes, issues and deployments.")
    project_teams: dict[str, str] = Field(
        default_factory=dict, description="Project path -> team, overriding default_team."
    )
    deploy_from: list[GitLabDeploySource] = Field(
        default_factory=lambda: list[GitLabDeploySource](["deployments"]),
        description="What counts as a deployment: GitLab deployments to environments, jobs "
        "matching deploy_job, pipelines on deploy_branch.",
    )
    production_environment: str = Field(
        "(?i)^prod(uction)?$",
        description="Regex on a GitLab environment's name: deployments to a matching one are "
        "production (the environment DORA counts); others keep their name.",
    )
    deploy_job: str = Field(
        "(?i)deploy", description="Regex on a CI job's name or stage: a deploy job."
    )
    deploy_branch: str | None = Field(
        None, description="Only jobs and pipelines on this branch are deployments (default: any)."
    )
    incident_labels: list[str] = Field(
        default_factory=lambda: ["incident"],
        description="Issues with one of these labels (or of type incident) are also incidents.",
    )
    work_item_pattern: str | None = Field(
        None,
        description="Regex finding a tracker key in a merge request's title or branch, e.g. "
        "(?P<key>[A-Z][A-Z0-9]+-\\d+) -> jira:KEY; default: 'Closes #N' links to the issue.",
    )
    work_item_source: str = Field("jira", description="Source of keys found by work_item_pattern.")
    page_size: int = Field(100, ge=1, le=100, description="Items per page (GitLab allows 100).")


class BitbucketSettings(_Settings):
    """Bitbucket Cloud: pull requests with commits and comments, issues, pipelines, deployments."""

    url: ApiUrl = Field("https://api.bitbucket.org/2.0", description="Bitbucket Cloud REST root.")
    repos: list[str] = Field(default_factory=list, description="Repositories as workspace/slug.")
    username_env: str | None = Field(
        None,
        description="Environment variable holding the username of an app password (basic "
        "auth); unset: the token is an access token, sent as a bearer token.",
    )
    token_env: str | None = Field(
        "BITBUCKET_TOKEN",
        description="Environment variable holding the access token or app password (never "
        "stored); unset means anonymous (public repositories).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the token."
    )
    default_team: str | None = Field(None, description="Team of changes, issues and deployments.")
    repo_teams: dict[str, str] = Field(
        default_factory=dict, description="workspace/slug -> team, overriding default_team."
    )
    issues: bool = Field(
        True, description="Read the issue tracker (off for repositories without one: 404)."
    )
    deploy_from: list[BitbucketDeploySource] = Field(
        default_factory=lambda: list[BitbucketDeploySource](["deployments"]),
        description="What counts as a deployment: Bitbucket deployments to environments, "
        "pipeline steps matching deploy_step.",
    )
    production_environment: str = Field(
        "(?i)^prod(uction)?$",
        description="Regex on an environment's name or type: deployments to a matching one are "
        "production; others keep their name.",
    )
    deploy_step: str = Field(
        "(?i)deploy|prod", description="Regex on a pipeline step's name: a deploy step."
    )
    deploy_branch: str | None = Field(
        None, description="Only steps of pipelines on this branch are deployments (default: any)."
    )
    work_item_pattern: str | None = Field(
        None,
        description="Regex finding a tracker key in a pull request's title or branch; "
        "default: 'fixes #N' links to the repository's issue N.",
    )
    work_item_source: str = Field("jira", description="Source of keys found by work_item_pattern.")
    page_size: int = Field(50, ge=1, le=50, description="Items per page (Bitbucket allows 50).")


class AzureDevOpsSettings(_Settings):
    """Azure DevOps: pull requests with their commits, builds with their timelines."""

    url: ApiUrl | None = Field(
        None,
        description="Organization URL, e.g. https://dev.azure.com/acme (Azure DevOps Server: "
        "https://HOST/COLLECTION); none for replays from files only.",
    )
    project: str | None = Field(None, description="Project name.")
    repos: list[str] = Field(
        default_factory=list, description="Git repositories of the project, by name or id."
    )
    token_env: str | None = Field(
        "AZURE_DEVOPS_TOKEN",
        description="Environment variable holding a personal access token with Code (read) and "
        "Build (read) (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the token."
    )
    default_team: str | None = Field(None, description="Team of changes and deployments.")
    repo_teams: dict[str, str] = Field(
        default_factory=dict, description="Repository name -> team, overriding default_team."
    )
    deploy_from: list[AzureDeploySource] = Field(
        default_factory=lambda: list[AzureDeploySource](["builds"]),
        description="What counts as a deployment: builds of a pipeline matching "
        "deploy_pipeline, or their timeline records (stages, jobs) matching deploy_record.",
    )
    deploy_pipeline: str = Field(
        "(?i)deploy|release|prod",
        description="Regex on a build pipeline's (definition's) name: a deploy pipeline.",
    )
    deploy_record: str = Field(
        "(?i)deploy|prod", description="Regex on a timeline record's name: a deploy stage or job."
    )
    deploy_branch: str | None = Field(
        None, description="Only builds of this branch are deployments, e.g. main (default: any)."
    )
    work_item_pattern: str | None = Field(
        None,
        description="Regex finding a tracker key in a pull request's title or branch, e.g. "
        "(?P<key>[A-Z][A-Z0-9]+-\\d+) -> jira:KEY.",
    )
    work_item_source: str = Field("jira", description="Source of keys found by work_item_pattern.")
    page_size: int = Field(100, ge=1, le=1000, description="Items per page ($top).")


class JenkinsSettings(_Settings):
    """Jenkins: builds and pipeline stages, as deployments."""

    url: ApiUrl | None = Field(
        None,
        description="Jenkins root, e.g. https://ci.acme.com; none for replays from files only.",
    )
    jobs: list[str] = Field(
        default_factory=list,
        description="Jobs by full name, folders and branches included, e.g. shop/deploy or "
        "shop/api/main (a branch of a multibranch pipeline).",
    )
    username_env: str = Field(
        "JENKINS_USER", description="Environment variable holding the Jenkins user name."
    )
    token_env: str | None = Field(
        "JENKINS_TOKEN",
        description="Environment variable holding that user's API token (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API token."
    )
    default_team: str | None = Field(
        None, description="Team of deployments (default: the job's top folder as a team id)."
    )
    job_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Job or folder full name -> team (the longest match wins).",
    )
    deploy_from: list[JenkinsDeploySource] = Field(
        default_factory=lambda: list[JenkinsDeploySource](["builds"]),
        description="What counts as a deployment: builds of a job matching deploy_job, or "
        "pipeline stages matching deploy_stage.",
    )
    deploy_job: str = Field(
        "(?i)deploy|release|prod", description="Regex on a job's full name: a deploy job."
    )
    deploy_stage: str = Field(
        "(?i)deploy|prod", description="Regex on a pipeline stage's name: a deploy stage."
    )
    deploy_branch: str | None = Field(
        None, description="Only builds of this branch are deployments, e.g. main (default: any)."
    )
    page_size: int = Field(
        100, ge=1, le=1000, description="Builds per request (the {start,end} range of tree)."
    )


class CircleCISettings(_Settings):
    """CircleCI: pipelines, workflows and jobs, as deployments."""

    url: ApiUrl = Field("https://circleci.com/api/v2", description="CircleCI API v2 root.")
    projects: list[str] = Field(
        default_factory=list, description="Project slugs, e.g. gh/acme/shop (VCS/ORG/REPO)."
    )
    token_env: str | None = Field(
        "CIRCLECI_TOKEN",
        description="Environment variable holding a personal API token (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the token."
    )
    default_team: str | None = Field(
        None, description="Team of deployments (default: the repository's name as a team id)."
    )
    project_teams: dict[str, str] = Field(
        default_factory=dict, description="Project slug -> team, overriding default_team."
    )
    deploy_from: list[CircleCIDeploySource] = Field(
        default_factory=lambda: list[CircleCIDeploySource](["workflows"]),
        description="What counts as a deployment: workflows matching deploy_workflow, or jobs "
        "matching deploy_job.",
    )
    deploy_workflow: str = Field(
        "(?i)deploy|release|prod", description="Regex on a workflow's name: a deploy workflow."
    )
    deploy_job: str = Field("(?i)deploy|prod", description="Regex on a job's name: a deploy job.")
    deploy_branch: str | None = Field(
        None, description="Only pipelines of this branch are deployments, e.g. main (default: any)."
    )


class OpsgenieSettings(_Settings):
    """Opsgenie: incidents with when they were created and resolved."""

    url: ApiUrl = Field(
        "https://api.opsgenie.com",
        description="Opsgenie API root (EU: https://api.eu.opsgenie.com).",
    )
    token_env: str | None = Field(
        "OPSGENIE_TOKEN",
        description="Environment variable holding an API key with read access (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API key."
    )
    service_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Impacted service id -> team: the team whose deployments its incidents "
        "are linked to (docs/metrics.md#change_failure_rate).",
    )
    default_team: str | None = Field(
        None, description="Team of incidents of services not in service_teams."
    )
    page_size: int = Field(100, ge=1, le=100, description="Incidents per page (limit; max 100).")


class PagerDutySettings(_Settings):
    """PagerDuty: incidents with when they were created, acknowledged and resolved."""

    url: ApiUrl = Field("https://api.pagerduty.com", description="PagerDuty REST API root.")
    token_env: str | None = Field(
        "PAGERDUTY_TOKEN",
        description="Environment variable holding a read-only REST API key (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API key."
    )
    services: list[str] = Field(
        default_factory=list, description="Service ids whose incidents to read (default: all)."
    )
    service_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Service name or id -> team: the team whose deployments its incidents are "
        "linked to (docs/metrics.md#change_failure_rate).",
    )
    default_team: str | None = Field(
        None,
        description="Team of incidents of services not in service_teams (default: the "
        "service's name as a team id).",
    )
    start: str | None = Field(
        None, description="First sync: incidents created since this ISO date (default: all)."
    )
    page_size: int = Field(100, ge=1, le=100, description="Incidents per page (limit; max 100).")


class GitSettings(_Settings):
    """A local git clone: merges and (#123) commits as changes, tags as deployments."""

    path: str = Field(description="Folder of a local clone.")
    repo: str | None = Field(None, description="Name used in keys (default: the folder's name).")
    branch: str = Field("HEAD", description="Branch whose first-parent history holds the changes.")
    tag_pattern: str = Field("*", description="Glob: tags matching it are deployments.")
    default_team: str | None = Field(None, description="Team of changes and deployments.")
    environment: str = Field("production", description="Environment of tag deployments.")


class LinearSettings(_Settings):
    """Linear: issues with their state history."""

    url: ApiUrl = Field("https://api.linear.app/graphql", description="Linear GraphQL endpoint.")
    token_env: str | None = Field(
        "LINEAR_API_KEY", description="Environment variable holding the API key (never stored)."
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API key."
    )
    team_map: dict[str, str] = Field(
        default_factory=dict,
        description="Linear team key -> productops team.",
        json_schema_extra={"option": "team"},
    )
    default_team: str | None = Field(None, description="Team of issues whose team is not mapped.")
    page_size: int = Field(50, ge=1, le=250, description="Issues per GraphQL page.")


class JiraCsvSettings(_Settings):
    """A Jira CSV export (work items only: it has no status history)."""

    path: str | None = Field(None, description="The CSV file exported from Jira's issue search.")
    project_teams: dict[str, str] = Field(default_factory=dict, description="Project key -> team.")
    default_team: str | None = Field(None, description="Team of issues no project mapping places.")
    timestamp_format: str = Field(
        "%d/%b/%y %I:%M %p", description="strptime format of Created and Resolved (Jira's default)."
    )


class TransitionsCsvSettings(_Settings):
    """A generic CSV of status changes, one per row."""

    path: str | None = Field(
        None,
        description="CSV with one status change per row: item, changed_at, from_status, to_status.",
    )
    source: str = Field(
        "jira", description="Source that qualifies item keys: PROJ-1 -> jira:PROJ-1."
    )
    default_team: str | None = Field(
        None, description="Team whose status mapping applies when the file has no team column."
    )


class ZendeskSettings(_Settings):
    """Zendesk Support: tickets from the incremental export, as feedback (docs/feedback.md)."""

    url: ApiUrl | None = Field(
        None,
        description="Zendesk Support site, e.g. https://acme.zendesk.com; none for replays only.",
    )
    email_env: str = Field(
        "ZENDESK_EMAIL", description="Environment variable holding the agent's e-mail."
    )
    token_env: str | None = Field(
        "ZENDESK_API_TOKEN",
        description="Environment variable holding the API token (never stored in the workspace).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the API token."
    )
    start: str | None = Field(
        None, description="First sync: tickets changed since this ISO date (default: all)."
    )
    channel: str = Field("support", description="feedback.channel of tickets.")
    page_size: int = Field(
        1000, ge=1, le=1000, description="Tickets per export page (Zendesk allows 1000)."
    )


class IntercomSettings(_Settings):
    """Intercom: conversations customers started, as feedback (docs/feedback.md)."""

    url: ApiUrl = Field("https://api.intercom.io", description="Intercom REST API root.")
    token_env: str | None = Field(
        "INTERCOM_TOKEN",
        description="Environment variable holding the access token (never stored).",
    )
    token_file: str | None = Field(
        None, description="Or a file outside the workspace holding the access token."
    )
    version: str = Field("2.11", description="Intercom-Version header: the API version.")
    channel: str = Field("support", description="feedback.channel of conversations.")
    page_size: int = Field(
        50, ge=1, le=150, description="Conversations per page (Intercom allows 150)."
    )


class ConnectorSettings(_Settings):
    http: HttpSettings = Field(
        HttpSettings(), description="Retries, waits and timeouts of every API connector."
    )
    status_categories: dict[str, dict[str, StatusCategory]] = Field(
        default_factory=dict,
        description='Team (or "*" for all) -> status name -> todo, in_progress, done or '
        "cancelled; overrides the source's own category.",
    )
    jira: JiraSettings | None = Field(None, description="Jira Cloud (`productops connect jira`).")
    github: GitHubSettings | None = Field(None, description="GitHub (`productops connect github`).")
    gitlab: GitLabSettings | None = Field(
        None, description="GitLab, gitlab.com or self-managed (`productops connect gitlab`)."
    )
    bitbucket: BitbucketSettings | None = Field(
        None, description="Bitbucket Cloud (`productops connect bitbucket`)."
    )
    azure_devops: AzureDevOpsSettings | None = Field(
        None, description="Azure DevOps Services or Server (`productops connect azure-devops`)."
    )
    git: GitSettings | None = Field(
        None, description="A local git clone (`productops connect git`)."
    )
    jenkins: JenkinsSettings | None = Field(
        None, description="Jenkins builds and pipeline stages (`productops connect jenkins`)."
    )
    circleci: CircleCISettings | None = Field(
        None, description="CircleCI pipelines, workflows and jobs (`productops connect circleci`)."
    )
    opsgenie: OpsgenieSettings | None = Field(
        None, description="Opsgenie incidents (`productops connect opsgenie`)."
    )
    pagerduty: PagerDutySettings | None = Field(
        None, description="PagerDuty incidents (`productops connect pagerduty`)."
    )
    linear: LinearSettings | None = Field(None, description="Linear (`productops connect linear`).")
    jira_csv: JiraCsvSettings | None = Field(
        None, description="A Jira CSV export (`productops connect jira-csv`)."
    )
    transitions_csv: TransitionsCsvSettings | None = Field(
        None, description="A generic transitions CSV (`productops connect transitions-csv`)."
    )
    zendesk: ZendeskSettings | None = Field(
        None, description="Zendesk Support tickets (`productops connect zendesk`)."
    )
    intercom: IntercomSettings | None = Field(
        None, description="Intercom conversations (`productops connect intercom`)."
    )


class OidcSettings(_Settings):
    server_metadata_url: ApiUrl = Field(
        description="The provider's discovery document, e.g. "
        "https://accounts.google.com/.well-known/openid-configuration (docs/server.md lists "
        "Google's, Okta's, Entra ID's and Keycloak's)."
    )
    client_id: str = Field(description="The client id productops is registered with there.")
    client_secret_env: EnvName | None = Field(
        "PRODUCTOPS_OIDC_CLIENT_SECRET",
        description="Environment variable holding the client secret (never stored in the "
        "workspace); none: a public client, which PKCE alone protects.",
    )
    client_secret_file: str | None = Field(
        None, description="Or a file outside the workspace holding the client secret."
    )
    scopes: list[str] = Field(
        ["openid", "email", "profile"],
        description="Scopes asked for; openid is required, and the claim user_claim names must "
        "come with them.",
    )
    user_claim: str = Field(
        "email",
        description="ID token claim whose value is the productops user name (email, "
        "preferred_username, sub, ...); an email claim the provider marks unverified is refused.",
    )
    unknown_users: Literal["refuse", "viewer"] = Field(
        "refuse",
        description="An identity with no productops user of that name: refuse (an admin adds "
        "the user first) or add it as a viewer.",
    )
    label: str = Field("single sign-on", description="Name of the provider on the sign-in page.")


class ServerSettings(_Settings):
    session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 30,
        description="A signed-in session ends this many hours after sign-in, used or not.",
    )
    session_idle_minutes: float = Field(
        120.0,
        gt=0,
        description="A session unused for this many minutes ends earlier (idle expiry).",
    )
    trust_proxy: bool = Field(
        False,
        description="Believe X-Forwarded-Proto and X-Forwarded-Host from the reverse proxy in "
        "front of the server (only when nothing else can reach the server).",
    )
    secure_cookies: Literal["auto", "always"] = Field(
        "auto",
        description="auto: the session cookie is Secure when the request came over https (or "
        "a trusted proxy says it did); always: on every request.",
    )
    public_url: ApiUrl | None = Field(
        None,
        description="The address people open, e.g. https://productops.acme.com; the OpenID "
        "Connect redirect is built from it (default: from each request).",
    )
    oidc: OidcSettings | None = Field(
        None, description="Sign-in through an OpenID Connect provider (none: passwords only)."
    )
    segment_write_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Write keys of the Segment-compatible endpoint (/v1/track, /v1/batch, ...): "
        f'name -> {_SECRET_NAME}, e.g. {{web = "SEGMENT_WRITE_KEY_WEB"}}; its events are '
        "audited as writekey:NAME (docs/import.md).",
    )

    @model_validator(mode="after")
    def _write_key_names(self) -> ServerSettings:
        for name, env in self.segment_write_keys.items():
            if not _ENV_NAME.fullmatch(env):
                raise ValueError(f"segment_write_keys.{name}: takes {_SECRET_NAME}")
        return self


class ScheduleSettings(_Settings):
    sync: dict[str, Cron] = Field(
        default_factory=dict,
        description='Source -> when to sync it, e.g. {jira = "*/30 * * * *"} (cron, UTC); the '
        "source must be connected.",
    )
    checks: Cron | None = Field(
        None,
        description="When to run the data checks on their own (cron, UTC); none: only "
        "after syncs (checks_after_sync).",
    )
    checks_after_sync: bool = Field(
        True, description="Run the data checks once after the syncs of a pass, when one succeeded."
    )
    scorecard: Cron | None = Field(
        None, description="When to keep a scorecard snapshot and maturity readings (cron, UTC)."
    )
    scorecard_grain: Literal["day", "week", "month", "quarter"] = Field(
        "quarter",
        description="Period of the scheduled scorecard snapshot (its latest complete "
        "periods, as many as [scorecard] habitual_periods).",
    )
    digests: dict[str, Cron] = Field(
        default_factory=dict,
        description="Digest -> when to queue it (cron, UTC): teams, org or team:ID "
        '(docs/notify.md), e.g. {teams = "0 8 * * 1"}.',
    )
    interval_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How often `productops serve` looks for due jobs.",
    )
    lease_minutes: float = Field(
        60.0,
        gt=0,
        description="A run not ended this long after it started is taken as dead (its process "
        "stopped), and the job may run again; make it longer than the longest job.",
    )


class Config(_Settings):
    workspace: WorkspaceSettings = WorkspaceSettings()
    engine: EngineSettings = EngineSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    themes: ThemesSettings = Field(
        ThemesSettings(), description="Feedback themes' embedding model (docs/themes.md)."
    )
    surveys: SurveySettings = Field(
        SurveySettings(), description="Survey anonymity (`productops survey results`)."
    )
    scorecard: ScorecardSettings = Field(
        ScorecardSettings(),
        description="Success criteria, maturity and nudges (`productops scorecard`).",
    )
    imports: dict[str, ImportMapping] = Field(
        default_factory=dict,
        description="Column mappings per canonical table for `productops import`.",
    )
    connectors: ConnectorSettings = Field(
        ConnectorSettings(),
        description="Sources that `productops sync` pulls from (`productops connect SOURCE`).",
    )
    server: ServerSettings = Field(
        ServerSettings(), description="Sign-in and sessions of `productops serve`."
    )
    schedule: ScheduleSettings = Field(
        ScheduleSettings(),
        description="What runs by itself, and when (`productops run-schedule`, docs/schedule.md).",
    )
    notify: NotifySettings = Field(
        NotifySettings(),
        description="Alerts and digests: channels and who gets what (docs/notify.md).",
    )


def load_config(path: Path) -> Config:
    """Read and validate a `productops.toml`.

    >>> load_config(Path("productops.toml")).engine.kind  # doctest: +SKIP
    'duckdb'
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: not found; run `productops init` to create a workspace"
        ) from exc
    except IsADirectoryError as exc:
        raise ConfigError(
            f"{path} is a folder, not the settings file: move it aside, "
            f"then `productops init {path.parent}` writes a new one"
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read it ({exc.strerror}); check its permissions"
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {_describe(err)}" for err in exc.errors()
        )
        # Not chained: pydantic's own message quotes every value, secrets too.
        raise ConfigError(f"{path}: {problems}") from None


def _describe(err: object) -> str:
    assert isinstance(err, dict)
    if err["type"] in ("api_url", "env_name", "spark_master"):  # never quote a secret
        return str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling against `productops init`'s file)"
    if isinstance(err.get("input"), dict | list):  # a whole table: it may hold a pasted secret
        return str(err["msg"])
    return f"{err['msg']} (got {err.get('input')!r})"


def write_config(path: Path, config: Config) -> None:
    """Write `config` as TOML; an existing file is edited in place, keeping comments and order.

    A new file, and a table new to the file, have their defaults spelled out so
    the file documents itself; in an existing file only the values that change
    are written, and a value no longer set is removed.
    """
    new = config.model_dump(mode="json", exclude_none=True)
    if not path.exists():
        path.write_text(tomlkit.dumps(new), encoding="utf-8")
        return
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    _edit(document, load_config(path).model_dump(mode="json", exclude_none=True), new)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def _edit(table: MutableMapping[str, Any], old: dict[str, Any], new: dict[str, Any]) -> None:
    """Change `table` (as read from the file) to say `new` where it said `old`."""
    for key in old.keys() - new.keys():
        table.pop(key, None)
    for key, value in new.items():
        before, current = old.get(key), table.get(key)
        if before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and isinstance(current, dict):
            _edit(current, before, value)
        else:
            table[key] = _item(value)


def _item(value: Any) -> Any:
    """`value` as a TOML item; a table ends with a blank line, like the tables around it."""
    item = tomlkit.item(value)
    if isinstance(item, tomlkit.items.Table):
        item.add(tomlkit.nl())
    return item
