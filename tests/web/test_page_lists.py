"""Long lists on the pages show their newest rows (`SURVEYS_SHOWN`, `DECISIONS_SHOWN`) and say
how many there are; their CSV has them all; the surveys list reads its team from the URL."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from productops.services.surveys import list_surveys
from productops.web.app import create_app
from productops.web.pages import data, surveys
from productops.workspace import Workspace
from tests.web.demo_site import PASSWORD, TEAM, USERS, Demo

SHOWN = 2


@pytest.fixture(scope="module")
def client(demo_site: Demo) -> TestClient:
    client = TestClient(create_app(demo_site.root), follow_redirects=False)
    signed = client.post("/signin", data={"name": USERS["admin"], "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    return client


def _csv_rows(client: TestClient, path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(client.get(path).text)))


def test_the_surveys_list_shows_the_newest_and_counts_them_all(
    client: TestClient, demo_site: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(surveys, "SURVEYS_SHOWN", SHOWN)
    ws = Workspace.open(demo_site.root)
    try:
        every = list_surveys(ws)
        ours = list_surveys(ws, TEAM)
    finally:
        ws.close()
    assert len(every) > SHOWN
    newest = sorted(every, key=lambda s: (s.opened_at is not None, s.opened_at), reverse=True)
    html = client.get("/surveys").text
    listed = re.findall(r'<th scope="row"><a href="/surveys/([^"?]+)', html)
    assert listed == [s.id for s in newest[:SHOWN]]
    assert f"{len(every)} surveys, the newest {SHOWN} shown" in html
    assert len(_csv_rows(client, "/surveys?format=csv")) == len(every)
    team = _csv_rows(client, f"/surveys?team={TEAM}&format=csv")
    assert sorted(r["id"] for r in team) == sorted(s.id for s in ours)
    assert {r["team_id"] for r in team} == {TEAM}


def test_the_decision_log_shows_the_newest_and_counts_them_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "DECISIONS_SHOWN", SHOWN)
    every = _csv_rows(client, "/data/decisions?format=csv")  # newest first, all of them
    assert len(every) > SHOWN
    html = client.get("/data/decisions").text
    listed = re.findall(r'<th scope="row"><a href="/data/decisions/([^"?]+)', html)
    assert listed == [r["id"] for r in every[:SHOWN]]
    assert f"{len(every)} decisions, the newest {SHOWN} shown" in html
