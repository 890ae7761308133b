"""The computation of each built-in success criterion (definitions: `ops.criteria`, docs/scorecard.md).

Every function takes the `Inputs` and returns an Ibis table `team_id, period_start, value, n,
reason`: the value per team and period, `n` what it was computed over (items, decisions,
respondents: the weight of the organisation's weighted mean) and a reason when there is a
row but no value (a suppressed survey). A team and period without a row has no data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import ibis

from productops.durations import Grain, days_between, period
from productops.ops.activities import activity_counts, onboarding_time, retrospectives
from productops.ops.criteria import ORG
from productops.ops.surveys import MIN_GROUP, pm_time, satisfaction
from productops.pillars.customer.insights import (
    feature_satisfaction,
    feedback_incorporated,
    insight_time_to_market,
    time_to_insight,
)
from productops.pillars.data import (
    Catalog,
    dashboard_usage,
    decisions_informed,
    load_catalog,
    outcomes_met,
    self_sufficiency,
    time_to_locate,
)
from productops.pillars.data.incidents import (
    incidents_touching_decisions,
    metric_targets,
    source_discrepancies,
)
from productops.pillars.process import (
    conformance,
    cross_team_blocks,
    dependency_delays,
    deviating_items,
    status_stays,
    time_to_market,
)
from productops.pillars.process.conformance import STANDARD_WORKFLOW, Workflow

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["COMMUNICATION_WORDS", "MEASURES", "Inputs", "Measure"]

COMMUNICATION_WORDS = ("communication", "alignment", "clarity")
"""Stakeholder-survey questions naming one of these measure communication and alignment."""
WINDOW_DAYS = 90
"""Days before and after a review over which the waiting time of its bottleneck is compared."""
ROADMAP_TYPES = ("epic", "feature", "initiative")
"""Work item types the roadmap commits to (stories, bugs and tasks are their slices)."""


@dataclass(frozen=True)
class Inputs:
    """What every computation reads: the canonical tables and the periods asked for."""

    table: Callable[[str], ir.Table]
    grain: Grain
    periods: Sequence[datetime]
    as_of: datetime
    min_group: int = MIN_GROUP
    workflow: Workflow = field(default=STANDARD_WORKFLOW)
    catalog: Catalog | None = None


@dataclass(frozen=True)
class Measure:
    """A criterion's computation, the tables that must have rows, and what it needs in words."""

    compute: Callable[[Inputs], ir.Table]
    missing: str
    required: tuple[str, ...]


def _out(
    t: ir.Table, value: ir.Value, n: ir.Value, reason: ir.Value | None = None, team: str = "team_id"
) -> ir.Table:
    return t.select(
        team_id=t[team].cast("string"),
        period_start=t.period_start,
        value=value.cast("float64"),
        n=n.cast("int64"),
        reason=(reason if reason is not None else ibis.null()).cast("string"),
    )


def _pct(part: ir.Value, whole: ir.Value) -> ir.Value:
    return ibis.ifelse(whole > 0, part.cast("float64") * 100.0 / whole.cast("float64"), None)


def _pooled(t: ir.Table) -> ir.Table:
    """`t`'s rows, and the same rows again as the organisation's (`ORG`): for a pooled rollup."""
    return t.union(t.mutate(team_id=ibis.literal(ORG)))


def _member_teams(x: Inputs, t: ir.Table) -> ir.Table:
    """Rows of a team, or of a group of teams, as rows of each team they apply to."""
    team = x.table("team").select("id", "parent_id")
    j = t.join(team, (team.id == t.team_id) | (team.parent_id == t.team_id))
    return j.mutate(team_id=j.id).drop("id", "parent_id")


def _survey(x: Inputs, shown: ir.Table, figure: str, scale: float = 1.0) -> ir.Table:
    """Survey figures per team and period: the mean of the shown ones, else the anonymity reason."""
    s = _member_teams(x, shown)
    visible = s[figure].notnull()
    g = s.group_by("team_id", "period_start").aggregate(
        value=s[figure].mean() * scale,
        n=s.respondents.sum(where=visible).fill_null(0),
        shown=visible.sum(),
    )
    why = (
        f"not enough data: needs a closed survey with {x.min_group} or more respondents "
        "(answers stay anonymous)"
    )
    return _out(g, g.value, g.n, ibis.ifelse(g.shown == 0, why, None))


