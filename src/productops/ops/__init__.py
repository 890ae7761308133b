"""Product Ops analytics over the governance tables: surveys and activities (see README.md).

Functions from Ibis tables to Ibis tables; they never execute. May import `pillars`,
`experiments`, `durations`, `schema` and `errors`.
"""

from productops.ops.activities import (
    ACTION_MARK,
    BOTTLENECK_MARK,
    DONE_MARK,
    activity_counts,
    onboarding_time,
    retrospectives,
)
from productops.ops.surveys import (
    COLOURS,
    FAVOURABLE,
    MIN_GROUP,
    PM_TIME_STRATEGIC,
    SUPPRESSED_REASON,
    TREND_STEP,
    comments,
    health_check,
    onboarding_survey,
    pm_time,
    satisfaction,
    survey_respondents,
)

__all__ = [
    "ACTION_MARK",
    "BOTTLENECK_MARK",
    "COLOURS",
    "DONE_MARK",
    "FAVOURABLE",
    "MIN_GROUP",
    "PM_TIME_STRATEGIC",
    "SUPPRESSED_REASON",
    "TREND_STEP",
    "activity_counts",
    "comments",
    "health_check",
    "onboarding_survey",
    "onboarding_time",
    "pm_time",
    "retrospectives",
    "satisfaction",
    "survey_respondents",
]
