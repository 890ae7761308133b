"""The sources `productops connect` and `productops sync` know, and how to open each one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from productops.config import (
    AzureDevOpsSettings,
    BitbucketSettings,
    CircleCISettings,
    ConnectorSettings,
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
)
from productops.connectors.azuredevops import AzureDevOpsConnector, azure_stream_of, map_azure
from productops.connectors.base import Connector, ConnectorError, Mapped, RawRecord
from productops.connectors.bitbucket import (
    BitbucketConnector,
    bitbucket_stream_of,
    map_bitbucket,
)
from productops.connectors.circleci import CircleCIConnector, circleci_stream_of, map_circleci
from productops.connectors.feedback_files import FEEDBACK_KINDS, map_accounts, map_feedback_file
from productops.connectors.files import (
    CsvConnector,
    csv_rows,
    map_jira_csv,
    map_transitions_csv,
    rows_stream_of,
)
from productops.connectors.git import GitConnector, git_stream_of, map_git
from productops.connectors.github import GitHubConnector, github_stream_of, map_github
from productops.connectors.gitlab import GitLabConnector, gitlab_stream_of, map_gitlab
from productops.connectors.http import HttpClient, RetryPolicy
from productops.connectors.intercom import IntercomConnector, intercom_stream_of, map_intercom
from productops.connectors.jenkins import JenkinsConnector, jenkins_stream_of, map_jenkins
from productops.connectors.jira import JiraConnector, jira_stream_of, map_jira
from productops.connectors.linear import LinearConnector, linear_stream_of, map_linear
from productops.connectors.opsgenie import OpsgenieConnector, map_opsgenie, opsgenie_stream_of
from productops.connectors.pagerduty import (
    PagerDutyConnector,
    map_pagerduty,
    pagerduty_stream_of,
)
from productops.connectors.secrets import read_secret
from productops.connectors.zendesk import ZendeskConnector, map_zendesk, zendesk_stream_of

__all__ = [
    "ACCOUNT_FILES",
    "FEEDBACK_FILES",
    "SOURCES",
    "ReplayLine",
    "Source",
    "read_replay",
    "source",
]

Overrides = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Source:
    """A source: where its settings live, how to open it, read its replays and map its records.

    `reference_streams` are streams every mapping needs in full (Jira's statuses).
    `personal`: its payloads hold people's words and addresses, so they are
    scrubbed before they land and its feedback is redacted (ingest.privacy).
    """

    name: str
    settings_key: str
    what: str
    stream_of: Callable[[dict[str, Any]], str | None]
    mapper: Callable[[Sequence[RawRecord], Any, Overrides], Mapped]
    opener: Callable[[Any, Path, RetryPolicy], Connector]
    reference_streams: tuple[str, ...] = ()
    tabular: bool = False
    personal: bool = False

    def settings(self, connectors: ConnectorSettings) -> Any:
        return getattr(connectors, self.settings_key)


def _open_jira(settings: JiraSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.url:
        raise ConnectorError(
            "jira: no site URL; run `productops connect jira --url https://SITE.atlassian.net ...`, "
            "or replay exported payloads with `productops sync jira --from-file FILE`"
        )
    email = read_secret(
        env=settings.email_env, file=None, workspace=root, what="jira account e-mail"
    )
    token = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="jira API token"
    )
    return JiraConnector(
        HttpClient(settings.url, policy=policy, basic=(email or "", token or "")), settings
    )


def _open_github(settings: GitHubSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.repos:
        raise ConnectorError(
            "github: no repositories; run `productops connect github --repo OWNER/NAME`"
        )
    token = read_secret(
        env=settings.token_env,
        file=settings.token_file,
        workspace=root,
        what="github token",
        required=False,
    )
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    http = HttpClient(settings.api_url, policy=policy, bearer=token, headers=headers)
    return GitHubConnector(http, settings)


def _open_gitlab(settings: GitLabSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.projects:
        raise ConnectorError(
            "gitlab: no projects; run `productops connect gitlab --project GROUP/NAME`"
        )
    token = read_secret(
        env=settings.token_env,
        file=settings.token_file,
        workspace=root,
        what="gitlab token",
        required=False,
    )
    return GitLabConnector(HttpClient(settings.url, policy=policy, bearer=token), settings)


def _open_bitbucket(settings: BitbucketSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.repos:
        raise ConnectorError(
            "bitbucket: no repositories; run `productops connect bitbucket --repo WORKSPACE/SLUG`"
        )
    token = read_secret(
        env=settings.token_env,
        file=settings.token_file,
        workspace=root,
        what="bitbucket token",
        required=False,
    )
    user = None
    if settings.username_env:
        user = read_secret(
            env=settings.username_env, file=None, workspace=root, what="bitbucket username"
        )
    if user and token:
        http = HttpClient(settings.url, policy=policy, basic=(user, token))
    else:
        http = HttpClient(settings.url, policy=policy, bearer=token)
    return BitbucketConnector(http, settings)


def _open_azure(settings: AzureDevOpsSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.url or not settings.project:
        raise ConnectorError(
            "azure-devops: no organization URL or project; run `productops connect azure-devops "
            "--url https://dev.azure.com/ORG --project NAME --repo NAME`, or replay exported "
            "payloads with `productops sync azure-devops --from-file FILE`"
        )
    token = read_secret(
        env=settings.token_env,
        file=settings.token_file,
        workspace=root,
        what="azure devops personal access token",
    )
    http = HttpClient(settings.url, policy=policy, basic=("", token or ""))
    return AzureDevOpsConnector(http, settings)


def _open_jenkins(settings: JenkinsSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.url or not settings.jobs:
        raise ConnectorError(
            "jenkins: no URL or jobs; run `productops connect jenkins --url https://CI --job "
            "FOLDER/NAME`, or replay exported payloads with `productops sync jenkins --from-file "
            "FILE`"
        )
    user = read_secret(env=settings.username_env, file=None, workspace=root, what="jenkins user")
    token = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="jenkins API token"
    )
    http = HttpClient(settings.url, policy=policy, basic=(user or "", token or ""))
    return JenkinsConnector(http, settings)


def _open_circleci(settings: CircleCISettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.projects:
        raise ConnectorError(
            "circleci: no projects; run `productops connect circleci --project gh/ORG/REPO`"
        )
    token = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="circleci token"
    )
    headers = {"Circle-Token": token or ""}
    return CircleCIConnector(HttpClient(settings.url, policy=policy, headers=headers), settings)


def _open_pagerduty(settings: PagerDutySettings, root: Path, policy: RetryPolicy) -> Connector:
    key = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="pagerduty API key"
    )
    headers = {"Accept": "application/vnd.pagerduty+json;version=2"}
    http = HttpClient(
        settings.url, policy=policy, authorization=f"Token token={key}", headers=headers
    )
    return PagerDutyConnector(http, settings)


def _open_opsgenie(settings: OpsgenieSettings, root: Path, policy: RetryPolicy) -> Connector:
    key = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="opsgenie API key"
    )
    http = HttpClient(settings.url, policy=policy, authorization=f"GenieKey {key}")
    return OpsgenieConnector(http, settings)


def _open_linear(settings: LinearSettings, root: Path, policy: RetryPolicy) -> Connector:
    key = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="linear API key"
    )
    return LinearConnector(HttpClient(settings.url, policy=policy, authorization=key), settings)


def _open_git(settings: GitSettings, root: Path, policy: RetryPolicy) -> Connector:
    return GitConnector(settings)


def _open_zendesk(settings: ZendeskSettings, root: Path, policy: RetryPolicy) -> Connector:
    if not settings.url:
        raise ConnectorError(
            "zendesk: no site URL; run `productops connect zendesk --url https://SITE.zendesk.com`, "
            "or replay exported tickets with `productops sync zendesk --from-file FILE`"
        )
    email = read_secret(
        env=settings.email_env, file=None, workspace=root, what="zendesk agent e-mail"
    )
    token = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="zendesk API token"
    )
    http = HttpClient(settings.url, policy=policy, basic=(f"{email}/token", token or ""))
    return ZendeskConnector(http, settings)


def _open_intercom(settings: IntercomSettings, root: Path, policy: RetryPolicy) -> Connector:
    token = read_secret(
        env=settings.token_env, file=settings.token_file, workspace=root, what="intercom token"
    )
    headers = {"Intercom-Version": settings.version}
    return IntercomConnector(
        HttpClient(settings.url, policy=policy, bearer=token, headers=headers), settings
    )


def _open_file(settings: Any, root: Path, policy: RetryPolicy) -> Connector:
    raise ConnectorError("a file source has nothing to pull; import its file instead")


def _open_jira_csv(settings: JiraCsvSettings, root: Path, policy: RetryPolicy) -> Connector:
    return CsvConnector(settings.path, "jira-csv")


def _open_transitions_csv(
    settings: TransitionsCsvSettings, root: Path, policy: RetryPolicy
) -> Connector:
    return CsvConnector(settings.path, "transitions-csv")


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "jira",
            "jira",
            "a Jira API object (issue, status or changelog entry)",
            jira_stream_of,
            map_jira,
            _open_jira,
            ("statuses",),
        ),
        Source(
            "github",
            "github",
            "a GitHub API object (pull request, review, commit, issue, event, run, ...)",
            github_stream_of,
            map_github,
            _open_github,
        ),
        Source(
            "gitlab",
            "gitlab",
            "a GitLab API object (merge request, note, commit, issue, pipeline, job, ...)",
            gitlab_stream_of,
            map_gitlab,
            _open_gitlab,
        ),
        Source(
            "bitbucket",
            "bitbucket",
            "a Bitbucket API object (pull request, comment, commit, issue, pipeline, step, ...)",
            bitbucket_stream_of,
            map_bitbucket,
            _open_bitbucket,
            ("environments",),
        ),
        Source(
            "azure-devops",
            "azure_devops",
            "an Azure DevOps API object (pull request, commit, build, timeline record)",
            azure_stream_of,
            map_azure,
            _open_azure,
        ),
        Source(
            "opsgenie",
            "opsgenie",
            "an Opsgenie incident",
            opsgenie_stream_of,
            map_opsgenie,
            _open_opsgenie,
        ),
        Source("git", "git", "a git commit, tag or head", git_stream_of, map_git, _open_git),
        Source(
            "jenkins",
            "jenkins",
            "a Jenkins build or pipeline stage",
            jenkins_stream_of,
            map_jenkins,
            _open_jenkins,
        ),
        Source(
            "circleci",
            "circleci",
            "a CircleCI pipeline, workflow or job",
            circleci_stream_of,
            map_circleci,
            _open_circleci,
        ),
        Source(
            "pagerduty",
            "pagerduty",
            "a PagerDuty incident or log entry",
            pagerduty_stream_of,
            map_pagerduty,
            _open_pagerduty,
        ),
        Source(
            "linear",
            "linear",
            "a Linear issue or history entry",
            linear_stream_of,
            map_linear,
            _open_linear,
        ),
        Source(
            "jira-csv",
            "jira_csv",
            "a CSV row",
            rows_stream_of,
            map_jira_csv,
            _open_jira_csv,
            tabular=True,
        ),
        Source(
            "transitions-csv",
            "transitions_csv",
            "a CSV row",
            rows_stream_of,
            map_transitions_csv,
            _open_transitions_csv,
            tabular=True,
        ),
        Source(
            "zendesk",
            "zendesk",
            "a Zendesk ticket, user or organization",
            zendesk_stream_of,
            map_zendesk,
            _open_zendesk,
            personal=True,
        ),
        Source(
            "intercom",
            "intercom",
            "an Intercom conversation",
            intercom_stream_of,
            map_intercom,
            _open_intercom,
            personal=True,
        ),
    )
}
# Feedback files (`productops feedback import KIND FILE`): settings are the kind itself.
FEEDBACK_FILES: dict[str, Source] = {
    kind: Source(
        spec.source,
        "",
        "a CSV row",
        rows_stream_of,
        map_feedback_file,
        _open_file,
        tabular=True,
        personal=True,
    )
    for kind, spec in FEEDBACK_KINDS.items()
}
# Account exports (`productops accounts import FILE`): settings are the format, or None for any.
ACCOUNT_FILES = Source(
    "accounts",
    "",
    "a CSV row",
    rows_stream_of,
    map_accounts,
    _open_file,
    tabular=True,
    personal=True,  # CRM exports carry contacts, phone numbers, bank details
)


def source(name: str) -> Source:
    """The source called `name`, or a `ConnectorError` listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise ConnectorError(
            f"unknown source {name!r}; known sources: {', '.join(SOURCES)}"
        ) from None


@dataclass(frozen=True)
class ReplayLine:
    """A line of a replay file: its raw record, or why it cannot be one."""

    line: int
    record: RawRecord | None
    reason: str = ""
    text: str = ""


# Lists of objects in a whole API answer saved as one line.
_CONTAINERS = ("issues", "values", "workflow_runs", "nodes", "incidents", "data", "items")


def read_replay(path: Path, spec: Source) -> Iterator[ReplayLine]:
    """The raw records of a replay file: JSON Lines of API objects, or CSV rows for file sources.

    A line that is not JSON, or not an object of this source, comes back with its reason.
    """
    if spec.tabular or path.suffix.lower() == ".csv":
        for line, row in csv_rows(path):
            yield ReplayLine(line, RawRecord("rows", row, f"{path}:{line}"))
        return
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read the file ({exc.strerror})") from None
    for index, data in enumerate(raw.split(b"\n"), 1):
        if not data.strip():
            continue
        text = data.decode("utf-8", "replace")
        try:
            payload = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield ReplayLine(index, None, f"not valid JSON: {exc}", text)
            continue
        objects = _unpack(payload, spec)
        if objects is None:
            yield ReplayLine(index, None, f"not {spec.what}", text)
            continue
        for stream, item in objects:
            yield ReplayLine(index, RawRecord(stream, item, f"{path}:{index}"))


def _unpack(payload: Any, spec: Source) -> list[tuple[str, dict[str, Any]]] | None:
    if not isinstance(payload, dict):
        return None
    stream = spec.stream_of(payload)
    if stream is not None:
        return [(stream, payload)]
    inner = (
        payload.get("data", {}).get("issues") if isinstance(payload.get("data"), dict) else payload
    )
    for key in _CONTAINERS:
        items = inner.get(key) if isinstance(inner, dict) else None
        if isinstance(items, list):
            found = []
            for item in items:
                kind = spec.stream_of(item) if isinstance(item, dict) else None
                if kind is None:
                    return None
                found.append((kind, item))
            return found
    return None