def _per_survey(t: ir.Table, figure: str) -> ir.Table:
    keys = ["team_id", "survey_id", "period_start"]
    return t.group_by(keys).aggregate(
        **{figure: t[figure].mean(), "respondents": t.respondents.max()}
    )


def _time_to_locate(x: Inputs) -> ir.Table:
    t = time_to_locate(x.table("usage_event"), x.grain)
    return _out(t, t.median_seconds, t.located)


def _dashboard_usage(x: Inputs) -> ir.Table:
    d = dashboard_usage(x.table("usage_event"), x.table("person"), x.grain)
    return _out(d, d.usage_share * 100.0, d.members)


def _discrepancies(x: Inputs) -> ir.Table:
    d = source_discrepancies(x.table("data_check_result"), x.grain)
    return _out(d.mutate(team_id=ibis.literal(ORG)), d.failing_checks, d.checks)


def _decisions_informed_table(x: Inputs) -> ir.Table:
    return decisions_informed(x.table("decision"), x.table("decision_evidence"), x.grain)


def _incidents_affecting_decisions(x: Inputs) -> ir.Table:
    made = _decisions_informed_table(x)
    catalog = x.catalog or load_catalog()
    hit = incidents_touching_decisions(
        x.table("data_incident"),
        x.table("decision_evidence"),
        x.table("decision"),
        metric_targets(catalog),
        x.as_of,
        x.grain,
    )
    hit = hit.select(h_team=hit.team_id, h_start=hit.period_start, touched=hit.decisions)
    j = made.left_join(hit, (made.team_id == hit.h_team) & (made.period_start == hit.h_start))
    return _out(j, j.touched.fill_null(0), j.decisions)


def _decisions_informed(x: Inputs) -> ir.Table:
    d = _decisions_informed_table(x)
    return _out(d, d.informed_share * 100.0, d.decisions)


def _iteration_improvement(x: Inputs) -> ir.Table:
    o = outcomes_met(x.table("decision"), x.table("decision_evidence"), x.grain)
    return _out(o, o.outcome_met_share * 100.0, o.reviewed)


def _feedback_incorporated(x: Inputs) -> ir.Table:
    f = feedback_incorporated(
        x.table("feedback"), x.table("feedback_link"), x.table("work_item"), x.grain
    )
    return _out(f, _pct(f.incorporated, f.linked), f.linked)


def _time_to_insight(x: Inputs) -> ir.Table:
    t = time_to_insight(x.table("feedback"), x.table("feedback_theme"), x.table("insight"), x.grain)
    return _out(t, t.p50_days, t.feedback)


def _market(x: Inputs) -> ir.Table:
    return time_to_market(x.table("work_item"), x.table("feedback_link"), x.grain)


def _insight_time_to_market(x: Inputs) -> ir.Table:
    t = insight_time_to_market(
        x.table("feedback"),
        x.table("feedback_link"),
        x.table("work_item"),
        x.table("feedback_theme"),
        x.table("insight"),
        x.grain,
    )
    return _out(t, t.p50_days_from_feedback, t.items)


def _feature_satisfaction(x: Inputs) -> ir.Table:
    f = feature_satisfaction(
        x.table("feedback"), x.table("feedback_link"), x.table("work_item"), x.grain
    )
    return _out(f, f.satisfaction_after, f.ratings_after)


def _activities(x: Inputs, kinds: tuple[str, ...]) -> ir.Table:
    a = activity_counts(x.table("activity"), x.grain)
    a = _member_teams(x, a.filter(a.kind.isin(kinds)))
    g = a.group_by("team_id", "period_start").aggregate(value=a.activities.sum())
    return _out(g, g.value, g.value)


