"""The case view's routes without a browser: the page is public and carries no data, only its
two assets are served, the review queue needs an analyst key, and the gateway routes are mounted
behind the service's keys with their settings from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from distillguard.errors import ConfigError
from distillguard.service.app import create_app
from distillguard.service.auth import ApiKeys
from distillguard.service.caseview import gateway_config_from_env
from distillguard.service.settings import ServiceSettings

KEYS = "ingest:ik,analyst:ak,admin:dk"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServiceSettings(
        workspace=tmp_path / "ws", api_keys=ApiKeys.parse(KEYS), detect_interval=0
    )
    with TestClient(create_app(settings)) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_page_and_assets_are_public_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    for asset, kind in (("caseview.js", "javascript"), ("caseview.css", "css")):
        r = client.get(f"/caseview/{asset}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
        assert r.headers["x-content-type-options"] == "nosniff"
    for other in ("index.html", "..%2Fcaseview.py", "caseview.py", "../app.py"):
        assert client.get(f"/caseview/{other}").status_code == 404


def test_script_never_parses_data_as_html() -> None:
    from importlib.resources import files

    script = files("distillguard.service").joinpath("static", "caseview.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_review_queue_needs_an_analyst_key(client: TestClient) -> None:
    assert client.get("/v1/review").status_code == 401
    assert client.get("/v1/review", headers=bearer("nope")).status_code == 401
    assert client.get("/v1/review", headers=bearer("ik")).status_code == 403
    answer = client.get("/v1/review", headers=bearer("ak"))
    assert answer.status_code == 200 and answer.json()["review"] == []


def test_gateway_routes_take_bearer_or_x_api_key_of_a_deciding_role(client: TestClient) -> None:
    envoy = "/v1/gateway/envoy/v1/chat/completions"
    who = {"x-distillguard-account": "acct-1"}
    assert client.post(envoy, headers=who).status_code == 401
    for key in ("ik", "ak"):
        answer = client.post(envoy, headers={**who, **bearer(key)})
        assert answer.status_code == 200
        assert answer.headers["x-distillguard-decision"] == "allow"
        assert "x-distillguard-degraded" not in answer.headers  # the service answered
    generic = "/v1/gateway/litellm/beta/litellm_basic_guardrail_api"
    body = {"input_type": "request", "request_data": {"user_api_key_user_id": "acct-1"}}
    assert client.post(generic, json=body).status_code == 401
    r = client.post(generic, json=body, headers={"x-api-key": "ik"})
    assert r.status_code == 200 and r.json() == {"action": "NONE"}


def test_gateway_settings_from_the_environment() -> None:
    cfg = gateway_config_from_env(
        {
            "DISTILLGUARD_GATEWAY_FAIL_MODE": "closed",
            "DISTILLGUARD_GATEWAY_TIMEOUT": "0.1",
            "DISTILLGUARD_GATEWAY_DENY": "block, throttle",
            "DISTILLGUARD_GATEWAY_ACCOUNT_HEADER": "X-Account",
        }
    )
    assert cfg.policy.fail_mode == "closed" and cfg.policy.timeout == 0.1
    assert cfg.policy.deny == frozenset({"block", "throttle"})
    assert cfg.account_header == "x-account"
    for bad in ({"DISTILLGUARD_GATEWAY_FAIL_MODE": "maybe"}, {"DISTILLGUARD_GATEWAY_DENY": "ban"},
                {"DISTILLGUARD_GATEWAY_TIMEOUT": "soon"}):  # fmt: skip
        with pytest.raises(ConfigError):
            gateway_config_from_env(bad)
