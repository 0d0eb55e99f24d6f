"""The case view end to end, in real headless Chromium against the real service on loopback.

A small simulated log (with campaigns) is POSTed to ``/v1/exchanges``; ``POST /v1/detect`` finds
the campaigns; then an analyst signs in with a key, opens a campaign, dismisses one account's
finding, blocks the campaign, dismisses another campaign as a false positive, assigns and
comments, and the decision API follows each step. Every account of the simulated campaigns
carries hostile markup in its id, so the page must show it as text and never run it.
Screenshots go to ``test-artifacts/caseview/`` (gitignored; CI keeps them as artefacts).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import polars as pl
import pytest

from tests.browser import CHROMIUM, MISSING, chromium
from tests.servers import serving

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "caseview"
KEYS = {"ingest": "ingest-key-1", "analyst": "analyst-key-1", "admin": "admin-key-1"}
HOSTILE = ['<img src=x onerror="window.__xss=1">', "'\"><svg onload=window.__xss=2>"]

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(MISSING, allow_module_level=True)


def _hostile_log(tmp: Path) -> bytes:
    """The simulated log as JSON Lines, every attack account renamed to carry markup."""
    subprocess.run(
        [sys.executable, "-m", "distillguard", "simulate", "--preset", "demo", "--scale", "0.4",
         "--seed", "3", "--format", "jsonl", "--out", str(tmp / "sim")],
        check=True, capture_output=True,
    )  # fmt: skip
    labels = pl.read_csv(tmp / "sim" / "labels.csv").filter(pl.col("label") == "attack")
    attackers = labels["account_id"].unique().sort()
    renamed = pl.DataFrame(
        {
            "account_id": attackers,
            "new_id": [f"{HOSTILE[i % 2]}{a}" for i, a in enumerate(attackers)],
        }
    )
    raw = gzip.decompress((tmp / "sim" / "requests.jsonl.gz").read_bytes())
    log = pl.read_ndjson(io.BytesIO(raw), infer_schema_length=None)
    log = (
        log.join(renamed, on="account_id", how="left")
        .with_columns(pl.coalesce("new_id", "account_id").alias("account_id"))
        .drop("new_id")
    )
    out = io.BytesIO()
    log.write_ndjson(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from distillguard.service.app import create_app
    from distillguard.service.auth import ApiKeys
    from distillguard.service.settings import ServiceSettings

    tmp = tmp_path_factory.mktemp("caseview")
    body = _hostile_log(tmp)
    settings = ServiceSettings(
        workspace=tmp / "workspace",
        api_keys=ApiKeys.parse(",".join(f"{r}:{k}" for r, k in KEYS.items())),
        detect_interval=0,
    )
    with serving(create_app(settings)) as url:
        lines = body.splitlines(keepends=True)
        accepted = 0
        with httpx.Client(base_url=url, timeout=120) as client:
            for i in range(0, len(lines), 5000):
                r = client.post(
                    "/v1/exchanges",
                    content=b"".join(lines[i : i + 5000]),
                    headers={
                        "Authorization": f"Bearer {KEYS['ingest']}",
                        "Content-Type": "application/x-ndjson",
                    },
                )
                assert r.status_code == 200, r.text
                accepted += r.json()["accepted"]
            assert accepted == len(lines)
            run = client.post("/v1/detect", headers={"Authorization": f"Bearer {KEYS['analyst']}"})
            assert run.status_code == 200, run.text
            assert run.json()["campaigns"] >= 2, run.json()
        yield {"url": url}


def decision(url: str, account: str) -> str:
    r = httpx.get(
        f"{url}/v1/accounts/{quote(account, safe='')}/decision",
        headers={"Authorization": f"Bearer {KEYS['ingest']}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    answer: str = r.json()["decision"]
    return answer


def campaigns(url: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{url}/v1/campaigns", headers={"Authorization": f"Bearer {KEYS['analyst']}"}, timeout=30
    )
    found: list[dict[str, Any]] = r.json()["campaigns"]
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as b:
        yield b


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_page_is_public_but_data_needs_an_analyst_key(service: dict[str, Any]) -> None:
    url = service["url"]
    page = httpx.get(url + "/", timeout=10)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "campaign" not in page.text.lower().split("<main")[1].split("</main>")[0].replace(
        "campaigns", ""
    )  # the page itself carries no campaign data
    assert httpx.get(url + "/v1/campaigns", timeout=10).status_code == 401
    assert httpx.get(url + "/v1/review", timeout=10).status_code == 401
    ingest_only = {"Authorization": f"Bearer {KEYS['ingest']}"}
    assert httpx.get(url + "/v1/review", headers=ingest_only, timeout=10).status_code == 403
    assert httpx.get(url + "/caseview/../app.py", timeout=10).status_code == 404


def test_analyst_reviews_dismisses_and_blocks_in_the_browser(
    service: dict[str, Any], browser: Any
) -> None:
    url = service["url"]
    found = campaigns(url)
    target, other = found[0], found[1]
    assert all(c["status"] == "open" for c in found)
    # Unreviewed: decided as the campaign is; blocked only when the detector recommends it.
    first = decision(url, target["accounts"][0])
    assert first == target["decision"]
    assert first != "block" or target["recommended_action"] == "block"

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))

    # Sign in: a wrong key is refused, the analyst key opens the campaign list.
    page.goto(url + "/")
    page.fill("#api-key", "not-a-key")
    page.click("#login")
    page.wait_for_selector("text=Unknown key.")
    assert [p for p in problems if "401" not in p] == []  # the refused key's 401 is expected
    problems.clear()
    page.fill("#api-key", KEYS["analyst"])
    page.click("#login")
    page.wait_for_selector("#campaigns tbody tr")
    rows = page.locator("#campaigns tbody tr")
    assert rows.count() == len(found)
    assert page.locator("#campaigns").inner_text().count(target["campaign_id"]) == 1
    shot(page, "01-campaign-list")

    # Open the top campaign: every section renders, hostile ids appear as text.
    page.click(f"#campaigns tbody tr[data-campaign='{target['campaign_id']}'] a")
    page.wait_for_selector("#campaign-id")
    assert page.inner_text("#campaign-id") == target["campaign_id"]
    for section in ("timeline", "capabilities", "graph", "evidence", "indicators", "examples",
                    "accounts", "review", "audit"):  # fmt: skip
        assert page.locator(f"#{section}").is_visible(), section
    assert page.locator("#timeline svg rect").count() > 0
    assert page.locator("#graph svg circle").count() == min(80, len(target["accounts"]))
    account_cells = page.locator("#accounts tbody tr td:first-child").all_inner_texts()
    assert set(account_cells) == set(target["accounts"])
    assert any(h in a for a in account_cells for h in HOSTILE)  # shown literally
    assert page.evaluate("window.__xss") is None
    assert page.locator("#accounts img, #accounts script").count() == 0
    page.click("#show-stored")
    page.wait_for_selector("#stored-examples table tbody tr")
    stored = page.locator("#stored-examples tbody tr td:nth-child(2)").all_inner_texts()
    assert stored and set(stored) <= set(target["accounts"])  # this campaign's exchanges
    assert page.evaluate("window.__xss") is None
    shot(page, "02-campaign-open")

    # Dismiss one account's finding: it is no longer flagged for this campaign.
    dismissed = target["accounts"][0]
    page.fill("#action-note", "shared office NAT, <b>not</b> part of it")
    page.locator(f"#accounts tr[data-account='{_css(dismissed)}'] button.dismiss-account").click()
    page.wait_for_selector("#audit tbody tr")
    assert "account " + dismissed in page.inner_text("#audit")
    assert "<b>not</b>" in page.inner_text("#audit")  # the note is text, not markup
    assert decision(url, dismissed) == "allow"

    # Block the campaign: its other accounts are blocked at once, the dismissed one is not.
    page.click("#act-block")
    page.wait_for_selector("#campaign-status .badge.s-blocked")
    assert page.inner_text("#campaign-decision") == "block"
    for account in target["accounts"][1:]:
        assert decision(url, account) == "block"
    assert decision(url, dismissed) == "allow"
    row = page.locator(f"#accounts tr[data-account='{_css(target['accounts'][1])}']")
    row.locator("button.check-decision").click()
    row.locator(".badge.d-block").wait_for()

    # Assign and comment: both land in the audit trail with who and when.
    page.fill("#assignee", "tier2-oncall")
    page.click("#act-assign")
    page.wait_for_selector("#audit tbody tr:nth-child(3)")
    page.fill("#action-note", "escalated to the abuse team")
    page.click("#act-comment")
    page.wait_for_selector("#audit tbody tr:nth-child(4)")
    audit = page.inner_text("#audit")
    for word in ("dismiss", "block", "assign", "comment", "analyst-"):
        assert word in audit
    shot(page, "03-campaign-blocked")

    # Another campaign dismissed as a false positive: none of its accounts is flagged any more.
    page.click("text=← all campaigns")
    page.wait_for_selector("#campaigns tbody tr")
    page.click(f"#campaigns tbody tr[data-campaign='{other['campaign_id']}'] a")
    page.wait_for_selector(f"#campaign-id:text('{other['campaign_id']}')")
    page.click("#act-dismiss")
    page.wait_for_selector("#campaign-status .badge.s-dismissed")
    for account in other["accounts"]:
        assert decision(url, account) == "allow"
    shot(page, "04-campaign-dismissed")

    page.click("text=← all campaigns")
    page.wait_for_selector("#campaigns tbody tr")
    statuses = {c["campaign_id"]: c["status"] for c in campaigns(url)}
    assert statuses[target["campaign_id"]] == "blocked"
    assert statuses[other["campaign_id"]] == "dismissed"
    shot(page, "05-campaign-list-after")

    page.click("#logout")
    page.wait_for_selector("#api-key")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("window.__xss") is None
    assert problems == []
    context.close()


def _css(value: str) -> str:
    """Escape a value for a CSS attribute selector in single quotes."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def test_gateway_plugins_enforce_the_real_services_decisions(service: dict[str, Any]) -> None:
    """After an analyst blocks a campaign, the LiteLLM guardrail (through LiteLLM's own hook) and
    the Envoy check mounted in the service refuse its accounts and let a clean account through.
    (Run on a thread of its own: Playwright's sync API holds this thread's event loop.)"""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _gateway_checks(service["url"])).result()


