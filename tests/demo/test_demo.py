"""The demo organisation: built into a real store, every planted fact checked with SQL."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import productops.demo
from productops.demo import MANIFEST_KEYS, STEPS, build_demo
from productops.demo.text import NOISE, THEMES, phrasings
from productops.engine import Store, quote
from productops.errors import UsageError
from productops.ops.criteria import CRITERIA
from productops.ops.initiatives import CYCLE
from productops.ops.maturity import HIGH_RATING, MATURITY_PILLARS
from productops.ops.nudges import RULES
from productops.ops.surveys import MIN_GROUP
from productops.schema import TABLES

STANDARD_MOVES = (
    ">To Do",
    "To Do>In Progress",
    "In Progress>In Review",
    "In Review>Done",
    "In Review>QA",
    "QA>Done",
    "To Do>Won't Do",
)


@dataclass
class Built:
    store: Store
    manifest: dict[str, Any]
    manifest_path: Path
    steps: list[tuple[str, int]]


def _build(folder: Path, *, scale: int = 1, seed: int = 7) -> Built:
    store = Store.open(folder / "s.duckdb")
    steps: list[tuple[str, int]] = []
    path = folder / "manifest.json"
    manifest = build_demo(
        store, path, scale=scale, seed=seed, on_step=lambda n, r: steps.append((n, r))
    )
    return Built(store, manifest, path, steps)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    built = _build(tmp_path_factory.mktemp("demo"))
    yield built
    built.store.close()


def _digests(store: Store) -> dict[str, str]:
    """A hash of each demo table's ordered rows, leaving out when they were ingested."""
    out = {}
    for name in STEPS:
        rows = f"(SELECT * EXCLUDE (ingested_at) FROM {quote(name)}) t"
        out[name] = store.sql(
            f"SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' "
            f"ORDER BY CAST(t AS VARCHAR)), '')) FROM {rows}"
        )[0][0]
    return out


def _keyword_filter(keywords: list[str]) -> str:
    return "(" + " OR ".join("contains(lower(text), ?)" for _ in keywords) + ")"


# -- the build -------------------------------------------------------------------------------


def test_exports() -> None:
    assert sorted(productops.demo.__all__) == ["MANIFEST_KEYS", "STEPS", "build_demo"]
    assert set(STEPS) <= set(TABLES)


def test_every_step_lands_in_order(demo: Built) -> None:
    assert [name for name, _ in demo.steps] == list(STEPS)
    assert dict(demo.steps) == demo.manifest["row_counts"]
    assert all(rows > 0 for _, rows in demo.steps)


def test_nothing_is_quarantined(demo: Built) -> None:
    assert demo.store.sql("SELECT count(*) FROM quarantine") == [(0,)]
    runs = demo.store.sql("SELECT count(*), sum(quarantined) FROM import_run")
    assert runs == [(len(STEPS), 0)]


def test_row_counts_match_the_store(demo: Built) -> None:
    for name, rows in demo.manifest["row_counts"].items():
        assert demo.store.sql(f"SELECT count(*) FROM {quote(name)}") == [(rows,)], name
    counts = demo.manifest["row_counts"]
    assert counts["team"] == 7
    assert counts["account"] == 500
    assert 5_500 <= counts["work_item"] <= 6_500
    assert 18_000 <= counts["feedback"] <= 22_000
    assert 90_000 <= counts["event"] <= 110_000
    assert counts["experiment"] == 12


def test_manifest_is_written_with_stable_keys(demo: Built) -> None:
    written = json.loads(demo.manifest_path.read_text(encoding="utf-8"))
    assert written == demo.manifest
    assert tuple(written) == MANIFEST_KEYS
    assert written["period"] == {"start": "2024-11-01", "end": "2026-10-31"}
    assert written["teams"] == [
        "payments",
        "checkout",
        "activation",
        "search",
        "mobile",
        "platform",
    ]


def test_references_resolve(demo: Built) -> None:
    for table in TABLES.values():
        for col in table.columns:
            if col.ref is None or demo.manifest["row_counts"].get(table.name, 0) == 0:
                continue
            dangling = demo.store.sql(
                f"SELECT count(*) FROM {quote(table.name)} WHERE {quote(col.name)} IS NOT NULL "
                f"AND {quote(col.name)} NOT IN (SELECT id FROM {quote(col.ref)})"
            )
            assert dangling == [(0,)], f"{table.name}.{col.name}"


