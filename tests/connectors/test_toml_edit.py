"""`productops connect` edits productops.toml in place: the user's comments, order and tables stay."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from productops.cli import app
from productops.config import load_config

runner = CliRunner()

HEAD = "# Acme's workspace: edited by hand, keep these notes\n"
IMPORTS = """
# Our HR export names the team id column team_id
[imports.team]
columns = { id = "team_id" }  # not "id"
"""


def run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def lines_kept(before: str, after: str) -> bool:
    """Whether every line of `before` is in `after`, in the same order."""
    remaining = iter(after.splitlines())
    return all(line in remaining for line in before.splitlines())


def test_connect_keeps_comments_order_and_other_tables(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run("init", str(ws))
    toml = ws / "productops.toml"
    text = toml.read_text(encoding="utf-8")
    text = HEAD + text.replace('name = "productops"', 'name = "acme"  # shown in reports') + IMPORTS
    toml.write_text(text, encoding="utf-8")

    run("-w", str(ws), "connect", "jira", "--url", "https://acme.atlassian.net", "--jql", "a")
    after_jira = toml.read_text(encoding="utf-8")
    assert lines_kept(text, after_jira)
    assert after_jira.startswith(HEAD)

    commented = after_jira.replace('jql = "a"', '# which issues we track\njql = "a"  # for now')
    toml.write_text(commented, encoding="utf-8")
    run("-w", str(ws), "connect", "status-category", "Doing", "in_progress", "--team", "ee")
    run("-w", str(ws), "connect", "jira", "--default-team", "ee")
    final = toml.read_text(encoding="utf-8")
    assert lines_kept(commented, final)

    config = load_config(toml)
    assert config.workspace.name == "acme"
    assert config.imports["team"].columns == {"id": "team_id"}
    assert config.connectors.status_categories == {"ee": {"Doing": "in_progress"}}
    assert config.connectors.jira is not None
    assert (config.connectors.jira.jql, config.connectors.jira.default_team) == ("a", "ee")
