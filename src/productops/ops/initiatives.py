"""Improvement initiatives: the design-thinking cycle, in order, with a frozen baseline.

An initiative names the success criterion it should move. Its baseline is the team's value of
that criterion in the latest complete period when it starts (frozen, with `baseline_period`);
the after-value is measured the same way when it reaches `implement`.
"""

from __future__ import annotations

from productops.errors import ConflictError, UsageError
from productops.ops.criteria import CRITERIA
from productops.schema import TABLES

__all__ = ["CYCLE", "check_criterion", "next_stage"]

CYCLE: tuple[str, ...] = TABLES["initiative"].column("stage").choices or ()
"""empathize, define, ideate, prototype, test, implement."""


def next_stage(stage: str | None, to: str | None = None) -> str:
    """The stage after `stage`; `to`, when given, must be that stage (no skipping, no going back)."""
    if stage not in CYCLE:
        raise UsageError(f"stage {stage!r} is not one of {', '.join(CYCLE)}")
    i = CYCLE.index(stage)
    if i == len(CYCLE) - 1:
        raise ConflictError("the initiative is at implement already: the cycle is complete")
    following = CYCLE[i + 1]
    if to is not None and to != following:
        raise UsageError(
            f"--to {to}: from {stage} the next stage is {following}; stages go "
            f"{' -> '.join(CYCLE)} without skipping"
        )
    return following


def check_criterion(criterion: str, known: tuple[str, ...] = ()) -> str:
    """The criterion id if it is a built-in or one of `known` (the workspace's own)."""
    if criterion not in CRITERIA and criterion not in known:
        raise UsageError(
            f"unknown criterion {criterion!r}; `productops scorecard criteria` lists them"
        )
    return criterion
