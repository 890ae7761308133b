"""Lists come in pages: a total, and a cursor that walks the whole list exactly once."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.web.conftest import Site, get


def test_the_cursor_walks_every_item_once_and_the_total_is_the_whole_list(
    app: FastAPI, served: Site
) -> None:
    token = served.tokens["admin"]
    whole = get(app, "/api/v1/metrics", token, limit=1000).json()
    assert whole["next_cursor"] is None
    assert whole["total"] == len(whole["items"]) > 5
    walked: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        page = get(app, "/api/v1/metrics", token, limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == whole["total"]
        assert len(body["items"]) <= 2
        walked += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == whole["items"]
    assert pages == (whole["total"] + 1) // 2


def test_a_page_past_the_end_is_empty_with_the_total(app: FastAPI, served: Site) -> None:
    first = get(app, "/api/v1/teams", served.tokens["viewer"], limit=2).json()
    assert [t["id"] for t in first["items"]] == ["growth", "payments"]
    assert first["total"] == 3
    last = get(app, "/api/v1/teams", served.tokens["viewer"], cursor=first["next_cursor"]).json()
    assert last == {
        "items": [{"id": "product", "name": "Product", "parent_id": None, "focus_pillar": None}],
        "total": 3,
        "next_cursor": None,
    }
