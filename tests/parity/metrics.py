"""The metrics that must give equal results on DuckDB and on Spark.

Every analytics issue adds its metrics here: a name and a function from an
Ibis backend (holding the canonical tables) to an Ibis expression.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from productops.engine import shared_table
from productops.experiments.observations import arm_totals
from productops.experiments.scorecard import experiment_setup_time, experiments_run, setup_time
from productops.pillars import process as p
from productops.pillars.process import lead_time, throughput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


# The intermediate tables several metrics read, computed once per backend on Spark (as the
# services do).
def _stays(b: BaseBackend) -> ir.Table:
    return shared_table(
        p.status_stays(b.table("work_item"), b.table("work_item_transition"), AS_OF)
    )


def _items(b: BaseBackend) -> ir.Table:
    return shared_table(p.flow_items(b.table("work_item"), _stays(b)))


def _blocks(b: BaseBackend) -> ir.Table:
    return shared_table(p.cross_team_blocks(b.table("work_item"), b.table("work_item_link"), AS_OF))


def _deviations(b: BaseBackend) -> ir.Table:
    return shared_table(p.deviations(b.table("work_item"), b.table("work_item_transition")))


PARITY_METRICS: dict[str, Callable[[BaseBackend], ir.Table]] = {
    "lead_time_by_month": lambda b: lead_time(b.table("work_item"), "month"),
    "lead_time_by_quarter": lambda b: lead_time(b.table("work_item"), "quarter"),
    "throughput_by_week": lambda b: throughput(b.table("work_item"), "week", AS_OF),
    "throughput_by_day": lambda b: throughput(b.table("work_item"), "day", AS_OF),
    "status_stays": _stays,
    "time_in_status": lambda b: p.time_in_status(_stays(b)),
    "flow_items": _items,
    "cycle_time": lambda b: p.cycle_time(_items(b), "month"),
    "wip_by_week": lambda b: p.wip(b.table("work_item"), "week"),
    "aging_wip": lambda b: p.aging_wip(_items(b), AS_OF),
    "status_share": lambda b: p.status_share(_stays(b), b.table("work_item"), "quarter"),
    "bottleneck": lambda b: p.bottleneck(_stays(b), b.table("work_item"), "month"),
    "flow_efficiency": lambda b: p.flow_efficiency(
        _stays(b), b.table("work_item"), b.table("work_item_flag"), AS_OF, "month"
    ),
    "cross_team_blocks": _blocks,
    "dependency_delays": lambda b: p.dependency_delays(_blocks(b), "month"),
    "blocking_pairs": lambda b: p.blocking_pairs(_blocks(b)),
    "deviations": _deviations,
    "conformance": lambda b: p.conformance(b.table("work_item"), _deviations(b), "quarter"),
    "deviating_items": lambda b: p.deviating_items(b.table("work_item_transition")),
    "common_deviations": lambda b: p.common_deviations(_deviations(b)),
    "time_to_market": lambda b: p.time_to_market(b.table("work_item"), b.table("feedback_link")),
    "deployment_frequency": lambda b: p.deployment_frequency(
        b.table("deployment"), "month", as_of=AS_OF
    ),
    "change_lead_time": lambda b: p.change_lead_time(
        b.table("change"), b.table("deployment"), b.table("deployment_change"), "month"
    ),
    "change_failure_rate": lambda b: p.change_failure_rate(
        b.table("deployment"), b.table("incident")
    ),
    "recovery_time": lambda b: p.recovery_time(b.table("incident"), "quarter"),
}


# -- experiments (issue 5) ------------------------------------------------------------------------


def _observations(b: BaseBackend) -> ir.Table:
    """Rows shaped as `experiment_observation`, built from demo events (the demo has no per-unit
    experiment rows): per user and event name, events from 2026 as the value, earlier ones as the
    covariate, all of them as the denominator; the arm by the user id's last digit."""
    import ibis

    e = b.table("event")
    e = e.filter(e.user_id.notnull())
    cutoff = ibis.timestamp(datetime(2026, 1, 1, tzinfo=UTC))
    per_unit = e.group_by(unit_id=e.user_id, metric=e.name).aggregate(
        value=(e.ts >= cutoff).sum().cast("float64"),
        covariate=ibis.ifelse((e.ts < cutoff).sum() > 0, (e.ts < cutoff).sum(), None).cast(
            "float64"
        ),
        denominator=e.count().cast("float64"),
    )
    return per_unit.mutate(
        experiment_id=ibis.literal("parity:exp"),
        arm=ibis.ifelse(per_unit.unit_id.right(1) < "5", "control", "treatment"),
    )


