"""The decision log's writes: log, decide, supersede, attach evidence, review the outcome
(definitions: docs/decisions.md). Each is audited as the actor's, in the write's transaction:
`decision.new|decide|supersede|review` on `decision:ID` with the decision before and after,
`decision.evidence` on `decision_evidence:ID` with the evidence as frozen (without its query
text and rows, which stay in the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from productops.registry import decisions as registry
from productops.registry.evidence import MetricRequest
from productops.services import audit
from productops.services.catalog import workspace_catalog

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "Decision",
    "Evidence",
    "Outcome",
    "attach_evidence",
    "decide",
    "log_decision",
    "review",
    "supersede",
]


@dataclass(frozen=True)
class Decision:
    """A decision as stored."""

    id: str
    team_id: str
    title: str
    status: str
    context: str | None
    options: str | None
    decision: str | None
    deciders: str | None
    decided_at: datetime | None
    superseded_by: str | None
    expected_metric: str | None
    expected_direction: str | None
    expected_by: datetime | None
    review_at: datetime | None
    outcome_value: float | None
    outcome_at: datetime | None
    outcome_met: bool | None


@dataclass(frozen=True)
class Evidence:
    """One piece of a decision's evidence, frozen as seen (`spec` and `result` are JSON)."""

    id: str
    decision_id: str
    kind: str
    ref_id: str
    value: float | None
    query: str | None
    query_hash: str | None
    data_as_of: datetime | None
    captured_at: datetime
    spec: str | None
    result: str | None


@dataclass(frozen=True)
class Outcome:
    """A reviewed decision, with the baseline it was measured against and the request asked."""

    decision: Decision
    baseline: float | None
    request: dict[str, Any]


_Row = TypeVar("_Row", "Decision", "Evidence")


def _typed(kind: type[_Row], row: dict[str, Any]) -> _Row:
    """The stored row as `kind`, leaving out the columns every table has (source, ingested_at)."""
    return kind(**{f.name: row[f.name] for f in fields(kind)})


def _write(ws: Workspace, actor: Actor, action: str, before: Decision, after: Decision) -> None:
    audit.record(ws, actor, action, f"decision:{after.id}", asdict(before), asdict(after))


def log_decision(
    ws: Workspace,
    actor: Actor,
    *,
    team_id: str,
    title: str,
    context: str | None,
    options: Sequence[str],
    deciders: Sequence[str],
    expect: tuple[str, str] | None,
    expected_by: datetime | None,
    review_at: datetime | None,
    at: datetime,
) -> Decision:
    """Log a proposed decision (a write: audited as `actor`'s)."""
    catalog = workspace_catalog(ws)
    with ws.store.transaction():
        row = registry.propose(
            ws.store, catalog, team_id=team_id, title=title, context=context, options=options,
            deciders=deciders, expect=expect, expected_by=expected_by, review_at=review_at, at=at,
        )  # fmt: skip
        made = _typed(Decision, row)
        audit.record(ws, actor, "decision.new", f"decision:{made.id}", None, asdict(made))
    return made


def decide(
    ws: Workspace, actor: Actor, ref: str, choice: str, rationale: str | None, at: datetime
) -> Decision:
    """Record what was decided (an option's text or number); the decision becomes decided (a
    write: audited as `actor`'s)."""
    before = _typed(Decision, registry.load_decision(ws.store, ref))
    with ws.store.transaction():
        after = _typed(Decision, registry.record_choice(ws.store, before.id, choice, rationale, at))
        _write(ws, actor, "decision.decide", before, after)
    return after


def supersede(ws: Workspace, actor: Actor, ref: str, by: str) -> Decision:
    """Mark decision `ref` superseded by decision `by` (a write: audited as `actor`'s)."""
    before = _typed(Decision, registry.load_decision(ws.store, ref))
    with ws.store.transaction():
        after = _typed(Decision, registry.supersede(ws.store, before.id, by))
        _write(ws, actor, "decision.supersede", before, after)
    return after


def attach_evidence(
    ws: Workspace,
    actor: Actor,
    ref: str,
    evidence: MetricRequest | tuple[str, str],
    at: datetime,
) -> Evidence:
    """Freeze evidence for a decision: a metric query (its rows, SQL, hash and data time) or a
    record, `(kind, id)` of an experiment, insight or feedback (a write: audited as `actor`'s)."""
    decision = registry.load_decision(ws.store, ref)["id"]
    if isinstance(evidence, MetricRequest):
        backend, catalog = ws.backend(), workspace_catalog(ws)
        with ws.store.transaction():
            row = registry.attach_metric(ws.store, backend, catalog, decision, evidence, at)
            return _frozen(ws, actor, row)
    with ws.store.transaction():
        return _frozen(ws, actor, registry.attach_record(ws.store, decision, *evidence, at))


def _frozen(ws: Workspace, actor: Actor, row: dict[str, Any]) -> Evidence:
    """The evidence just landed, audited (without its query text and rows)."""
    made = _typed(Evidence, row)
    shown = {k: v for k, v in asdict(made).items() if k not in ("query", "result")}
    audit.record(ws, actor, "decision.evidence", f"decision_evidence:{made.id}", None, shown)
    return made


def review(ws: Workspace, actor: Actor, ref: str, at: datetime) -> Outcome:
    """Measure the expected metric again at `at` and record the outcome (a write: audited as
    `actor`'s)."""
    before = _typed(Decision, registry.load_decision(ws.store, ref))
    backend, catalog = ws.backend(), workspace_catalog(ws)
    with ws.store.transaction():
        row = registry.review_outcome(ws.store, backend, catalog, before.id, at)
        after = _typed(Decision, row)
        _write(ws, actor, "decision.review", before, after)
    return Outcome(after, row["baseline"], row["request"])
