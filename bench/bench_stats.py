"""Time the statistics engine: 10,000 experiments x 20 metrics from sufficient statistics.

Targets (issue 5): the frequentist analysis (Welch t-test, delta-method relative
lift) of the 200,000 comparisons under 0.5 s and at least 100x faster than the
gbstats package (GrowthBook's engine) called once per comparison, measured in
the same run; the full analysis with every method (frequentist with Holm,
sequential with Benjamini-Hochberg, Bayesian with a prior, over means with CUPED,
proportions and ratio metrics; SRM per experiment; power and units needed)
under 5 s. gbstats is timed on a sample of comparisons and scaled to all of
them; its answers are checked against ours on that sample.

gbstats pins pandas < 2 and numpy < 2, so it is not a declared dependency;
install it beside productops without its pins: `.venv/bin/pip install --no-deps gbstats`.

    .venv/bin/python bench/bench_stats.py [--experiments 10000] [--metrics 20]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from productops.experiments.analysis import Comparisons, Settings, analyze
from productops.experiments.bayesian import GaussianPrior
from productops.experiments.effects import effect
from productops.experiments.frequentist import welch_test
from productops.experiments.power import sample_size
from productops.experiments.srm import srm_test
from productops.experiments.totals import ArmTotals


def _best(work: Callable[[], Any], repeat: int = 3) -> float:
    """Fastest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _arms(rng: np.random.Generator, size: int) -> tuple[ArmTotals, ArmTotals, np.ndarray]:
    """Totals of two arms per comparison: means, proportions, CUPED covariates, ratio sums."""
    kind = np.where(
        np.arange(size) % 4 == 0, "proportion", np.where(np.arange(size) % 4 == 1, "ratio", "mean")
    )
    arms = []
    for lift in (0.0, 0.02):
        n = rng.integers(1_000, 50_000, size).astype(float)
        mean = rng.uniform(1, 100, size) * (1 + lift)
        sd = mean * rng.uniform(0.5, 2, size)
        rate = np.clip(rng.uniform(0.02, 0.4, size) * (1 + lift), 0, 1)
        total = np.where(kind == "proportion", np.round(n * rate), n * mean)
        squares = np.where(kind == "proportion", total, (n - 1) * sd**2 + n * mean**2)
        pre_mean, rho = mean * 0.9, 0.6
        covariate = n * pre_mean
        covariate_squares = (n - 1) * sd**2 + n * pre_mean**2
        product = (n - 1) * rho * sd * sd + n * mean * pre_mean
        d_mean = rng.uniform(1, 5, size)
        denominator = np.where(kind == "ratio", n * d_mean, np.nan)
        arms.append(
            ArmTotals.of(
                n,
                total,
                squares,
                covariate_sum=np.where(kind == "mean", covariate, np.nan),
                covariate_sum_squares=np.where(kind == "mean", covariate_squares, np.nan),
                sum_product=np.where(kind == "mean", product, np.nan),
                denominator_sum=denominator,
                denominator_sum_squares=np.where(
                    kind == "ratio", (n - 1) * 1.0 + n * d_mean**2, np.nan
                ),
                denominator_sum_product=np.where(
                    kind == "ratio", (n - 1) * 0.3 * sd + n * mean * d_mean, np.nan
                ),
            )
        )
    return arms[0], arms[1], kind


def _means(rng: np.random.Generator, size: int) -> tuple[ArmTotals, ArmTotals]:
    """Mean metrics only: what the frequentist target is about."""
    arms = []
    for lift in (0.0, 0.01):
        n = rng.integers(1_000, 50_000, size).astype(float)
        mean = rng.uniform(1, 100, size) * (1 + lift)
        sd = mean * rng.uniform(0.5, 2, size)
        arms.append(ArmTotals.of(n, n * mean, (n - 1) * sd**2 + n * mean**2))
    return arms[0], arms[1]


