"""Browser journeys on the demo in real headless Chromium against a real server: each saves
a screenshot (tests' artefacts folder, `PRODUCTOPS_ARTEFACTS`, default tmp/artefacts) and
fails on any console error, page error or failed request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from productops.ops.scorecard import period_start
from productops.workspace import Workspace
from tests.web.browser import chromium, journey, serving, sign_in
from tests.web.demo_site import TEAM, Demo, copy_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def site(demo_site: Demo, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A copy of the demo for the journeys to write on."""
    return copy_demo(demo_site, tmp_path_factory.mktemp("journeys") / "demo-org")


@pytest.fixture(scope="module")
def base(site: Demo) -> Iterator[str]:
    with serving(site.root) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


def test_sign_in(browser: Browser, base: str) -> None:
    with journey(browser, base) as j:
        sign_in(j, "viewer")
        assert j.page.locator("h1").inner_text() == "Home"
        assert "dan (viewer)" in j.page.locator("header").inner_text()
        assert j.page.locator("nav a", has_text="Admin").count() == 0
        j.finish("sign-in")


def test_home_to_a_criterion_off_target_to_its_rows(browser: Browser, base: str) -> None:
    with journey(browser, base) as j:
        sign_in(j, "viewer")
        summary = j.page.locator("ul.summary li.teams-off-target")
        assert "off their own targets" in summary.inner_text()
        criterion = summary.locator("a[href^='/criteria/']:not([href*='/rows'])").first
        name = criterion.inner_text()
        criterion.click()
        assert j.page.locator("h1").inner_text() == name
        j.page.locator("td a[href*='/rows?']").first.click()
        assert j.page.locator("h1").inner_text() == f"{name}: rows"
        assert j.page.locator("table.rows tbody tr").count() >= 1
        assert "No rows." not in j.page.locator("table.rows").inner_text()
        j.finish("criterion-rows")


def test_accept_a_nudge_and_see_it_on_the_team_page(browser: Browser, base: str) -> None:
    with journey(browser, base) as j:
        sign_in(j, "member", f"/teams/{TEAM}")
        nudges = j.page.locator("section[aria-labelledby=nudges]")
        offered = nudges.locator("article:has(.badge.offered)").first
        rule = offered.locator("h3").inner_text().split(" offered")[0]
        offered.get_by_role("button", name="Accept").click()
        j.page.wait_for_load_state()
        accepted = nudges.locator("article", has_text=rule)
        assert "accepted" in accepted.locator(".badge").inner_text()
        assert accepted.get_by_role("button", name="Done").count() == 1
        j.finish("nudge-accepted")


def _unlinked_delivered(
    site: Demo, shown: list[dict[str, str]], periods: set[str]
) -> dict[str, str]:
    """A suggested link the page shows to a delivered item, whose feedback (received in a
    period the page shows) has no confirmed link yet: confirming it moves the count by one."""
    ws = Workspace.open(site.root)
    try:
        linked = {
            f
            for (f,) in ws.store.sql(
                "SELECT feedback_id FROM feedback_link WHERE state = 'confirmed'"
            )
        }
    finally:
        ws.close()
    for link in shown:
        received = datetime.fromisoformat(link["created_at"]).astimezone(UTC)
        quarter = period_start(received, "quarter").date().isoformat()
        if link["delivered"] and link["feedback_id"] not in linked and quarter in periods:
            return link | {"quarter": quarter}
    raise AssertionError("no suggested link to a delivered item in the shown periods")


def test_confirm_a_suggested_link_and_see_feedback_incorporated_move(
    browser: Browser, base: str, site: Demo
) -> None:
    with journey(browser, base) as j:
        sign_in(j, "admin", "/customer")
        data = j.page.context.request.get(base + "/customer?format=json").json()
        periods = {r["period_start"][:10] for r in data["roadmap"]}
        link = _unlinked_delivered(site, data["suggested_links"], periods)
        row = j.page.locator("#roadmap-table tbody tr", has_text=link["quarter"])
        before = int(row.locator("td.incorporated").inner_text())
        name = f"Confirm: {link['feedback_id']} asks for {link['work_item_id']}"
        j.page.get_by_role("button", name=name).click()
        j.page.wait_for_load_state()
        after = int(row.locator("td.incorporated").inner_text())
        assert after == before + 1
        assert j.page.get_by_role("button", name=name).count() == 0
        j.finish("feedback-incorporated")


