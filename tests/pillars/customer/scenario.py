"""A small hand-made customer history for the demand, trend and insight tests.

Three accounts (a2 enterprise and churned), two themes, nine feedback items (f2 a pasted
repeat of f1), two work items (w1 of team alpha released on day 40), links and insights.
"""

from __future__ import annotations

from typing import Any

from productops.engine import Store
from tests.pillars.builders import at, land, teams


def _fb(id: str, days: float, account: str | None, requester: str, **extra: Any) -> dict[str, Any]:
    row = {
        "id": id,
        "channel": "support",
        "account_id": account,
        "requester_hash": requester,
        "text": f"text of {id}",
        "created_at": at(days),
        "rating": None,
        "sentiment": None,
        "sentiment_label": None,
        "duplicate_of": None,
    }
    return row | extra


def build(store: Store) -> None:
    teams(store, "alpha", "beta")
    land(
        store,
        "account",
        [
            {"id": "a1", "segment": "smb", "arr": 1000.0},
            {"id": "a2", "segment": "enterprise", "arr": 50000.0, "churned_at": at(100)},
            {"id": "a3", "segment": "mid_market", "arr": 5000.0},
        ],
    )
    neg, req = "negative", "request"
    land(
        store,
        "feedback",
        [
            _fb("f1", 0, "a1", "r1", sentiment=-0.5, sentiment_label=neg),
            _fb("f2", 0.01, "a1", "r1", sentiment=-0.5, sentiment_label=neg, duplicate_of="f1"),
            _fb("f3", 3, "a1", "r2", sentiment=0.0, sentiment_label=req),
            _fb("f4", 8, "a2", "r3", sentiment=-0.8, sentiment_label=neg),
            _fb("f5", 9, "a3", "r4", sentiment=0.0, sentiment_label=req),
            _fb("f6", 10, None, "rv1", channel="review", rating=2.0, sentiment=-0.2),
            _fb("f7", 20, "a2", "r3", channel="csat", rating=2.0, sentiment=-0.4),
            _fb("f8", 50, "a2", "r3", channel="nps", rating=9.0, sentiment=0.6),
            _fb("f9", 45, "a1", "r1", channel="csat", rating=5.0, sentiment=0.8),
        ],
    )
    land(store, "theme", [{"id": "th1", "label": "One"}, {"id": "th2", "label": "Two"}])
    land(
        store,
        "feedback_theme",
        [
            {"feedback_id": f, "theme_id": t}
            for f, t in (
                ("f1", "th1"),
                ("f2", "th1"),
                ("f3", "th1"),
                ("f4", "th1"),
                ("f5", "th2"),
                ("f6", "th2"),
            )
        ],
    )
    land(
        store,
        "work_item",
        [
            {
                "id": "w1",
                "team_id": "alpha",
                "type": "story",
                "title": "Fix the upload crash",
                "status": "Done",
                "status_category": "done",
                "created_at": at(5),
                "resolved_at": at(39),
                "released_at": at(40),
            },
            {
                "id": "w2",
                "team_id": "beta",
                "type": "story",
                "title": "Dark mode",
                "status": "To Do",
                "status_category": "todo",
                "created_at": at(6),
            },
        ],
    )
    land(
        store,
        "feedback_link",
        [
            {"feedback_id": f, "work_item_id": w, "importance": i, "state": s}
            for f, w, i, s in (
                ("f1", "w1", 2, "confirmed"),
                ("f2", "w1", 3, "confirmed"),
                ("f3", "w1", 3, "confirmed"),
                ("f4", "w1", 1, "confirmed"),
                ("f5", "w2", 2, "confirmed"),
                ("f6", "w2", 3, "suggested"),
            )
        ],
    )
    land(
        store,
        "insight",
        [
            {
                "id": "i1",
                "team_id": "alpha",
                "title": "Uploads",
                "theme_ids": '["t:th1"]',
                "published_at": at(12),
            },
            {
                "id": "i2",
                "team_id": "beta",
                "title": "Dark",
                "theme_ids": '["t:th2", "t:thX"]',
                "published_at": at(30),
            },
            {"id": "i3", "team_id": "beta", "title": "Draft", "theme_ids": '["t:th1"]'},
        ],
    )
