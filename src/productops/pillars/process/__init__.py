"""Process and governance analytics: flow, status stays, bottlenecks, dependencies,
conformance, time-to-market, DORA and forecasts (definitions: docs/metrics.md)."""

from productops.durations import GRAINS, Grain
from productops.pillars.process.bottleneck import bottleneck, flow_efficiency, status_share
from productops.pillars.process.conformance import (
    Workflow,
    common_deviations,
    conformance,
    deviating_items,
    deviations,
)
from productops.pillars.process.dependencies import (
    blocking_pairs,
    cross_team_blocks,
    dependency_delays,
)
from productops.pillars.process.dora import (
    LINK_HOURS,
    caused_incidents,
    change_failure_rate,
    change_lead_time,
    deployment_frequency,
    recovery_time,
)
from productops.pillars.process.dora_bands import REPORT_YEARS, ReportYear
from productops.pillars.process.flow import (
    aging_wip,
    cycle_time,
    flow_items,
    lead_time,
    throughput,
    wip,
)
from productops.pillars.process.forecast import Forecast, how_many, when_done
from productops.pillars.process.market import time_to_market
from productops.pillars.process.stays import status_stays, time_in_status

__all__ = [
    "GRAINS",
    "LINK_HOURS",
    "REPORT_YEARS",
    "Forecast",
    "Grain",
    "ReportYear",
    "Workflow",
    "aging_wip",
    "blocking_pairs",
    "bottleneck",
    "caused_incidents",
    "change_failure_rate",
    "change_lead_time",
    "common_deviations",
    "conformance",
    "cross_team_blocks",
    "cycle_time",
    "dependency_delays",
    "deployment_frequency",
    "deviating_items",
    "deviations",
    "flow_efficiency",
    "flow_items",
    "how_many",
    "lead_time",
    "recovery_time",
    "status_share",
    "status_stays",
    "throughput",
    "time_in_status",
    "time_to_market",
    "when_done",
    "wip",
]