def _gbstats(control: ArmTotals, treatment: ArmTotals, sample: int) -> tuple[float, float] | None:
    """Seconds per gbstats call over `sample` comparisons, and the largest relative p-value gap."""
    try:
        from gbstats.frequentist.tests import TwoSidedTTest
        from gbstats.models.statistics import SampleMeanStatistic
    except ImportError:
        return None
    stats = [
        (
            SampleMeanStatistic(n=int(a_n), sum=float(a_s), sum_squares=float(a_q)),
            SampleMeanStatistic(n=int(b_n), sum=float(b_s), sum_squares=float(b_q)),
        )
        for a_n, a_s, a_q, b_n, b_s, b_q in zip(
            control.n[:sample], control.sum[:sample], control.sum_squares[:sample],
            treatment.n[:sample], treatment.sum[:sample], treatment.sum_squares[:sample],
            strict=True,
        )
    ]  # fmt: skip
    started = time.perf_counter()
    results = [TwoSidedTTest(a, b).compute_result() for a, b in stats]
    per_call = (time.perf_counter() - started) / sample
    ours = welch_test(effect(control, treatment, "mean")).p_value[:sample]
    theirs = np.array([r.p_value for r in results])
    # gbstats computes 1 - cdf, which loses precision as p falls (0 below ~1e-16); compare above 1e-6.
    held = theirs > 1e-6
    gap = float(np.max(np.abs(ours[held] - theirs[held]) / theirs[held]))
    return per_call, gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--gbstats-sample", type=int, default=2_000)
    args = parser.parse_args()
    size = args.experiments * args.metrics
    rng = np.random.default_rng(5)

    control, treatment = _means(rng, size)
    frequentist = _best(lambda: welch_test(effect(control, treatment, "mean")))
    print(f"comparisons: {args.experiments:,} experiments x {args.metrics} metrics = {size:,}")
    print(f"frequentist (Welch, delta-method relative lift): {frequentist:.3f} s  [target < 0.5 s]")
    baseline = _gbstats(control, treatment, min(args.gbstats_sample, size))
    if baseline is None:
        print("gbstats: not installed (pip install --no-deps gbstats); ratio not measured")
    else:
        per_call, gap = baseline
        gb_total = per_call * size
        print(
            f"gbstats TwoSidedTTest, one call per comparison: {per_call * 1e6:.0f} us/call, "
            f"{gb_total:.1f} s for {size:,} (from {args.gbstats_sample:,} calls); "
            f"largest relative p-value difference (p > 1e-6) {gap:.1e}"
        )
        print(f"speed-up: {gb_total / frequentist:,.0f}x  [target >= 100x]")

    a, b, kind = _arms(rng, size)
    family = np.repeat(np.arange(args.experiments), args.metrics)
    slot = np.tile(np.arange(args.metrics), args.experiments)
    role = np.where(slot < 5, "goal", np.where(slot < 10, "guardrail", "secondary"))
    comparisons = Comparisons.of(
        family=family, metric=slot.astype(str), arm=np.full(size, "treatment"), role=role,
        kind=kind, control=a, treatment=b,
    )  # fmt: skip
    units = rng.integers(9_000, 11_000, (args.experiments, 2))
    days = rng.uniform(1, 30, args.experiments)

    def everything() -> None:
        _, srm_p = srm_test(units, [0.5, 0.5])
        for settings in (
            Settings(method="frequentist", correction="holm"),
            Settings(method="sequential", correction="bh"),
            Settings(method="bayesian", prior=GaussianPrior(0.0, 0.01)),
            Settings(method="frequentist", relative=False, cuped=False),
        ):
            analyze(comparisons, settings, srm_p_value=srm_p, days_running=days)
        sample_size(rng.uniform(1, 100, size), rng.uniform(0.1, 1, size), power=0.8)

    full = _best(everything, repeat=2)
    print(
        "full analysis (frequentist + Holm, sequential + BH, Bayesian with prior, absolute without "
        f"CUPED; means with CUPED, proportions, ratios; SRM; power): {full:.2f} s  [target < 5 s]"
    )


if __name__ == "__main__":
    main()
