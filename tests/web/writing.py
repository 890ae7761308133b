"""Writes through the API: a served workspace with something of team payments to write on
(decisions, a survey, feedback and its link, nudges, an initiative, an experiment, a connected
file source), one example request per write route, and a fresh copy of the workspace for each
write to land on."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from productops.config import GitHubSettings, TransitionsCsvSettings
from productops.experiments.registry import parse_arm, parse_metric
from productops.registry.experiments import register, start, stop
from productops.registry.outbox import Queued, enqueue, mark
from productops.services.audit import AuditEvent, events
from productops.services.decisions import decide, log_decision
from productops.services.initiatives import start_initiative
from productops.services.surveys import open_survey
from productops.web.app import create_app
from productops.workspace import Workspace
from tests.connectors.fixtures import configure
from tests.connectors.server import FixtureServer
from tests.connectors.ticket_sites import TrackerSite
from tests.pillars.builders import at, item, items, land
from tests.web.conftest import ME, Site, build

DECIDED = "productops:decision-add-a-qa-step"  # decided, expects items_done up
PROPOSED = "productops:decision-retry-uploads"
SURVEY = "productops:survey-payments-pulse"
CRITERION = "process.time_to_market"
OFFERED, ACCEPTED = "nudge-offered", "nudge-accepted"
INITIATIVE = "productops:initiative-payments-faster-reviews"
EXPERIMENT = "productops:exp-bigger-upload-button"
DEAD = "dead-message-1"  # an outbox message that failed for good

# (method, route) -> (path, body): a write the member of team payments may make.
EXAMPLES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("POST", "/api/v1/decisions"): (
        "/api/v1/decisions",
        {"team_id": "payments", "title": "Ship dark mode", "options": ["yes", "no"]},
    ),
    ("POST", "/api/v1/decisions/{decision}/decide"): (
        f"/api/v1/decisions/{PROPOSED}/decide",
        {"choice": "retry", "rationale": "fewer tickets", "at": "2024-04-09T10:00:00Z"},
    ),
    ("POST", "/api/v1/decisions/{decision}/evidence"): (
        f"/api/v1/decisions/{PROPOSED}/evidence",
        {"record": {"kind": "insight", "id": "i1"}},
    ),
    ("POST", "/api/v1/decisions/{decision}/review"): (
        f"/api/v1/decisions/{DECIDED}/review",
        {"at": "2024-04-22T00:00:00Z"},
    ),
    ("POST", "/api/v1/decisions/{decision}/supersede"): (
        f"/api/v1/decisions/{DECIDED}/supersede",
        {"by": "retry-uploads"},
    ),
    ("PUT", "/api/v1/feedback/{feedback}/links/{item}"): (
        "/api/v1/feedback/fb-1/links/PAY-1",
        {"state": "confirmed", "importance": 2},
    ),
    ("POST", "/api/v1/themes/{theme}/rename"): (
        "/api/v1/themes/theme-1/rename",
        {"label": "upload failures"},
    ),
    ("POST", "/api/v1/themes/{theme}/merge"): ("/api/v1/themes/theme-2/merge", {"into": "theme-1"}),
    ("POST", "/api/v1/themes/{theme}/split"): (
        "/api/v1/themes/theme-1/split",
        {"parts": 2, "fallback": True},
    ),
    ("POST", "/api/v1/nudges/{nudge}/accept"): (f"/api/v1/nudges/{OFFERED}/accept", {}),
    ("POST", "/api/v1/nudges/{nudge}/dismiss"): (
        f"/api/v1/nudges/{OFFERED}/dismiss",
        {"reason": "not this quarter"},
    ),
    ("POST", "/api/v1/nudges/{nudge}/done"): (
        f"/api/v1/nudges/{ACCEPTED}/done",
        {"outcome": "reviews within a day"},
    ),
    ("POST", "/api/v1/initiatives"): (
        "/api/v1/initiatives",
        {"team_id": "payments", "title": "Smaller batches", "criterion": CRITERION},
    ),
    ("POST", "/api/v1/initiatives/{initiative}/advance"): (
        f"/api/v1/initiatives/{INITIATIVE}/advance",
        {"to": "define"},
    ),
    ("POST", "/api/v1/surveys/{survey}/answers"): (
        f"/api/v1/surveys/{SURVEY}/answers",
        {"answers": {"speed": "green", "fun": 2}, "respondent": "my-private-token-7f3a"},
    ),
    ("PUT", "/api/v1/teams/{team}/targets/{criterion}"): (
        f"/api/v1/teams/payments/targets/{CRITERION}",
        {"value": 12.5},
    ),
    ("PUT", "/api/v1/targets/{criterion}"): (f"/api/v1/targets/{CRITERION}", {"value": 14.0}),
    ("POST", "/api/v1/checks/run"): ("/api/v1/checks/run", {}),
    ("POST", "/api/v1/syncs"): ("/api/v1/syncs", {"source": "transitions-csv"}),
    ("PUT", "/api/v1/notify/mutes/{user}"): ("/api/v1/notify/mutes/ben", {"kind": "digest"}),
    ("POST", "/api/v1/notify/outbox/{message}/requeue"): (
        f"/api/v1/notify/outbox/{DEAD}/requeue",
        {},
    ),
    ("POST", "/api/v1/themes/{theme}/ticket"): ("/api/v1/themes/theme-1/ticket", {"to": "github"}),
}
# The status changes the workspace's transitions-csv source reads (beside the workspace).
MOVES = (
    "item,changed_at,from_status,to_status\n"
    "PAY-9,2024-04-01T09:00:00Z,Backlog,Doing\n"
    "PAY-9,2024-04-03T09:00:00Z,Doing,Done\n"
)
# A GitHub on 127.0.0.1 for the ticket write, serving every test of the session that seeds.
_TRACKER: list[FixtureServer] = []


def tracker_url() -> str:
    """The URL of the session's GitHub issues site (started by the first caller)."""
    if not _TRACKER:
        server = FixtureServer(TrackerSite("github", "acme/app", anonymous=True))
        _TRACKER.append(server.__enter__())
    return _TRACKER[0].url


