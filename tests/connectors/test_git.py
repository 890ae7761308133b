"""git against a real repository built in tmp_path with the git command line; values by hand."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from productops.config import GitSettings
from productops.connectors import ConnectorError, parse_time
from productops.sync import sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import configure


class Repo:
    """A git repository whose every commit and tag has a date we choose."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str = "2024-01-01T00:00:00Z", author: str | None = None) -> str:
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.com",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.com",
            "GIT_AUTHOR_DATE": author or date,
            "GIT_COMMITTER_DATE": date,
        }
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, subject: str, date: str, author: str | None = None) -> str:
        name = "".join(c for c in subject.lower() if c.isalnum()) + ".txt"
        (self.path / name).write_text(subject + "\n", encoding="utf-8")
        self.git("add", name, date=date)
        self.git("commit", "-q", "-m", subject, date=date, author=author)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path / "shop")
    r.commit("Initial commit", "2024-01-01T10:00:00Z")
    r.git("checkout", "-q", "-b", "feature")
    r.commit("Feature, part 1", "2024-01-02T09:30:00Z", author="2024-01-02T09:00:00Z")
    r.commit("Feature, part 2", "2024-01-03T11:00:00Z")
    r.git("checkout", "-q", "main")
    r.commit("Hotfix the login (#7)", "2024-01-02T13:00:00Z", author="2024-01-02T12:00:00Z")
    r.git(
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "Merge pull request #12 from acme/feature",
        date="2024-01-04T15:00:00Z",
    )
    r.git("tag", "v1.0")  # lightweight: the commit's date
    r.commit("Add the search box (#13)", "2024-01-06T08:00:00Z", author="2024-01-05T17:00:00Z")
    r.git("tag", "-a", "v1.1", "-m", "Release 1.1", date="2024-01-07T12:00:00Z")
    r.git("tag", "nightly-1")  # not a deployment with tag_pattern v*
    r.commit("Work in progress", "2024-01-08T10:00:00Z")
    return r


def sync(ws: Workspace) -> dict[str, list[int]]:
    return sync_source(ws.store, ws.config.connectors, ws.root, "git").counts


def test_changes_deployments_and_what_each_shipped(workspace: Workspace, repo: Repo) -> None:
    configure(workspace, git=GitSettings(path=str(repo.path), tag_pattern="v*", default_team="web"))
    sync(workspace)
    merge = repo.git("rev-parse", "v1.0")
    squash = repo.git("rev-parse", "v1.1^{commit}")
    hotfix = repo.git("rev-parse", "v1.0^1")
    t = parse_time
    assert workspace.store.sql(
        "SELECT id, title, created_at, first_commit_at, merged_at, merge_sha, team_id "
        "FROM change ORDER BY merged_at"
    ) == [
        ("git:shop#7", "Hotfix the login (#7)", t("2024-01-02T12:00:00Z"),
         t("2024-01-02T12:00:00Z"), t("2024-01-02T13:00:00Z"), hotfix, "web"),
        # first commit: the earliest author date among the merged commits (part 1)
        ("git:shop#12", "Merge pull request #12 from acme/feature", t("2024-01-02T09:00:00Z"),
         t("2024-01-02T09:00:00Z"), t("2024-01-04T15:00:00Z"), merge, "web"),
        ("git:shop#13", "Add the search box (#13)", t("2024-01-05T17:00:00Z"),
         t("2024-01-05T17:00:00Z"), t("2024-01-06T08:00:00Z"), squash, "web"),
    ]  # fmt: skip
    assert workspace.store.sql(
        "SELECT id, finished_at, result, commit_sha, environment FROM deployment ORDER BY finished_at"
    ) == [
        ("git:shop/tags/v1.0", t("2024-01-04T15:00:00Z"), "success", merge, "production"),
        ("git:shop/tags/v1.1", t("2024-01-07T12:00:00Z"), "success", squash, "production"),
    ]
    assert workspace.store.sql(
        "SELECT deployment_id, change_id FROM deployment_change ORDER BY ALL"
    ) == [
        ("git:shop/tags/v1.0", "git:shop#12"),
        ("git:shop/tags/v1.0", "git:shop#7"),
        ("git:shop/tags/v1.1", "git:shop#13"),
    ]
    # The raw records hold no names or e-mails.
    payloads = " ".join(r[0] for r in workspace.store.sql("SELECT payload FROM raw_record"))
    assert "dev@example.com" not in payloads
    assert "Dev" not in payloads.replace("Development", "")


def test_an_unchanged_clone_is_not_read_again(workspace: Workspace, repo: Repo) -> None:
    configure(workspace, git=GitSettings(path=str(repo.path), tag_pattern="v*"))
    first = sync(workspace)
    assert first["change"][0] == 3
    assert sync(workspace) == {}
    repo.commit("Fix the cart (#14)", "2024-01-09T10:00:00Z")
    again = sync(workspace)
    assert again["change"] == [1, 0, 3, 0]
    assert again["raw_record"][0] == 2  # the new commit and the new head


def test_a_missing_clone_is_a_clear_error(workspace: Workspace, tmp_path: Path) -> None:
    configure(workspace, git=GitSettings(path=str(tmp_path / "nowhere")))
    with pytest.raises(ConnectorError, match=r"is not a folder; point connectors\.git\.path"):
        sync(workspace)
    (tmp_path / "plain").mkdir()
    configure(workspace, git=GitSettings(path=str(tmp_path / "plain")))
    with pytest.raises(ConnectorError, match=r"check connectors\.git\.path"):
        sync(workspace)
