"""Feedback and account files: app-store reviews, survey verbatims, sales notes, CRM exports.

Each kind reads a CSV (or JSON Lines) export; every row lands raw (`rows`)
before it is mapped. Columns are found by the names the exporting tool uses,
ignoring case, spaces, dashes and underscores (the first name present wins):

- `app_store`: App Store Connect reviews (`Review ID`, `Rating`, `Title`,
  `Review`, `Nickname`, `Date`, `Territory`; or the API's attribute names
  `id`, `rating`, `title`, `body`, `reviewerNickname`, `createdDate`).
- `google_play`: a Google Play Console reviews report (`Review Submit Date and
  Time`, `Star Rating`, `Review Title`, `Review Text`, `Reviewer Language`,
  `Review Link`, ...; the console writes it in UTF-16).
- `nps` (score 0-10) and `csat` (score 1-5): survey verbatims with their score.
- `sales_notes`: CRM notes and call logs (`Note`, `Body`, `Activity Date`, ...).
- `generic`: the canonical names (`id`, `channel`, `text`, `created_at`, `rating`,
  `email`, `account_id`, `language`, `url`).
- accounts (`map_accounts`): a CSV with the canonical names, or a HubSpot
  companies or Salesforce accounts export; ARR, segment, plan and churn date
  come from the columns below (custom fields in those tools).

Every mapped row keeps `_line`, its line in the file, so that a bad row is
quarantined with its line. A row without an id gets a hash of its content as
id, so importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from productops.connectors.base import Mapped, RawRecord, Rows, add_row

__all__ = [
    "ACCOUNT_FORMATS",
    "FEEDBACK_KINDS",
    "AccountFile",
    "FeedbackFile",
    "fold",
    "identity_columns",
    "map_accounts",
    "map_feedback_file",
    "read_columns",
]

Names = tuple[str, ...]
# The review's id inside a Google Play review link.
_REVIEW_ID = re.compile(r"reviewid=([^&#]+)")


@dataclass(frozen=True)
class FeedbackFile:
    """A kind of feedback file: its source name, channel, score range and column names."""

    kind: str
    source: str
    channel: str
    columns: Mapping[str, Names]
    scores: tuple[float, float] | None = None
    title: Names = ()


_EMAIL: Names = ("email", "e-mail", "respondent email", "contact email", "customer email")
_ACCOUNT: Names = ("account_id", "account id", "company id", "customer id", "organization id")
_COMMENT: Names = ("comment", "comments", "verbatim", "feedback", "reason", "answer", "text")
_WHEN: Names = (
    "created_at", "date", "submitted at", "submitted_at", "response date", "timestamp",
    "created date", "end date",
)  # fmt: skip


def _survey(kind: str, scores: Names, scale: tuple[float, float]) -> FeedbackFile:
    """A survey's verbatims with their score on `scale`."""
    columns = {
        "id": ("response id", "response_id", "id"),
        "rating": scores,
        "text": _COMMENT,
        "created_at": _WHEN,
        "requester": _EMAIL,
        "account_id": _ACCOUNT,
        "language": ("language",),
    }
    return FeedbackFile(kind, kind, kind, columns, scale)


