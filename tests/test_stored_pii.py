"""An attacker with the workspace's store looks for the people in what was imported.

Feedback files (generic and app-store), an accounts export and a Zendesk
replay are imported with personal data planted in every column, mapped or
not; then every column of every table of the DuckDB store, `raw_record`
payloads included, is searched for each planted value. None may be there.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

from productops.config import ZendeskSettings
from productops.sync import sync_source
from productops.workspace import Workspace
from tests.connectors.fixtures import configure
from tests.connectors.test_zendesk import EXPORT
from tests.test_cli import run

EMAIL = "janet.doerrington@acme.io"
IDN_EMAIL = "jörg.müller@beispiel.de"
NAME = "Janet Doerrington"
STREET = "12 Doerrington Lane"
PHONE = "+49 30 7654321"
IBAN = "DE89 3704 0044 0532 0130 00"
CARD = "4111 1111 1111 1111"
IP = "203.0.113.77"
NICKNAME = "JanetD1984"
USER_ID = "u-98765-janet"
PLANTED = (EMAIL, IDN_EMAIL, NAME, STREET, PHONE, IBAN, CARD, IP, NICKNAME, USER_ID)
# The same values as they might be searched for: digits only, no separators.
COMPACT = ("307654321", "de89370400440532013000", "4111111111111111")
TEXT = f"I am {EMAIL}, {IDN_EMAIL}; call {PHONE}; IBAN {IBAN}; card {CARD}; from {IP}"


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _extras() -> dict[str, str]:
    """Columns no importer maps: a contact's name, address, bank and card details."""
    return {
        "Contact Name": NAME,
        "Street": STREET,
        "IBAN": IBAN,
        "Card number": CARD,
        "Last IP": IP,
    }


def _import_everything(ws: Path, tmp: Path) -> None:
    accounts = _csv(
        tmp / "accounts.csv",
        [
            {
                "id": "acc-1",
                "name": f"Acme GmbH ({EMAIL}, {PHONE})",
                "domain": "acme.io",
                "segment": "enterprise",
                "arr": "45000",
                "plan": f"Pro, IBAN {IBAN}",
                "created_at": "2023-01-01",
                **_extras(),
            }
        ],
    )
    run("-w", str(ws), "accounts", "import", str(accounts))
    generic = _csv(
        tmp / "feedback.csv",
        [
            {
                "id": f"fb-{EMAIL}",
                "channel": "email",
                "title": f"From {EMAIL}",
                "text": TEXT,
                "created_at": "2024-05-01T10:00:00Z",
                "rating": "4",
                "email": EMAIL,
                "user_id": USER_ID,
                "account_id": "acc-1",
                "language": "en",
                "url": f"https://support.acme.io/requests?from={EMAIL}",
                **_extras(),
            },
            {  # a bad row: quarantined with what it holds
                "id": "fb-2",
                "channel": "email",
                "title": "",
                "text": TEXT,
                "created_at": "not a date",
                "rating": f"five, ask {EMAIL}",
                "email": IDN_EMAIL,
                "user_id": USER_ID,
                "account_id": "acc-1",
                "language": "en",
                "url": "",
                **_extras(),
            },
        ],
    )
    run("-w", str(ws), "feedback", "import", "generic", str(generic))
    reviews = _csv(
        tmp / "reviews.csv",
        [
            {
                "Review ID": "r-1",
                "Rating": "2",
                "Title": f"Mail me: {EMAIL}",
                "Review": TEXT,
                "Nickname": NICKNAME,
                "Date": "2024-05-02",
                "Territory": f"DE, {STREET}",
                **_extras(),
            }
        ],
    )
    run("-w", str(ws), "feedback", "import", "app_store", str(reviews))


def _zendesk_replay(ws: Path, tmp: Path) -> None:
    export = copy.deepcopy(EXPORT)
    user = export["users"][0]
    user |= {"name": NAME, "email": EMAIL, "phone": PHONE, "notes": f"IBAN {IBAN}"}
    export["users"][1] |= {"name": NAME, "email": None, "phone": PHONE}  # no e-mail, still a person
    ticket = export["tickets"][0]
    ticket["description"] = TEXT
    ticket["via"]["source"]["from"] = {"address": EMAIL, "name": NAME}
    objects = [*export["organizations"], *export["users"], *export["tickets"]]
    broken = json.dumps({"id": 9, "requester_id": 1001, "name": NAME, "note": TEXT})[:-1]
    path = tmp / "zendesk.jsonl"
    lines = [*(json.dumps(o) for o in objects), broken]  # the last line is cut short
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace = Workspace.open(ws)
    try:
        configure(workspace, zendesk=ZendeskSettings())
        connectors = workspace.config.connectors
        sync_source(workspace.store, connectors, workspace.root, "zendesk", files=[path])
    finally:
        workspace.close()


def _found(ws: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) for every planted value found anywhere in the store."""
    workspace = Workspace.open(ws)
    try:
        sql = workspace.store.sql
        columns = sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY ALL"
        )
        assert len({t for t, _ in columns}) > 20  # every table, not a chosen few
        found = []
        for table, column in columns:
            text = f'lower(CAST("{column}" AS VARCHAR))'
            bare = f"regexp_replace({text}, '[ .\\-/]', '', 'g')"
            for value in (*PLANTED, *COMPACT):
                where = bare if value in COMPACT else text
                hits = sql(
                    f'SELECT count(*) FROM "{table}" WHERE strpos({where}, ?) > 0', [value.lower()]
                )[0][0]
                if hits:
                    found.append((table, column, value))
        return found
    finally:
        workspace.close()


def test_no_planted_personal_data_is_stored_anywhere(tmp_path: Path, teams_csv: Path) -> None:
    ws = tmp_path / "ws"
    run("init", str(ws))
    run("-w", str(ws), "import", "team", str(teams_csv))
    _import_everything(ws, tmp_path)
    _zendesk_replay(ws, tmp_path)
    workspace = Workspace.open(ws)
    try:
        counts = workspace.store.sql(
            "SELECT (SELECT count(*) FROM feedback), (SELECT count(*) FROM account), "
            "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM raw_record)"
        )[0]
        hashes = workspace.store.sql("SELECT count(requester_hash) FROM feedback")[0][0]
    finally:
        workspace.close()
    assert counts[0] >= 4  # what was imported landed (or was quarantined)
    assert counts[1] >= 1
    assert counts[2] >= 1
    assert counts[3] >= 4
    assert hashes >= 3  # people are kept as salted hashes
    assert _found(ws) == []


def test_a_column_kept_on_purpose_is_stored_scrubbed(tmp_path: Path, teams_csv: Path) -> None:
    ws = tmp_path / "ws"
    run("init", str(ws))
    row = {"id": "a1", "name": "Acme", "Region": f"EMEA, {PHONE}", **_extras()}
    path = _csv(tmp_path / "accounts.csv", [row])
    run("-w", str(ws), "accounts", "import", str(path), "--keep-column", "region")
    workspace = Workspace.open(ws)
    try:
        (payload,) = workspace.store.sql("SELECT payload FROM raw_record")[0]
    finally:
        workspace.close()
    assert json.loads(payload) == {"id": "a1", "name": "Acme", "Region": "EMEA, [phone]"}
