"""The report in a real headless Chromium: the analyst's sections are there, nothing runs.

Opens three pages: a report written by ``detect`` on a small simulated log, the hand-built schema v2
fixture that covers every section, and the same fixture with hostile values in every
client-controlled field. Screenshots go to ``test-artifacts/report/`` at the repository root (CI
keeps them). Uses Debian's ``/usr/bin/chromium`` through Playwright; never Playwright's own
browser download.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, MISSING, chromium
from tests.report.fixtures import write_v2

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=MISSING,
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs the browser extra: pip install 'distillguard[browser]'"
)


@dataclass
class Visit:
    """One page load and everything the browser reported while showing it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as b:
        yield b


def _open(browser: Any, html: Path, name: str) -> Iterator[Visit]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = Visit(page)
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.console_errors.append(str(e)))
    page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: visit.requests.append(r.url))
    page.goto(html.resolve().as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))  # what an analyst sees first
    yield visit
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # after the test's clicks
    page.close()


@pytest.fixture(scope="module")
def detected_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from distillguard.pipeline import run_detect
    from distillguard.simulate import simulate

    root = tmp_path_factory.mktemp("browser")
    simulate("demo", scale=0.2, seed=1, out=root / "sim")
    run_detect([root / "sim" / "requests"], root / "det")
    return root / "det" / "report.html"


@pytest.fixture()
def detected(browser: Any, detected_report: Path) -> Iterator[Visit]:
    yield from _open(browser, detected_report, "detected")


@pytest.fixture()
def fixture_v2(browser: Any, tmp_path: Path) -> Iterator[Visit]:
    from distillguard.report import render_report

    write_v2(tmp_path)
    yield from _open(browser, render_report(tmp_path), "fixture-v2")


@pytest.fixture()
def hostile(browser: Any, tmp_path: Path) -> Iterator[Visit]:
    from distillguard.report import render_report

    write_v2(tmp_path, hostile=True)
    yield from _open(browser, render_report(tmp_path), "hostile")


def _self_contained(visit: Visit) -> None:
    assert visit.console_errors == []
    assert all(url.startswith("file://") for url in visit.requests), visit.requests


def test_detect_report_shows_summary_campaigns_and_review_queue(detected: Visit) -> None:
    page = detected.page
    summary = page.locator("#summary")
    assert summary.is_visible()
    assert "exchanges analysed" in summary.inner_text()
    assert "What to do first" in summary.inner_text()
    campaigns = page.locator("section.campaign")
    assert campaigns.count() >= 1
    first = campaigns.first
    assert first.locator("h4", has_text="Safe to block").is_visible()
    assert first.locator("table.evidence").is_visible()
    assert first.locator("svg.chart").first.is_visible()
    assert page.locator("#timeline svg.lanes").is_visible()
    assert page.locator("#review").is_visible()
    _self_contained(detected)


def test_every_section_of_a_v2_report_is_found(fixture_v2: Visit) -> None:
    page = fixture_v2.page
    assert page.locator("#warnings").is_visible()
    summary = page.locator("#summary").inner_text()
    assert "100,000" in summary and "262,500 rows read" in summary
    first_action = page.locator("ol.actions li").first
    assert "Block campaign #1" in first_action.inner_text()
    # The first action links to its campaign, and the campaign's blockable indicators are there.
    first_action.locator("a").click()
    assert page.evaluate("location.hash") == "#c1"
    safe = page.locator("#c1 table.blockable")
    assert safe.is_visible()
    assert safe.locator("tr").count() == 3  # header + 2 safe-to-block values
    assert "t13d1516h2_aaaa" in safe.inner_text()
    assert "python-httpx" in page.locator("#c1 table.context").inner_text()
    # Evidence records open on click and show the example request ids.
    page.locator("#c1 table.evidence summary").first.click()
    assert "req-000001" in page.locator("#c1 table.evidence details").first.inner_text()
    review = page.locator("#review")
    assert review.locator("table.review-groups tr").count() == 3  # header + near miss + lookalike
    assert "acct-solo" in review.locator("table.review-accounts").inner_text()
    _self_contained(fixture_v2)


def test_hostile_values_never_run(hostile: Visit) -> None:
    page = hostile.page
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object').length") == 0
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
        ".filter(a => a.name.startsWith('on')).length"
    )
    assert handlers == 0
    assert hostile.dialogs == []
    # The values are on the page as text an analyst can read and copy.
    body = page.locator("body").inner_text()
    assert '<script>alert("x")</script>' in body
    assert '=HYPERLINK("http://evil.example","click")' in body
    _self_contained(hostile)
