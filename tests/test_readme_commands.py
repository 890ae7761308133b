"""Every command the README shows runs on the demo organisation, as written.

The commands run in the README's order in one demo workspace, the way a new user would
type them from inside it; the files they name are written first. Two kinds of command
cannot run here as written, and each names the test that runs it instead.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
FEEDBACK_FILES = ROOT / "tests" / "connectors" / "fixtures_feedback"

# Commands that run elsewhere, and where: a bigger demo takes minutes, syncing the
# README's sources needs their real servers (the connector tests replay them locally),
# a server runs until stopped (its test starts it as a process and stops it; the demo's test
# checks that the demo prints the command that serves it), a test message needs a
# channel to send to (its test points one at a local receiver), a dead message to send again
# needs one (its test makes one), and a password is read
# from standard input (its test gives one).
ELSEWHERE = {
    "demo demo-org --scale 10": ("tests/demo/test_demo_cli.py", '"demo"'),
    "sync": ("tests/connectors/test_commands.py", '"sync", "jira"'),
    "sync zendesk": ("tests/connectors/test_zendesk.py", '"zendesk"'),
    "serve --port 8080": ("tests/web/test_serve_process.py", '"serve"'),
    "user password ben": ("tests/test_user_commands.py", '"user", "password"'),
    "-w demo-org serve": ("tests/demo/test_demo_cli.py", "productops -w {target} serve"),
    "notify test team-slack": ("tests/test_notify_commands.py", '"notify", "test", "team-slack"'),
    "notify requeue ID": ("tests/test_notify_commands.py", '"notify", "requeue"'),
    "feedback ticket 8 --to jira": ("tests/services/test_tickets.py", '"feedback", "ticket"'),
}

# The demo plants a billing discrepancy, and `check` exits 1 when an error-severity check
# fails, as the README says.
EXIT_CODES = {"check": 1, "check --only crm_vs_billing_arr": 1}

runner = CliRunner()


def readme_commands() -> list[str]:
    """The `productops ...` lines of the README's bash blocks, comments removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if line.strip().startswith("productops "):
                found.append(shlex.join(shlex.split(line, comments=True)[1:]))
    return found


def _write_inputs(folder: Path) -> None:
    """The files the README's commands name, with the demo's names in them."""
    (folder / "teams.csv").write_text("id,name,parent_id\ngrowth,Growth,product\n", "utf-8")
    (folder / "jira-export.csv").write_text(
        "Issue key,Summary,Created,Team\n"
        "PAY-901,Retry failed card payments,2026-11-02 09:30,payments\n"
        "PAY-902,Show the card's last digits,2026-11-03 14:05,payments\n",
        "utf-8",
    )
    (folder / "mine.csv").write_text(
        "text\n"
        + "".join(f"the app crashes on upload {i}\ndark mode please {i}\n" for i in range(6)),
        "utf-8",
    )
    shutil.copy(FIXTURES / "stats_golden.json", folder / "cases.json")
    shutil.copy(FIXTURES / "events" / "segment.jsonl", folder / "segment.jsonl")
    shutil.copy(FIXTURES / "jira-cloud" / "issues.jsonl", folder / "issues.jsonl")
    shutil.copy(FEEDBACK_FILES / "accounts_hubspot.csv", folder / "companies.csv")
    shutil.copy(FEEDBACK_FILES / "app_store.csv", folder / "reviews.csv")
    shutil.copy(FEEDBACK_FILES / "nps.csv", folder / "nps-2026-q1.csv")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme") / "demo-org"
    result = runner.invoke(app, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    _write_inputs(folder)
    return folder


def test_every_readme_command_runs_on_the_demo(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = []
    for command in readme_commands():
        if command in ELSEWHERE:
            continue
        monkeypatch.chdir(tmp_path if command.startswith("init ") else demo)
        result = runner.invoke(app, shlex.split(command))
        if result.exit_code != EXIT_CODES.get(command, 0):
            failed.append(f"productops {command}\n    {result.output.strip()[-300:]}")
    assert not failed, "README commands that fail on the demo:\n" + "\n".join(failed)


@pytest.mark.parametrize("command", sorted(ELSEWHERE))
def test_commands_run_elsewhere_are_in_the_readme_and_their_test(command: str) -> None:
    assert command in readme_commands()
    path, needle = ELSEWHERE[command]
    assert needle in (ROOT / path).read_text(encoding="utf-8")