FEEDBACK_KINDS: dict[str, FeedbackFile] = {
    kind.kind: kind
    for kind in (
        FeedbackFile(
            "app_store",
            "app-store",
            "review",
            {
                "id": ("review id", "id"),
                "rating": ("rating", "stars", "star rating"),
                "text": ("review", "body", "content", "review text"),
                "created_at": ("date", "createddate", "created date", "review date"),
                "requester": ("nickname", "reviewernickname", "reviewer nickname", "author"),
                "url": ("url", "review link"),
            },
            (1, 5),
            ("title", "review title"),
        ),
        FeedbackFile(
            "google_play",
            "google-play",
            "review",
            {
                "id": ("review link", "review id"),
                "rating": ("star rating", "rating"),
                "text": ("review text", "text"),
                "created_at": (
                    "review submit date and time",
                    "review submit millis since epoch",
                    "date",
                ),
                "language": ("reviewer language", "language"),
                "url": ("review link",),
            },
            (1, 5),
            ("review title",),
        ),
        _survey("nps", ("score", "nps", "nps score", "rating", "likelihood to recommend"), (0, 10)),
        _survey("csat", ("score", "csat", "csat score", "rating", "satisfaction"), (1, 5)),
        FeedbackFile(
            "sales_notes",
            "sales-notes",
            "sales",
            {
                "id": ("note id", "activity id", "engagement id", "id"),
                "text": ("note", "note body", "body", "description", "comments", "text"),
                "created_at": ("activity date", "note date", "created date", "date", "created_at"),
                "requester": _EMAIL,
                "account_id": (*_ACCOUNT, "associated company id", "record id"),
            },
            title=("subject", "title"),
        ),
        FeedbackFile(
            "generic",
            "feedback-csv",
            "other",
            {
                "id": ("id", "feedback_id"),
                "channel": ("channel", "source"),
                "text": ("text", "feedback", "comment", "body"),
                "created_at": ("created_at", "date", "timestamp"),
                "rating": ("rating", "score"),
                "requester": (*_EMAIL, "requester", "user_id", "user"),
                "account_id": _ACCOUNT,
                "language": ("language",),
                "url": ("url", "link"),
            },
            title=("title", "subject"),
        ),
    )
}


@cache
def fold(name: str) -> str:
    """A column name as matched: case, spaces, dashes and underscores ignored."""
    return re.sub(r"[\s_\-]+", "", name.casefold())


def read_columns(settings: FeedbackFile | AccountFile | None) -> frozenset[str]:
    """The (folded) column names a feedback kind or account export reads; None: any export."""
    kinds = [settings] if settings is not None else list(ACCOUNT_FORMATS.values())
    names = [n for k in kinds for ns in k.columns.values() for n in ns]
    names += [n for k in kinds if isinstance(k, FeedbackFile) for n in k.title]
    return frozenset(fold(n) for n in names)


def identity_columns(settings: FeedbackFile | AccountFile | None) -> frozenset[str]:
    """The (folded) column names that name a person: the feedback kind's requester."""
    if not isinstance(settings, FeedbackFile):
        return frozenset()
    return frozenset(fold(n) for n in settings.columns.get("requester", ()))


def _pick(row: Mapping[str, Any], names: Names) -> str | None:
    folded = {fold(k): v for k, v in row.items()}
    for name in names:
        value = folded.get(fold(name))
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _line(record: RawRecord) -> int:
    tail = record.endpoint.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _content_id(row: Mapping[str, Any]) -> str:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _score(value: str | None, scores: tuple[float, float] | None) -> float | str | None:
    """The score as a number in range; else the value with the reason, so landing quarantines it."""
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return value
    if scores is not None and not scores[0] <= number <= scores[1]:
        return f"{value} (out of range {scores[0]:g}-{scores[1]:g})"
    return number


