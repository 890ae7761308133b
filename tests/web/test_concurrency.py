"""The shared server under load: a real `productops serve` with 20 concurrent API writers (each
with its own token, of an admin or a member) beside a command-line loop of imports and
decisions, on one workspace, for up to a minute (docs/server.md, "One store, two kinds of
process").

Afterwards every write the API answered 2xx is in the store with exactly one audit row (its
request id), every write answered 503 `busy` left nothing, no request got any other 5xx, and
every command exited 0: none failed because the server held the store. This is the suite's
one long test (marked `slow`; `-m "not slow"` leaves it out).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from productops.ops.scorecard import criteria_in_use
from productops.services.users import add_user, create_token
from productops.workspace import Workspace
from tests.pillars.builders import at, land
from tests.web.conftest import ME
from tests.web.test_one_store import ENV, cli, teams_file
from tests.web.test_serve_process import STARTUP_LIMIT, free_port
from tests.web.writing import seed

pytestmark = pytest.mark.slow

WRITERS = 20
ADMINS = 4  # of the writers; the others are members, half of payments, half of growth
RUN = 60.0  # seconds the writers and the command line keep going (a bound, not a speed)
MOST = 120  # writes per writer at most, whatever the time
COMMANDS = 40  # command-line runs at most, whatever the time
BOUND = 60.0  # seconds: no request may take longer (a loaded machine, not a speed)
POOL = MOST // 6 + 1  # nudges and links each writer may spend (accepts + dismisses, confirms)
RARE = 0.02  # the share of requests that may be told `busy`
LANDED = "t"  # the source `land` qualifies the ids it lands with


@dataclass(frozen=True)
class Writer:
    """One API writer: its token, its team, its criterion, and its own nudges and links."""

    n: int
    token: str
    team: str
    criterion: str

    def nudge(self, k: int) -> str:
        return f"nudge-w{self.n}-{k}"

    def feedback(self, k: int) -> str:
        return f"fb-w{self.n}-{k}"

    @property
    def item(self) -> str:
        return "PAY-1" if self.team == "payments" else "GRO-1"


@dataclass(frozen=True)
class Sent:
    """A write sent: what, to which object, with which request id, and the answer."""

    kind: str
    request_id: str
    status: int
    code: str
    body: Any
    key: str  # the object written: an id, or a (team, criterion) or (feedback, item) pair


def prepare(root: Path) -> list[Writer]:
    """The writers' workspace: `writing.seed`'s, plus a user and token per writer, and offered
    nudges and suggested feedback links of their own to accept, dismiss and confirm."""
    seed(root)
    criteria = [c.id for c in criteria_in_use()]
    writers: list[Writer] = []
    ws = Workspace.open(root)
    try:
        nudges, feedback, links = [], [], []
        for n in range(WRITERS):
            admin = n < ADMINS
            team = "payments" if n % 2 == 0 else "growth"
            name = f"writer{n}"
            add_user(
                ws, ME, name, role="admin" if admin else "member", teams=() if admin else (team,)
            )
            token = create_token(ws, ME, name, scope="write").secret
            writer = Writer(n, token, team, criteria[n % len(criteria)])
            writers.append(writer)
            for k in range(POOL):
                nudges.append(
                    {"id": writer.nudge(k), "team_id": team, "status": "offered",
                     "rule": "decisions_without_evidence", "criterion": "data.decisions_informed",
                     "offered_at": at(0)}
                )  # fmt: skip
                feedback.append(
                    {"id": writer.feedback(k), "channel": "email", "text": f"note {n} {k}",
                     "created_at": at(1)}
                )  # fmt: skip
                links.append(
                    {"feedback_id": writer.feedback(k), "work_item_id": writer.item,
                     "state": "suggested", "importance": 1}
                )  # fmt: skip
        land(ws.store, "nudge", nudges)
        land(ws.store, "feedback", feedback)
        land(ws.store, "feedback_link", links)
    finally:
        ws.close()
    return writers


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str, list[Writer]]]:
    """The workspace, the URL of `productops serve` on it (answering already), the writers."""
    root = tmp_path / "ws"
    writers = prepare(root)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1"
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "productops", "-w", str(root), "serve", "--port", str(port)]
    with (
        log.open("wb") as out,
        subprocess.Popen(command, env=ENV, stdout=out, stderr=out) as process,
    ):
        try:
            deadline = time.monotonic() + STARTUP_LIMIT
            while True:
                assert process.poll() is None, log.read_text(encoding="utf-8")
                try:
                    httpx.get(f"{url}/openapi.json", timeout=BOUND)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "productops serve did not answer"
                    time.sleep(0.2)
            yield root, url, writers
        finally:
            process.terminate()
            process.wait(timeout=30)
        assert process.returncode in (0, -15), log.read_text(encoding="utf-8")


def plan(
    writer: Writer, seq: int, decisions: list[str]
) -> tuple[str, str, str, dict[str, Any], str]:
    """The writer's `seq`-th write: (kind, method, path, body, the object's key)."""
    k, step = divmod(seq, 7)
    me = f"w{writer.n}-{seq}"
    if step == 0 or (step == 1 and not decisions):
        title = f"Load decision {me}"
        body: dict[str, Any] = {"team_id": writer.team, "title": title, "options": ["yes", "no"]}
        return "decision", "POST", "/decisions", body, title
    if step == 1:
        body = {"record": {"kind": "insight", "id": "i1"}}
        return "evidence", "POST", f"/decisions/{decisions[-1]}/evidence", body, decisions[-1]
    if step == 2:
        nudge = writer.nudge(2 * k)
        return "accept", "POST", f"/nudges/{nudge}/accept", {}, f"{LANDED}:{nudge}"
    if step == 3:
        nudge = writer.nudge(2 * k + 1)
        return (
            "dismiss",
            "POST",
            f"/nudges/{nudge}/dismiss",
            {"reason": "later"},
            f"{LANDED}:{nudge}",
        )
    if step == 4:
        path = f"/feedback/{writer.feedback(k)}/links/{writer.item}"
        body = {"state": "confirmed", "importance": 2}
        return "link", "PUT", path, body, f"{LANDED}:{writer.feedback(k)}"
    if step == 5:
        path = f"/teams/{writer.team}/targets/{writer.criterion}"
        return "target", "PUT", path, {"value": float(seq)}, f"{writer.team}/{writer.criterion}"
    title = f"Load initiative {me}"
    body = {"team_id": writer.team, "title": title, "criterion": writer.criterion}
    return "initiative", "POST", "/initiatives", body, title


def write(url: str, writer: Writer, end: float, sent: list[Sent]) -> None:
    """Send the writer's writes one after another until `end` or `MOST` of them."""
    decisions: list[str] = []
    headers = {"Authorization": f"Bearer {writer.token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=BOUND) as client:
        for seq in range(MOST):
            if time.monotonic() > end:
                break
            kind, method, path, body, key = plan(writer, seq, decisions)
            request_id = f"load-w{writer.n}-{seq}"
            response = client.request(method, path, json=body, headers={"X-Request-Id": request_id})
            answer = response.json()
            code = answer["error"]["code"] if response.status_code >= 400 else ""
            if kind == "decision" and response.is_success:
                decisions.append(answer["id"])
            sent.append(Sent(kind, request_id, response.status_code, code, answer, key))


def run_commands(
    root: Path, folder: Path, end: float
) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """Imports of a new team and new decisions from the command line, one after another, until
    `end` or `COMMANDS` of them."""
    runs = []
    for n in range(COMMANDS):
        if time.monotonic() > end:
            break
        if n % 2 == 0:
            key = f"cli-team-{n}"
            done = cli(root, "import", "team", str(teams_file(folder, key)))
        else:
            key = f"CLI decision {n}"
            done = cli(root, "decision", "new", key, "--team", "payments", "-f", "json")
        runs.append((key, done))
    return runs


def test_twenty_api_writers_and_the_command_line_lose_nothing(
    served: tuple[Path, str, list[Writer]], tmp_path: Path
) -> None:
    root, url, writers = served
    sent: list[Sent] = []  # list.append is atomic: the threads share it
    end = time.monotonic() + RUN
    threads = [threading.Thread(target=write, args=(url, w, end, sent)) for w in writers]
    for thread in threads:
        thread.start()
    try:
        runs = run_commands(root, tmp_path, end)
    finally:
        for thread in threads:
            thread.join(timeout=RUN + 2 * BOUND)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"

    failed = [(key, done.stderr) for key, done in runs if done.returncode != 0]
    assert not failed, failed  # no command failed, least of all because the server held the store
    statuses = Counter((s.status, s.code) for s in sent)
    accepted = [s for s in sent if 200 <= s.status < 300]
    busy = [s for s in sent if (s.status, s.code) == (503, "busy")]
    assert set(statuses) - {(200, ""), (503, "busy")} == set(), statuses
    assert len(busy) <= RARE * len(sent), statuses
    assert len(accepted) >= WRITERS * 7, statuses  # every writer got through its cycle at least
    print(f"\n{len(sent)} API writes ({dict(statuses)}), {len(runs)} commands")

    check_store(root, accepted, busy, runs)


def check_store(
    root: Path,
    accepted: list[Sent],
    busy: list[Sent],
    runs: list[tuple[str, subprocess.CompletedProcess[str]]],
) -> None:
    """Every accepted write in the store with one audit row; nothing of a refused one."""
    ws = Workspace.open(root, read_only=True)
    try:
        audited = Counter(
            row[0]
            for row in ws.store.sql(
                "SELECT request_id FROM audit_event WHERE request_id LIKE 'load-%'"
            )
        )
        assert {s.request_id: audited[s.request_id] for s in accepted} == {
            s.request_id: 1 for s in accepted
        }
        assert not [s.request_id for s in busy if audited[s.request_id]]
        assert set(audited) == {s.request_id for s in accepted}

        def column(sql: str) -> dict[str, Any]:
            return {row[0]: row[1] for row in ws.store.sql(sql)}

        titles = column("SELECT title, id FROM decision")
        evidence = set(column("SELECT id, decision_id FROM decision_evidence"))
        nudges = column("SELECT id, status FROM nudge")
        links = column("SELECT feedback_id, state FROM feedback_link")
        initiatives = column("SELECT title, id FROM initiative")
        targets = column("SELECT team_id || '/' || criterion, target FROM criterion_target")
        last_target: dict[str, float] = {}
        for s in accepted:
            if s.kind == "decision":
                assert titles.get(s.key) == s.body["id"], s
            elif s.kind == "evidence":
                assert s.body["id"] in evidence, s
            elif s.kind in ("accept", "dismiss"):
                assert nudges[s.key] == {"accept": "accepted", "dismiss": "dismissed"}[s.kind], s
            elif s.kind == "link":
                assert links[s.key] == "confirmed", s
            elif s.kind == "initiative":
                assert initiatives.get(s.key) == s.body["initiative"]["id"], s
            else:
                last_target[s.key] = s.body["value"]
        assert {k: targets.get(k) for k in last_target} == last_target
        for s in busy:  # a turn that could not start wrote nothing
            if s.kind in ("accept", "dismiss"):
                assert nudges[s.key] == "offered", s
            elif s.kind == "link":
                assert links[s.key] == "suggested", s
            elif s.kind in ("decision", "initiative"):
                assert s.key not in titles, s
                assert s.key not in initiatives, s

        teams = set(column("SELECT id, name FROM team"))
        cli_actions = Counter(
            json.loads(row[0])["title"]
            for row in ws.store.sql(
                "SELECT after FROM audit_event WHERE action = 'decision.new' AND actor LIKE 'cli:%'"
            )
        )
        for key, _ in runs:
            if key.startswith("cli-team-"):
                assert key in teams, key
            else:
                assert key in titles, key
                assert cli_actions[key] == 1, key
    finally:
        ws.close()
