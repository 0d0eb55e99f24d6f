"""The Envoy ext_authz HTTP service, asked the way Envoy asks: the original request's method and
path under the configured ``path_prefix``, the allowed headers, and the Authorization header that
``headers_to_add`` puts in place of the client's. (Envoy itself is not installable here.)"""

from __future__ import annotations

import time

import httpx
import pytest

PREFIX = "/v1/gateway/envoy"


def check(
    url: str, account: str | bytes | None, key: str | None = "ingest-key", method: str = "POST"
) -> httpx.Response:
    headers: dict[str, str | bytes] = {"content-type": "application/json", "x-request-id": "r-1"}
    if account is not None:
        headers["x-distillguard-account"] = account
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    return httpx.request(method, f"{url}{PREFIX}/v1/chat/completions", headers=headers, timeout=10)


def test_allows_a_clean_account_and_denies_a_blocked_one(service_url: str) -> None:
    ok = check(service_url, "acct-normal")
    assert ok.status_code == 200
    assert ok.headers["x-distillguard-decision"] == "allow"
    assert "x-distillguard-degraded" not in ok.headers
    denied = check(service_url, "acct-blocked")
    assert denied.status_code == 403
    assert denied.headers["x-distillguard-decision"] == "block"
    assert denied.headers["x-distillguard-campaign"] == "C0007"
    assert check(service_url, "acct-blocked", method="GET").status_code == 403


def test_review_and_throttle_pass_by_default_with_their_decision_upstream(service_url: str) -> None:
    for account, decision in (("acct-review", "review"), ("acct-throttled", "throttle")):
        answer = check(service_url, account)
        assert answer.status_code == 200
        assert answer.headers["x-distillguard-decision"] == decision


def test_throttle_denied_with_429_when_configured(strict_service_url: str) -> None:
    answer = check(strict_service_url, "acct-throttled")
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) > 0


def test_needs_a_key_that_may_read_decisions(service_url: str) -> None:
    assert check(service_url, "acct-blocked", key=None).status_code == 401
    assert check(service_url, "acct-blocked", key="client-llm-key").status_code == 401


def test_request_without_account_header_passes_by_default(service_url: str) -> None:
    answer = check(service_url, None)
    assert answer.status_code == 200
    assert answer.headers["x-distillguard-decision"] == "unknown"


def test_fails_open_by_default_and_closed_when_configured(
    service_url: str, strict_service_url: str
) -> None:
    # Default policy (fail open, 0.25 s): a lookup that takes 3 s lets the request through.
    started = time.monotonic()
    late = check(service_url, "acct-slow")
    assert late.status_code == 200 and late.headers["x-distillguard-degraded"] == "true"
    assert time.monotonic() - started < 2.5
    # Strict policy (fail closed, 0.5 s): the same lookup refuses it.
    started = time.monotonic()
    answer = check(strict_service_url, "acct-slow")
    assert answer.status_code == 403
    assert answer.headers["x-distillguard-decision"] == "block"
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("account", ["<script>alert(1)</script>", "a/b/../c", "ü-ñ"])
def test_odd_account_ids_are_answered_not_crashed_on(service_url: str, account: str) -> None:
    answer = check(service_url, account.encode())  # Envoy passes header bytes as they came
    assert answer.status_code == 200
