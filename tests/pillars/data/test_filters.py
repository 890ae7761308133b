"""`--where` filters: parsed into values, checked against the declared dimensions."""

from __future__ import annotations

import pytest

from productops.errors import UsageError
from productops.pillars.data import Filter, parse_filter

DIMS = {"team": "categorical", "segment": "categorical", "plan": "categorical", "arr": "numeric"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("team = payments", Filter("team", "=", ("payments",))),
        ("team == payments", Filter("team", "=", ("payments",))),
        ("plan != free", Filter("plan", "!=", ("free",))),
        ("plan <> free", Filter("plan", "!=", ("free",))),
        ("segment in (smb, enterprise)", Filter("segment", "in", ("smb", "enterprise"))),
        ("segment not in (smb)", Filter("segment", "not in", ("smb",))),
        ("segment = 'mid market'", Filter("segment", "=", ("mid market",))),
        ('team = "it\'s; DROP TABLE team"', Filter("team", "=", ("it's; DROP TABLE team",))),
        ("arr >= 1000", Filter("arr", ">=", (1000.0,))),
        ("arr<2.5e3", Filter("arr", "<", (2500.0,))),
        ("arr in (1, 2)", Filter("arr", "in", (1.0, 2.0))),
    ],
)
def test_filters_parse_into_values(text: str, expected: Filter) -> None:
    assert parse_filter(text, DIMS) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("colour = red", "unknown dimension 'colour'"),
        ("team", "expected DIMENSION OP VALUE"),
        ("team = ", "expected DIMENSION OP VALUE"),
        ("team = a b", "expected DIMENSION OP VALUE"),
        ("team > payments", "needs a numeric dimension"),
        ("arr = lots", "not a number"),
        ("arr = '5'", "give a number"),
        ("segment in smb", "in (V1, V2, ...)"),
        ("segment in (smb enterprise)", "separate values with commas"),
        ("segment in ()", "in (V1, V2, ...)"),
        ("team = payments; drop", "expected DIMENSION OP VALUE"),
        ("team = (payments)", "expected DIMENSION OP VALUE"),
    ],
)
def test_bad_filters_name_the_filter_and_the_dimensions(text: str, reason: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_filter(text, DIMS)
    message = str(caught.value)
    assert f"--where {text!r}" in message
    assert reason in message
    assert "arr, plan, segment, team" in message
