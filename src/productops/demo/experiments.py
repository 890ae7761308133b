"""Experiments: a dozen per group, with goal and guardrail metrics, arms and per-arm totals.

Arm totals are sufficient statistics (units, sum, sum of squares) drawn to be
consistent with a mean and variance. In the first group one experiment has a
real effect on its goal and one has a sample-ratio mismatch; every other
experiment splits evenly and shows no clear effect.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from productops.demo.columns import DAY, END, START, strings, timestamps, within
from productops.demo.org import Org

__all__ = ["ARMS", "EFFECT", "SRM", "experiments"]

# (name, base team, hypothesis)
_EXPERIMENTS = (
    ("one_click_checkout", 1, "One-click checkout raises conversion because it removes a form."),
    ("onboarding_checklist", 2, "A checklist raises activation by showing the next step."),
    ("search_ranking_v2", 3, "Ranking by recent use makes search results more useful."),
    ("pricing_page_layout", 1, "Showing annual prices first raises plan upgrades."),
    ("push_reminders", 4, "A reminder push brings back users who went quiet."),
    ("dark_mode_beta", 4, "A dark theme raises evening sessions."),
    ("smart_defaults", 0, "Pre-filled payment details reduce abandoned payments."),
    ("trial_length_21d", 2, "A 21-day trial converts better than a 14-day one."),
    ("upload_progress_bar", 5, "A progress bar reduces abandoned uploads."),
    ("slack_digest", 5, "A daily Slack digest raises weekly active accounts."),
    ("annual_plan_discount", 0, "A 15% annual discount raises annual plan share."),
    ("guided_tour", 3, "A guided tour shortens time to first search."),
)
EFFECT, SRM = 0, 2  # indices into _EXPERIMENTS, planted in the first group
ARMS = ("control", "treatment")
"""Every experiment's arms, the first the control, each planned for half the units."""
_METRICS = (
    ("conversion_rate", "goal", "higher"),
    ("page_load_ms", "guardrail", "lower"),
    ("revenue_per_user", "secondary", "higher"),
)


def _ids(org: Org) -> list[str]:
    return [
        f"demo:exp-{name}" + ("" if g == 0 else f"-{g + 1}")
        for g in range(org.scale)
        for name, _, _ in _EXPERIMENTS
    ]


def experiments(rng: np.random.Generator, org: Org) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """experiment, experiment_metric, experiment_arm (split evenly), experiment_arm_stat; facts."""
    k = len(_EXPERIMENTS)
    n = k * org.scale
    ids = _ids(org)
    which = np.tile(np.arange(k), org.scale)
    group = np.repeat(np.arange(org.scale), k)
    team = group * 6 + np.asarray([e[1] for e in _EXPERIMENTS])[which]
    # Spread over the period; the last two of each group are still running or not started.
    slot = (which + rng.uniform(0.1, 0.6, n)) / (k + 1)
    created = START + (slot * (END - START)).astype(np.int64)
    started = created + (rng.uniform(5, 20, n) * DAY).astype(np.int64)
    started = np.where(which == k - 1, -1, started)
    stopped = np.where(
        which >= k - 2, -1, started + (rng.uniform(14, 35, n) * DAY).astype(np.int64)
    )
    decided = np.where(stopped >= 0, stopped + (rng.uniform(1, 7, n) * DAY).astype(np.int64), -1)
    decision = rng.choice(("iterate", "rollback", "inconclusive"), n, p=(0.3, 0.3, 0.4)).astype(
        object
    )
    planted = group == 0
    decision[planted & (which == EFFECT)] = "ship"
    decision[planted & (which == SRM)] = "inconclusive"
    decision[within(decided) < 0] = None
    experiment = pa.table(
        {
            "id": strings(ids),
            "team_id": strings([org.team_ids[t] for t in team]),
            "name": strings([_EXPERIMENTS[w][0] for w in which]),
            "hypothesis": strings([_EXPERIMENTS[w][2] for w in which]),
            "owner_id": strings(org.pick(rng, "pm", team)),
            "created_at": timestamps(created),
            "started_at": timestamps(within(started)),
            "stopped_at": timestamps(within(stopped)),
            "decided_at": timestamps(within(decided)),
            "decision": strings(decision),
        }
    )
    metric = pa.table(
        {
            "experiment_id": strings([i for i in ids for _ in _METRICS]),
            "metric": strings([m for _ in ids for m, _, _ in _METRICS]),
            "role": strings([r for _ in ids for _, r, _ in _METRICS]),
            "direction": strings([d for _ in ids for _, _, d in _METRICS]),
        }
    )
    arm = pa.table(
        {
            "experiment_id": strings([i for i in ids for _ in ARMS]),
            "arm": strings([a for _ in ids for a in ARMS]),
            "planned_share": pa.array([0.5] * len(ids) * len(ARMS), pa.float64()),
            "is_control": pa.array([a == ARMS[0] for _ in ids for a in ARMS], pa.bool_()),
        }
    )
    rows: list[tuple[str, str, str, int, float, float]] = []
    for e in np.flatnonzero(within(started) >= 0):  # a dozen per group: small
        rows += _arm_stats(
            rng, ids[e], planted[e] and which[e] == EFFECT, planted[e] and which[e] == SRM
        )
    stat = pa.table(
        {
            "experiment_id": strings([r[0] for r in rows]),
            "metric": strings([r[1] for r in rows]),
            "arm": strings([r[2] for r in rows]),
            "units": pa.array([r[3] for r in rows], pa.int64()),
            "sum": pa.array([r[4] for r in rows], pa.float64()),
            "sum_squares": pa.array([r[5] for r in rows], pa.float64()),
        }
    )
    facts = {"experiment_with_effect": ids[EFFECT], "experiment_with_srm": ids[SRM]}
    return {
        "experiment": experiment,
        "experiment_metric": metric,
        "experiment_arm": arm,
        "experiment_arm_stat": stat,
    }, facts


def _arm_stats(
    rng: np.random.Generator, experiment: str, effect: bool, srm: bool
) -> list[tuple[str, str, str, int, float, float]]:
    """Totals per arm and metric; noise is bounded so that only planted facts stand out."""
    total = int(rng.integers(8_000, 40_000))
    if effect:
        total = 40_000
    # An even split off by at most 1.5 standard errors, or a clear mismatch when planted.
    shift = 0.04 * total if srm else rng.uniform(-1.5, 1.5) * 0.5 * np.sqrt(total)
    units = dict(zip(ARMS, (int(total / 2 + shift), total - int(total / 2 + shift)), strict=True))
    base_rate = rng.uniform(0.05, 0.2)
    rows = []
    for arm, n in units.items():
        rate = base_rate * (1.2 if effect and arm == "treatment" else 1.0)
        noise = rng.uniform(-1, 1) * np.sqrt(n * rate * (1 - rate)) * 0.5
        conversions = float(round(n * rate + noise))
        rows.append((experiment, "conversion_rate", arm, n, conversions, conversions))
        for metric, mean, sd in (("page_load_ms", 1200.0, 400.0), ("revenue_per_user", 12.0, 30.0)):
            m = mean + rng.uniform(-1, 1) * sd / np.sqrt(n) * 0.5
            var = sd**2 * rng.uniform(0.95, 1.05)
            rows.append(
                (experiment, metric, arm, n, round(n * m, 4), round((n - 1) * var + n * m**2, 4))
            )
    return rows
