"""Feedback and account files: app-store reviews, survey verbatims, sales notes, CRM exports.

The files in tests/connectors/fixtures_feedback are written by hand with the
column names of the tools that export them (see the README there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import ImportMapping
from productops.connectors import ACCOUNT_FILES, FEEDBACK_FILES
from productops.connectors.feedback_files import ACCOUNT_FORMATS, FEEDBACK_KINDS
from productops.ingest.privacy import person_hash, workspace_salt
from productops.sync import SyncReport, import_rows
from productops.workspace import Workspace
from tests.connectors.feedback_sites import FIXTURES
from tests.connectors.server import utc


def feedback_file(
    ws: Workspace, kind: str, name: str | None = None, mapping: ImportMapping | None = None
) -> SyncReport:
    path = FIXTURES / (name or f"{kind}.csv")
    spec, settings = FEEDBACK_FILES[kind], FEEDBACK_KINDS[kind]
    return import_rows(ws.store, ws.root, spec, settings, path, mapping)


def accounts_file(ws: Workspace, name: str, fmt: str | None = None) -> SyncReport:
    settings = ACCOUNT_FORMATS[fmt] if fmt else None
    return import_rows(ws.store, ws.root, ACCOUNT_FILES, settings, FIXTURES / name)


def counts(report: SyncReport, table: str) -> tuple[int, int, int, int]:
    row = next(r for r in report.rows() if r["table"] == table)
    return row["landed"], row["updated"], row["unchanged"], row["quarantined"]


def rows(ws: Workspace, where: str = "") -> list[tuple[Any, ...]]:
    return ws.store.sql(
        "SELECT id, channel, account_id, language, rating, created_at, text FROM feedback "
        f"{where} ORDER BY id"
    )


def reasons(ws: Workspace, table: str) -> list[tuple[Any, ...]]:
    return ws.store.sql(
        "SELECT line, reason FROM quarantine WHERE table_name = ? ORDER BY line", [table]
    )


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    accounts_file(workspace, "accounts_hubspot.csv")
    return workspace


def test_hubspot_companies(ws: Workspace) -> None:
    assert ws.store.sql(
        "SELECT id, name, domain, segment, arr, plan, created_at, churned_at FROM account "
        "ORDER BY id"
    ) == [
        (
            "acc-1",
            "Acme Logistics",
            "acme.io",
            "enterprise",
            240000.0,
            "enterprise",
            utc("2023-01-15T09:00:00Z"),
            None,
        ),
        (
            "acc-2",
            "Globex",
            "globex.com",  # from https://www.globex.com/
            "mid_market",
            45000.0,
            "growth",
            utc("2023-06-01T10:00:00Z"),
            utc("2024-03-31T00:00:00Z"),
        ),
    ]
    assert reasons(ws, "account") == [(4, 'arr: cannot read "six thousand" as float')]


def test_salesforce_and_canonical_accounts(workspace: Workspace) -> None:
    report = accounts_file(workspace, "accounts_salesforce.csv")
    assert "read as a salesforce export" in report.notes
    assert counts(report, "account") == (2, 0, 0, 0)
    accounts_file(workspace, "accounts.csv", "csv")
    assert workspace.store.sql(
        "SELECT id, domain, segment, arr, plan, created_at, churned_at FROM account ORDER BY id"
    ) == [
        (
            "0015g00000AbCdEAAV",
            "umbrella.example",
            "smb",
            12000.0,
            "starter",
            utc("2024-02-01"),
            None,
        ),
        (
            "0015g00000AbCdFAAV",
            "hooli.example",
            "mid_market",
            98000.5,
            "business",
            utc("2023-03-15"),
            utc("2024-01-31"),
        ),
        ("acc-9", "soylent.example", "smb", 3000.0, "starter", utc("2024-01-01"), None),
    ]


def test_nps_verbatims_with_scores(ws: Workspace) -> None:
    report = feedback_file(ws, "nps")
    assert counts(report, "feedback") == (4, 0, 0, 3)
    assert rows(ws) == [
        (
            "nps:r-1",
            "nps",
            "acc-1",  # matched by the e-mail domain acme.io
            "en",
            9.0,
            utc("2024-02-01"),
            "Great product, the new reports save us hours.",
        ),
        ("nps:r-2", "nps", "acc-2", "en", 3.0, utc("2024-02-02"), "Too slow. Call me: [phone]"),
        ("nps:r-3", "nps", "acc-3", "es", 10.0, utc("2024-02-03"), "Excelente servicio"),
        ("nps:r-5", "nps", "acc-1", "en", 8.0, utc("2024-02-05"), "Fine overall"),
    ]
    assert reasons(ws, "feedback") == [
        (5, 'rating: cannot read "11 (out of range 0-10)" as float'),
        (7, "duplicate key in this file, first at line 6"),
        (8, "missing required value text"),
    ]
    salt = workspace_salt(ws.root)
    (digest,) = ws.store.sql("SELECT requester_hash FROM feedback WHERE id = 'nps:r-1'")[0]
    assert digest == person_hash(salt, f"pseudonym-{person_hash(salt, 'cfo@acme.io')[:24]}@acme.io")
    raw = " ".join(p for (p,) in ws.store.sql("SELECT payload FROM raw_record"))
    assert "cfo@acme.io" not in raw
    assert "0171" not in raw
    again = feedback_file(ws, "nps")
    assert counts(again, "feedback") == (0, 0, 4, 3), "importing again changes nothing"
    assert len(reasons(ws, "feedback")) == 3, "a quarantined row is kept once"


def test_csat_sales_notes_and_generic(ws: Workspace) -> None:
    # 02/10/2024 reads two ways and no other date in the file tells which: say it.
    feedback_file(ws, "csat", mapping=ImportMapping(date_order="mdy"))
    feedback_file(ws, "sales_notes")
    feedback_file(ws, "generic")
    assert rows(ws) == [
        (
            "csat:c-1",
            "csat",
            "acc-1",  # ana@acme.io
            "en",
            5.0,
            utc("2024-02-10T14:05:00Z"),
            "Quick and friendly help",
        ),
        (
            "csat:c-2",
            "csat",
            "acc-2",
            "en",
            2.0,
            utc("2024-02-11T09:30:00Z"),
            "Waited three days for an answer, order #48213",
        ),
        (
            "feedback-csv:g-1",
            "community",
            "acc-1",
            "en",
            None,
            utc("2024-02-14T08:00:00Z"),
            "Forum post: the API docs miss pagination examples.",
        ),
        (
            "feedback-csv:g-2",
            "other",
            None,
            "en",
            4.0,
            utc("2024-02-15T08:00:00Z"),
            "Interview: Onboarding took our team two weeks.",
        ),
        (
            "sales-notes:n-1",
            "sales",
            "acc-2",  # given by the file
            "en",
            None,
            utc("2024-02-12T10:00:00Z"),
            "Renewal call\n\nCustomer asks for SSO with Okta before renewing; budget approved.",
        ),
        (
            "sales-notes:n-2",
            "sales",
            None,
            "en",
            None,
            utc("2024-02-13T16:30:00Z"),
            "Demo\n\nProspect wants an Excel export and a German interface. Reach Jana at "
            "[email] or [phone].",
        ),
    ]


def test_app_store_and_google_play_reviews(ws: Workspace) -> None:
    apple = feedback_file(ws, "app_store")
    assert counts(apple, "feedback") == (3, 0, 0, 1)
    play = feedback_file(ws, "google_play")  # UTF-16, as the Play Console writes it
    assert counts(play, "feedback") == (2, 0, 0, 1)
    assert rows(ws, "WHERE channel = 'review'") == [
        (
            "app-store:00000028-b08c-0014-729e-fbd500000001",
            "review",
            None,
            "en",
            1.0,
            utc("2024-02-03T16:10:34Z"),
            "Crashes on upload\n\nThe app crashes every time I upload a photo. Support at [email] "
            "never answered.",
        ),
        (
            "app-store:00000028-b08c-0014-729e-fbd500000002",
            "review",
            None,
            "de",
            5.0,
            utc("2024-02-04T18:00:00Z"),
            "Super\n\nTolle App! Die Synchronisierung klappt endlich zuverlässig.",
        ),
        (
            "app-store:00000028-b08c-0014-729e-fbd500000003",
            "review",
            None,
            "en",
            3.0,
            utc("2024-02-05T20:30:00Z"),
            "Dark mode please\n\nWould love a dark mode for the editor.",
        ),
        (
            "google-play:gp:AOqpTOF1",
            "review",
            None,
            "es",  # the export's Reviewer Language
            2.0,
            utc("2024-02-06T09:00:00Z"),
            "La aplicación se cierra al subir fotos. Mi teléfono es [phone].",
        ),
        (
            "google-play:gp:AOqpTOF2",
            "review",
            None,
            "fr",
            5.0,
            utc("2024-02-07T11:00:00Z"),
            "Génial\n\nApplication très pratique, merci !",
        ),
    ]
    same = ws.store.sql(
        "SELECT count(DISTINCT requester_hash) FROM feedback WHERE id LIKE 'app-store:%'"
    )
    assert same == [(2,)], "one nickname, one requester"
    assert reasons(ws, "feedback") == [
        (4, 'rating: cannot read "7 (out of range 1-5)" as float'),
        (5, 'created_at: cannot read "not a date" as timestamp'),
    ]


def test_commands(workspace: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--workspace", str(workspace.root)]
    done = runner.invoke(
        app,
        [
            *base,
            "accounts",
            "import",
            str(FIXTURES / "accounts_hubspot.csv"),
            "--export",
            "hubspot",
        ],
    )
    assert done.exit_code == 0, done.output
    done = runner.invoke(
        app, [*base, "feedback", "import", "nps", str(FIXTURES / "nps.csv"), "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    assert {(r["table"], r["landed"], r["quarantined"]) for r in printed} == {
        ("raw_record", 7, 0),
        ("feedback", 4, 3),
    }
    wrong = runner.invoke(app, [*base, "feedback", "import", "tweets", str(FIXTURES / "nps.csv")])
    assert wrong.exit_code == 1
    assert "app_store, google_play" in wrong.output
    wrong = runner.invoke(app, [*base, "accounts", "import", "x.csv", "--export", "zoho"])
    assert wrong.exit_code == 1
    assert "hubspot" in wrong.output
    missing = runner.invoke(app, [*base, "feedback", "import", "csat", str(tmp_path / "no.csv")])
    assert missing.exit_code == 1
    assert "no such file" in missing.output


def test_plain_import_of_feedback_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("id,channel,text,created_at\n1,support,mail me at a@b.io,2024-01-01\n")
    done = CliRunner().invoke(
        app, ["--workspace", str(workspace.root), "import", "feedback", str(path)]
    )
    assert done.exit_code == 1
    assert "productops feedback import generic" in done.output