def test_rename_a_theme(browser: Browser, base: str) -> None:
    with journey(browser, base) as j:
        sign_in(j, "admin", "/customer")
        theme = j.page.locator("article.theme").first
        theme.locator("summary").click()
        theme.get_by_label("New label").fill("Uploads crash on Android")
        theme.get_by_role("button", name="Rename").click()
        j.page.wait_for_load_state()
        assert j.page.locator("article.theme h3", has_text="Uploads crash on Android").count() == 1
        j.finish("theme-renamed")


def test_record_a_decision_with_a_metric_as_evidence_and_verify_it(
    browser: Browser, base: str
) -> None:
    with journey(browser, base) as j:
        sign_in(j, "member", "/data/decisions")
        j.page.locator("summary", has_text="Log a new decision").click()
        j.page.get_by_label("Title").fill("Offer annual plans to small teams")
        j.page.get_by_label("Options, one per line").fill("annual plans\nmonthly only")
        j.page.get_by_role("button", name="Log the decision").click()
        j.page.wait_for_url(f"{base}/data/decisions/**")
        assert j.page.locator("h1").inner_text() == "Offer annual plans to small teams"
        j.page.get_by_label("Metric as evidence").select_option("active_accounts")
        j.page.locator("select[name=grain]").select_option("month")
        j.page.get_by_role("button", name="Freeze it as evidence").click()
        j.page.wait_for_load_state()
        evidence = j.page.locator("#evidence + div table tbody tr")
        assert "active_accounts" in evidence.first.inner_text()
        j.page.get_by_role("link", name="Verify the evidence").click()
        j.page.wait_for_load_state()
        assert j.page.locator("td.reproduced").first.inner_text() == "same"
        j.finish("decision-verified")


def test_open_an_experiments_results(browser: Browser, base: str) -> None:
    with journey(browser, base) as j:
        sign_in(j, "viewer", "/experiments")
        j.page.locator("tbody th a").first.click()
        j.page.wait_for_url(f"{base}/experiments/**")
        assert j.page.get_by_role("heading", name="Goal and secondary metrics").is_visible()
        assert j.page.get_by_role("heading", name="Guardrails").is_visible()
        assert j.page.locator("svg.interval").count() >= 1
        assert "Chance to win" in j.page.locator("#goals + div table thead").inner_text()
        j.finish("experiment-results")


def test_answer_a_survey_by_its_link_without_an_account(
    browser: Browser, base: str, site: Demo
) -> None:
    with journey(browser, base, width=390) as j:  # on a phone
        j.go(f"/answer/{site.survey}")
        fieldsets = j.page.locator("fieldset")
        assert fieldsets.count() >= 3
        for i in range(fieldsets.count()):
            fieldsets.nth(i).get_by_label("green").check()
        j.page.get_by_role("button", name="Send my answers").click()
        j.page.wait_for_load_state()
        assert "your answers are recorded" in j.page.get_by_role("status").inner_text()
        j.finish("survey-answered")
    ws = Workspace.open(site.root)
    try:
        [(answers,)] = ws.store.sql(
            "SELECT count(*) FROM survey_response WHERE survey_id = ?", [site.survey]
        )
    finally:
        ws.close()
    assert answers == fieldsets_count(site)


def fieldsets_count(site: Demo) -> int:
    """How many questions the answer page asks: those asked before in health checks."""
    ws = Workspace.open(site.root)
    try:
        [(asked,)] = ws.store.sql(
            "SELECT count(DISTINCT r.question) FROM survey_response r JOIN survey s "
            "ON s.id = r.survey_id WHERE s.kind = 'health_check' AND r.survey_id <> ?",
            [site.survey],
        )
    finally:
        ws.close()
    return int(asked)


def test_as_admin_revoke_a_token(browser: Browser, base: str, site: Demo) -> None:
    with journey(browser, base) as j:
        sign_in(j, "admin", "/admin")
        row = j.page.locator(f"#token-{site.token}")
        row.get_by_role("button", name=f"Revoke token {site.token}").click()
        j.page.wait_for_load_state()
        assert "revoked" in j.page.locator(f"#token-{site.token}").inner_text()
        j.finish("token-revoked")
