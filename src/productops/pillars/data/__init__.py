"""Data and insights: the metric catalog (a semantic layer) and product-analytics lenses.

May import `schema`, `errors` and `durations`; never `engine`, `ingest` or `workspace`.
Formats and definitions: docs/catalog.md.
"""

from productops.pillars.data.catalog import (
    BUILTIN_DIR,
    Catalog,
    Metric,
    SemanticModel,
    load_catalog,
)
from productops.pillars.data.compile import compile_metric, dimensions_of
from productops.pillars.data.decisions import decisions_informed, outcomes_met
from productops.pillars.data.filters import Filter, parse_filter, parse_filters
from productops.pillars.data.lenses import (
    active_users,
    cohort_retention,
    feature_adoption,
    funnel,
    lifecycle,
)
from productops.pillars.data.usage import (
    dashboard_usage,
    search_to_open,
    self_sufficiency,
    time_to_locate,
)

__all__ = [
    "BUILTIN_DIR",
    "Catalog",
    "Filter",
    "Metric",
    "SemanticModel",
    "active_users",
    "cohort_retention",
    "compile_metric",
    "dashboard_usage",
    "decisions_informed",
    "dimensions_of",
    "feature_adoption",
    "funnel",
    "lifecycle",
    "load_catalog",
    "outcomes_met",
    "parse_filter",
    "parse_filters",
    "search_to_open",
    "self_sufficiency",
    "time_to_locate",
]
