"""`/api/v1/openapi.json` describes every route with its response schema and its errors: a
read's a page of items, a write's the object written (or a list of them)."""

from __future__ import annotations

from fastapi import FastAPI

from tests.web.conftest import get


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
            if method == "get":
                assert set(schemas[name]["properties"]) == {"items", "total", "next_cursor"}
                item = schemas[name]["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]
                assert schemas[item]["properties"], (path, item)
            else:
                assert schemas[name]["properties"], (path, name)
            for status in ("400", "401", "403", "404", "409", "422", "500"):
                error = operation["responses"][status]["content"]["application/json"]["schema"]
                assert error["$ref"].endswith("/ErrorBody"), (method, path, status)
            if path.endswith("/answers"):  # a survey answer needs no account
                assert "security" not in operation, path
            else:
                assert operation["security"] == [{"HTTPBearer": []}], path