def map_feedback_file(
    records: Sequence[RawRecord],
    settings: FeedbackFile,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """One feedback row per row of a feedback file of kind `settings`."""
    rows: Rows = {}
    cols = settings.columns
    for record in records:
        row = record.payload
        title = _pick(row, settings.title) if settings.title else None
        body = _pick(row, cols["text"])
        text = "\n\n".join(part for part in (title, body) if part) or None
        requester = _pick(row, cols.get("requester", ()))
        if requester and settings.kind == "app_store":
            requester = f"app-store:{requester}"
        ident = _pick(row, cols["id"]) or _content_id(row)
        found = _REVIEW_ID.search(ident)
        add_row(
            rows,
            "feedback",
            {
                "id": f"{settings.source}:{found.group(1) if found else ident}",
                "channel": _pick(row, cols.get("channel", ())) or settings.channel,
                "account_id": _pick(row, cols.get("account_id", ())),
                "requester": requester,
                "text": text,
                "language": _pick(row, cols.get("language", ())),
                "created_at": _pick(row, cols["created_at"]),
                "rating": _score(_pick(row, cols.get("rating", ())), settings.scores),
                "url": _pick(row, cols.get("url", ())),
                "_line": _line(record),
            },
        )
    return Mapped(rows)


@dataclass(frozen=True)
class AccountFile:
    """A kind of account export and the column names of each account field."""

    format: str
    columns: Mapping[str, Names]


_COMMON: dict[str, Names] = {
    "id": ("id", "account_id"),
    "name": ("name",),
    "domain": ("domain",),
    "segment": ("segment",),
    "arr": ("arr",),
    "plan": ("plan",),
    "created_at": ("created_at",),
    "churned_at": ("churned_at", "churn_date"),
}
ACCOUNT_FORMATS: dict[str, AccountFile] = {
    "csv": AccountFile("csv", _COMMON),
    "hubspot": AccountFile(
        "hubspot",
        {
            "id": ("record id", "company id", "hs_object_id", "id"),
            "name": ("company name", "name"),
            "domain": ("company domain name", "domain", "website url", "website"),
            "segment": ("segment", "customer segment", "company segment"),
            "arr": ("arr", "annual recurring revenue", "annual recurring revenue (arr)"),
            "plan": ("plan", "product tier", "subscription plan"),
            "created_at": ("create date", "createdate", "created date"),
            "churned_at": ("churn date", "churned date", "cancellation date"),
        },
    ),
    "salesforce": AccountFile(
        "salesforce",
        {
            "id": ("account id", "id", "18 digit account id"),
            "name": ("account name", "name"),
            "domain": ("website", "domain__c", "domain"),
            "segment": ("segment", "segment__c", "customer segment", "customer_segment__c"),
            "arr": ("arr", "arr__c", "annual recurring revenue", "annual_recurring_revenue__c"),
            "plan": ("plan", "plan__c", "product tier"),
            "created_at": ("created date", "createddate", "customer since"),
            "churned_at": ("churn date", "churn_date__c", "churned date", "cancellation date"),
        },
    ),
}


def _account_format(headers: Sequence[str]) -> AccountFile:
    """The export a header row comes from: HubSpot, Salesforce, else the canonical CSV."""
    folded = {fold(h) for h in headers}
    if folded & {"recordid", "companydomainname", "hsobjectid", "companyname"}:
        return ACCOUNT_FORMATS["hubspot"]
    if folded & {"accountid", "accountname", "18digitaccountid"} or any(
        h.endswith("__c") for h in folded
    ):
        return ACCOUNT_FORMATS["salesforce"]
    return ACCOUNT_FORMATS["csv"]


def _domain(value: str | None) -> str | None:
    """A bare, lower-case domain from a domain or website (`https://www.acme.io/x` -> `acme.io`)."""
    if not value:
        return None
    host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.") or None


# A currency symbol or ISO code before or after an amount, and spaces or apostrophes
# that group its thousands (45 000, 45'000).
_CURRENCY = re.compile(r"^[\s$€£¥₹]*(?:[A-Z]{3})?[\s$€£¥₹]*|[\s$€£¥₹]*(?:[A-Z]{3})?[\s$€£¥₹]*$")
_GROUPING = re.compile("(?<=\\d)[\\s'\u2019](?=\\d)")


def _money(value: str | None) -> str | None:
    """An amount as written in exports (`$45,000.00`, `45 000 EUR`) without its currency,
    for landing to read with the import's decimal separator (or quarantine, saying why)."""
    if value is None:
        return None
    amount = _GROUPING.sub("", _CURRENCY.sub("", value))
    return amount or value


def map_accounts(
    records: Sequence[RawRecord],
    settings: AccountFile | None,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """One account row per row; the format comes from `settings`, else from the first row's columns."""
    rows: Rows = {}
    notes: list[str] = []
    if not records:
        return Mapped(rows)
    kind = settings or _account_format(list({k: 0 for r in records for k in r.payload}))
    notes.append(f"read as a {kind.format} export")
    cols = kind.columns
    for record in records:
        row = record.payload
        add_row(
            rows,
            "account",
            {
                "id": _pick(row, cols["id"]),
                "name": _pick(row, cols["name"]),
                "domain": _domain(_pick(row, cols["domain"])),
                "segment": (_pick(row, cols["segment"]) or "").lower().replace(" ", "_") or None,
                "arr": _money(_pick(row, cols["arr"])),
                "plan": _pick(row, cols["plan"]),
                "created_at": _pick(row, cols["created_at"]),
                "churned_at": _pick(row, cols["churned_at"]),
                "_line": _line(record),
            },
        )
    return Mapped(rows, notes)
