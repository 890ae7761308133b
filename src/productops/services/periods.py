"""Which periods a per-period read is asked for: one value every such service takes, built by
the command line from `--grain`, `--team`, `--since` and `--until` and by the API from the
query parameters of the same names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from productops.durations import Grain

__all__ = ["Periods"]


@dataclass(frozen=True)
class Periods:
    """Periods of `grain` starting on or after `since` and before `until` (UTC; None:
    unbounded), of `team` (its id; None: every team).

    >>> Periods("month", team="payments")
    Periods(grain='month', team='payments', since=None, until=None)
    """

    grain: Grain
    team: str | None = None
    since: datetime | None = None
    until: datetime | None = None
