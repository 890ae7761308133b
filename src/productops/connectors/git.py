"""git: a local clone's merges and `(#123)` commits as changes, its tags as deployments.

The connector runs the `git` command line (no HTTP). Raw records: `head` (the
branch and its commit), `commits` (sha, parents, author and committer dates,
subject: no names or e-mails), `tags` (name, commit, date). The cursor is a
hash of every ref: an unchanged clone is not read again.

Mapping walks the branch's first-parent history, oldest first:

- a merge commit is a change; its first commit is the earliest author date
  among the commits it merged (reachable from the merged parent, not from the
  first parent); `Merge pull request #12` names it `git:REPO#12`;
- a commit whose subject ends in `(#123)` (a squash merge) is a change whose
  first commit is itself;
- a tag matching `tag_pattern` is a successful deployment at the tag's date
  (the tagger's, else the commit's), shipping the changes it reaches that no
  earlier tag reached (`deployment_change`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from productops.config import GitSettings
from productops.connectors.base import (
    ConnectorError,
    Mapped,
    Page,
    RawRecord,
    Rows,
    add_row,
    parse_time,
)

__all__ = ["GitConnector", "git_stream_of", "map_git"]

_SEP = "\x1f"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PULL = re.compile(r"Merge pull request #(\d+)|\(#(\d+)\)\s*$")


class GitConnector:
    """Reads a local clone with the git command line."""

    def __init__(self, settings: GitSettings, *, git: str = "git") -> None:
        self.settings = settings
        self.path = Path(settings.path).expanduser()
        self.git = git

    def close(self) -> None:
        """Nothing to release."""

    def _run(self, *args: str) -> str:
        try:
            done = subprocess.run(
                [self.git, "-C", str(self.path), *args],
                capture_output=True,
                text=True,
                check=False,
                encoding="utf-8",
                errors="replace",
            )
        except FileNotFoundError as exc:
            raise ConnectorError(
                f"git: the git command is not installed ({exc.filename}); install git"
            ) from None
        if done.returncode != 0:
            raise ConnectorError(
                f"git {' '.join(args[:2])} in {self.path}: {done.stderr.strip() or 'failed'}; "
                "check connectors.git.path (a local clone) and branch"
            )
        return done.stdout

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        if not self.path.is_dir():
            raise ConnectorError(
                f"git: {self.path} is not a folder; point connectors.git.path at a local clone"
            )
        refs = self._run("for-each-ref", "--format=%(objectname) %(refname)")
        head = self._run("rev-parse", self.settings.branch).strip()
        state = hashlib.sha256(f"{head}\n{refs}".encode()).hexdigest()[:32]
        if cursors.get("repo") == state:
            return
        where = str(self.path)
        records = [RawRecord("head", {"branch": self.settings.branch, "sha": head}, where)]
        log = self._run(
            "log", "--all", "--date-order", f"--format=%H{_SEP}%P{_SEP}%aI{_SEP}%cI{_SEP}%s"
        )
        for line in log.splitlines():
            sha, parents, authored, committed, subject = line.split(_SEP, 4)
            commit = {
                "sha": sha,
                "parents": parents.split(),
                "author_date": authored,
                "committer_date": committed,
                "subject": subject,
            }
            records.append(RawRecord("commits", commit, where))
        tags = self._run(
            "for-each-ref",
            "refs/tags",
            f"--format=%(refname:short){_SEP}%(objectname){_SEP}%(*objectname){_SEP}"
            f"%(taggerdate:iso-strict){_SEP}%(committerdate:iso-strict){_SEP}%(*committerdate:iso-strict)",
        )
        for line in tags.splitlines():
            name, obj, peeled, tagged, committed, peeled_committed = line.split(_SEP)
            tag = {
                "name": name,
                "commit": peeled or obj,
                "date": tagged or peeled_committed or committed,
                "annotated": bool(peeled),
            }
            records.append(RawRecord("tags", tag, where))
        yield Page("repo", records, state)


def git_stream_of(payload: dict[str, Any]) -> str | None:
    """Which stream a replayed JSON object belongs to, by its shape."""
    if "parents" in payload and "sha" in payload:
        return "commits"
    if "name" in payload and "commit" in payload:
        return "tags"
    if "branch" in payload and "sha" in payload:
        return "head"
    return None


def map_git(
    records: Sequence[RawRecord],
    settings: GitSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Changes, tag deployments and which changes each deployment shipped."""
    repo = settings.repo or Path(settings.path).expanduser().resolve().name
    commits: dict[str, dict[str, Any]] = {}
    tags: dict[str, dict[str, Any]] = {}
    head: str | None = None
    for record in records:
        if record.stream == "commits":
            commits[record.payload["sha"]] = record.payload
        elif record.stream == "tags":
            tags[record.payload["name"]] = record.payload
        elif record.stream == "head":
            head = record.payload["sha"]
    rows: Rows = {}
    change_of_commit = _changes(rows, repo, commits, head, settings)
    _deployments(rows, repo, commits, tags, change_of_commit, settings)
    return Mapped(rows)


