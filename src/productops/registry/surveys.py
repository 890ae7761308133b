"""Surveys in the store: create, answer anonymously, close, list.

Ids: `productops:survey-<slug of team and title>`. An answer stores no one's
identity: `respondent_hash` is the SHA-256 of the workspace salt (kept outside
the workspace, `ingest.privacy.workspace_salt`), the survey id and a
respondent token (so one respondent's answers group together within a survey
and cannot be linked across surveys). Answering again with the same token
replaces that respondent's answers.

Nothing stored tells the order of answers: after each answer the survey's rows
are written again sorted by their id (a hash), with no `submitted_at` and one
`ingested_at` (the day) for all, and the answer leaves no `import_run` row.

>>> survey = create_survey(store, team_id="payments", kind="health_check",
...                        title="Health check 2026 Q1", at=now)  # doctest: +SKIP
>>> answer_survey(store, survey.id, {"speed": 3.0}, comment=None, salt=salt,
...               token="any secret", at=now)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from productops.engine import Store
from productops.errors import ConflictError, UsageError
from productops.experiments.registry import slug
from productops.registry.rows import SOURCE, TIMESTAMP, land, resolve, strings
from productops.schema import TABLES

__all__ = [
    "SURVEY_KINDS",
    "Survey",
    "answer_survey",
    "close_survey",
    "create_survey",
    "list_surveys",
    "load_survey",
    "parse_answer",
    "respondent_hash",
]

SURVEY_KINDS = TABLES["survey"].column("kind").choices
_COLOURS = {"red": 1.0, "amber": 2.0, "yellow": 2.0, "green": 3.0}
COMMENT = "comment"
_ANSWER = "productops survey answer"


@dataclass(frozen=True)
class Survey:
    """A survey as stored."""

    id: str
    team_id: str | None
    kind: str | None
    title: str | None
    opened_at: datetime | None
    closed_at: datetime | None

    @property
    def status(self) -> str:
        return "closed" if self.closed_at is not None else "open"


def survey_id(team_id: str, title: str) -> str:
    """The id of a new survey: `productops:survey-<slug of team and title>`."""
    return f"{SOURCE}:survey-{slug(f'{team_id} {title}')}"


def respondent_hash(salt: str, survey: str, token: str) -> str:
    """SHA-256 of the salt, the survey id and the respondent's token: stable, not reversible."""
    return hashlib.sha256(f"{salt}\x00{survey}\x00{token}".encode()).hexdigest()


def create_survey(store: Store, *, team_id: str, kind: str, title: str, at: datetime) -> Survey:
    """Open a new survey of `kind` for `team_id` (a team or a group of teams)."""
    if kind not in SURVEY_KINDS:
        raise UsageError(f"survey kind {kind!r}: use one of {', '.join(SURVEY_KINDS)}")
    if not title.strip():
        raise UsageError("give the survey a title")
    ident = survey_id(team_id, title)
    if store.sql("SELECT count(*) FROM survey WHERE id = ?", [ident])[0][0]:
        raise UsageError(f"{ident} exists already; give the new survey another title")
    if not store.sql("SELECT count(*) FROM team WHERE id = ?", [team_id])[0][0]:
        raise UsageError(f"unknown team {team_id!r}; import it first (productops import team FILE)")
    data = pa.table(
        {
            "id": strings([ident]),
            "team_id": strings([team_id]),
            "kind": strings([kind]),
            "title": strings([title.strip()]),
            "opened_at": pa.array([at], TIMESTAMP),
            "closed_at": pa.array([None], TIMESTAMP),
        }
    )
    land(store, "survey", data, "productops survey new")
    return load_survey(store, ident)


def load_survey(store: Store, ref: str) -> Survey:
    """The survey named by `ref`: its id, or the id's part after `source:` or `survey-`."""
    ident = resolve(store, "survey", "survey", ref, "survey")
    row = store.arrow(
        "SELECT id, team_id, kind, title, opened_at, closed_at FROM survey WHERE id = ?", [ident]
    ).to_pylist()[0]
    return Survey(**row)


def parse_answer(kind: str | None, text: str) -> tuple[str, float]:
    """`QUESTION=VALUE` as (question, value), checked against the survey's kind.

    Health checks take green, amber or red (or 3, 2, 1); pm_time takes a
    percentage 0-100; an onboarding question naming `days` takes days (0 or
    more); every other answer is a rating from 1 to 5.

    >>> parse_answer("health_check", "Speed=green")
    ('speed', 3.0)
    """
    question, sep, raw = text.partition("=")
    question = slug(question).replace("-", "_") if question.strip() else ""
    raw = raw.strip().lower()
    if not sep or not question or not raw:
        raise UsageError(f"--answer {text!r}: expected QUESTION=VALUE, e.g. speed=green")
    if question == COMMENT:
        raise UsageError("give free text with --comment, not as an answer")
    if kind == "health_check" and raw in _COLOURS:
        return question, _COLOURS[raw]
    try:
        value = float(raw)
    except ValueError:
        expected = "green, amber or red" if kind == "health_check" else "a number"
        raise UsageError(f"--answer {text!r}: expected {expected}") from None
    low, high = 1.0, 5.0
    if kind == "health_check":
        low, high = 1.0, 3.0
    elif kind == "pm_time":
        low, high = 0.0, 100.0
    elif kind == "onboarding" and "days" in question:
        low, high = 0.0, math.inf
    elif kind == "self_assessment":  # per pillar: 1 unaware .. 4 habitual (docs/scorecard.md)
        low, high = 1.0, 4.0
    if not low <= value <= high or (kind == "health_check" and not value.is_integer()):
        scale = "1 (red), 2 (amber) or 3 (green)" if kind == "health_check" else f"{low:g}-{high:g}"
        raise UsageError(f"--answer {text!r}: {value:g} is off the scale ({scale})")
    return question, value


