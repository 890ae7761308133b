"""The manifest: the facts planted in the demo organisation, written as JSON.

Keys, in this order (tests check every fact against the store):

- `seed`, `scale`: how the demo was built.
- `period`: `{start, end}`, ISO dates, both inclusive (2024-11-01 to 2026-10-31).
- `groups`: ids of the parent groups (one per scale unit); `teams`: ids of the product teams.
- `bottleneck`: `{team_id, status}`: the team with the largest share of its work time in
  that review status.
- `non_conforming_team`: the team that skips the standard workflow (To Do -> In Progress
  -> In Review -> Done) or moves backwards far more than others.
- `blocking_pair`: `{blocking_team, blocked_team}`: the ordered team pair with the most
  cross-team `blocks` links.
- `themes`: `[{name, keywords, count}]`: each planted feedback theme, the lowercase keywords
  every one of its texts contains one of (no other text does), and its number of items.
- `spike`: `{theme, week_start, baseline_per_week, spike_count, insight_days}`: the theme's
  items in the week starting Monday `week_start` against its mean over the other full weeks,
  and the days from `week_start` to the first insight published on the theme after it
  (insights name planted themes as `demo:theme-NN`, NN the theme's 1-based position here).
- `duplicates`: `{groups, items}`: (requester_hash, text) pairs given more than once, and
  the feedback items in them.
- `experiment_with_effect`, `experiment_with_srm`: experiment ids with a real effect on the
  goal metric and with a sample-ratio mismatch.
- `small_survey`: `{survey_id, team_id, respondents}`: a health check answered by fewer
  than three people.
- `overconfident_team`: `{team_id, pillar, survey_id, rating}`: the team whose latest
  self-assessment (`survey_id`) rates that pillar high (`rating`, mean of 1-4, 3 or more)
  while it misses its targets there, so its maturity in the pillar reads unaware.
- `arr_discrepancy`: `{segment, account_ids}`: accounts of that segment whose billing
  (`subscription.mrr` x 12) disagrees with their CRM ARR, or that have no subscription.
- `row_counts`: rows landed per table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from productops.demo.columns import END, START, iso_date
from productops.demo.org import BASE_TEAMS, BLOCKED, BLOCKING, BOTTLENECK, NON_CONFORMING, Org

__all__ = ["KEYS", "manifest", "write_manifest"]

KEYS = (
    "seed",
    "scale",
    "period",
    "groups",
    "teams",
    "bottleneck",
    "non_conforming_team",
    "blocking_pair",
    "themes",
    "spike",
    "duplicates",
    "experiment_with_effect",
    "experiment_with_srm",
    "small_survey",
    "overconfident_team",
    "arr_discrepancy",
    "row_counts",
)


def manifest(
    org: Org, seed: int, facts: dict[str, Any], row_counts: dict[str, int]
) -> dict[str, Any]:
    """The manifest of a build: planted facts from the organisation plus those measured."""
    planted: dict[str, Any] = {
        "seed": seed,
        "scale": org.scale,
        "period": {"start": iso_date(START), "end": iso_date(END - 1)},
        "groups": list(org.group_ids),
        "teams": list(org.team_ids),
        "bottleneck": {"team_id": BASE_TEAMS[BOTTLENECK][0], "status": "In Review"},
        "non_conforming_team": BASE_TEAMS[NON_CONFORMING][0],
        "blocking_pair": {
            "blocking_team": BASE_TEAMS[BLOCKING][0],
            "blocked_team": BASE_TEAMS[BLOCKED][0],
        },
        **facts,
        "row_counts": row_counts,
    }
    return {key: planted[key] for key in KEYS}


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
