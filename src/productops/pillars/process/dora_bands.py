"""DORA performance bands by report year.

Sources: Accelerate State of DevOps Report 2021 (table "Software delivery
performance"), 2023 and 2024 (tables of the four software delivery performance
clusters). The reports describe each cluster in words ("between once per day
and once per week"); here each description becomes a bound, tried from elite
to low, the first that holds naming the band. Units: deployment days per week;
hours; a 0-1 rate.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BANDS", "REPORT_YEARS", "ReportYear"]

ReportYear = Literal[2021, 2023, 2024]
REPORT_YEARS: tuple[ReportYear, ...] = get_args(ReportYear)

DAY = 24.0
WEEK = 7 * DAY
MONTH = 30.44 * DAY
SIX_MONTHS = 6 * MONTH
PER_MONTH = 7 / 30.44  # once a month, in deployment days per week
PER_SIX_MONTHS = PER_MONTH / 6

# metric -> [(band, bound)], tried in order: deployment frequency is higher-is-better
# (value >= bound), the others lower-is-better (value <= bound); what passes no bound is
# "low". Where clusters share a range, the best band is taken.
BANDS: dict[ReportYear, dict[str, list[tuple[str, float]]]] = {
    2021: {
        # elite: on demand; high: weekly to monthly; medium: monthly to every six months
        "deployment_frequency": [("elite", 5.0), ("high", PER_MONTH), ("medium", PER_SIX_MONTHS)],
        # elite: under an hour; high: a day to a week; medium: a month to six months
        "lead_time_hours": [("elite", 1.0), ("high", WEEK), ("medium", SIX_MONTHS)],
        "change_failure_rate": [("elite", 0.15), ("high", 0.30)],
        # elite: under an hour; high: under a day; medium: a day to a week
        "recovery_hours": [("elite", 1.0), ("high", DAY), ("medium", WEEK)],
    },
    2023: {
        "deployment_frequency": [("elite", 5.0), ("high", 1.0), ("medium", PER_MONTH)],
        "lead_time_hours": [("elite", DAY), ("high", WEEK), ("medium", MONTH)],
        "change_failure_rate": [("elite", 0.05), ("high", 0.10), ("medium", 0.15)],
        "recovery_hours": [("elite", 1.0), ("high", DAY), ("medium", WEEK)],
    },
    2024: {
        "deployment_frequency": [("elite", 5.0), ("high", 1.0), ("medium", PER_MONTH)],
        "lead_time_hours": [("elite", DAY), ("high", WEEK), ("medium", MONTH)],
        # The 2024 clusters are not ordered on this metric (high 20%, medium 10%): the
        # band is read from the lowest rate upwards.
        "change_failure_rate": [("elite", 0.05), ("medium", 0.10), ("high", 0.20)],
        "recovery_hours": [("elite", 1.0), ("high", DAY)],
    },
}