def _satisfaction(x: Inputs, kind: str, communication: bool | None) -> ir.Table:
    s = satisfaction(x.table("survey"), x.table("survey_response"), x.min_group, x.grain, (kind,))
    if communication is not None:
        about = ibis.literal(False)
        for word in COMMUNICATION_WORDS:
            about = about | s.question.contains(word)
        s = s.filter(about if communication else ~about)
    figure = "favourable_share" if communication else "mean"
    return _survey(x, _per_survey(s, figure), figure, 100.0 if communication else 1.0)


def _strategic_time(x: Inputs) -> ir.Table:
    p = pm_time(x.table("survey"), x.table("survey_response"), x.min_group, x.grain)
    return _survey(x, p, "strategic_share", 100.0)


def _time_to_market(x: Inputs) -> ir.Table:
    m = _market(x)
    return _out(m, m.p50_days, m.features)


def _workflow_adherence(x: Inputs) -> ir.Table:
    w = x.table("work_item")
    found = deviating_items(x.table("work_item_transition"), x.workflow)
    c = conformance(w, found, x.grain, x.workflow)
    return _out(c, c.share * 100.0, c.items)


def _clarity(x: Inputs) -> ir.Table:
    w = x.table("work_item")
    items = w.select(
        team_id=w.team_id,
        period_start=period(w.created_at, x.grain),
        named=w.owner_id.notnull(),
    )
    d = x.table("decision").filter(lambda t: t.decided_at.notnull())
    named = d.deciders.notnull() & (d.deciders.strip() != "")
    calls = d.select(team_id=d.team_id, period_start=period(d.decided_at, x.grain), named=named)
    u = items.union(calls)
    g = u.group_by("team_id", "period_start").aggregate(
        part=u.named.cast("int64").sum(), n=u.count()
    )
    return _out(g, _pct(g.part, g.n), g.n)


def _bottlenecks_removed(x: Inputs) -> ir.Table:
    a = x.table("activity")
    held = retrospectives(a, x.grain).select("team_id", "period_start", "held")
    held = held.group_by("team_id", "period_start").aggregate(held=held.held.sum())
    r = a.filter(a.kind.isin(("retrospective", "process_review")))
    r = r.mutate(named=r.notes.re_extract(r"Bottleneck: ([^\n]*)", 1).strip().lower())
    r = r.filter(r.named.notnull() & (r.named != ""))
    r = r.select(rid=r.id, rteam=r.team_id, held_at=r.held_at, named=r.named)
    stays = status_stays(x.table("work_item"), x.table("work_item_transition"), x.as_of)
    stays = stays.filter(stays.seconds.notnull())
    span = ibis.interval(days=WINDOW_DAYS)
    # The window in the join: a review meets only the stays of its 180 days (on the demo at
    # scale 10, 105k pairs, not 451k).
    near = (stays.entered_at >= r.held_at - span) & (stays.entered_at < r.held_at + span)
    j = r.join(stays, (stays.team_id == r.rteam) & (stays.status.lower() == r.named) & near)
    before = j.entered_at < j.held_at
    w = j.group_by("rid", "rteam", "held_at").aggregate(
        before=j.seconds.mean(where=before), after=j.seconds.mean(where=~before)
    )
    w = w.mutate(period_start=period(w.held_at, x.grain), removed=w.after < w.before)
    g = w.group_by(team_id=w.rteam, period_start=w.period_start).aggregate(
        removed=w.removed.fill_null(False).cast("int64").sum()
    )
    m = held.left_join(g, (held.team_id == g.team_id) & (held.period_start == g.period_start))
    m = m.select(team_id=m.team_id, period_start=m.period_start, held=m.held, removed=m.removed)
    return _out(m, m.removed.fill_null(0), m.held)


def _dependency_delays(x: Inputs) -> ir.Table:
    w = x.table("work_item")
    b = cross_team_blocks(w, x.table("work_item_link"), x.as_of)
    d = dependency_delays(b, x.grain)
    return _out(d, d.blocked_days, d.items_delayed)


