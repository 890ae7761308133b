"""Connectors: one module per source, pulling raw pages and mapping them to canonical rows.

May import `errors`, `schema`, `config` and `engine`; never `ingest` (landing is
done by `productops.sync`), pillars, ops or interfaces. See README.md.
"""

from productops.connectors.azuredevops import AzureDevOpsConnector
from productops.connectors.base import (
    CATEGORIES,
    Connector,
    ConnectorError,
    Mapped,
    Page,
    RawRecord,
    Rows,
    StatusCategories,
    parse_time,
)
from productops.connectors.bitbucket import BitbucketConnector
from productops.connectors.files import JIRA_CSV_NOTE, CsvConnector
from productops.connectors.git import GitConnector
from productops.connectors.github import GitHubConnector
from productops.connectors.gitlab import GitLabConnector
from productops.connectors.http import HttpClient, JsonResponse, RetryPolicy
from productops.connectors.jira import JiraConnector
from productops.connectors.linear import LinearConnector
from productops.connectors.secrets import (
    check_env_name,
    check_secret_file,
    read_secret,
    redact_url,
)
from productops.connectors.sources import (
    ACCOUNT_FILES,
    FEEDBACK_FILES,
    SOURCES,
    ReplayLine,
    Source,
    read_replay,
    source,
)

__all__ = [
    "ACCOUNT_FILES",
    "CATEGORIES",
    "FEEDBACK_FILES",
    "JIRA_CSV_NOTE",
    "SOURCES",
    "AzureDevOpsConnector",
    "BitbucketConnector",
    "Connector",
    "ConnectorError",
    "CsvConnector",
    "GitConnector",
    "GitHubConnector",
    "GitLabConnector",
    "HttpClient",
    "JiraConnector",
    "JsonResponse",
    "LinearConnector",
    "Mapped",
    "Page",
    "RawRecord",
    "ReplayLine",
    "RetryPolicy",
    "Rows",
    "Source",
    "StatusCategories",
    "check_env_name",
    "check_secret_file",
    "parse_time",
    "read_replay",
    "read_secret",
    "redact_url",
    "source",
]
