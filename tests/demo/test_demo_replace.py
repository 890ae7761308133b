"""`productops demo --replace` killed part-way (real SIGKILL) leaves the old workspace as it
was, and the next run cleans up the hidden build folders killed runs left (only theirs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.workspace import Workspace

runner = CliRunner()

# The child runs the real command and kills itself at a chosen point: after building, while
# the analyses run ("analyse"), or once the old workspace is renamed aside ("swap").
CHILD = textwrap.dedent("""
    import os, pathlib, signal, sys
    from productops.cli import app
    from productops.commands import demo

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if sys.argv[1] == "analyse":
        demo.analyse = lambda *args, **kwargs: die()
    else:
        rename = pathlib.Path.rename
        def rename_then_die(self, target):
            moved = rename(self, target)
            if str(target).endswith(demo.ASIDE):
                die()
            return moved
        pathlib.Path.rename = rename_then_die
    app(["demo", sys.argv[2], "--replace", "--seed", "8", "--fallback"], prog_name="productops")
""")


def _demo(target: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["demo", str(target), "--fallback", *args])
    assert result.exit_code == code, result.output
    return result.output


def _state(target: Path) -> tuple[int, list[tuple[str, int]]]:
    """The demo's seed and its tables' row counts."""
    seed = json.loads((target / "demo-manifest.json").read_text(encoding="utf-8"))["seed"]
    ws = Workspace.open(target)
    try:
        counts = ws.store.sql(
            "SELECT 'work_item', count(*) FROM work_item UNION ALL "
            "SELECT 'feedback', count(*) FROM feedback ORDER BY 1"
        )
    finally:
        ws.close()
    return seed, [(str(t), int(n)) for t, n in counts]


def _kill_child(point: str, target: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(target)], check=False, env=env, capture_output=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()


def _gone() -> int:
    """The id of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """A demo workspace built with seed 7."""
    target = tmp_path / "demo-org"
    _demo(target)
    return target


def test_killed_while_analysing_the_new_demo_the_old_one_is_intact(old: Path) -> None:
    before = _state(old)
    _kill_child("analyse", old)
    assert _state(old) == before
    assert len(_hidden(old.parent)) == 1  # the killed run's build folder
    running = f".demo-org-{os.getpid()}-efgh5678"  # a build of a live process: this test's
    other = f".other-{_gone()}-abcd1234"  # another target's
    for name in (running, other):
        (old.parent / name).mkdir()
    _demo(old, "--replace", "--seed", "8")
    assert _state(old)[0] == 8
    assert _hidden(old.parent) == sorted([running, other])  # only the killed run's is gone


def test_killed_between_the_renames_the_next_run_restores_the_old_one(old: Path) -> None:
    before = _state(old)
    _kill_child("swap", old)
    assert not old.exists()
    assert len(_hidden(old.parent)) == 2  # the new build and the old workspace set aside
    out = _demo(old, code=1)  # without --replace: the old demo is back, and kept
    assert "--replace" in out
    assert _state(old) == before
    assert _hidden(old.parent) == []
