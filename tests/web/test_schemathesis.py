"""`schemathesis` over `/api/v1/openapi.json`: every operation, with a bounded number of
generated requests, answers without a server error and within its own documented schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from productops.web.app import API, create_app
from tests.web.conftest import Site

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # generated requests per operation and mode
# The app opens its workspace at the first request: its document needs none.
OPERATIONS = [
    (method.upper(), path)
    for path, operations in create_app(Path("unopened")).openapi()["paths"].items()
    for method in operations
]


@pytest.fixture(scope="module")
def schema(served: Site) -> OpenApiSchema:
    """The document of one app for every operation: its remembered reads serve them all."""
    return schemathesis.openapi.from_asgi(f"{API}/openapi.json", create_app(served.root))


@pytest.mark.parametrize("mode", list(GenerationMode))  # valid requests, and invalid ones
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_keeps_to_its_schema(
    served: Site, schema: OpenApiSchema, method: str, path: str, mode: GenerationMode
) -> None:
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {served.tokens['admin']}"}

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()
