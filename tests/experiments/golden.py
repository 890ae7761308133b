"""Matching a result against tests/fixtures/stats_golden.json: the file's own tolerance rule."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "stats_golden.json"


def golden_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    return cases


def _half_unit(expected: float) -> float:
    """Half a unit of the last digit `expected` prints (as JSON wrote it)."""
    exponent = Decimal(repr(expected)).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent


def close(actual: Any, expected: Any, relative: float | None = None) -> bool:
    """Within half a unit of the last printed digit or 1e-4 relative (whichever is looser)."""
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(close(a, e, relative) for a, e in zip(actual, expected, strict=True))
        )
    if not isinstance(actual, int | float) or isinstance(actual, bool):
        return False
    if relative is not None:
        return bool(abs(actual - expected) <= relative * abs(expected))
    return bool(abs(actual - expected) <= max(_half_unit(expected), 1e-4 * abs(expected)))


def mismatches(case: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Each expected field the result misses or gets wrong, as `field: got X, want Y`."""
    expected = dict(case["expected"])
    relative = expected.pop("tolerance_relative", None)
    assert result.get("id") == case["id"]
    return [
        f"{field}: got {result.get(field)!r}, want {want!r}"
        for field, want in expected.items()
        if not close(result.get(field), want, relative)
    ]
