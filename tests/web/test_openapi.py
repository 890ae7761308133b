"""`/api/v1/openapi.json` describes every route with its response schema and its errors: a
list's a page of items, a read of one thing (named in `ONE`) and a write's the object (or a list
of them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.web.conftest import get

# The reads that answer one object, not a page of a list.
ONE = {
    "/api/v1/status",
    "/api/v1/schema/{table}",
    "/api/v1/flow/forecast",
    "/api/v1/feedback/roadmap",
    "/api/v1/themes/{theme}",
    "/api/v1/metrics/{metric}",
    "/api/v1/decisions/{decision}",
    "/api/v1/experiments/{experiment}/results",
    "/api/v1/initiatives/{initiative}",
    "/api/v1/checks/{check}",
    "/api/v1/syncs/{sync}",
}
# A page's fields beyond its list's (the themes' English-model note, docs/themes.md).
BESIDE = {"/api/v1/themes": {"note"}}


def _item_schemas(item: dict[str, Any]) -> list[str]:
    """The schema names a page's item refers to (one, or each of a union)."""
    refs = [item] if "$ref" in item else item.get("anyOf", [])
    return [r["$ref"].rsplit("/", 1)[-1] for r in refs]


def test_openapi_describes_every_route_with_its_response_schema(app: FastAPI) -> None:
    response = get(app, "/api/v1/openapi.json", None)  # public, like any API description
    assert response.status_code == 200
    document = response.json()
    schemas = document["components"]["schemas"]
    paths = document["paths"]
    assert {"/api/v1/teams", "/api/v1/scorecard", "/api/v1/flow/items"} <= set(paths)
    assert {"/api/v1/themes", "/api/v1/metrics", "/api/v1/audit"} <= set(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            ok = ok.get("items", ok)  # a list of objects written
            name = ok["$ref"].rsplit("/", 1)[-1]
            if method == "get" and path not in ONE:
                page = {"items", "total", "next_cursor"} | BESIDE.get(path, set())
                assert set(schemas[name]["properties"]) == page, path
                item = schemas[name]["properties"]["items"]["items"]
                for each in _item_schemas(item):
                    assert schemas[each]["properties"], (path, each)
                # else a metric query's rows, whose columns are its `by` dimensions
                assert _item_schemas(item) or item["type"] == "object", path
            else:
                assert schemas[name]["properties"], (path, name)
            for status in ("400", "401", "403", "404", "409", "422", "500"):
                error = operation["responses"][status]["content"]["application/json"]["schema"]
                assert error["$ref"].endswith("/ErrorBody"), (method, path, status)
            if path.endswith("/answers"):  # a survey answer needs no account
                assert "security" not in operation, path
            else:
                assert operation["security"] == [{"HTTPBearer": []}], path


def test_docs_name_every_route(app: FastAPI) -> None:
    """docs/server.md's tables name every route (a read beside the command it answers as)."""
    text = (Path(__file__).parents[2] / "docs" / "server.md").read_text(encoding="utf-8")
    missing = [
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if f"`{method.upper()} {path}`" not in text and f"{method.upper()} {path}`" not in text
    ]
    assert not missing, f"add to docs/server.md: {missing}"