def test_times_are_utc_and_within_the_period(demo: Built) -> None:
    types = demo.store.sql(
        "SELECT DISTINCT data_type FROM information_schema.columns "
        "WHERE table_name = 'work_item' AND column_name LIKE '%_at'"
    )
    assert types == [("TIMESTAMP WITH TIME ZONE",)]
    for table, column in (("work_item", "created_at"), ("work_item_transition", "changed_at"),
                          ("feedback", "created_at"), ("event", "ts"), ("change", "created_at"),
                          ("deployment", "finished_at"), ("incident", "created_at"),
                          ("usage_event", "ts"), ("activity", "held_at")):  # fmt: skip
        low, high = demo.store.sql(
            f"SELECT min({column})::DATE, max({column})::DATE FROM {quote(table)}"
        )[0]
        assert low >= date(2024, 11, 1), table
        assert high <= date(2026, 10, 31), table


# -- delivery ---------------------------------------------------------------------------------


def test_work_items_agree_with_their_transitions(demo: Built) -> None:
    mismatched = demo.store.sql(
        "WITH last AS (SELECT work_item_id, arg_max(to_status, changed_at) AS status, "
        "arg_max(to_category, changed_at) AS category, "
        "min(changed_at) FILTER (WHERE to_status = 'In Progress') AS started "
        "FROM work_item_transition GROUP BY 1) "
        "SELECT count(*) FROM work_item w LEFT JOIN last l ON l.work_item_id = w.id "
        "WHERE l.status IS DISTINCT FROM w.status OR l.category IS DISTINCT FROM w.status_category "
        "OR l.started IS DISTINCT FROM w.started_at "
        "OR (w.resolved_at IS NULL) <> (w.status_category IN ('todo', 'in_progress'))"
    )
    assert mismatched == [(0,)]
    broken_chain = demo.store.sql(
        "SELECT count(*) FROM (SELECT from_status, lag(to_status) OVER "
        "(PARTITION BY work_item_id ORDER BY changed_at) AS previous FROM work_item_transition) "
        "WHERE from_status IS DISTINCT FROM previous"
    )
    assert broken_chain == [(0,)]
    statuses = dict(demo.store.sql("SELECT status_category, count(*) FROM work_item GROUP BY 1"))
    assert set(statuses) == {"todo", "in_progress", "done", "cancelled"}


def test_owners_on_most_items_but_not_all(demo: Built) -> None:
    share = demo.store.sql("SELECT avg((owner_id IS NOT NULL)::INT) FROM work_item")[0][0]
    assert 0.7 < share < 0.99


def test_bottleneck_team_waits_longest_in_review(demo: Built) -> None:
    bottleneck = demo.manifest["bottleneck"]
    shares = demo.store.sql(
        "WITH t AS (SELECT w.team_id, tr.to_status, epoch(lead(tr.changed_at) OVER "
        "(PARTITION BY tr.work_item_id ORDER BY tr.changed_at)) - epoch(tr.changed_at) AS secs "
        "FROM work_item_transition tr JOIN work_item w ON w.id = tr.work_item_id) "
        "SELECT team_id, sum(secs) FILTER (WHERE to_status = ?) / sum(secs) FILTER "
        "(WHERE to_status IN ('In Progress', 'In Review', 'QA')) AS share "
        "FROM t WHERE secs IS NOT NULL GROUP BY 1 ORDER BY share DESC",
        [bottleneck["status"]],
    )
    assert shares[0][0] == bottleneck["team_id"]
    assert shares[0][1] > 3 * shares[1][1]


def test_non_conforming_team_leaves_the_standard_path(demo: Built) -> None:
    allowed = ", ".join("?" for _ in STANDARD_MOVES)
    shares = demo.store.sql(
        "WITH odd AS (SELECT DISTINCT work_item_id FROM work_item_transition "
        f"WHERE coalesce(from_status, '') || '>' || to_status NOT IN ({allowed})) "
        "SELECT w.team_id, avg((o.work_item_id IS NOT NULL)::INT) AS share FROM work_item w "
        "LEFT JOIN odd o ON o.work_item_id = w.id WHERE w.status_category = 'done' "
        "GROUP BY 1 ORDER BY share DESC",
        list(STANDARD_MOVES),
    )
    assert shares[0][0] == demo.manifest["non_conforming_team"]
    assert shares[0][1] > 0.3
    assert shares[0][1] > 4 * shares[1][1]