PARITY_METRICS.update(
    {
        "experiment_arm_totals": lambda b: arm_totals(_observations(b)),
        "experiment_setup_time": lambda b: setup_time(b.table("experiment")),
        "experiment_setup_time_by_month": lambda b: experiment_setup_time(
            b.table("experiment"), "month"
        ),
        "experiments_run_by_quarter": lambda b: experiments_run(b.table("experiment"), "quarter"),
    }
)


# -- surveys and activities (issue 7, items 2 and 3) ----------------------------------------------


def _survey_metric(name: str) -> Callable[[BaseBackend], ir.Table]:
    from productops import ops

    def metric(b: BaseBackend) -> ir.Table:
        result: ir.Table = getattr(ops, name)(b.table("survey"), b.table("survey_response"))
        return result

    return metric


def _activity_metric(name: str, grain: str) -> Callable[[BaseBackend], ir.Table]:
    from productops import ops

    def metric(b: BaseBackend) -> ir.Table:
        result: ir.Table = getattr(ops, name)(b.table("activity"), grain)
        return result

    return metric


PARITY_METRICS.update(
    {
        **{
            f"survey_{name}": _survey_metric(name)
            for name in (
                "health_check",
                "satisfaction",
                "pm_time",
                "onboarding_survey",
                "comments",
                "survey_respondents",
            )
        },
        "activity_counts_by_quarter": _activity_metric("activity_counts", "quarter"),
        "onboarding_time_by_quarter": _activity_metric("onboarding_time", "quarter"),
        "retrospectives_by_month": _activity_metric("retrospectives", "month"),
    }
)


# -- metric catalog and product-analytics lenses (issue 6) ----------------------------------------


def _catalog_metrics() -> dict[str, Callable[[BaseBackend], ir.Table]]:
    from productops.pillars import data as d

    catalog = d.load_catalog()

    def query(name: str, **kw: Any) -> Callable[[BaseBackend], ir.Table]:
        return lambda b: d.compile_metric(catalog, name, b.table, **kw)

    metrics = {f"catalog_{n}_by_month": query(n, grain="month") for n in catalog.metrics}
    metrics.update(
        {
            "catalog_feature_uses_by_feature_segment": query(
                "feature_uses", grain="quarter", by=["feature", "segment"], where=["arr >= 1000"]
            ),
            "catalog_stickiness_by_plan_week": query(
                "stickiness", grain="week", by=["plan"], where=["segment in (smb, enterprise)"]
            ),
            "catalog_activation_rate_by_segment": query(
                "activation_rate", grain="month", by=["segment"]
            ),
            "catalog_items_done_by_team": query("items_done", grain="week", by=["team"]),
            "lens_active_users": lambda b: d.active_users(b.table("event")),
            "lens_cohort_retention": lambda b: d.cohort_retention(b.table("event"), "week"),
            "lens_funnel": lambda b: d.funnel(
                b.table("event"), ["sign_up", "login", "feature_used"], 3, "month"
            ),
            "lens_feature_adoption": lambda b: d.feature_adoption(b.table("event"), "quarter"),
            "lens_lifecycle": lambda b: d.lifecycle(b.table("event"), "month"),
        }
    )
    return metrics


PARITY_METRICS.update(_catalog_metrics())


# -- data quality: reconciliation cells and keys (issue 6, item 3) --------------------------------


def _reconciliations() -> dict[str, Callable[[BaseBackend], ir.Table]]:
    import yaml

    from productops.demo.billing import CHECKS
    from productops.pillars import data as d
    from productops.pillars.data import reconcile as r
    from productops.pillars.data.quality import Reconciliation, Side

    catalog = d.load_catalog()
    billing = Reconciliation.model_validate(yaml.safe_load(CHECKS)["reconciliations"][0])
    done = Reconciliation(
        id="done",
        grain="month",
        left=Side(metric="items_done", segment="team"),
        right=Side(
            table="work_item",
            time="resolved_at",
            segment="team_id",
            where=["status_category = done", "type != bug"],
        ),
    )
    return {
        "reconciliation_keys_crm_billing": lambda b: r.reconciliation_keys(billing, b.table),
        "reconciliation_cells_crm_billing": lambda b: r.reconciliation_cells(billing, b.table),
        "reconciliation_cells_metric_by_month": lambda b: r.reconciliation_cells(
            done, b.table, catalog
        ),
    }


PARITY_METRICS.update(_reconciliations())