def answer_survey(
    store: Store,
    ref: str,
    answers: Mapping[str, float],
    *,
    comment: str | None,
    salt: str,
    token: str,
    at: datetime,
) -> tuple[Survey, int]:
    """Record one respondent's answers (and comment) to an open survey; return it and the count.

    `token` names the respondent (one respondent, one token: the CLI's default
    is the login); with the same token again, the respondent's earlier
    answers to the same questions are replaced.
    """
    survey = load_survey(store, ref)
    if survey.closed_at is not None:
        raise ConflictError(
            f"{survey.id} closed on {survey.closed_at:%Y-%m-%d}; it takes no answers"
        )
    if survey.opened_at is not None and at < survey.opened_at:
        raise UsageError(f"{survey.id} opens on {survey.opened_at:%Y-%m-%d}; answer after that")
    text = (comment or "").strip()
    if not answers and not text:
        raise UsageError("give at least one --answer QUESTION=VALUE or a --comment")
    if not token.strip():
        raise UsageError("give a respondent token (--respondent TOKEN): one per respondent")
    who = respondent_hash(salt, survey.id, token.strip())
    rows: list[dict[str, Any]] = [
        {"question": q, "value": v, "text": None} for q, v in answers.items()
    ]
    if text:
        rows.append({"question": COMMENT, "value": None, "text": text})
    ids = [
        f"{SOURCE}:answer-"
        + hashlib.sha256(f"{survey.id}\x00{who}\x00{r['question']}".encode()).hexdigest()[:24]
        for r in rows
    ]
    data = pa.table(
        {
            "id": strings(ids),
            "survey_id": strings([survey.id] * len(rows)),
            "team_id": strings([survey.team_id] * len(rows)),
            "respondent_hash": strings([who] * len(rows)),
            "question": strings([r["question"] for r in rows]),
            "value": pa.array([r["value"] for r in rows], pa.float64()),
            "text": strings([r["text"] for r in rows]),
            "submitted_at": pa.array([None] * len(rows), TIMESTAMP),
        }
    )
    with store.transaction():
        land(store, "survey_response", data, _ANSWER)
        _unordered(store, survey.id)
    return survey, len(rows)


def _unordered(store: Store, survey: str) -> None:
    """Write the survey's answers again in the order of their ids, with one ingestion day,
    and drop the import log of the answer: nothing stored tells who answered when."""
    store.sql("DELETE FROM import_run WHERE table_name = 'survey_response' AND file = ?", [_ANSWER])
    store.sql(
        "CREATE OR REPLACE TEMP TABLE _answers AS SELECT * REPLACE "
        "(NULL::TIMESTAMPTZ AS submitted_at, max(ingested_at) OVER () AS ingested_at) "
        "FROM survey_response WHERE survey_id = ?",
        [survey],
    )
    store.sql("DELETE FROM survey_response WHERE survey_id = ?", [survey])
    store.sql("INSERT INTO survey_response BY NAME SELECT * FROM _answers ORDER BY id")
    store.sql("DROP TABLE _answers")


def close_survey(store: Store, ref: str, at: datetime) -> Survey:
    """Close the survey at `at`: it takes no more answers."""
    survey = load_survey(store, ref)
    if survey.closed_at is not None:
        raise ConflictError(f"{survey.id} is closed already (on {survey.closed_at:%Y-%m-%d})")
    if survey.opened_at is not None and at < survey.opened_at:
        raise UsageError(f"{survey.id} opened on {survey.opened_at:%Y-%m-%d}; close it after that")
    data = store.arrow("SELECT * EXCLUDE (ingested_at) FROM survey WHERE id = ?", [survey.id])
    i = data.schema.get_field_index("closed_at")
    data = data.set_column(i, "closed_at", pa.array([at], data.schema.field(i).type))
    land(store, "survey", data, "productops survey close")
    return load_survey(store, survey.id)


def list_surveys(
    store: Store, team_id: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Every survey with its status and number of respondents (distinct respondent hashes)."""
    where, params = [], []
    if team_id:
        where.append("s.team_id = ?")
        params.append(team_id)
    if kind:
        where.append("s.kind = ?")
        params.append(kind)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows: list[dict[str, Any]] = store.arrow(
        "SELECT s.id, s.team_id, s.kind, s.title, s.opened_at, s.closed_at, "
        "CASE WHEN s.closed_at IS NULL THEN 'open' ELSE 'closed' END AS status, "
        "count(DISTINCT r.respondent_hash) AS respondents "
        f"FROM survey s LEFT JOIN survey_response r ON r.survey_id = s.id {clause} "
        "GROUP BY ALL ORDER BY s.team_id, s.opened_at, s.id",
        params,
    ).to_pylist()
    return rows
