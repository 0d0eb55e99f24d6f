"""The HTML report: campaigns, evidence and untrusted ids appear, escaped, self-contained."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from distillguard.campaigns.model import AccountVerdict, Campaign, Detections, Finding
from distillguard.errors import InputError
from distillguard.report import render_report

EVIL = '<script>alert("x")</script>'
T0 = datetime(2026, 2, 1, tzinfo=UTC)


class _Page(HTMLParser):
    """Collects tags, text and attributes of a page."""

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
        return "".join(self.text)


def _parse(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def _campaign(i: int, accounts: list[str], *, pivot: bool = False) -> Campaign:
    days = [(T0 + timedelta(days=d)).date().isoformat() for d in range(6)]
    by_model = {"model-a": [(d, 100 + i) for d in days]}
    if pivot:
        by_model["model-b-new"] = [(d, 300) for d in days[3:]]
    timeline = [(d, sum(dict(rows).get(d, 0) for rows in by_model.values())) for d in days]
    return Campaign(
        campaign_id=f"camp-{i}",
        score=0.5 + i / 10,
        accounts=accounts,
        exchanges=sum(n for _, n in timeline),
        first_seen=T0,
        last_seen=T0 + timedelta(days=5),
        capabilities={"reasoning_trace": 0.6, "coding": 0.3, "agentic": 0.1},
        indicators={
            "ip_prefix": [{"value": "203.0.113.0/24", "accounts": len(accounts)}],
            "asn": [64500 + i],  # plain list, no counts
            "payment_fingerprint": [{"value": f"pay-{i}", "accounts": 2}],
            "template_id": {"tmpl-<b>": 3},
        },
        evidence=[
            Finding(
                signal="shared_payment",
                strength=0.9,
                description=f"{len(accounts)} accounts share one card & one <subnet>",
                account_ids=tuple(accounts),
            ),
            Finding(
                signal=f"sync_timing_{i}",
                strength=0.4,
                description="requests arrive in lock-step",
                account_ids=tuple(accounts[:2]),
                request_ids=("r1", "r2"),
            ),
        ],
        timeline=timeline,
        models={m: sum(n for _, n in rows) for m, rows in by_model.items()},
        timeline_by_model=by_model,
    )


@pytest.fixture()
def detections_dir(tmp_path: Path) -> Path:
    campaigns = [
        _campaign(1, [EVIL, "acct-1", "acct-2"], pivot=True),
        _campaign(3, ["acct-3", "acct&4", "acct-5", "acct-6"]),
        _campaign(2, ["acct-7", "acct-8"]),
    ]
    member = {a: c.campaign_id for c in campaigns for a in c.accounts}
    accounts = [AccountVerdict(a, 0.9, True, cid) for a, cid in member.items()] + [
        AccountVerdict('loner-"quoted"', 0.97, True, None),
        AccountVerdict("loner-2", 0.71, True, None),
        AccountVerdict("benign-1", 0.05, False, None),
    ]
    summary = {
        "rows_read": 12345,
        "rows_quarantined": 3,
        "quarantine_reasons": {"missing account_id": 2, "bad timestamp <x>": 1},
        "timings": {"ingest": 1.25, "linkage": 3.5},
        "detector_version": "0.1.0",
    }
    Detections(accounts, campaigns, summary).write(tmp_path)
    return tmp_path


def test_report_lists_campaigns_ranked_with_evidence_and_plots(detections_dir: Path) -> None:
    path = render_report(detections_dir)
    assert path == detections_dir / "report.html"
    _, page = _parse(path)
    text = page.all_text

    # Campaigns ranked by score: camp-3 (0.8) before camp-2 (0.7) before camp-1 (0.6).
    assert text.index("camp-3") < text.index("camp-2") < text.index("camp-1")
    # Evidence: signal, description (with its odd characters decoded back), account counts.
    assert "shared_payment" in text
    assert "4 accounts share one card & one <subnet>" in text
    assert "requests arrive in lock-step" in text
    # Indicators with and without counts, in all accepted shapes.
    assert "203.0.113.0/24" in text and "64501" in text and "tmpl-<b>" in text
    assert "IP subnets" in text and "payment fingerprints" in text
    # Models, including the new one the campaign pivoted to.
    assert "model-b-new" in text
    # Summary figures, quarantine reasons and timings.
    assert "12,345" in text and "bad timestamp <x>" in text and "linkage" in text
    # Flagged accounts outside campaigns, highest score first.
    assert text.index('loner-"quoted"') < text.index("loner-2")
    # Inline SVG charts: one timeline and one capability bar per campaign.
    assert page.tags.count("svg") >= 6
    # Self-contained: no script, no external resources.
    assert "script" not in page.tags
    assert not any(k in {"src", "href"} and v and "//" in v for k, v in page.attrs)


def test_untrusted_ids_are_escaped(detections_dir: Path) -> None:
    html, page = _parse(render_report(detections_dir))
    assert EVIL not in html  # never emitted raw
    assert "&lt;script&gt;" in html
    assert EVIL in page.all_text  # but shown to the reader as text
    assert "tmpl-&lt;b&gt;" in html
    assert "acct&amp;4" in html


def test_campaign_sections_are_linked(detections_dir: Path) -> None:
    _, page = _parse(render_report(detections_dir))
    assert {"c1", "c2", "c3", "summary", "howto", "loose"} <= page.ids
    assert ("href", "#c1") in page.attrs


def test_empty_result_renders(tmp_path: Path) -> None:
    Detections([AccountVerdict("a", 0.1, False)], [], {}).write(tmp_path)
    _, page = _parse(render_report(tmp_path))
    assert "No campaigns were found" in page.all_text
    assert "svg" not in page.tags


def test_long_lists_are_cut_to_top_n(tmp_path: Path) -> None:
    many = [f"acct-{i:05d}" for i in range(500)]
    camp = _campaign(1, many)
    loners = [AccountVerdict(f"loner-{i:04d}", 0.5 + i / 10_000, True) for i in range(300)]
    accounts = [AccountVerdict(a, 0.9, True, "camp-1") for a in many] + loners
    Detections(accounts, [camp], {}).write(tmp_path)
    _, page = _parse(render_report(tmp_path, top_accounts=50, campaign_accounts=20))
    text = page.all_text
    assert "loner-0299" in text and "loner-0100" not in text
    assert "top 20 by score shown" in text
    assert sum(1 for a in many if a in text) <= 20 + 2  # listed ones, plus evidence samples


def test_missing_files_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"accounts\.csv"):
        render_report(tmp_path)
    (tmp_path / "accounts.csv").write_text("account_id,score,flagged,campaign_id\n")
    (tmp_path / "campaigns.json").write_text(json.dumps({"nope": []}))
    with pytest.raises(InputError, match="campaigns"):
        render_report(tmp_path)


def test_minimal_contract_output_from_another_producer(tmp_path: Path) -> None:
    """Only the contract's required campaign fields; plain indicator lists; no timeline."""
    (tmp_path / "accounts.csv").write_text(
        "account_id,score,flagged,campaign_id\nu1,0.9,true,X\nu2,0.8,true,X\nu3,0.2,false,\n"
    )
    campaign = {
        "campaign_id": "X",
        "score": 0.9,
        "accounts": ["u1", "u2"],
        "exchanges": 42,
        "first_seen": "2026-02-01T00:00:00Z",
        "last_seen": "2026-02-02T00:00:00Z",
        "capabilities": {"coding": 1.0},
        "indicators": {"subnets": ["198.51.100.0/24"], "weird_kind": ["v1"]},
        "evidence": [{"signal": "s", "strength": 2.5, "description": "clipped strength"}],
        "timeline": "not a list",
    }
    (tmp_path / "campaigns.json").write_text(json.dumps({"campaigns": [campaign]}))
    _, page = _parse(render_report(tmp_path))
    text = page.all_text
    assert "no timeline in the detections" in text
    assert "198.51.100.0/24" in text and "IP subnets" in text and "weird_kind" in text
    assert "1.00" in text  # strength clipped to [0, 1]
    assert "2 of 3 accounts flagged" in text
