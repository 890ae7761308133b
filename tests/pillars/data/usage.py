"""A small product-usage history and reference computations in plain Python.

The references are written independently of the Ibis code: they walk the rows.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from productops.engine import Store
from tests.pillars.builders import land

START = datetime(2024, 4, 1, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
ACCOUNTS: list[dict[str, Any]] = [
    {"id": "a1", "name": "A1", "segment": "smb", "plan": "free", "arr": 100.0},
    {"id": "a2", "name": "A2", "segment": "smb", "plan": "pro", "arr": 2_000.0},
    {"id": "a3", "name": "A3", "segment": "enterprise", "plan": "pro", "arr": 50_000.0},
]
FEATURES = ("export", "alerts", "search")


def history(seed: int = 7, users: int = 24, days: int = 70) -> list[dict[str, Any]]:
    """Users sign up over the period, log in on random later days and use features."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []

    def add(ts: datetime, user: str | None, account: str, name: str, props: dict[str, str]) -> None:
        rows.append(
            {
                "id": f"ev-{len(rows):05d}",
                "ts": ts,
                "user_id": user,
                "account_id": account,
                "name": name,
                "properties": json.dumps(props),
            }
        )

    for u in range(users):
        user, account = f"u{u:02d}", ACCOUNTS[u % 3]["id"]
        signed = START + timedelta(days=rng.randrange(days - 10), hours=rng.randrange(24))
        add(signed, user, account, "sign_up", {"plan": "x"})
        ts = signed
        while True:
            ts += timedelta(days=rng.choice((0.3, 1, 2, 3, 6, 9, 15)), minutes=rng.randrange(60))
            if ts >= START + days * DAY:
                break
            add(ts, user, account, "login", {"platform": rng.choice(("web", "ios"))})
            for _ in range(rng.randrange(3)):
                ts += timedelta(minutes=rng.randrange(1, 90))
                add(ts, user, account, "feature_used", {"feature": rng.choice(FEATURES)})
    add(START + 3 * DAY, None, "a1", "login", {})  # no user: never counted as a user
    return rows


def load(store: Store, rows: list[dict[str, Any]]) -> None:
    land(store, "account", ACCOUNTS)
    land(store, "event", rows)


def day(ts: datetime) -> datetime:
    return ts.replace(hour=0, minute=0, second=0, microsecond=0)


def week(ts: datetime) -> datetime:
    return day(ts) - timedelta(days=ts.weekday())


def month(ts: datetime) -> datetime:
    return day(ts).replace(day=1)


def users_by(rows: list[dict[str, Any]], key: Any) -> dict[datetime, set[str]]:
    out: dict[datetime, set[str]] = defaultdict(set)
    for r in rows:
        if r["user_id"] is not None:
            out[key(r["ts"])].add(r["user_id"])
    return out


def first_signups(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["ts"]):
        if r["name"] == "sign_up" and r["user_id"] not in first:
            first[r["user_id"]] = r
    return first


def feature(r: dict[str, Any]) -> str | None:
    value = json.loads(r["properties"]).get("feature")
    return str(value) if value is not None else None


def rows_of(expr: Any) -> list[dict[str, Any]]:
    """Execute `expr`; timestamps as aware UTC datetimes (backends differ on the zone)."""
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, datetime):
                r[k] = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return rows
