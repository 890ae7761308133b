"""The analysis of many comparisons at once: effect, test, corrections, SRM, power.

A comparison is one treatment arm against its experiment's control on one
metric. `analyze` runs the chosen method over all of them with numpy, adjusts
goal metrics' p-values per experiment (Holm or Benjamini-Hochberg; guardrails
and secondary metrics stay unadjusted), marks sample-ratio mismatches and
underpowered results, and estimates the units still needed. Definitions:
docs/experiments.md.

>>> from productops.experiments.totals import ArmTotals
>>> c = Comparisons.of(
...     family=[0], metric=["revenue"], arm=["treatment"], role=["goal"], kind=["mean"],
...     control=ArmTotals.of(3407, 1396.87, 52377.9767),
...     treatment=ArmTotals.of(3461, 2422.7, 134698.29),
... )
>>> round(analyze(c, Settings()).rows()[0]["p_value"], 5)
0.06191
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from productops.errors import UsageError
from productops.experiments.bayesian import GaussianPrior, bayesian_test
from productops.experiments.corrections import CORRECTIONS, Correction, adjust_p_values
from productops.experiments.effects import effect
from productops.experiments.flags import SRM, UNDERPOWERED, Flags, codes
from productops.experiments.frequentist import DEFAULT_TUNING_N, sequential_test, welch_test
from productops.experiments.power import days_remaining, power_at, required_units
from productops.experiments.srm import SRM_THRESHOLD
from productops.experiments.totals import ArmTotals, Floats

__all__ = ["METHODS", "Comparisons", "Method", "Results", "Settings", "analyze"]

Method = Literal["frequentist", "sequential", "bayesian"]
METHODS: tuple[Method, ...] = get_args(Method)


@dataclass(frozen=True)
class Settings:
    """How to analyse: method, effect scale, CUPED, levels, correction, prior, power target.

    `target_effect` is the relative lift (0.05 = 5 %) an experiment should be
    able to find with probability `power`; it sets the `underpowered` warning
    and the units still needed.
    """

    method: Method = "frequentist"
    relative: bool = True
    cuped: bool = True
    alpha: float = 0.05
    correction: Correction = "holm"
    prior: GaussianPrior | None = None
    tuning_n: float = DEFAULT_TUNING_N
    target_effect: float = 0.05
    power: float = 0.8
    srm_threshold: float = SRM_THRESHOLD

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UsageError(f"method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.correction not in CORRECTIONS:
            raise UsageError(f"correction {self.correction!r}: use one of {', '.join(CORRECTIONS)}")
        if not 0 < self.alpha < 1 or not 0 < self.power < 1:
            raise UsageError("alpha and power must lie between 0 and 1")
        if not self.target_effect > 0:
            raise UsageError(f"target effect {self.target_effect!r}: give a relative lift above 0")


Strings = npt.NDArray[np.str_]


@dataclass(frozen=True)
class Comparisons:
    """Many treatment-vs-control comparisons: labels, kind, and both arms' totals.

    `family` numbers the experiment a comparison belongs to (corrections and
    the SRM check work per family); `role` is goal, guardrail or secondary;
    `kind` mean, proportion or ratio; `lower_is_better` turns chance to win
    and risk towards the treatment being lower.
    """

    family: npt.NDArray[np.int64]
    metric: Strings
    arm: Strings
    role: Strings
    kind: Strings
    control: ArmTotals
    treatment: ArmTotals
    lower_is_better: npt.NDArray[np.bool_]

    @classmethod
    def of(
        cls,
        *,
        family: Sequence[int] | npt.NDArray[np.int64],
        metric: Sequence[str] | Strings,
        arm: Sequence[str] | Strings,
        role: Sequence[str] | Strings,
        kind: Sequence[str] | Strings,
        control: ArmTotals,
        treatment: ArmTotals,
        lower_is_better: Sequence[bool] | npt.NDArray[np.bool_] | None = None,
    ) -> Comparisons:
        """Labels as arrays, checked to have one entry per comparison (higher is better by default)."""
        size = len(control)
        made = cls(
            np.asarray(family, dtype=np.int64),
            np.asarray(metric, dtype=str),
            np.asarray(arm, dtype=str),
            np.asarray(role, dtype=str),
            np.asarray(kind, dtype=str),
            control,
            treatment,
            np.zeros(size, dtype=bool)
            if lower_is_better is None
            else np.asarray(lower_is_better, dtype=bool),
        )
        for name in ("family", "metric", "arm", "role", "kind", "lower_is_better"):
            if getattr(made, name).shape != (size,):
                raise UsageError(f"comparisons: {name} needs one entry per comparison ({size})")
        return made

    def __len__(self) -> int:
        return len(self.control)


@dataclass(frozen=True)
class Results:
    """Per comparison, arrays; `rows()` gives them as dicts without NaN (None instead)."""

    comparisons: Comparisons
    method: Method
    relative: bool
    effect: Floats
    se: Floats  # the standard error, or the posterior sd for Bayesian
    ci_low: Floats
    ci_high: Floats
    p_value: Floats | None
    adjusted_p_value: Floats | None  # NaN where not a goal metric
    chance_to_win: Floats | None
    risk_control: Floats | None
    risk_treatment: Floats | None
    power: Floats
    needed_units: Floats
    days_remaining: Floats
    theta: Floats
    control_mean: Floats
    treatment_mean: Floats
    flags: Flags

    def rows(self) -> list[dict[str, Any]]:
        """One dict per comparison with every figure; missing ones are None, never NaN."""
        c = self.comparisons
        columns: dict[str, Any] = {
            "metric": c.metric,
            "role": c.role,
            "direction": np.where(c.lower_is_better, "lower", "higher"),
            "kind": c.kind,
            "arm": c.arm,
            "control_units": c.control.n,
            "treatment_units": c.treatment.n,
            "control_mean": self.control_mean,
            "treatment_mean": self.treatment_mean,
            "effect": self.effect,
            "se" if self.method != "bayesian" else "sd": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "adjusted_p_value": self.adjusted_p_value,
            "chance_to_win": self.chance_to_win,
            "risk_control": self.risk_control,
            "risk_treatment": self.risk_treatment,
            "theta": self.theta,
            "power": self.power,
            "needed_units": self.needed_units,
            "days_remaining": self.days_remaining,
        }
        present = {k: v.tolist() for k, v in columns.items() if v is not None}
        out = []
        for i in range(len(c)):
            row: dict[str, Any] = {"method": self.method, "relative": self.relative}
            for name, values in present.items():
                value = values[i]
                row[name] = None if isinstance(value, float) and not np.isfinite(value) else value
            for name in ("control_units", "treatment_units"):
                row[name] = int(row[name])
            row["warnings"] = codes(int(self.flags[i]))
            out.append(row)
        return out


def analyze(
    comparisons: Comparisons,
    settings: Settings,
    *,
    srm_p_value: npt.ArrayLike | None = None,
    days_running: npt.ArrayLike | None = None,
) -> Results:
    """Analyse every comparison with `settings`.

    `srm_p_value` (per family, indexed by `family`) marks results of
    experiments below `settings.srm_threshold` with the `srm` warning;
    `days_running` (per family) turns the units still needed into days at
    the accrual so far (NaN or no value: not running).
    """
    c, s = comparisons, settings
    e = effect(c.control, c.treatment, c.kind, relative=s.relative, cuped=s.cuped)
    flags = e.flags.copy()
    p_value = adjusted = ctw = risk_c = risk_t = None
    if s.method == "bayesian":
        b = bayesian_test(e, s.prior, s.alpha)
        est, se, low, high = b.effect, b.sd, b.ci_low, b.ci_high
        # Lower is better: the treatment wins when it is lower, and the risks trade places.
        lower = c.lower_is_better
        ctw = np.where(lower, 1.0 - b.chance_to_win, b.chance_to_win)
        risk_c = np.where(lower, b.risk_treatment, b.risk_control)
        risk_t = np.where(lower, b.risk_control, b.risk_treatment)
    else:
        f = (
            welch_test(e, s.alpha)
            if s.method == "frequentist"
            else sequential_test(e, s.alpha, s.tuning_n)
        )
        est, se, low, high, p_value = f.effect, f.se, f.ci_low, f.ci_high, f.p_value
        goal = c.role == "goal"
        adjusted = np.full(len(c), np.nan)
        adjusted[goal] = adjust_p_values(p_value[goal], s.correction, c.family[goal])
    # Power to find the target effect at today's sample, and the units that would give `power`.
    target = s.target_effect * (1.0 if s.relative else np.abs(e.baseline))
    with np.errstate(divide="ignore", invalid="ignore"):
        signal = np.where(se > 0, target / se, 0.0)
    power = np.where(e.dead, np.nan, power_at(signal, s.alpha))
    units = c.control.n + c.treatment.n
    needed = np.where(
        e.dead, np.nan, required_units(se, units, target, alpha=s.alpha, power=s.power)
    )
    significant = (low > 0) | (high < 0)
    flags |= np.where(~e.dead & ~significant & (power < s.power), UNDERPOWERED, 0)
    if srm_p_value is not None:
        srm = np.asarray(srm_p_value, dtype=np.float64)[c.family]
        flags |= np.where(srm < s.srm_threshold, SRM, 0)
    remaining = np.full(len(c), np.nan)
    if days_running is not None:
        days = np.asarray(days_running, dtype=np.float64)[c.family]
        running = np.isfinite(days) & ~e.dead
        remaining[running] = days_remaining(units, needed, days)[running]
    return Results(
        comparisons=c,
        method=s.method,
        relative=s.relative,
        effect=est,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        adjusted_p_value=adjusted,
        chance_to_win=ctw,
        risk_control=risk_c,
        risk_treatment=risk_t,
        power=power,
        needed_units=np.ceil(needed),
        days_remaining=remaining,
        theta=e.theta,
        control_mean=e.baseline,
        treatment_mean=e.treatment_mean,
        flags=flags,
    )
