"""Warning codes of a comparison, kept as bits of an integer array (one per comparison).

A statistical dead end never raises and never yields NaN: the comparison gets a
neutral result (effect 0, interval [0, 0], p-value 1, chance to win 0.5, risk 0)
and a stable code saying why. Definitions: docs/experiments.md#warnings.

>>> codes(EMPTY_ARM | SRM)
['empty_arm', 'srm']
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "CUPED_SKIPPED",
    "DEAD_END",
    "EMPTY_ARM",
    "SRM",
    "UNDERPOWERED",
    "WARNINGS",
    "ZERO_BASELINE",
    "ZERO_VARIANCE",
    "Flags",
    "codes",
]

Flags: TypeAlias = npt.NDArray[np.int64]

EMPTY_ARM = 1
ZERO_VARIANCE = 2
ZERO_BASELINE = 4
CUPED_SKIPPED = 8
SRM = 16
UNDERPOWERED = 32

# Bit -> (code, what it means). The order is the order codes are listed in.
WARNINGS: dict[int, tuple[str, str]] = {
    EMPTY_ARM: ("empty_arm", "an arm has no units; the comparison shows a neutral result"),
    ZERO_VARIANCE: (
        "zero_variance",
        "an arm's values do not vary (or it has one unit); the comparison shows a neutral result",
    ),
    ZERO_BASELINE: (
        "zero_baseline",
        "the control's mean is 0, so a relative effect is undefined; neutral result "
        "(use --absolute)",
    ),
    CUPED_SKIPPED: (
        "cuped_skipped",
        "the pre-period covariate does not vary; analysed without CUPED",
    ),
    SRM: (
        "srm",
        "sample-ratio mismatch: units per arm differ from the planned split; do not trust "
        "this result",
    ),
    UNDERPOWERED: (
        "underpowered",
        "not significant, and the sample has less than the wanted power to detect the target "
        "effect",
    ),
}

# Codes after which a comparison has no statistical result (a neutral one is shown).
DEAD_END = EMPTY_ARM | ZERO_VARIANCE | ZERO_BASELINE


def codes(flags: int) -> list[str]:
    """The warning codes set in `flags`, in a fixed order."""
    return [code for bit, (code, _) in WARNINGS.items() if flags & bit]
