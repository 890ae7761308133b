"""Files: a Jira CSV export, and a generic CSV of status changes.

Each CSV row lands as a raw record (`rows`: the row as a JSON object, header ->
value) before it is mapped.

- Jira CSV export (`Issue key, Summary, Status, Issue Type, Created, Resolved,
  Project key, Parent, ...`): work items only. The export carries no status
  history, so it gives no transitions, time in status or cycle time.
- Transitions CSV: one status change per row, columns `item, changed_at,
  from_status, to_status` (also `key`/`issue`, `at`/`timestamp`, `from`, `to`)
  and an optional `team`; keys are qualified by the configured source.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from productops.config import JiraCsvSettings, TransitionsCsvSettings
from productops.connectors.base import (
    ConnectorError,
    Mapped,
    Page,
    RawRecord,
    Rows,
    StatusCategories,
    add_row,
    slug,
    unique_rows,
)

__all__ = [
    "JIRA_CSV_NOTE",
    "CsvConnector",
    "csv_rows",
    "map_jira_csv",
    "map_transitions_csv",
    "rows_stream_of",
]

JIRA_CSV_NOTE = (
    "the Jira CSV export carries no status history: it gives no transitions, time in status or "
    "cycle time (only created and resolved dates); `productops connect jira` reads the changelog"
)
_CATEGORY_NAMES = {"to do": "todo", "in progress": "in_progress", "done": "done"}


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV file; a repeated column name keeps its first non-empty value.

    UTF-8, or UTF-16 with a byte-order mark (as the Google Play Console writes reports).
    Other bytes, or a field past the CSV field limit, are a one-line `ConnectorError`.
    """
    try:
        with path.open("rb") as raw:
            utf16 = raw.read(2) in (b"\xff\xfe", b"\xfe\xff")
        handle = path.open(encoding="utf-16" if utf16 else "utf-8-sig", newline="")
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read the file ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ConnectorError(f"{path}: the file is empty; expected a header row")
            previous_end = reader.line_num
            for fields in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                if not any(f.strip() for f in fields):
                    continue
                row: dict[str, str] = {}
                for name, value in zip(header, fields, strict=False):
                    if value.strip() and not row.get(name.strip()):
                        row[name.strip()] = value.strip()
                yield line, row
        except UnicodeDecodeError:
            raise ConnectorError(
                f"{path}: not UTF-8 or UTF-16 text (near line {reader.line_num + 1}); "
                "save it as UTF-8"
            ) from None
        except csv.Error as exc:
            raise ConnectorError(f"{path}, line {reader.line_num}: {exc}") from None


class CsvConnector:
    """One page with every row of the configured CSV file."""

    def __init__(self, path: str | None, what: str) -> None:
        if not path:
            raise ConnectorError(
                f"{what}: no file; run `productops connect {what} --path FILE` or pass --from-file"
            )
        self.path = Path(path).expanduser()

    def close(self) -> None:
        """Nothing to release."""

    def pages(self, cursors: Mapping[str, str]) -> Iterator[Page]:
        records = [
            RawRecord("rows", row, f"{self.path}:{line}") for line, row in csv_rows(self.path)
        ]
        yield Page("rows", records)


def rows_stream_of(payload: dict[str, Any]) -> str | None:
    """Every replayed object of a file source is a row."""
    return "rows"


def _time(value: str | None, fmt: str | None = None) -> datetime | str | None:
    """The value in `fmt` as UTC; else the text, which landing reads as an import does (ISO
    8601, offsets up to ±14:00, the date order, 1900-2199) or quarantines with the reason."""
    if not value:
        return None
    if fmt:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    return value


def _get(row: dict[str, Any], *names: str) -> str | None:
    folded = {k.casefold().replace(" ", "_"): v for k, v in row.items()}
    for name in names:
        value = folded.get(name.casefold().replace(" ", "_"))
        if value:
            return str(value)
    return None


def map_jira_csv(
    records: Sequence[RawRecord],
    settings: JiraCsvSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Work items from a Jira CSV export; status categories from the mapping or the export's
    Status Category column. Timestamps without a zone are read as UTC."""
    categories = StatusCategories(overrides)
    rows: Rows = {}
    for record in records:
        row = record.payload
        key = _get(row, "Issue key")
        if not key:
            continue
        project = _get(row, "Project key") or key.rsplit("-", 1)[0]
        team = settings.project_teams.get(project) or settings.default_team or slug(project)
        status = _get(row, "Status")
        given = _CATEGORY_NAMES.get((_get(row, "Status Category") or "").lower())
        parent = _get(row, "Parent key", "Parent", "Parent id")
        add_row(
            rows,
            "work_item",
            {
                "id": f"jira:{key}",
                "team_id": team,
                "type": (_get(row, "Issue Type") or "").lower() or None,
                "title": _get(row, "Summary"),
                "status": status,
                "status_category": categories.category(team, status, None, given),
                "created_at": _time(_get(row, "Created"), settings.timestamp_format),
                "resolved_at": _time(_get(row, "Resolved"), settings.timestamp_format),
                "parent_id": f"jira:{parent}" if parent and "-" in parent else None,
            },
        )
    notes = [JIRA_CSV_NOTE]
    if categories.unknown:
        notes.append(
            f"statuses with no category: {', '.join(sorted(categories.unknown))}; map them in "
            "connectors.status_categories of productops.toml, or with `productops connect status-category`"
        )
    return Mapped({t: unique_rows(found, ("id",)) for t, found in rows.items()}, notes)


def map_transitions_csv(
    records: Sequence[RawRecord],
    settings: TransitionsCsvSettings,
    overrides: Mapping[str, Mapping[str, str]],
) -> Mapped:
    """Status changes from a transitions CSV; to_category from the team's status mapping."""
    categories = StatusCategories(overrides)
    rows: Rows = {}
    for record in records:
        row = record.payload
        item = _get(row, "item", "work_item_id", "key", "issue", "issue key", "id")
        at = _time(_get(row, "changed_at", "at", "timestamp", "date", "created"))
        to = _get(row, "to_status", "to", "status")
        team = _get(row, "team", "team_id") or settings.default_team
        if item and ":" not in item:
            item = f"{settings.source}:{item}"
        add_row(
            rows,
            "work_item_transition",
            {
                "work_item_id": item,
                "changed_at": at,
                "from_status": _get(row, "from_status", "from"),
                "to_status": to,
                "to_category": categories.category(team, to),
            },
        )
    notes = []
    if categories.unknown:
        notes.append(
            f"statuses with no category: {', '.join(sorted(categories.unknown))}; map them in "
            "connectors.status_categories of productops.toml, or with `productops connect status-category`"
        )
    # Rows are not de-duplicated here: a repeated change is quarantined as a duplicate key.
    return Mapped(rows, notes)