def test_blocking_pair_has_most_cross_team_blocks(demo: Built) -> None:
    pairs = demo.store.sql(
        "SELECT a.team_id, b.team_id, count(*) AS n FROM work_item_link l "
        "JOIN work_item a ON a.id = l.from_id JOIN work_item b ON b.id = l.to_id "
        "WHERE l.type = 'blocks' AND a.team_id <> b.team_id GROUP BY 1, 2 ORDER BY n DESC"
    )
    pair = demo.manifest["blocking_pair"]
    assert pairs[0][:2] == (pair["blocking_team"], pair["blocked_team"])
    assert pairs[0][2] > 5 * pairs[1][2]
    blocked = demo.store.sql(
        "SELECT count(*) FROM work_item_flag f JOIN work_item w ON w.id = f.work_item_id "
        "WHERE f.kind = 'blocked' AND w.team_id = ? AND f.reason LIKE 'waiting on %'",
        [pair["blocked_team"]],
    )[0][0]
    assert blocked > 50


def test_changes_deployments_and_incidents_connect(demo: Built) -> None:
    store = demo.store
    assert store.sql(
        "SELECT count(*) FROM change WHERE merged_at < first_review_at "
        "OR first_review_at < created_at OR (merged_at IS NULL) <> (merge_sha IS NULL)"
    ) == [(0,)]
    late = store.sql(
        "SELECT count(*) FROM deployment_change dc JOIN deployment d ON d.id = dc.deployment_id "
        "JOIN change c ON c.id = dc.change_id WHERE d.finished_at < c.merged_at"
    )
    assert late == [(0,)]
    released = store.sql(
        "SELECT count(*) FROM work_item WHERE released_at < resolved_at "
        "OR (released_at IS NOT NULL AND status_category <> 'done')"
    )
    assert released == [(0,)]
    results = dict(store.sql("SELECT result, count(*) FROM deployment GROUP BY 1"))
    assert results["failure"] > 0
    assert results["success"] > 10 * results["failure"]
    caused = store.sql("SELECT count(deployment_id), count(*) FROM incident")[0]
    assert 0 < caused[0] < caused[1]


# -- customers --------------------------------------------------------------------------------


def test_theme_phrasings_carry_only_their_own_keywords() -> None:
    for index, theme in enumerate((*THEMES, NOISE)):
        for language in range(4):
            for text in phrasings(theme, language):
                found = {i for i, t in enumerate(THEMES) for k in t.keywords if k in text.lower()}
                assert found == ({index} if theme is not NOISE else set()), text


def test_themes_are_found_by_their_keywords(demo: Built) -> None:
    themes = demo.manifest["themes"]
    assert len(themes) == 12
    for theme in themes:
        matched, phrasings_seen = demo.store.sql(
            f"SELECT count(*), count(DISTINCT text) FROM feedback "
            f"WHERE {_keyword_filter(theme['keywords'])}",
            theme["keywords"],
        )[0]
        assert matched == theme["count"], theme["name"]
        assert phrasings_seen > 100, theme["name"]
    total = demo.manifest["row_counts"]["feedback"]
    assert 0.5 * total < sum(t["count"] for t in themes) < 0.8 * total
    assert demo.store.sql("SELECT count(*) FROM feedback_theme") == [(0,)]


def test_spike_week_stands_out(demo: Built) -> None:
    spike = demo.manifest["spike"]
    keywords = next(t["keywords"] for t in demo.manifest["themes"] if t["name"] == spike["theme"])
    weeks = demo.store.sql(
        f"SELECT date_trunc('week', created_at)::DATE AS week, count(*) AS n FROM feedback "
        f"WHERE {_keyword_filter(keywords)} GROUP BY 1 ORDER BY n DESC",
        keywords,
    )
    week_start = date.fromisoformat(spike["week_start"])
    assert weeks[0] == (week_start, spike["spike_count"])
    assert spike["spike_count"] > 4 * spike["baseline_per_week"]
    assert weeks[1][1] < spike["spike_count"] / 2
    mondays = [date(2024, 11, 4) + timedelta(weeks=k) for k in range(104)]
    full = {m for m in mondays if m + timedelta(days=6) <= date(2026, 10, 31) and m != week_start}
    counts = dict(weeks)
    baseline = sum(counts.get(m, 0) for m in full) / len(full)
    assert math.isclose(baseline, spike["baseline_per_week"], abs_tol=0.01)


