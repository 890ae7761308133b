"""Survey results under the anonymity rule (the web app's survey pages, and
`productops survey results`): figures of a group smaller than `[surveys] min_group` are
suppressed by `productops.ops`, and comments shown only from that many writers on; the
questions an answer page asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from productops import ops
from productops.durations import Grain
from productops.registry.surveys import COMMENT, Survey, load_survey
from productops.services import compiled

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from productops.workspace import Workspace

__all__ = ["questions", "results_of", "survey_results"]


def results_of(
    survey: ir.Table, response: ir.Table, kind: str, min_group: int, g: Grain
) -> ir.Table:
    """The results table of surveys of `kind` (see `productops.ops`)."""
    if kind == "health_check":
        return ops.health_check(survey, response, min_group, g)
    if kind in ("stakeholder", "ops_support", "self_assessment"):
        return ops.satisfaction(survey, response, min_group, g, kinds=(kind,))
    if kind == "pm_time":
        return ops.pm_time(survey, response, min_group, g)
    return ops.onboarding_survey(survey, response, min_group, g)


def survey_results(
    ws: Workspace, ref: str, g: Grain = "quarter"
) -> tuple[Survey, list[dict[str, Any]], list[dict[str, Any]]]:
    """One survey's results and comments, small groups suppressed."""
    found = load_survey(ws.store, ref)
    kind, min_group = found.kind or "health_check", ws.config.surveys.min_group

    def table(t: Callable[[str], ir.Table]) -> ir.Table:
        return results_of(t("survey"), t("survey_response"), kind, min_group, g)

    def said(t: Callable[[str], ir.Table]) -> ir.Table:
        s = t("survey")
        return ops.comments(s.filter(s.kind == kind), t("survey_response"), min_group)

    key = f"{kind}:{min_group}:{g}"
    rows = compiled.rows(ws, f"survey_results:{key}", table, "survey_id = ?", [found.id])
    texts = compiled.rows(ws, f"survey_comments:{key}", said, "survey_id = ?", [found.id])
    return found, rows, texts


def questions(ws: Workspace, ref: str) -> list[str]:
    """The questions an answer page asks: those answered before in surveys of the same kind
    (the kind's questions as the organisation asks them), by name."""
    found = load_survey(ws.store, ref)
    rows = ws.store.sql(
        "SELECT DISTINCT r.question FROM survey_response r JOIN survey s ON s.id = r.survey_id "
        "WHERE s.kind = ? AND r.question <> ? ORDER BY 1",
        [found.kind, COMMENT],
    )
    return [q for (q,) in rows]
