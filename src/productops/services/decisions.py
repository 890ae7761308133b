"""The decision log: its reads (list, show, verify the frozen evidence) and its writes (log,
decide, supersede, attach evidence, review the outcome; definitions: docs/decisions.md). Each is audited as the actor's, in the write's transaction:
`decision.new|decide|supersede|review` on `decision:ID` with the decision before and after,
`decision.evidence` on `decision_evidence:ID` with the evidence as frozen (without its query
text and rows, which stay in the store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from productops.errors import UsageError
from productops.registry import decisions as registry
from productops.registry.evidence import MetricRequest
from productops.services import audit
from productops.services.catalog import workspace_catalog
from productops.services.rows import typed

if TYPE_CHECKING:
    from productops.services.actor import Actor
    from productops.workspace import Workspace

__all__ = [
    "Decision",
    "DecisionListed",
    "DecisionShown",
    "Evidence",
    "EvidenceListed",
    "Outcome",
    "Verification",
    "attach_evidence",
    "decide",
    "decision_status",
    "list_decisions",
    "log_decision",
    "review",
    "show_decision",
    "supersede",
    "verify_decision",
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


@dataclass(frozen=True)
class DecisionListed:
    """A decision as listed: `expected` the metric and direction hoped for ("items_done up"),
    `evidence` how many pieces of evidence it has."""

    id: str
    team_id: str
    title: str
    status: str
    decided_at: datetime | None
    expected: str | None
    review_at: datetime | None
    evidence: int
    outcome_met: bool | None


@dataclass(frozen=True)
class EvidenceListed:
    """A piece of a decision's evidence as shown beside it (`value`: the frozen figure)."""

    id: str
    kind: str
    ref_id: str
    value: float | None
    data_as_of: datetime | None
    captured_at: datetime
    query_hash: str | None


@dataclass(frozen=True)
class DecisionShown:
    """A decision with its evidence, in the order it was captured."""

    decision: Decision
    evidence: list[EvidenceListed]


@dataclass(frozen=True)
class Verification:
    """A frozen piece of evidence run again: the value then, reproduced and now; whether its
    rows reproduce (`reproduced`: same, different, gone or not frozen), whether today's data
    differs (`since`), whether its SQL hashes the same (`query`), and what changed."""

    evidence: str
    kind: str
    ref: str
    data_as_of: datetime | None
    value: float | None
    reproduced_value: float | None
    reproduced: str | None
    now_value: float | None
    since: str | None
    query: str | None
    changes: str | None


def decision_status(text: str | None, option: str = "status") -> str | None:
    """A decision status checked (None stays None): proposed, decided or superseded."""
    if text not in (None, *registry.STATUSES):
        raise UsageError(f"{option} {text!r}: use one of {', '.join(registry.STATUSES)}")
    return text


def list_decisions(
    ws: Workspace, team: str | None = None, status: str | None = None
) -> list[DecisionListed]:
    """Every decision (of `team`, in `status`), newest first."""
    rows = registry.list_decisions(ws.store, team, decision_status(status))
    for r in rows:
        metric, direction = r.get("expected_metric"), r.get("expected_direction")
        r["expected"] = f"{metric} {direction}" if metric else None
    return typed(rows, DecisionListed)


def show_decision(ws: Workspace, ref: str) -> DecisionShown:
    """Decision `ref` (its id, or a unique start of its part after `decision-`) and its evidence."""
    found = _typed(Decision, registry.load_decision(ws.store, ref))
    return DecisionShown(found, typed(registry.evidence_of(ws.store, found.id), EvidenceListed))


def verify_decision(ws: Workspace, ref: str, now: datetime) -> list[Verification]:
    """Run each frozen piece of decision `ref`'s evidence again, as of its time and at `now`."""
    found = registry.verify_evidence(ws.store, ws.backend(), workspace_catalog(ws), ref, now)
    return typed(found, Verification)


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