def test_duplicates_are_pasted_by_the_same_requester(demo: Built) -> None:
    groups, items = demo.store.sql(
        "SELECT count(*), sum(n) FROM (SELECT count(*) AS n FROM feedback "
        "GROUP BY requester_hash, text HAVING count(*) > 1)"
    )[0]
    assert {"groups": groups, "items": items} == demo.manifest["duplicates"]
    assert groups >= 100


def test_feedback_speaks_several_languages(demo: Built) -> None:
    shares = dict(
        demo.store.sql("SELECT language, count(*) / sum(count(*)) OVER () FROM feedback GROUP BY 1")
    )
    assert shares["en"] > 0.75
    assert all(shares[lang] > 0.01 for lang in ("de", "es", "fr"))
    shared = demo.store.sql(
        "SELECT count(*) FROM feedback f WHERE f.language <> 'en' AND f.text IN "
        "(SELECT text FROM feedback WHERE language = 'en')"
    )
    assert shared == [(0,)]
    assert demo.store.sql(
        "SELECT count(*) > 0 FROM feedback WHERE language = 'de' AND regexp_matches(text, '[äöüß]')"
    ) == [(True,)]


def test_feedback_is_redacted_and_hashed(demo: Built) -> None:
    """Contact details planted in a few texts are redacted; hashes as docs/feedback.md says."""
    planted = demo.store.sql(
        "SELECT count(*) FROM feedback WHERE contains(text, '([email], [phone])')"
    )[0][0]
    assert 5 <= planted <= 40
    assert demo.store.sql(
        "SELECT count(*) FROM feedback WHERE regexp_matches(text, '@|\\+1 415') "
        "OR text_hash <> sha256(text) OR length(requester_hash) <> 64 OR language IS NULL"
    ) == [(0,)]


def test_ratings_follow_the_channel(demo: Built) -> None:
    ranges = {
        channel: (low, high, rated, n)
        for channel, low, high, rated, n in demo.store.sql(
            "SELECT channel, min(rating), max(rating), count(rating), count(*) FROM feedback "
            "GROUP BY 1"
        )
    }
    assert ranges["nps"][:2] == (0, 10)
    assert ranges["nps"][2] == ranges["nps"][3]
    for channel in ("csat", "review"):
        assert ranges[channel][:2] == (1, 5)
        assert ranges[channel][2] == ranges[channel][3]
    for channel in ("support", "sales", "survey"):
        assert ranges[channel][2] == 0


def test_feedback_links_point_to_theme_work(demo: Built) -> None:
    states = dict(demo.store.sql("SELECT state, count(*) FROM feedback_link GROUP BY 1"))
    assert set(states) == {"suggested", "confirmed"}
    assert demo.store.sql("SELECT min(importance), max(importance) FROM feedback_link") == [(0, 3)]


def test_accounts_have_segments_and_some_churn(demo: Built) -> None:
    rows = demo.store.sql(
        "SELECT segment, median(arr), count(churned_at) FROM account GROUP BY 1 ORDER BY 2"
    )
    assert [r[0] for r in rows] == ["smb", "mid_market", "enterprise"]
    assert sum(r[2] for r in rows) > 0


# -- usage, experiments, governance -------------------------------------------------------------


def test_events_cover_sign_up_login_and_features(demo: Built) -> None:
    names = dict(demo.store.sql("SELECT name, count(*) FROM event GROUP BY 1"))
    assert set(names) == {"sign_up", "login", "feature_used"}
    assert demo.store.sql(
        "SELECT count(DISTINCT properties->>'feature') FROM event WHERE name = 'feature_used'"
    ) == [(9,)]
    early = demo.store.sql(
        "SELECT count(*) FROM event e JOIN (SELECT user_id, min(ts) AS first FROM event "
        "WHERE name = 'sign_up' GROUP BY 1) s USING (user_id) WHERE e.ts < s.first"
    )
    assert early == [(0,)]


