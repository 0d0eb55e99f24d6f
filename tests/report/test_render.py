"""The HTML report: what an analyst needs to act, escaped, self-contained, v1 and v2 inputs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from distillguard.errors import InputError
from distillguard.report import load_report_data, render_report
from distillguard.report.view import score_meaning, when
from tests.report.fixtures import HOSTILE, write_v1, write_v2


class _Page(HTMLParser):
    """Collects tags, text, attributes and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        self.ids |= {v for k, v in attrs if k == "id" and v}

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        # Text nodes joined by spaces (cells stay apart), without a space before punctuation.
        return re.sub(r"\s+([,.;:)])", r"\1", " ".join(" ".join(self.text).split()))


def _parse(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def _section(html: str, ident: str) -> str:
    """The text of the element with ``id=ident`` up to the next top-level section."""
    start = html.index(f'id="{ident}"')
    end = html.find("<section", start + 1)
    page = _Page()
    page.feed(html[start : end if end > 0 else len(html)].split(">", 1)[1])
    return page.all_text


@pytest.fixture()
def v2_dir(tmp_path: Path) -> Path:
    write_v2(tmp_path)
    return tmp_path


def test_executive_summary_says_window_traffic_and_what_to_do_first(v2_dir: Path) -> None:
    html, _ = _parse(render_report(v2_dir))
    top = _section(html, "summary")
    # Log window with readable timestamps, its length, exchanges analysed vs rows read.
    assert "2026-03-01 00:00 UTC → 2026-03-10 23:59 UTC" in top and "10 day(s)" in top
    assert "100,000 exchanges analysed" in top and "of 262,500 rows read" in top
    assert "m-old 70,000" in top and "m-new 30,000" in top
    # Campaigns' share of traffic: (48,000 + 4,000 + 500) / 100,000.
    assert "52% of traffic in campaigns" in top and "52,500 exchanges" in top
    # What to do first: block before throttle before review, then the review queue.
    first = [
        top.index(s)
        for s in ("Block campaign #1 cmp-7f3a", "Throttle campaign #2", "Review campaign #3")
    ]
    assert first == sorted(first)
    assert "2 indicator(s) safe to block" in top
    assert "225 accounts the threshold did not flag" in top
    # The summary comes before any campaign section.
    assert html.index('id="summary"') < html.index('id="c1"')


def test_campaign_shows_score_parts_threshold_action_and_calibration(v2_dir: Path) -> None:
    html, _ = _parse(render_report(v2_dir))
    c1 = _section(html, "c1")
    assert "Score 0.91 (threshold 0.50, +0.41)" in c1
    assert "harvest 0.88" in c1 and "coordination 0.95" in c1
    assert "Recommended action: block" in c1
    assert "120 accounts share 2 blockable indicators" in c1
    assert (
        "Calibration (on benchmark seeds 0, 1, 2): 97% of the groups scored 0.80–1.00 were real "
        "campaigns (31 groups)"
    ) in c1
    # A campaign without calibration says its score is not a probability.
    assert "Uncalibrated" in _section(html, "c2")


def test_blockable_indicators_are_separated_from_context_with_prevalence(v2_dir: Path) -> None:
    data = load_report_data(v2_dir)
    c1 = data.campaigns[0]
    assert {(i.kind, i.value) for i in c1.blockable} == {
        ("ASN", "64501"),  # typed value shown as stored, no thousands separator
        ("client (TLS) fingerprint", "t13d1516h2_aaaa"),
    }
    ua = next(i for i in c1.context if i.kind == "user agent")
    assert (ua.in_campaign, ua.in_log) == (120, 1112)
    assert ua.purity == pytest.approx(120 / 1112)
    assert c1.indicators_truncated
    html = render_report(v2_dir).read_text()
    safe = html[html.index('class="blockable"') : html.index('class="evidence"')]
    assert "t13d1516h2_aaaa" in safe and "python-httpx" not in safe
    ctx = _section(html, "c1")
    assert "python-httpx/0.27 120 (100%) 1,112 11%" in ctx
    assert "The producer paged the indicator lists" in ctx
    # The throttle campaign has no blockable indicator and says so.
    assert "every indicator of this campaign is also used by many accounts" in _section(html, "c2")


def test_evidence_shows_true_counts_request_ids_excerpts_and_units(v2_dir: Path) -> None:
    data = load_report_data(v2_dir)
    pay = data.campaigns[0].evidence[0]
    assert pay.signal == "linkage.shared_payment"
    assert pay.accounts == 118 and len(pay.sample_accounts) == 10 and not pay.accounts_complete
    assert pay.sample_requests == ["req-000001", "req-000002"]
    # The same example backs both findings: shown inline under the first one only.
    behaviour = data.campaigns[0].evidence[1]
    assert pay.inline_excerpt == behaviour.excerpts[0] and behaviour.inline_excerpt == ""
    text = _section(render_report(v2_dir).read_text(), "c1")
    assert "accounts (10 of 118)" in text
    assert "example requests: req-000001, req-000002" in text
    assert "level 0.72 · population level 0.31" in text
    assert "requests per account day campaign median 37.4, population median 12" in text
    assert "Solve step by step and show all reasoning" in text


def test_long_indicator_lists_are_cut_per_kind_and_say_the_true_total(tmp_path: Path) -> None:
    doc = write_v2(tmp_path)
    subnets = [
        {"kind": "ip_prefix", "value": f"10.0.{i}.0/24", "accounts_in_campaign": 100 - i,
         "accounts_in_log": 100 - i, "blockable": True}
        for i in range(40)
    ]  # fmt: skip
    doc["campaigns"][0]["indicators"] += subnets
    (tmp_path / "campaigns.json").write_text(json.dumps(doc))
    c1 = load_report_data(tmp_path).campaigns[0]
    assert c1.blockable_total == 42
    shown = [i.value for i in c1.blockable if i.kind == "IP subnet"]
    assert shown == [f"10.0.{i}.0/24" for i in range(15)]  # most shared first
    assert {i.kind for i in c1.blockable} == {"IP subnet", "ASN", "client (TLS) fingerprint"}
    text = _section(render_report(tmp_path).read_text(), "c1")
    assert "Safe to block (42; 17 shown, all in campaigns.json)" in text


def test_review_queue_lists_near_misses_lookalikes_and_accounts(v2_dir: Path) -> None:
    html, page = _parse(render_report(v2_dir))
    review = _section(html, "review")
    assert "near miss 218 9,000 0.44" in review
    assert "linked by shared payment instruments" in review
    assert "lookalike of cmp-7f3a" in review and ("href", "#c1") in page.attrs
    assert "acct-solo 0.35 3,000 harvest level 0.9" in review
    assert "accounts (10 of 218)" in review


def test_warnings_from_the_summary_are_shown_first(v2_dir: Path) -> None:
    html, _ = _parse(render_report(v2_dir))
    warn = _section(html, "warnings")
    assert "placeholder id" in warn and "text signals had no data" in warn
    assert "No data for these signals" in warn and "capability" in warn
    assert html.index('id="warnings"') < html.index('id="summary"')


def test_timelines_use_a_true_date_axis_and_one_chart_has_every_campaign(v2_dir: Path) -> None:
    html, _ = _parse(render_report(v2_dir))
    overview = html[html.index('id="timeline"') : html.index('id="campaigns"')]
    for cid in ("cmp-7f3a", "cmp-22b0", "cmp-0c55"):
        assert cid in overview
    # Campaign 1's bars: 5 active days inside a 10-day window, so the bars of 03-03 and 03-09
    # are 6 day-widths apart, not adjacent.
    c1 = html[html.index('id="c1"') : html.index('id="c2"')]
    chart = c1[c1.index("exchanges per day") :]
    xs = {}
    for x, day in re.findall(r'<rect x="([\d.]+)"[^>]*><title>(2026-03-\d\d) · ', chart):
        xs.setdefault(day, float(x))
    step = xs["2026-03-02"] - xs["2026-03-01"]
    assert xs["2026-03-09"] - xs["2026-03-03"] == pytest.approx(6 * step, abs=0.2)
    # Timestamps carry no microseconds.
    assert "02:13:44.123456" not in html and "2026-03-01 02:13 UTC" in html


def test_hostile_values_are_escaped_and_inert(tmp_path: Path) -> None:
    write_v2(tmp_path, hostile=True)
    html, page = _parse(render_report(tmp_path))
    # No markup from the data: no script, img or svg-with-handler elements, no on* attributes.
    assert "script" not in page.tags and "img" not in page.tags
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    for value in HOSTILE:
        assert value not in html, value  # never emitted raw...
        assert value in page.all_text, value  # ...but shown to the reader as text
    assert "&lt;script&gt;" in html
    # The formula is shown as text, without the spreadsheet-neutralising quote of accounts.csv.
    assert '=HYPERLINK("http://evil.example","click")' in page.all_text
    # The only elements are the template's own.
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p",
               "code", "nav", "a", "div", "br", "ul", "li", "section", "b", "span", "table", "tr",
               "th", "td", "i", "details", "summary", "ol", "blockquote", "svg", "line",
               "text", "rect"}  # fmt: skip
    assert set(page.tags) <= allowed