def _experiments(x: Inputs) -> ir.Table:
    e = x.table("experiment").filter(lambda t: t.started_at.notnull())
    return e.mutate(
        period_start=period(e.started_at, x.grain), setup=days_between(e.created_at, e.started_at)
    )


def _experiments_run(x: Inputs) -> ir.Table:
    e = _experiments(x)
    g = e.group_by("team_id", "period_start").aggregate(value=e.count())
    return _out(g, g.value, g.value)


def _experiment_setup_time(x: Inputs) -> ir.Table:
    e = _pooled(_experiments(x))
    g = e.group_by("team_id", "period_start").aggregate(value=e.setup.quantile(0.5), n=e.count())
    return _out(g, g.value, g.n)


def _self_sufficiency(x: Inputs) -> ir.Table:
    t = self_sufficiency(x.table("usage_event"), x.table("person"), x.table("insight"), x.grain)
    return _out(t, t.self_share * 100.0, t.items)


def _kpi_alignment(x: Inputs) -> ir.Table:
    w = x.table("work_item")
    done = (w.status_category == "done") & w.resolved_at.notnull()
    w = w.mutate(
        delivered_at=ibis.cases((w.released_at.notnull(), w.released_at), (done, w.resolved_at))
    )
    w = w.filter(w.type.lower().isin(ROADMAP_TYPES) & w.delivered_at.notnull())
    k = x.table("work_item_kpi")
    tied = k.select(tied_id=k.work_item_id).distinct()
    w = w.left_join(tied, w.id == tied.tied_id)
    w = w.mutate(period_start=period(w.delivered_at, x.grain))
    g = w.group_by("team_id", "period_start").aggregate(part=w.tied_id.notnull().sum(), n=w.count())
    return _out(g, _pct(g.part, g.n), g.n)


def _periods(x: Inputs) -> ir.Table:
    return ibis.memtable({"period_start": list(x.periods)}).mutate(
        period_start=lambda t: t.period_start.cast("timestamp('UTC')")
    )


def _active_accounts(x: Inputs) -> ir.Table:
    """Accounts active at each period's start: created before it, not churned by it."""
    a = x.table("account")
    j = _periods(x).cross_join(a.select("created_at", "churned_at"))
    starts = j.created_at.isnull() | (j.created_at < j.period_start)
    j = j.filter(starts & (j.churned_at.isnull() | (j.churned_at >= j.period_start)))
    return j.group_by("period_start").aggregate(active=j.count())


def _churn(x: Inputs) -> ir.Table:
    a = x.table("account").filter(lambda t: t.churned_at.notnull())
    gone = a.group_by(gone_start=period(a.churned_at, x.grain)).aggregate(gone=a.count())
    act = _active_accounts(x)
    j = act.left_join(gone, act.period_start == gone.gone_start).mutate(team_id=ibis.literal(ORG))
    return _out(j, _pct(j.gone.fill_null(0), j.active), j.active)


def _support_volume(x: Inputs) -> ir.Table:
    f = x.table("feedback")
    f = f.filter(f.channel == "support")
    tickets = f.group_by(t_start=period(f.created_at, x.grain)).aggregate(tickets=f.count())
    act = _active_accounts(x)
    j = act.left_join(tickets, act.period_start == tickets.t_start)
    j = j.mutate(team_id=ibis.literal(ORG))
    value = ibis.ifelse(j.active > 0, j.tickets.fill_null(0).cast("float64") / j.active, None)
    return _out(j, value, j.active)


def _onboarding_time(x: Inputs) -> ir.Table:
    o = onboarding_time(x.table("activity"), x.grain)
    return _out(o, o.median_days, o.members)


def _scope_creep(x: Inputs) -> ir.Table:
    w = x.table("work_item")
    epics = w.filter((w.type.lower() == "epic") & w.started_at.notnull())
    epics = epics.select(eid=epics.id, team_id=epics.team_id, began=epics.started_at)
    kids = w.select(parent=w.parent_id, added=w.created_at)
    j = epics.join(kids, kids.parent == epics.eid)
    j = j.mutate(period_start=period(j.began, x.grain), crept=j.added > j.began)
    g = j.group_by("team_id", "period_start").aggregate(
        part=j.crept.cast("int64").sum(), n=j.count()
    )
    return _out(g, _pct(g.part, g.n), g.n)