def _goal_stats(store: Store) -> dict[str, dict[str, tuple[int, float]]]:
    stats: dict[str, dict[str, tuple[int, float]]] = {}
    for experiment, arm, units, total in store.sql(
        "SELECT experiment_id, arm, units, sum FROM experiment_arm_stat "
        "WHERE metric = 'conversion_rate'"
    ):
        stats.setdefault(experiment, {})[arm] = (units, total)
    return stats


def test_one_experiment_has_an_effect_and_one_a_sample_ratio_mismatch(demo: Built) -> None:
    for experiment, arms in _goal_stats(demo.store).items():
        (n0, c0), (n1, c1) = arms["control"], arms["treatment"]
        p0, p1, pooled = c0 / n0, c1 / n1, (c0 + c1) / (n0 + n1)
        z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        expected = (n0 + n1) / 2
        chi2 = ((n0 - expected) ** 2 + (n1 - expected) ** 2) / expected
        effect = experiment == demo.manifest["experiment_with_effect"]
        srm = experiment == demo.manifest["experiment_with_srm"]
        assert (z > 3) if effect else (abs(z) < 2), experiment
        assert (chi2 > 10.83) if srm else (chi2 < 3.84), experiment
    planned = demo.store.sql(
        "SELECT experiment_id, sum(planned_share), count(*) FILTER (WHERE is_control) "
        "FROM experiment_arm GROUP BY 1"
    )
    assert len(planned) == demo.manifest["row_counts"]["experiment"]
    assert all(share == pytest.approx(1.0) and controls == 1 for _, share, controls in planned)
    negative_variance = demo.store.sql(
        "SELECT count(*) FROM experiment_arm_stat WHERE sum_squares / units < (sum / units) ^ 2"
    )
    assert negative_variance == [(0,)]


def test_small_survey_is_below_the_anonymity_threshold(demo: Built) -> None:
    rows = demo.store.sql(
        "SELECT r.survey_id, count(DISTINCT r.respondent_hash) FROM survey_response r "
        "JOIN survey s ON s.id = r.survey_id WHERE s.kind = 'health_check' GROUP BY 1 "
        "HAVING count(DISTINCT r.respondent_hash) < 3"
    )
    small = demo.manifest["small_survey"]
    assert rows == [(small["survey_id"], small["respondents"])]
    values = demo.store.sql(
        "SELECT DISTINCT value FROM survey_response r JOIN survey s ON s.id = r.survey_id "
        "WHERE s.kind = 'health_check' ORDER BY 1"
    )
    assert values == [(1.0,), (2.0,), (3.0,)]
    kinds = demo.store.sql("SELECT DISTINCT kind FROM survey ORDER BY 1")
    assert [k for (k,) in kinds] == [
        "health_check",
        "onboarding",
        "ops_support",
        "pm_time",
        "self_assessment",
        "stakeholder",
    ]


def test_every_team_assesses_itself_each_quarter_and_one_overrates_itself(demo: Built) -> None:
    rows = demo.store.sql(
        "SELECT s.team_id, s.id, r.question, count(DISTINCT r.respondent_hash), avg(r.value), "
        "min(r.value), max(r.value) FROM survey s JOIN survey_response r ON r.survey_id = s.id "
        "WHERE s.kind = 'self_assessment' GROUP BY ALL ORDER BY s.team_id, s.id, r.question"
    )
    assert {r[0] for r in rows} == set(demo.manifest["teams"])
    assert len({r[1] for r in rows}) == 8 * len(demo.manifest["teams"])
    assert {r[2] for r in rows} == set(MATURITY_PILLARS)
    assert all(r[3] >= MIN_GROUP and 1 <= r[5] <= r[6] <= 4 for r in rows)
    planted = demo.manifest["overconfident_team"]
    latest = [r for r in rows if r[1] == planted["survey_id"] and r[2] == planted["pillar"]]
    assert latest[0][0] == planted["team_id"]
    assert latest[0][4] == pytest.approx(planted["rating"], abs=0.01)
    assert planted["rating"] >= HIGH_RATING
    target = demo.store.sql(
        "SELECT count(*) FROM criterion_target WHERE team_id = ? AND criterion LIKE ?",
        [planted["team_id"], f"{planted['pillar']}.%"],
    )
    assert target[0][0] > 0  # rated high against its own, missed, targets


