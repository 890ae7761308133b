"""The pages in real headless Chromium, as people without a mouse or a wide screen use them:
axe-core (vendored: tests/fixtures/axe) finds no serious or critical violation on any page;
at phone width (375 px) no page scrolls sideways; the journeys' controls are reached by Tab,
each with a visible focus outline. The checks that need only the HTML run on every page as
every role in test_pages.py (`accessibility.faults`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from productops.web.app import create_app
from tests.web.accessibility import faults
from tests.web.browser import Journey, chromium, journey, serving, sign_in
from tests.web.demo_site import TEAM, Demo, copy_demo
from tests.web.test_pages import crawl

if TYPE_CHECKING:
    from playwright.sync_api import Browser

AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
FAILING = ("serious", "critical")  # axe's impacts that fail the test
PHONE = 375  # px, the viewport's width (an iPhone SE, the narrowest phone in common use)
MOST_TABS = 400  # Tab presses tried before a control counts as unreachable

# Elements wider than the viewport that do not sit in a box that scrolls on its own.
WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  return [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && !scrolls(e))
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${(e.textContent || '').trim().slice(0, 60)}`);
}"""
FOCUS = """(e) => e === document.activeElement && e.matches(':focus-visible')
  && getComputedStyle(e).outlineStyle !== 'none' && parseFloat(getComputedStyle(e).outlineWidth) > 0"""


@pytest.fixture(scope="module")
def site(demo_site: Demo, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return copy_demo(demo_site, tmp_path_factory.mktemp("accessibility") / "demo-org")


@pytest.fixture(scope="module")
def pages(site: Demo) -> list[str]:
    """Every HTML page the admin reaches from `/` (one URL per route), the sign-in form, the
    answer page and an error page."""
    found = crawl(create_app(site.root), "admin").pages
    return [*found, f"/answer/{site.survey}", "/teams/nowhere"]


@pytest.fixture(scope="module")
def base(site: Demo, pages: list[str]) -> Iterator[str]:
    with serving(site.root) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


def _axe(j: Journey) -> list[str]:
    """axe-core's serious and critical violations on the page open in `j`."""
    j.page.evaluate(AXE.read_text("utf-8"))  # through the DevTools protocol: the CSP allows it
    found: list[dict[str, Any]] = j.page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in FAILING
    ]


def test_axe_finds_no_serious_violation_on_any_page(
    browser: Browser, base: str, pages: list[str]
) -> None:
    wrong = []
    with journey(browser, base) as j:
        j.go("/signin")
        wrong += [f"/signin: {v}" for v in _axe(j)]
        sign_in(j, "admin")
        for path in pages:
            j.go(path)
            wrong += [f"{path}: {v}" for v in _axe(j)]
    assert not wrong, "\n".join(wrong)


def test_no_page_scrolls_sideways_at_phone_width(
    browser: Browser, base: str, pages: list[str]
) -> None:
    wrong = []
    with journey(browser, base, width=PHONE) as j:
        j.go("/signin")
        sign_in(j, "admin")
        for path in ["/signin", *pages]:
            j.go(path)
            j.page.wait_for_load_state("load")
            scroll, client = j.page.evaluate(
                "() => [document.scrollingElement.scrollWidth, "
                "document.scrollingElement.clientWidth]"
            )
            if scroll > client:
                wrong.append(f"{path}: {scroll} px wide in {client}: {j.page.evaluate(WIDE)}")
    assert not wrong, "\n".join(wrong)


def tab_to(j: Journey, path: str, selector: str) -> int:
    """Open `path` and press Tab until the first element `selector` finds has the focus,
    visibly; the presses it took (fails past `MOST_TABS`)."""
    j.go(path)
    target = j.page.locator(selector).first
    for presses in range(1, MOST_TABS + 1):
        j.page.keyboard.press("Tab")
        if target.evaluate("(e) => e === document.activeElement"):
            assert target.evaluate(FOCUS), f"{path} {selector}: no visible focus outline"
            return presses
    raise AssertionError(f"{path} {selector}: not reached by {MOST_TABS} Tab presses")


def test_the_journeys_controls_are_reached_by_tab_with_a_visible_focus(
    browser: Browser, base: str, site: Demo
) -> None:
    with journey(browser, base) as j:
        assert tab_to(j, "/signin", "a.skip") == 1  # the first stop of every page
        for selector in ("input[name=name]", "input[name=password]", "button[type=submit]"):
            tab_to(j, "/signin", selector)
        sign_in(j, "admin")
        stops = {
            "/": ["a.skip", "ul.summary a"],
            f"/teams/{TEAM}": ["button:text-is('Accept')", "input[name=value]"],
            "/customer": ["input#q", "button[aria-label^='Confirm:']", "article.theme summary"],
            "/data/decisions": ["summary:text('Log a new decision')"],
            "/experiments": ["tbody th a"],
            "/admin": ["button[aria-label^='Revoke token']", "select[name=role]"],
            f"/answer/{site.survey}": ["input[type=radio]", "button[type=submit]"],
        }
        for path, selectors in stops.items():
            for selector in selectors:
                tab_to(j, path, selector)
        j.finish("keyboard")


def test_the_html_checker_finds_each_fault() -> None:
    """`accessibility.faults`, which test_pages.py runs on every page as every role."""
    good = (
        '<html lang="en"><h1>A</h1><label>Name <input name="n"></label><label for="f">F</label>'
        '<select id="f"></select><input type="submit" value="Go"><button aria-label="x"></button>'
        '<a href="/"><svg aria-label="home"></svg></a><img src="/a.png" alt=""></html>'
    )
    assert faults(good) == []
    bad = (
        '<html><h1>A</h1><h1>B</h1><svg></svg><div role="img"></div><button></button>'
        '<img src="/a.png"><span tabindex="2">x</span><input name="n"><a href="/x"></a></html>'
    )
    assert sorted(faults(bad)) == sorted([
        "<svg> has no aria-label (nor aria-hidden)",
        "<div role=img> has no aria-label",
        "<img src='/a.png'> has no alt",
        "<span> has a positive tabindex 2",
        "<a href='/x'> has no text",
        "<html> has no lang",
        "2 h1 elements, not one",
        "a control (no name attribute) has no accessible name",
        "a control (name='n') has no accessible name",
    ])  # fmt: skip