async def _gateway_checks(url: str) -> None:
    pytest.importorskip("litellm")
    from litellm.caching.caching import DualCache
    from litellm.exceptions import GuardrailRaisedException
    from litellm.proxy._types import UserAPIKeyAuth
    from litellm.proxy.guardrails.guardrail_hooks.unified_guardrail.unified_guardrail import (
        UnifiedLLMGuardrails,
    )

    from distillguard.gateway.litellm_guardrail import DistillguardGuardrail

    target = campaigns(url)[0]
    blocked = httpx.post(
        f"{url}/v1/campaigns/{target['campaign_id']}/actions",
        json={"action": "block", "note": "gateway check"},
        headers={"Authorization": f"Bearer {KEYS['analyst']}"},
        timeout=30,
    )
    assert blocked.status_code == 200, blocked.text
    member = next(a for a in target["accounts"] if decision(url, a) == "block")
    clean = "acct-never-seen"

    guard = DistillguardGuardrail(
        guardrail_name="distillguard", event_hook="pre_call", default_on=True,
        api_base=url, api_key=KEYS["ingest"], timeout=5.0,
    )  # fmt: skip

    async def call(user: str) -> None:
        await UnifiedLLMGuardrails().async_pre_call_hook(
            user_api_key_dict=UserAPIKeyAuth(user_id=user),
            cache=DualCache(),
            data={"model": "m", "messages": [{"role": "user", "content": "hi"}],
                  "metadata": {}, "guardrail_to_apply": guard},
            call_type="acompletion",
        )  # fmt: skip

    await call(clean)
    with pytest.raises(GuardrailRaisedException) as refused:
        await call(member)
    assert refused.value.status_code == 403

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        auth = {"authorization": f"Bearer {KEYS['ingest']}"}
        envoy = "/v1/gateway/envoy/v1/chat/completions"
        as_member = {"x-distillguard-account": member}
        assert (await client.post(envoy, headers={**auth, **as_member})).status_code == 403
        as_clean = {"x-distillguard-account": clean}
        assert (await client.post(envoy, headers={**auth, **as_clean})).status_code == 200
        assert (await client.post(envoy, headers=as_member)).status_code == 401
        generic = await client.post(
            "/v1/gateway/litellm/beta/litellm_basic_guardrail_api",
            json={"input_type": "request", "texts": ["hi"],
                  "request_data": {"user_api_key_user_id": member}},
            headers={"x-api-key": KEYS["ingest"]},
        )  # fmt: skip
        assert generic.json()["action"] == "BLOCKED"
