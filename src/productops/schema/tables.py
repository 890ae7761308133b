"""The canonical tables: one schema for every source (see DESIGN.md, "Canonical data model").

Every table also carries `source` (where the row came from) and `ingested_at` (UTC).
Timestamps are UTC. `productops schema TABLE` prints these definitions.
"""

from __future__ import annotations

from productops.errors import UsageError
from productops.schema.model import Column as C
from productops.schema.model import Table

__all__ = ["COMMON_COLUMNS", "TABLES", "table"]

COMMON_COLUMNS = (
    C("source", "string", "Where the row came from (jira, github, file name, demo).", required=True),
    C("ingested_at", "timestamp", "When the row last changed in this store (UTC).", required=True),
)

STATUS_CATEGORIES = ("todo", "in_progress", "done", "cancelled")
PILLARS = ("data", "customer", "process")
TEAM = C("team_id", "string", "Owning team.", ref="team")


def _t(name: str, area: str, doc: str, key: tuple[str, ...], *cols: C, qualified: bool = True,
       system: bool = False) -> Table:
    return Table(name, area, doc, key, (*cols, *COMMON_COLUMNS), qualified, system)


_TABLES = [
    # organisation
    _t("team", "organisation", "A product team; teams form a tree through parent_id.", ("id",),
       C("id", doc="Team id, e.g. payments.", required=True),
       C("name", doc="Display name.", required=True),
       C("parent_id", doc="Parent team or group.", ref="team"),
       C("focus_pillar", doc="Pillar the team focuses on.", choices=PILLARS),
       qualified=False),
    _t("person", "organisation", "A member of a team; no e-mail or name is stored.", ("id",),
       C("id", required=True), TEAM,
       C("role", doc="pm, engineer, designer, em, product_ops, data, ..."),
       C("joined_at", "timestamp", "When the person joined the team."),
       qualified=False),
    # delivery
    _t("work_item", "delivery", "An issue, story, bug or epic in a work tracker.", ("id",),
       C("id", doc="Source-qualified key, e.g. jira:PROJ-12.", required=True),
       C("team_id", "string", "Owning team.", required=True, ref="team"),
       C("type", doc="story, bug, task, epic, ..."),
       C("title"),
       C("status", doc="Status name as the source spells it."),
       C("status_category", doc="Normalised category of the status.", choices=STATUS_CATEGORIES),
       C("created_at", "timestamp", required=True),
       C("started_at", "timestamp", "First move into an in-progress status."),
       C("resolved_at", "timestamp", "When it was done (the source's resolution date if any)."),
       C("released_at", "timestamp", "When it reached customers."),
       C("parent_id", doc="Parent item (epic).", ref="work_item"),
       C("estimate", "float", "Estimate in the source's unit (points or days)."),
       C("owner_id", doc="Accountable person (assignee).", ref="person")),
    _t("work_item_transition", "delivery", "A status change of a work item.",
       ("work_item_id", "changed_at", "to_status"),
       C("work_item_id", required=True, ref="work_item"),
       C("changed_at", "timestamp", required=True),
       C("from_status"), C("to_status", required=True),
       C("to_category", doc="Category of to_status.", choices=STATUS_CATEGORIES)),
    _t("work_item_flag", "delivery", "A period in which an item was blocked or flagged.",
       ("work_item_id", "kind", "started_at"),
       C("work_item_id", required=True, ref="work_item"),
       C("kind", required=True, choices=("blocked", "flagged")),
       C("started_at", "timestamp", required=True), C("ended_at", "timestamp"), C("reason")),
    _t("work_item_link", "delivery", "A link between work items (blocks, relates, duplicates).",
       ("from_id", "to_id", "type"),
       C("from_id", required=True, ref="work_item"), C("to_id", required=True, ref="work_item"),
       C("type", required=True, doc="blocks means from_id blocks to_id.",
         choices=("blocks", "relates", "duplicates", "clones"))),
    _t("work_item_kpi", "delivery", "A work item tied to a business KPI.", ("work_item_id", "kpi_id"),
       C("work_item_id", required=True, ref="work_item"), C("kpi_id", required=True, ref="kpi"),
       C("expected_impact", doc="What the item is expected to move.")),
    # code and release
    _t("change", "code", "A pull request or merged change.", ("id",),
       C("id", required=True), TEAM, C("repo"), C("title"), C("author_id", ref="person"),
       C("created_at", "timestamp", required=True), C("first_commit_at", "timestamp"),
       C("first_review_at", "timestamp"), C("merged_at", "timestamp"), C("merge_sha"),
       C("work_item_id", ref="work_item")),
    _t("deployment", "code", "A deployment to an environment.", ("id",),
       C("id", required=True), TEAM, C("environment", doc="production, staging, ..."),
       C("started_at", "timestamp"), C("finished_at", "timestamp", required=True),
       C("result", choices=("success", "failure")), C("commit_sha")),
    _t("deployment_change", "code", "Which changes a deployment shipped.", ("deployment_id", "change_id"),
       C("deployment_id", required=True, ref="deployment"), C("change_id", required=True, ref="change")),
    _t("incident", "code", "A production incident.", ("id",),
       C("id", required=True), TEAM, C("severity"), C("created_at", "timestamp", required=True),
       C("resolved_at", "timestamp"), C("deployment_id", doc="Deployment that caused it.", ref="deployment")),
    # customers
    _t("account", "customers", "A customer account.", ("id",),
       C("id", required=True), C("name"), C("domain", doc="E-mail domain, used to match feedback."),
       C("segment", doc="smb, mid_market, enterprise, ..."), C("arr", "float", "Annual recurring revenue."),
       C("plan"), C("created_at", "timestamp"), C("churned_at", "timestamp"),
       qualified=False),
    _t("feedback", "customers", "One piece of customer feedback from any channel.", ("id",),
       C("id", required=True),
       C("channel", required=True, doc="support, review, nps, csat, sales, survey, community, ..."),
       C("account_id", ref="account"), C("requester_hash", doc="Salted hash of the person who gave it."),
       C("text", required=True), C("language"), C("created_at", "timestamp", required=True),
       C("rating", "float", "Score given with it (NPS 0-10, CSAT 1-5, stars 1-5)."), C("url")),
    _t("theme", "customers", "A theme found in feedback.", ("id",),
       C("id", required=True), C("label", required=True), C("keywords", doc="Comma-separated."),
       C("status", choices=("active", "merged", "split", "archived")),
       C("merged_into", ref="theme"), C("renamed_by", doc="Person who renamed it, if any.", ref="person"),
       C("created_at", "timestamp")),
    _t("feedback_theme", "customers", "Feedback assigned to a theme.", ("feedback_id", "theme_id"),
       C("feedback_id", required=True, ref="feedback"), C("theme_id", required=True, ref="theme"),
       C("score", "float", "Similarity to the theme, 0-1.")),
    _t("insight", "customers", "A published customer insight.", ("id",),
       C("id", required=True), TEAM, C("title", required=True), C("summary"),
       C("theme_ids", "json", "JSON list of theme ids."), C("audience"),
       C("author_id", ref="person"), C("published_at", "timestamp")),
    _t("feedback_link", "customers", "Feedback linked to a work item.", ("feedback_id", "work_item_id"),
       C("feedback_id", required=True, ref="feedback"), C("work_item_id", required=True, ref="work_item"),
       C("importance", "int", "Customer importance 0-3.", choices=("0", "1", "2", "3")),
       C("state", choices=("suggested", "confirmed", "rejected")),
       C("score", "float", "Similarity behind a suggestion, 0-1."), C("created_at", "timestamp")),
    # product usage
    _t("event", "usage", "A product analytics event.", ("id",),
       C("id", required=True), C("ts", "timestamp", required=True), C("user_id"),
       C("account_id", ref="account"), C("name", required=True), C("properties", "json")),
    # experiments
    _t("experiment", "experiments", "A product experiment.", ("id",),
       C("id", required=True), TEAM, C("name"), C("hypothesis"), C("owner_id", ref="person"),
       C("created_at", "timestamp", required=True), C("started_at", "timestamp"),
       C("stopped_at", "timestamp"), C("decided_at", "timestamp"),
       C("decision", choices=("ship", "rollback", "iterate", "inconclusive"))),
    _t("experiment_metric", "experiments", "A metric an experiment is judged on.",
       ("experiment_id", "metric"),
       C("experiment_id", required=True, ref="experiment"), C("metric", required=True),
       C("role", choices=("goal", "guardrail", "secondary"))),
    _t("experiment_arm_stat", "experiments", "Per-arm sufficient statistics of a metric.",
       ("experiment_id", "metric", "arm"),
       C("experiment_id", required=True, ref="experiment"), C("metric", required=True),
       C("arm", required=True), C("units", "int", required=True), C("sum", "float"),
       C("sum_squares", "float")),
    _t("exposure", "experiments", "A unit exposed to an arm.", ("experiment_id", "unit_id"),
       C("experiment_id", required=True, ref="experiment"), C("unit_id", required=True),
       C("arm", required=True), C("exposed_at", "timestamp")),
    # governance
    _t("kpi", "governance", "A business KPI.", ("id",),
       C("id", required=True), C("name", required=True), C("description"), C("unit"),
       C("direction", choices=("higher", "lower")), C("owner_id", ref="person"), qualified=False),
    _t("decision", "governance", "A product decision.", ("id",),
       C("id", required=True), TEAM, C("title", required=True), C("context"), C("options"),
       C("decision"), C("deciders", doc="Comma-separated person ids."),
       C("status", choices=("proposed", "decided", "superseded")), C("superseded_by", ref="decision"),
       C("decided_at", "timestamp"), C("expected_metric"),
       C("expected_direction", choices=("up", "down")), C("expected_by", "timestamp"),
       C("review_at", "timestamp"), C("outcome_met", "bool")),
    _t("decision_evidence", "governance", "Evidence behind a decision, frozen as seen.", ("id",),
       C("id", required=True), C("decision_id", required=True, ref="decision"),
       C("kind", choices=("metric", "experiment", "insight", "feedback")), C("ref_id"),
       C("value", "float"), C("query"), C("query_hash"), C("data_as_of", "timestamp"),
       C("captured_at", "timestamp")),
    _t("initiative", "governance", "An improvement initiative through the design-thinking cycle.", ("id",),
       C("id", required=True), TEAM, C("title", required=True),
       C("stage", choices=("empathize", "define", "ideate", "prototype", "test", "implement")),
       C("target_metric"), C("baseline", "float"), C("after", "float"),
       C("started_at", "timestamp"), C("ended_at", "timestamp")),
    _t("nudge", "governance", "A suggestion offered to a team.", ("id",),
       C("id", required=True), TEAM, C("rule", required=True), C("readiness", "json"),
       C("status", choices=("offered", "accepted", "dismissed", "done")), C("outcome"),
       C("offered_at", "timestamp")),
    _t("activity", "governance", "A workshop, training, retrospective, review or onboarding.", ("id",),
       C("id", required=True), TEAM,
       C("kind", required=True, choices=("workshop", "insight_session", "training", "tool_onboarding",
                                         "retrospective", "process_review", "onboarding")),
       C("title"), C("person_id", doc="For onboarding: the new member.", ref="person"),
       C("held_at", "timestamp", required=True), C("ended_at", "timestamp"),
       C("attendees", "int"), C("notes")),
    _t("survey", "governance", "A survey sent to a team or stakeholders.", ("id",),
       C("id", required=True), TEAM,
       C("kind", choices=("health_check", "stakeholder", "ops_support", "pm_time", "onboarding")),
       C("title"), C("opened_at", "timestamp"), C("closed_at", "timestamp")),
    _t("survey_response", "governance", "One anonymous answer to one survey question.", ("id",),
       C("id", required=True), C("survey_id", required=True, ref="survey"), TEAM,
       C("respondent_hash", doc="Salted hash grouping one respondent's answers."),
       C("question", required=True), C("value", "float"), C("text"), C("submitted_at", "timestamp")),
    # the platform itself
    _t("metric_snapshot", "platform", "A metric's value for a team and period, kept as history.",
       ("metric", "team_id", "grain", "period_start"),
       C("metric", required=True), C("team_id", required=True), C("grain", required=True),
       C("period_start", "timestamp", required=True), C("value", "float"), C("unit"),
       C("computed_at", "timestamp")),
    _t("data_check", "platform", "A declared data-quality check.", ("id",),
       C("id", required=True), C("kind", required=True), C("target", required=True), C("params", "json")),
    _t("data_check_result", "platform", "One run of a data-quality check.", ("check_id", "run_at"),
       C("check_id", required=True, ref="data_check"), C("run_at", "timestamp", required=True),
       C("status", choices=("pass", "warn", "error")), C("observed", "float"), C("details", "json")),
    _t("usage_event", "platform", "Use of productops itself: searches, page views, authorship.", ("id",),
       C("id", required=True), C("ts", "timestamp", required=True), C("person_id", ref="person"),
       TEAM, C("kind", required=True), C("target"), C("properties", "json")),
    _t("raw_record", "platform", "A payload as a connector received it, before mapping.", ("id",),
       C("id", required=True, doc="Hash of endpoint and payload."), C("endpoint"),
       C("fetched_at", "timestamp"), C("payload", "json", required=True), system=True),
    _t("quarantine", "platform", "A row that failed validation, with the reason.", ("id",),
       C("id", required=True, doc="Hash of table, file, line and record."), C("table_name", required=True),
       C("file"), C("line", "int", "Line in the file (row number for Parquet)."),
       C("reason", required=True), C("record", "json", "The row as read."), system=True),
    _t("import_run", "platform", "One run of `productops import` or a demo load.", ("id",),
       C("id", required=True), C("table_name", required=True), C("file"),
       C("started_at", "timestamp", required=True), C("finished_at", "timestamp"),
       C("landed", "int"), C("updated", "int"), C("unchanged", "int"), C("quarantined", "int"),
       system=True),
]

TABLES: dict[str, Table] = {t.name: t for t in _TABLES}


def table(name: str) -> Table:
    """The canonical table called `name`, or a `UsageError` listing the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise UsageError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None