def seed(root: Path) -> Site:
    """The workspace of `conftest.build`, with team payments' objects to write on."""
    site = build(root)
    moves = root.parent / "moves.csv"
    moves.write_text(MOVES, encoding="utf-8")
    ws = Workspace.open(root)
    try:
        configure(
            ws, transitions_csv=TransitionsCsvSettings(path=str(moves), default_team="payments")
        )
        land(ws.store, "person", [{"id": "ana", "team_id": "payments", "role": "pm"}])
        land(ws.store, "insight", [{"id": "i1", "team_id": "payments", "title": "QA helps"}])
        done = [
            item(
                f"w{i}", "payments", d - 1, [(d - 0.5, "Doing", "in_progress"), (d, "Done", "done")]
            )
            for i, d in enumerate((1, 2, 8, 9, 10, 15, 16, 17, 18))
        ]
        items(ws.store, *done)
        texts = ["upload crashes on big files", "upload fails on wifi", "crash when uploading"]
        texts += ["app crashes at upload", "large upload never ends", "upload stalls at 99%"]
        land(
            ws.store,
            "feedback",
            [
                {"id": f"fb-{i}", "channel": "email", "text": t, "created_at": at(i)}
                for i, t in enumerate(texts, 1)
            ],
        )
        land(
            ws.store,
            "feedback_theme",
            [{"feedback_id": f"fb-{i}", "theme_id": "theme-1", "score": 0.9} for i in range(1, 7)],
        )
        land(
            ws.store,
            "feedback_link",
            [
                {
                    "feedback_id": "fb-1",
                    "work_item_id": "PAY-1",
                    "state": "suggested",
                    "importance": 1,
                }
            ],
        )
        land(
            ws.store,
            "nudge",
            [
                {"id": OFFERED, "team_id": "payments", "rule": "decisions_without_evidence",
                 "status": "offered", "criterion": "data.decisions_informed", "offered_at": at(0)},
                {"id": ACCEPTED, "team_id": "payments", "rule": "decisions_without_evidence",
                 "status": "accepted", "criterion": "data.decisions_informed", "offered_at": at(0)},
            ],
        )  # fmt: skip
        log_decision(
            ws, ME, team_id="payments", title="Add a QA step", context=None,
            options=["add QA", "do nothing"], deciders=["ana"], expect=("items_done", "up"),
            expected_by=None, review_at=None, at=at(0),
        )  # fmt: skip
        decide(ws, ME, DECIDED, "add QA", None, at(7.1))
        log_decision(
            ws, ME, team_id="payments", title="Retry uploads", context=None,
            options=["retry", "drop"], deciders=[], expect=None, expected_by=None,
            review_at=None, at=at(1),
        )  # fmt: skip
        open_survey(ws, ME, team_id="payments", kind="health_check", title="Pulse", at=at(0))
        start_initiative(ws, ME, "payments", "Faster reviews", CRITERION, at(20))
        github = GitHubSettings(api_url=tracker_url(), repos=["acme/app"], token_env=None)
        configure(ws, github=github)
        register(
            ws.store, team_id="payments", name="Bigger upload button", hypothesis="more uploads",
            owner_id=None, metrics=[parse_metric("conversion_rate")],
            arms=[parse_arm("control:0.5"), parse_arm("treatment:0.5")], at=at(2),
        )  # fmt: skip
        start(ws.store, EXPERIMENT, at(3))
        stop(ws.store, EXPERIMENT, at(4))
        enqueue(
            ws.store, [Queued("k-dead", "team-slack", None, "org", "spike", "Spike", "{}")], at(5)
        )
        ws.store.sql("UPDATE outbox SET id = ? WHERE idempotency_key = 'k-dead'", [DEAD])
        mark(ws.store, DEAD, "dead", at(6), error="answered 404")
    finally:
        ws.close()
    return site


@contextmanager
def fresh(site: Site, tmp_path: Path, name: str) -> Iterator[FastAPI]:
    """An app serving a copy of `site`'s workspace, for writes that must not meet each other."""
    root = tmp_path / name
    shutil.copytree(site.root, root)
    app = create_app(root)
    yield app


def send(
    app: FastAPI,
    method: str,
    path: str,
    token: str | None,
    body: dict[str, Any] | None,
    request_id: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request with a JSON body to `app` in-process (no token nor `headers`: anonymous)."""
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if request_id is not None:
        headers["X-Request-Id"] = request_id

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, json=body, headers=headers)

    return asyncio.run(run())


def trail(app: FastAPI) -> list[AuditEvent]:
    """The audit trail of the workspace `app` serves (it opens the store per request only)."""
    ws = Workspace.open(app.state.served.root)
    try:
        return events(ws)
    finally:
        ws.close()