def test_nudges_and_initiatives_name_real_rules_and_criteria(demo: Built) -> None:
    nudges = demo.store.arrow("SELECT * FROM nudge").to_pylist()
    assert {n["status"] for n in nudges} == {"offered", "accepted", "dismissed", "done"}
    for n in nudges:
        assert n["criterion"] == RULES[n["rule"]].criterion, n["id"]
        assert (n["reason"] is not None) == (n["status"] == "dismissed"), n["id"]
        assert (n["baseline"] is not None) == (n["status"] in ("accepted", "done")), n["id"]
        assert (n["after"] is not None) == (n["measured_at"] is not None), n["id"]
        assert json.loads(n["readiness"])["stage"] in RULES[n["rule"]].stages, n["id"]
    initiatives = demo.store.arrow("SELECT * FROM initiative").to_pylist()
    for i in initiatives:
        assert i["target_metric"] in CRITERIA, i["id"]
        assert i["started_at"] <= i["stage_at"], i["id"]
        assert i["baseline_period"].startswith("quarter:"), i["id"]
        implemented = i["stage"] == CYCLE[-1]
        assert (i["after"] is not None) == implemented == (i["ended_at"] is not None), i["id"]


def test_governance_tables_are_varied(demo: Built) -> None:
    store = demo.store
    with_evidence = store.sql(
        "SELECT count(DISTINCT d.id), count(DISTINCT e.decision_id) FROM decision d "
        "LEFT JOIN decision_evidence e ON e.decision_id = d.id WHERE d.status = 'decided'"
    )[0]
    assert 0 < with_evidence[1] < with_evidence[0]
    stages = store.sql("SELECT count(DISTINCT stage) FROM initiative")[0][0]
    assert stages >= 5
    kinds = {k for (k,) in store.sql("SELECT DISTINCT kind FROM activity")}
    assert kinds == set(TABLES["activity"].column("kind").choices)
    assert store.sql(
        "SELECT count(*) FROM activity WHERE kind = 'onboarding' AND person_id IS NULL"
    ) == [(0,)]
    assert store.sql("SELECT count(*) > 0 FROM work_item_kpi") == [(True,)]


# -- determinism and scale ----------------------------------------------------------------------


def test_same_seed_gives_the_same_rows(demo: Built, tmp_path: Path) -> None:
    twin = _build(tmp_path)
    try:
        assert _digests(twin.store) == _digests(demo.store)
        assert twin.manifest == demo.manifest
    finally:
        twin.store.close()


def test_another_seed_gives_other_rows(demo: Built, tmp_path: Path) -> None:
    other = _build(tmp_path, seed=8)
    try:
        mine, theirs = _digests(demo.store), _digests(other.store)
        for name in ("work_item", "work_item_transition", "feedback", "event", "account"):
            assert mine[name] != theirs[name], name
        assert other.manifest["bottleneck"] == demo.manifest["bottleneck"]
    finally:
        other.store.close()


def test_scale_two_doubles_the_organisation(demo: Built, tmp_path: Path) -> None:
    double = _build(tmp_path, scale=2)
    try:
        assert double.store.sql("SELECT count(*) FROM quarantine") == [(0,)]
        assert len(double.manifest["teams"]) == 12
        assert double.manifest["groups"] == ["product", "product-2"]
        one, two = demo.manifest["row_counts"], double.manifest["row_counts"]
        for name in ("person", "work_item", "work_item_transition", "change", "account",
                     "feedback", "event", "experiment", "survey_response", "usage_event"):  # fmt: skip
            assert 1.8 < two[name] / one[name] < 2.2, name
        assert double.store.sql(
            "SELECT a.team_id FROM work_item_link l JOIN work_item a ON a.id = l.from_id "
            "JOIN work_item b ON b.id = l.to_id WHERE l.type = 'blocks' AND a.team_id <> b.team_id "
            "GROUP BY a.team_id, b.team_id ORDER BY count(*) DESC LIMIT 1"
        ) == [("platform",)]
    finally:
        double.store.close()


def test_scale_must_be_at_least_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.duckdb")
    try:
        with pytest.raises(UsageError, match="at least 1"):
            build_demo(store, tmp_path / "m.json", scale=0)
    finally:
        store.close()