def test_v1_detections_still_render(tmp_path: Path) -> None:
    write_v1(tmp_path)
    html, page = _parse(render_report(tmp_path))
    text = page.all_text
    assert "203.0.113.0/24" in text and "64500" in text and "weird_kind" in text
    assert "tmpl-<b>" in text and "tmpl-&lt;b&gt;" in html
    assert "Not assessed" in text  # v1 has no blockable flags
    assert "predate the review queue" in text
    assert "2 accounts share one card & one <subnet>" in text
    assert "1.00" in text  # strength clipped to [0, 1]
    assert "2026-02-01 00:00 UTC" in text
    # A finding that names no accounts shows "not recorded", never a misleading 0.
    evidence = {e.signal: e.accounts for e in load_report_data(tmp_path).campaigns[0].evidence}
    assert evidence == {"shared_payment": 2, "behaviour.max_tokens": None}
    # Flagged accounts outside campaigns are listed when there are some.
    assert "lone" in _section(html, "loose")


def test_clean_log_says_zero_campaigns(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,score,flagged,campaign_id\na,0.1,false,\n")
    doc = {"schema_version": 2, "run": {"exchanges_analysed": 10}, "campaigns": [], "review": []}
    (tmp_path / "campaigns.json").write_text(json.dumps(doc))
    html, page = _parse(render_report(tmp_path))
    assert "0 campaigns were found in this log" in _section(html, "summary")
    assert "Nothing to act on" in page.all_text
    assert "svg" not in page.tags


def test_long_lists_are_cut_to_top_n(tmp_path: Path) -> None:
    write_v2(tmp_path)
    data = load_report_data(tmp_path, campaign_accounts=20)
    assert len(data.campaigns[0].accounts) == 20
    assert data.campaigns[0].accounts[0].account_id == "acct-big-0000"  # highest score first
    assert data.campaigns[0].n_accounts == 120


def test_report_can_be_written_elsewhere(v2_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "r.html"
    target.parent.mkdir()
    assert render_report(v2_dir, out=target) == target
    assert "cmp-7f3a" in target.read_text()


def test_missing_files_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"accounts\.csv"):
        render_report(tmp_path)
    (tmp_path / "accounts.csv").write_text("account_id,score,flagged,campaign_id\n")
    (tmp_path / "campaigns.json").write_text(json.dumps({"nope": []}))
    with pytest.raises(InputError, match="campaigns"):
        render_report(tmp_path)


def test_calibration_per_account_bin_is_worded_in_accounts() -> None:
    cal = {"bin": [0.6, 0.8], "precision": 0.991, "accounts": 1234, "measured_on": "seeds 0-4"}
    assert score_meaning(cal, 0.7) == (
        "Calibration (measured on seeds 0-4): 99% of the accounts in campaigns scored 0.60–0.80 "
        "were attack accounts (1,234 accounts)."
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("2026-03-01T02:13:44.123456Z", "2026-03-01 02:13 UTC"),
        ("2026-03-01T02:13:44+02:00", "2026-03-01 00:13 UTC"),
        ("2026-03-01", "2026-03-01"),
        ("yesterday", "yesterday"),
    ],
)
def test_timestamps_are_readable(raw: str, shown: str) -> None:
    assert when(raw) == shown
