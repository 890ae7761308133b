"""Every write of feedback links, insights, themes, nudges, initiatives, targets, check runs,
reports, scorecard snapshots and syncs, run through the CLI, leaves exactly one audit row naming the
action, the object and the person at the command line; a refused write leaves none."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from productops.cli import app
from productops.services import audit
from productops.services.actor import Actor
from productops.workspace import Workspace
from tests.connectors.fixtures import JIRA_DIR
from tests.pillars.builders import at, item, items, land
from tests.pillars.customer.scenario import build
from tests.pillars.customer.test_theme_registry import _feedback
from tests.pillars.customer.test_themes import CRASH, DARK, INVOICE

runner = CliRunner()
ME = Actor.cli().id
CHECKS = """\
checks:
  - id: segment_known
    kind: accepted_values
    target: account
    params: {column: segment, values: [smb, enterprise]}
    severity: warn
"""


def _count(ws: Workspace) -> int:
    return int(ws.store.sql("SELECT count(*) FROM audit_event")[0][0])


def _write(ws: Workspace, action: str, obj: str, *args: str) -> audit.AuditEvent:
    """Run a write command: it succeeds and appends exactly one audit row, by the person at
    the command line, of `action` on `obj` (ending in `*`: on an object whose name starts so)."""
    before = _count(ws)
    result = runner.invoke(app, ["-w", str(ws.root), *args])
    assert result.exit_code == 0, result.output
    assert _count(ws) == before + 1, args
    last = audit.events(ws)[-1]
    assert (last.actor, last.action) == (ME, action)
    if obj.endswith("*"):
        assert last.object.startswith(obj[:-1])
    else:
        assert last.object == obj
    return last


def _refused(ws: Workspace, *args: str) -> str:
    """Run a write command that is refused: one line, exit 1, and no audit row."""
    before = _count(ws)
    result = runner.invoke(app, ["-w", str(ws.root), *args])
    assert result.exit_code != 0, result.output
    assert _count(ws) == before, args
    return result.output


def test_feedback_links_and_insights(workspace: Workspace) -> None:
    ws = workspace
    build(ws.store)
    made = _write(
        ws, "feedback_link.confirm", "feedback_link:t:f6->t:w2", "feedback", "link", "f6", "w2"
    )
    assert made.before is not None
    assert made.before["state"] == "suggested"
    assert made.after is not None
    assert made.after["state"] == "confirmed"
    rejected = _write(
        ws,
        "feedback_link.reject",
        "feedback_link:t:f7->t:w1",
        "feedback",
        "link",
        "f7",
        "w1",
        "--reject",
    )
    assert rejected.before is None
    suggested = _write(
        ws, "feedback_link.suggest", "feedback_link", "feedback", "links", "--suggest", "--fallback"
    )
    assert suggested.after is not None
    assert isinstance(suggested.after["suggested"], int)
    published = _write(
        ws,
        "insight.publish",
        "insight:productops:insight-*",
        *("feedback", "insight", "Dark mode wanted", "--theme", "th2"),
    )
    assert published.before is None
    assert published.after is not None
    assert published.after["title"] == "Dark mode wanted"
    scored = _write(ws, "feedback.sentiment", "feedback", "feedback", "sentiment", "--rescore")
    assert scored.after == {"scored": 9, "rescore": True}
    repeats = _write(ws, "feedback.duplicates", "feedback", "feedback", "duplicates", "--fallback")
    assert repeats.after is not None
    assert repeats.after["checked"] == 9
    _refused(ws, "feedback", "duplicates", "--threshold", "2", "--fallback")
    _refused(ws, "feedback", "link", "nope", "w2")
    _refused(ws, "feedback", "link", "f6", "w2", "--importance", "7")
    _refused(ws, "feedback", "insight", " ", "--theme", "th2")
    _refused(ws, "feedback", "insight", "X", "--theme", "nope")


def test_themes_discover_rename_merge_split(workspace: Workspace) -> None:
    ws = workspace
    _feedback(ws.store, DARK + CRASH + INVOICE, "t:f")
    themes = ("feedback", "themes")
    run = _write(ws, "theme.discover", "theme", *themes, "discover", "--fallback")
    assert run.after == {"en": {"feedback": 18, "themes": 3, "new_themes": 3}}
    renamed = _write(
        ws, "theme.rename", "theme:productops:theme-1", *themes, "rename", "1", "Night mode"
    )
    assert renamed.before is not None
    assert renamed.after is not None
    assert renamed.after["label"] == "Night mode" != renamed.before["label"]
    merged = _write(ws, "theme.merge", "theme:productops:theme-2", *themes, "merge", "2", "3")
    assert merged.after is not None
    assert merged.after["productops:theme-2"]["status"] == "merged"
    split = _write(
        ws, "theme.split", "theme:productops:theme-3", *themes, "split", "3", "--fallback"
    )
    assert split.after is not None
    assert len(split.after["parts"]) == 2
    _refused(ws, *themes, "rename", "1", " ")
    _refused(ws, *themes, "merge", "1", "1")
    _refused(ws, *themes, "split", "2", "--fallback")  # merged: only an active theme splits


def test_nudges_initiatives_targets_and_the_scorecard(with_teams: Workspace) -> None:
    ws = with_teams
    items(
        ws.store,
        *(
            item(f"w{i}", "payments", 0, [], type="story", released_at=at(30 + i), owner_id="p1")
            for i in range(3)
        ),
    )  # time to market 31 days in 2024-Q2: over review_wait_high's 20
    q2 = ("--period", "2024-Q2", "--as-of", "2024-07-02")
    offered = _write(ws, "nudge.offer", "nudge", "nudge", "offer", *q2)
    assert offered.after is not None
    assert offered.after["offered"] == 1
    [ref] = offered.after["ids"]
    again = _write(ws, "nudge.offer", "nudge", "nudge", "offer", *q2)
    assert again.after == {"offered": 0, "ids": []}  # a call that offers nothing: still one row
    accepted = _write(ws, "nudge.accept", f"nudge:{ref}", "nudge", "accept", ref, *q2[2:])
    assert accepted.before is not None
    assert accepted.after is not None
    assert (accepted.before["status"], accepted.after["status"]) == ("offered", "accepted")
    _refused(ws, "nudge", "dismiss", ref, "--reason", " ")
    _write(ws, "nudge.done", f"nudge:{ref}", "nudge", "done", ref, "--as-of", "2024-08-01")
    measured = _write(ws, "nudge.measure", "nudge", "nudge", "measure", "--as-of", "2024-08-01")
    assert measured.after == {"measured": 0, "ids": []}
    _refused(ws, "nudge", "accept", ref)
    _refused(ws, "nudge", "dismiss", ref, "--reason", "Too late")  # done: closed

    new = ("initiative", "new", "payments", "Cut review waits", "-c", "process.time_to_market")
    started = _write(ws, "initiative.start", "initiative:*", *new, "--as-of", "2024-07-05")
    assert started.before is None
    assert started.after is not None
    ref = started.after["id"]
    assert started.object == f"initiative:{ref}"
    moved = _write(ws, "initiative.advance", started.object, "initiative", "advance", ref)
    assert moved.before is not None
    assert moved.after is not None
    assert (moved.before["stage"], moved.after["stage"]) == ("empathize", "define")
    _refused(ws, "initiative", "advance", ref, "--to", "test")
    _refused(ws, *new)  # the same title twice

    target = ("scorecard", "target", "process.time_to_market", "20")
    made = _write(
        ws,
        "scorecard.target",
        "criterion_target:process.time_to_market/payments",
        *target,
        "--team",
        "payments",
    )
    assert made.before is None
    assert made.after is not None
    assert made.after["target"] == 20.0
    _refused(ws, *target)  # neither --team nor --organisation
    kept = _write(ws, "scorecard.keep", "metric_snapshot", "scorecard", *q2)
    assert kept.after is not None
    assert kept.after["snapshots"] > 0
    grid = _write(ws, "scorecard.refresh", "metric_snapshot", "scorecard", "maturity", *q2)
    assert grid.after is not None
    assert grid.after["readings"] > 0


def test_a_dismissal(with_teams: Workspace) -> None:
    ws = with_teams
    items(ws.store, item("w1", "payments", 0, [], type="story", released_at=at(40), owner_id="p"))
    offered = _write(ws, "nudge.offer", "nudge", "nudge", "offer", "--period", "2024-Q2")
    assert offered.after is not None
    [ref] = offered.after["ids"]
    dismissed = _write(
        ws, "nudge.dismiss", f"nudge:{ref}", "nudge", "dismiss", ref, "--reason", "Not now"
    )
    assert dismissed.after is not None
    assert (dismissed.after["status"], dismissed.after["reason"]) == ("dismissed", "Not now")


def test_check_runs_and_reports(with_teams: Workspace, tmp_path: Path) -> None:
    ws = with_teams
    land(ws.store, "account", [{"id": "a1", "segment": "mid"}, {"id": "a2", "segment": "smb"}])
    (ws.root / "checks").mkdir()
    (ws.root / "checks" / "mine.yml").write_text(CHECKS, encoding="utf-8")
    ran = _write(ws, "check.run", "check_result", "check", "--only", "segment_known")
    assert ran.after is not None
    assert (ran.after["checks"], ran.after["status"], ran.after["incidents"]) == (
        1,
        {"warn": 1},
        {"opened": 1},
    )
    _refused(ws, "check", "--only", "nope")
    report = ("report", "--out", str(tmp_path / "r"), "--periods", "1", "-f", "md")
    wrote = _write(ws, "report.write", "report", *report)
    assert wrote.after is not None
    assert wrote.after["files"] == ["report.md"]
    assert wrote.after["snapshots"] > 0  # none kept yet: computed first, in the same row
    _refused(ws, "report", "--format", "docx")


def test_syncs_from_the_command_line(workspace: Workspace) -> None:
    """A sync replaying files and a re-mapping each leave one `sync.start` row; a source not
    connected, or unknown, is refused with none."""
    ws = workspace
    issues = str(JIRA_DIR / "issues.jsonl")
    result = runner.invoke(app, ["-w", str(ws.root), "connect", "jira", "--default-team", "ee"])
    assert result.exit_code == 0, result.output
    replayed = _write(ws, "sync.start", "sync_state:jira", "sync", "jira", "--from-file", issues)
    assert replayed.after is not None
    assert (replayed.after["source"], replayed.after["how"]) == ("jira", "files")
    assert replayed.after["run"].startswith("jira-")
    remapped = _write(ws, "sync.start", "sync_state:jira", "sync", "jira", "--replay")
    assert remapped.after is not None
    assert remapped.after["how"] == "replay"
    assert remapped.after["run"] != replayed.after["run"]
    assert "linear is not connected" in _refused(ws, "sync", "linear")
    assert "unknown source 'jora'" in _refused(ws, "sync", "jora")