# -- decision log and platform usage (issue 6, items 4 and 5) -------------------------------------


def _decision_and_usage_metrics() -> dict[str, Callable[[BaseBackend], ir.Table]]:
    from productops.pillars import data as d

    return {
        "decisions_informed_by_quarter": lambda b: d.decisions_informed(
            b.table("decision"), b.table("decision_evidence"), "quarter"
        ),
        "outcomes_met_by_quarter": lambda b: d.outcomes_met(
            b.table("decision"), b.table("decision_evidence"), "quarter"
        ),
        "search_to_open": lambda b: d.search_to_open(b.table("usage_event")),
        "time_to_locate_by_month": lambda b: d.time_to_locate(b.table("usage_event"), "month"),
        "dashboard_usage_by_month": lambda b: d.dashboard_usage(
            b.table("usage_event"), b.table("person"), "month"
        ),
        "self_sufficiency_by_quarter": lambda b: d.self_sufficiency(
            b.table("usage_event"), b.table("person"), b.table("insight"), "quarter"
        ),
    }


PARITY_METRICS.update(_decision_and_usage_metrics())


# -- customer insights (issue 4: sentiment, trends, demand, roadmap links, insights) --------------


def _keyword_themes(b: BaseBackend) -> ir.Table:
    """`feedback_theme` as the demo's planted keywords assign it, under the ids its insights use
    (the demo lands no themes: discovery finds them)."""
    import ibis

    from productops.demo.customers import theme_id
    from productops.demo.text import THEMES

    f = b.table("feedback")
    text = f.text.lower()
    found = [
        (ibis.or_(*(text.contains(k) for k in t.keywords)), theme_id(i))
        for i, t in enumerate(THEMES)
    ]
    tagged = f.select(feedback_id=f.id, theme_id=ibis.cases(*found, else_=None))
    return tagged.filter(tagged.theme_id.notnull())


def _scored(b: BaseBackend) -> ir.Table:
    """Demo feedback with a sentiment (the demo stores none): from the rating where there is
    one (NPS over -5..5, CSAT and stars over -4..0, both / 5), else 0."""
    import ibis

    f = b.table("feedback")
    score = ibis.ifelse(f.rating.isnull(), 0.0, (f.rating - 5.0) / 5.0)
    label = ibis.ifelse(
        score < 0, "negative", ibis.ifelse(f.channel == "sales", "request", "neutral")
    )
    return f.mutate(sentiment=score, sentiment_label=label)


def _customer_metrics() -> dict[str, Callable[[BaseBackend], ir.Table]]:
    from productops.pillars.customer import demand as cd
    from productops.pillars.customer import insights as ci
    from productops.pillars.customer.sentiment import theme_sentiment
    from productops.pillars.customer.trends import theme_trend

    ft = _keyword_themes
    return {
        "customer_theme_trend_by_week": lambda b: theme_trend(_scored(b), ft(b)),
        "customer_theme_sentiment": lambda b: theme_sentiment(_scored(b), ft(b)),
        "customer_theme_demand_by_month": lambda b: cd.theme_demand(
            b.table("feedback"), ft(b), b.table("account"), "month"
        ),
        "customer_segment_demand": lambda b: cd.segment_demand(
            b.table("feedback"), ft(b), b.table("account")
        ),
        "customer_item_demand": lambda b: cd.item_demand(
            b.table("feedback"),
            b.table("feedback_link"),
            b.table("account"),
            ("confirmed", "suggested"),
        ),
        "customer_feedback_linked_by_month": lambda b: ci.feedback_linked(
            b.table("feedback"), b.table("feedback_link"), "month"
        ),
        "customer_feedback_incorporated_by_quarter": lambda b: ci.feedback_incorporated(
            b.table("feedback"), b.table("feedback_link"), b.table("work_item"), "quarter"
        ),
        "customer_insight_coverage": lambda b: ci.insight_coverage(
            b.table("feedback"), ft(b), b.table("insight")
        ),
        "customer_time_to_insight_by_month": lambda b: ci.time_to_insight(
            b.table("feedback"), ft(b), b.table("insight"), "month"
        ),
        "customer_insight_time_to_market": lambda b: ci.insight_time_to_market(
            b.table("feedback"),
            b.table("feedback_link"),
            b.table("work_item"),
            ft(b),
            b.table("insight"),
        ),
        "customer_feature_satisfaction": lambda b: ci.feature_satisfaction(
            b.table("feedback"), b.table("feedback_link"), b.table("work_item")
        ),
    }


PARITY_METRICS.update(_customer_metrics())
