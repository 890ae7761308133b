"""The decision log: propose, decide, supersede, attach evidence, verify it, review the outcome.

Ids: `productops:decision-<slug of the title>` (a number is added when the
title was used before) and `productops:evidence-<decision slug>-<n>`. Metric
evidence is frozen by `productops.registry.evidence`; an experiment, insight or
feedback is frozen as its row. Definitions: docs/decisions.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from productops.engine import Store
from productops.errors import ConflictError, UsageError
from productops.experiments.registry import slug
from productops.pillars.data import Catalog, dimensions_of
from productops.registry.evidence import (
    MetricRequest,
    compare,
    frozen_json,
    measure,
    period_start,
)
from productops.registry.rows import SOURCE, TIMESTAMP, land, resolve, strings, update

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = [
    "OPTION_SEPARATOR",
    "RECORD_KINDS",
    "STATUSES",
    "attach_metric",
    "attach_record",
    "evidence_of",
    "list_decisions",
    "load_decision",
    "parse_expectation",
    "propose",
    "record_choice",
    "review_outcome",
    "supersede",
    "verify_evidence",
]

OPTION_SEPARATOR = "; "
STATUSES = ("proposed", "decided", "superseded")
# evidence kind -> (table, short-reference prefix)
RECORD_KINDS = {
    "experiment": ("experiment", "exp"),
    "insight": ("insight", ""),
    "feedback": ("feedback", ""),
}


def parse_expectation(text: str) -> tuple[str, str]:
    """`METRIC:up` or `METRIC:down` as (metric, direction)."""
    metric, _, direction = text.rpartition(":")
    if not metric or direction not in ("up", "down"):
        raise UsageError(
            f"--expect {text!r}: give METRIC:up or METRIC:down, e.g. activation_rate:up"
        )
    return metric, direction


def _check_metric(catalog: Catalog, name: str) -> None:
    if catalog.metric(name).type == "lens":
        raise UsageError(f"{name} is a lens (a table, not one value); expect a single metric")


def _exists(store: Store, table: str, ident: str) -> bool:
    return bool(store.sql(f"SELECT count(*) FROM {table} WHERE id = ?", [ident])[0][0])


def propose(
    store: Store,
    catalog: Catalog,
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
) -> dict[str, Any]:
    """Log a proposed decision; return it."""
    try:
        local = slug(title)
    except UsageError:
        raise UsageError(f"decision title {title!r}: use letters or digits") from None
    if not _exists(store, "team", team_id):
        raise UsageError(f"unknown team {team_id!r}; import it first (productops import team FILE)")
    people = store.sql("SELECT count(*) FROM person")[0][0]
    for person in deciders if people else ():
        if not _exists(store, "person", person):
            raise UsageError(f"--decider {person!r}: no such id in the person table")
    if any(OPTION_SEPARATOR.strip() in o for o in options):
        raise UsageError(f"--option: an option may not contain {OPTION_SEPARATOR.strip()!r}")
    if expect is not None:
        _check_metric(catalog, expect[0])
    if review_at is not None and review_at < at:
        raise UsageError(f"--review {review_at:%Y-%m-%d} is before the decision was logged")
    base = f"{SOURCE}:decision-{local}"
    ident, n = base, 1
    while _exists(store, "decision", ident):
        n += 1
        ident = f"{base}-{n}"
    row = {
        "id": strings([ident]),
        "team_id": strings([team_id]),
        "title": strings([title.strip()]),
        "context": strings([context]),
        "options": strings([OPTION_SEPARATOR.join(o.strip() for o in options) or None]),
        "deciders": strings([",".join(deciders) or None]),
        "status": strings(["proposed"]),
        "expected_metric": strings([expect[0] if expect else None]),
        "expected_direction": strings([expect[1] if expect else None]),
        "expected_by": pa.array([expected_by], TIMESTAMP),
        "review_at": pa.array([review_at], TIMESTAMP),
    }
    land(store, "decision", pa.table(row), "productops decision new")
    return load_decision(store, ident)


def load_decision(store: Store, ref: str) -> dict[str, Any]:
    """The decision named by `ref` (its id or the part after `productops:decision-`)."""
    ident = resolve(store, "decision", "decision", ref, "decision")
    row: dict[str, Any] = store.arrow("SELECT * FROM decision WHERE id = ?", [ident]).to_pylist()[0]
    return row


def record_choice(
    store: Store, ref: str, choice: str, rationale: str | None, at: datetime
) -> dict[str, Any]:
    """Mark a proposed decision decided with `choice` (an option's text or number)."""
    d = load_decision(store, ref)
    if d["status"] != "proposed":
        raise ConflictError(
            f"{d['id']} is {d['status']} already; only a proposed decision is decided"
        )
    options = d["options"].split(OPTION_SEPARATOR) if d["options"] else []
    chosen = choice.strip()
    if options:
        by_text = {o.lower(): o for o in options}
        if chosen.isdigit() and 1 <= int(chosen) <= len(options):
            chosen = options[int(chosen) - 1]
        elif chosen.lower() in by_text:
            chosen = by_text[chosen.lower()]
        else:
            listed = "; ".join(f"{i + 1}) {o}" for i, o in enumerate(options))
            raise UsageError(f"--choice {choice!r} is not an option of {d['id']}: {listed}")
    if not chosen:
        raise UsageError("--choice: say what was decided")
    text = f"{chosen}: {rationale.strip()}" if rationale and rationale.strip() else chosen
    update(
        store, "decision", d["id"], "productops decision decide",
        decision=text, status="decided", decided_at=at,
    )  # fmt: skip
    return load_decision(store, d["id"])


def supersede(store: Store, ref: str, by: str) -> dict[str, Any]:
    """Mark decision `ref` superseded by decision `by`."""
    d, other = load_decision(store, ref), load_decision(store, by)
    if d["id"] == other["id"]:
        raise UsageError(f"{d['id']} cannot supersede itself")
    if d["status"] == "superseded":
        raise ConflictError(f"{d['id']} is superseded already (by {d['superseded_by']})")
    update(
        store, "decision", d["id"], "productops decision supersede",
        status="superseded", superseded_by=other["id"],
    )  # fmt: skip
    return load_decision(store, d["id"])


def _evidence_row(
    decision_id: str, kind: str, ref_id: str, at: datetime, **values: Any
) -> pa.Table:
    return pa.table(
        {
            "id": strings([values.pop("id")]),
            "decision_id": strings([decision_id]),
            "kind": strings([kind]),
            "ref_id": strings([ref_id]),
            "value": pa.array([values.get("value")], pa.float64()),
            "query": strings([values.get("query")]),
            "query_hash": strings([values.get("query_hash")]),
            "data_as_of": pa.array([values.get("data_as_of")], TIMESTAMP),
            "captured_at": pa.array([at], TIMESTAMP),
            "spec": strings([values.get("spec")]),
            "result": strings([values.get("result")]),
        }
    )


def _next_evidence_id(store: Store, decision_id: str) -> str:
    local = decision_id.split(":", 1)[1].removeprefix("decision-")
    n = store.sql("SELECT count(*) FROM decision_evidence WHERE decision_id = ?", [decision_id])
    ident, k = f"{SOURCE}:evidence-{local}-{n[0][0] + 1}", n[0][0] + 1
    while _exists(store, "decision_evidence", ident):
        k += 1
        ident = f"{SOURCE}:evidence-{local}-{k}"
    return ident


def attach_metric(
    store: Store,
    backend: BaseBackend,
    catalog: Catalog,
    ref: str,
    request: MetricRequest,
    at: datetime,
) -> dict[str, Any]:
    """Freeze a metric query as evidence: its rows, value, SQL and hash, as of `at`."""
    d = load_decision(store, ref)
    seen = measure(catalog, backend, request, at)
    ident = _next_evidence_id(store, d["id"])
    data = _evidence_row(
        d["id"], "metric", request.metric, at,
        id=ident, value=seen.value, query=seen.query, query_hash=seen.query_hash,
        data_as_of=at, spec=frozen_json(request.spec()), result=frozen_json(seen.rows),
    )  # fmt: skip
    land(store, "decision_evidence", data, "productops decision evidence")
    return evidence_of(store, d["id"])[-1] | {"rows": len(seen.rows)}


def _record(store: Store, table: str, ident: str) -> dict[str, Any]:
    rows = store.arrow(f"SELECT * EXCLUDE (ingested_at) FROM {table} WHERE id = ?", [ident])
    row: dict[str, Any] = rows.to_pylist()[0]
    return row


def attach_record(store: Store, ref: str, kind: str, record: str, at: datetime) -> dict[str, Any]:
    """Cite an experiment, insight or feedback as evidence, freezing its row as seen."""
    d = load_decision(store, ref)
    table, prefix = RECORD_KINDS[kind]
    ident = resolve(store, table, prefix or table, record, table)
    changed = store.sql(f"SELECT ingested_at FROM {table} WHERE id = ?", [ident])[0][0]
    data = _evidence_row(
        d["id"], kind, ident, at,
        id=_next_evidence_id(store, d["id"]), data_as_of=changed,
        spec=frozen_json({"table": table, "id": ident}),
        result=frozen_json(_record(store, table, ident)),
    )  # fmt: skip
    land(store, "decision_evidence", data, "productops decision evidence")
    return evidence_of(store, d["id"])[-1]


def evidence_of(store: Store, decision_id: str) -> list[dict[str, Any]]:
    """A decision's evidence in the order it was captured."""
    rows: list[dict[str, Any]] = store.arrow(
        "SELECT * FROM decision_evidence WHERE decision_id = ? ORDER BY captured_at, id",
        [decision_id],
    ).to_pylist()
    return rows


def _same(a: Any, b: Any) -> str:
    return "same" if a == b else "different"


def _verify_record(store: Store, spec: dict[str, Any], frozen: dict[str, Any]) -> dict[str, Any]:
    if not _exists(store, spec["table"], spec["id"]):
        return {"reproduced": "gone", "since": "gone", "changes": f"{spec['id']} was removed"}
    current = json.loads(frozen_json(_record(store, spec["table"], spec["id"])))
    moved = [f"{k}: {frozen.get(k)} -> {v}" for k, v in current.items() if frozen.get(k) != v]
    status = _same(frozen, current)
    return {"reproduced": status, "since": status, "changes": "; ".join(moved)}


def _verify_metric(
    catalog: Catalog, backend: BaseBackend, e: dict[str, Any], now: datetime
) -> dict[str, Any]:
    request = MetricRequest.from_spec(e["spec"])
    today = measure(catalog, backend, request, e["data_as_of"], ingested_by=now)
    if e["result"] is None:
        return {"reproduced": "not frozen", "now_value": today.value}
    frozen = json.loads(e["result"])
    again = measure(catalog, backend, request, e["data_as_of"])
    return {
        "reproduced_value": again.value,
        "now_value": today.value,
        "reproduced": _same(frozen, again.rows),
        "since": _same(frozen, today.rows),
        "query": _same(e["query_hash"], again.query_hash),
        "changes": "; ".join(compare(frozen, today.rows, today.keys)),
    }


def verify_evidence(
    store: Store, backend: BaseBackend, catalog: Catalog, ref: str, now: datetime
) -> list[dict[str, Any]]:
    """Re-run each frozen piece of evidence: as of its time (reproduced) and on today's data.

    Per entry: the value then, reproduced and now; whether the rows reproduce
    (`reproduced`: same or different), whether today's data differs for the same
    periods (`since`), whether the compiled SQL still hashes the same
    (`query`), and the rows that changed. Entries without a spec (an
    experiment's own decision) or, for metrics, without frozen rows are `not frozen`.
    """
    d = load_decision(store, ref)
    out: list[dict[str, Any]] = []
    for e in evidence_of(store, d["id"]):
        row = {"evidence": e["id"], "kind": e["kind"], "ref": e["ref_id"], "value": e["value"]}
        row["data_as_of"] = e["data_as_of"]
        if e["spec"] is None or (e["kind"] != "metric" and e["result"] is None):
            out.append(row | {"reproduced": "not frozen"})
        elif e["kind"] == "metric":
            out.append(row | _verify_metric(catalog, backend, e, now))
        else:
            out.append(row | _verify_record(store, json.loads(e["spec"]), json.loads(e["result"])))
    return out


def _review_request(store: Store, catalog: Catalog, d: dict[str, Any]) -> MetricRequest:
    """The request of the decision's last metric evidence on its expected metric (without `by`),
    else the metric per week, for the decision's team when the metric has a team dimension."""
    metric = d["expected_metric"]
    for e in reversed(evidence_of(store, d["id"])):
        if e["kind"] == "metric" and e["ref_id"] == metric and e["spec"]:
            asked = MetricRequest.from_spec(e["spec"])
            return MetricRequest(metric, grain=asked.grain, where=asked.where)
    team = "team" in dimensions_of(catalog, catalog.metric(metric)) and d["team_id"]
    return MetricRequest(metric, where=(f"team = {json.dumps(d['team_id'])}",) if team else ())


def review_outcome(
    store: Store, backend: BaseBackend, catalog: Catalog, ref: str, at: datetime
) -> dict[str, Any]:
    """Measure the expected metric again at `at` and record the outcome.

    `outcome_value` is the metric in the last period that ended by `at`; the
    baseline is the metric in the last period that ended by the decision, both
    on the data in the store now. The outcome is met when the value moved the
    expected way from the baseline (no baseline: not known).
    """
    d = load_decision(store, ref)
    if not d["expected_metric"] or not d["expected_direction"]:
        raise UsageError(f"{d['id']} expects no outcome; log one with --expect METRIC:up|down")
    if d["decided_at"] is None:
        raise ConflictError(f"{d['id']} is {d['status']}; decide it before reviewing its outcome")
    if at <= d["decided_at"]:
        raise UsageError(
            f"--at {at:%Y-%m-%d} is not after the decision ({d['decided_at']:%Y-%m-%d})"
        )
    request = _review_request(store, catalog, d)
    if period_start(at, request.grain) <= period_start(d["decided_at"], request.grain):
        raise UsageError(
            f"--at {at:%Y-%m-%d}: no {request.grain} has ended since the decision; review later"
        )
    now = datetime.now(UTC)
    before = measure(catalog, backend, request, d["decided_at"], ingested_by=now).value
    after = measure(catalog, backend, request, at, ingested_by=now).value
    met = None
    if before is not None and after is not None:
        met = after > before if d["expected_direction"] == "up" else after < before
    update(
        store, "decision", d["id"], "productops decision review",
        outcome_value=after, outcome_at=at, outcome_met=met,
    )  # fmt: skip
    return load_decision(store, d["id"]) | {"baseline": before, "request": request.spec()}


def list_decisions(
    store: Store, team_id: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Every decision with its number of evidence entries, newest first."""
    rows: list[dict[str, Any]] = store.arrow(
        "SELECT d.*, (SELECT count(*) FROM decision_evidence e WHERE e.decision_id = d.id) "
        "AS evidence FROM decision d WHERE (? IS NULL OR d.team_id = ?) AND "
        "(? IS NULL OR d.status = ?) ORDER BY coalesce(d.decided_at, d.ingested_at) DESC, d.id",
        [team_id, team_id, status, status],
    ).to_pylist()
    return rows