MEASURES: dict[str, Measure] = {
    "data.time_to_locate": Measure(
        _time_to_locate, "searches followed by an opened metric or record", ("usage_event",)
    ),
    "data.dashboard_usage": Measure(
        _dashboard_usage, "page views in productops by the team", ("usage_event", "person")
    ),
    "data.discrepancies": Measure(
        _discrepancies, "reconciliations run (`productops check`)", ("data_check_result",)
    ),
    "data.incidents_affecting_decisions": Measure(
        _incidents_affecting_decisions,
        "decisions made, and data incidents recorded (`productops check`)",
        ("decision", "data_incident"),
    ),
    "data.decisions_informed": Measure(_decisions_informed, "decisions made", ("decision",)),
    "data.iteration_improvement": Measure(
        _iteration_improvement, "data-informed decisions with a reviewed outcome", ("decision",)
    ),
    "customer.feedback_incorporated": Measure(
        _feedback_incorporated, "feedback linked to the team's work items", ("feedback_link",)
    ),
    "customer.time_to_insight": Measure(
        _time_to_insight, "insights published on feedback themes", ("insight", "feedback_theme")
    ),
    "customer.insight_time_to_market": Measure(
        _insight_time_to_market, "released items with confirmed feedback", ("feedback_link",)
    ),
    "customer.feature_satisfaction": Measure(
        _feature_satisfaction,
        "rated feedback of the requesting accounts after a linked item shipped",
        ("feedback_link",),
    ),
    "customer.insight_sessions": Measure(
        lambda x: _activities(x, ("insight_session",)), "insight sessions logged", ("activity",)
    ),
    "customer.stakeholder_satisfaction": Measure(
        lambda x: _satisfaction(x, "stakeholder", False), "stakeholder survey answers", ("survey",)
    ),
    "process.time_to_market": Measure(_time_to_market, "released features", ("work_item",)),
    "process.workflow_adherence": Measure(
        _workflow_adherence, "finished items with status history", ("work_item_transition",)
    ),
    "process.clarity": Measure(_clarity, "items created or decisions made", ("work_item",)),
    "process.bottlenecks_removed": Measure(
        _bottlenecks_removed, "retrospectives or process reviews logged", ("activity",)
    ),
    "process.dependency_delays": Measure(
        _dependency_delays, "items blocked by another team's items", ("work_item_link",)
    ),
    "process.communication": Measure(
        lambda x: _satisfaction(x, "stakeholder", True),
        "stakeholder survey answers on communication, alignment or clarity",
        ("survey",),
    ),
    "operations.experiments_run": Measure(_experiments_run, "experiments started", ("experiment",)),
    "operations.experiment_setup_time": Measure(
        _experiment_setup_time, "experiments started", ("experiment",)
    ),
    "operations.trainings_tools": Measure(
        lambda x: _activities(x, ("training", "tool_onboarding")),
        "trainings or tool onboardings logged",
        ("activity",),
    ),
    "operations.self_sufficiency": Measure(
        _self_sufficiency, "queries run or insights authored for the team", ("usage_event",)
    ),
    "operations.support_satisfaction": Measure(
        lambda x: _satisfaction(x, "ops_support", None), "ops-support survey answers", ("survey",)
    ),
    "operations.strategic_time": Measure(_strategic_time, "PM-time survey answers", ("survey",)),
    "business.kpi_alignment": Measure(
        _kpi_alignment, "delivered epics or features", ("work_item",)
    ),
    "business.churn": Measure(_churn, "customer accounts", ("account",)),
    "business.support_volume": Measure(
        _support_volume, "customer accounts and support feedback", ("account", "feedback")
    ),
    "business.onboarding_time": Measure(
        _onboarding_time, "completed onboardings of new members", ("activity",)
    ),
    "business.scope_creep": Measure(_scope_creep, "started epics with child items", ("work_item",)),
}