def _mainline(commits: dict[str, dict[str, Any]], head: str | None) -> list[str]:
    """The first-parent history of `head`, oldest first."""
    line = []
    sha = head
    while sha is not None and sha in commits:
        line.append(sha)
        parents = commits[sha]["parents"]
        sha = parents[0] if parents else None
    return line[::-1]


def _reach(commits: dict[str, dict[str, Any]], starts: list[str], seen: set[str]) -> set[str]:
    """Commits reachable from `starts` that are not in `seen` (nor behind them)."""
    found: set[str] = set()
    stack = [s for s in starts if s not in seen]
    while stack:
        sha = stack.pop()
        if sha in found or sha in seen or sha not in commits:
            continue
        found.add(sha)
        stack.extend(commits[sha]["parents"])
    return found


def _changes(
    rows: Rows,
    repo: str,
    commits: dict[str, dict[str, Any]],
    head: str | None,
    settings: GitSettings,
) -> dict[str, str]:
    """Change rows for the mainline's merges and (#N) commits; returns merge sha -> change id."""
    seen: set[str] = set()
    ids: dict[str, str] = {}
    for sha in _mainline(commits, head):
        commit = commits[sha]
        parents = commit["parents"]
        # `seen` holds everything behind the previous mainline commit, so what the other
        # parents reach beyond it is what this merge brought in.
        merged = _reach(commits, parents[1:], seen)
        seen |= merged
        seen.add(sha)
        number = _PULL.search(commit["subject"])
        if len(parents) < 2 and not (number and number.group(2)):
            continue
        first = min(
            (t for t in (parse_time(commits[c]["author_date"]) for c in merged) if t),
            default=parse_time(commit["author_date"]),
        )
        pull = (number.group(1) or number.group(2)) if number else None
        change_id = f"git:{repo}#{pull}" if pull else f"git:{repo}@{sha[:12]}"
        ids[sha] = change_id
        add_row(
            rows,
            "change",
            {
                "id": change_id,
                "team_id": settings.default_team,
                "repo": repo,
                "title": commit["subject"],
                "created_at": first,
                "first_commit_at": first,
                "merged_at": parse_time(commit["committer_date"]),
                "merge_sha": sha,
            },
        )
    return ids


def _deployments(
    rows: Rows,
    repo: str,
    commits: dict[str, dict[str, Any]],
    tags: dict[str, dict[str, Any]],
    change_of_commit: dict[str, str],
    settings: GitSettings,
) -> None:
    chosen = [
        t
        for t in tags.values()
        if fnmatch.fnmatchcase(t["name"], settings.tag_pattern) and t["commit"] in commits
    ]
    chosen.sort(key=lambda t: (parse_time(t["date"]) or _EPOCH, t["name"]))
    shipped: set[str] = set()
    for tag in chosen:
        deployment = f"git:{repo}/tags/{tag['name']}"
        add_row(
            rows,
            "deployment",
            {
                "id": deployment,
                "team_id": settings.default_team,
                "environment": settings.environment,
                "finished_at": parse_time(tag["date"]),
                "result": "success",
                "commit_sha": tag["commit"],
            },
        )
        reached = _reach(commits, [tag["commit"]], shipped)
        shipped |= reached
        for sha in sorted(reached & change_of_commit.keys()):
            add_row(
                rows,
                "deployment_change",
                {"deployment_id": deployment, "change_id": change_of_commit[sha]},
            )
