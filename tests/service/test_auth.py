"""Every endpoint but /healthz needs a key of the right role: 401 without a known key, 403 with
a key of another role. Parametrised over the app's own routes, so a new route cannot be
forgotten: a route without a Guard fails here."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from distillguard.errors import ConfigError
from distillguard.service import ApiKeys, Role, create_app
from distillguard.service.app import route_access
from distillguard.service.caseview import PUBLIC_PATHS
from tests.service.conftest import KEYS, auth, settings_for

# /healthz, and the case view's page and assets (no data; the page signs in with a key).
OPEN = {("GET", "/healthz")} | {("GET", p) for p in PUBLIC_PATHS}


ROUTES = [
    (a.method, a.path, a.roles)
    for a in route_access(create_app(settings_for(Path("/nonexistent"))))
]


def _url(path: str) -> str:
    return path.replace("{campaign_id}", "C0001").replace("{account_id}", "acct-1")


def test_every_route_but_healthz_declares_its_roles() -> None:
    unguarded = [(m, p) for m, p, roles in ROUTES if roles is None and (m, p) not in OPEN]
    assert not unguarded, f"routes without a Guard: {unguarded}"
    assert ("GET", "/healthz") in {(m, p) for m, p, _ in ROUTES}


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in ROUTES if r[2] is not None])
def test_without_a_known_key_the_answer_is_401(
    client: TestClient, method: str, path: str, roles: frozenset[Role]
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Basic {KEYS['admin']}"},
        {"Authorization": "Bearer "},
    ):
        r = client.request(method, _url(path), headers=headers)
        assert r.status_code == 401, (method, path, headers)
        assert r.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in ROUTES if r[2] is not None])
def test_a_key_of_another_role_gets_403_and_the_right_one_gets_through(
    client: TestClient, method: str, path: str, roles: frozenset[Role]
) -> None:
    for role in Role:
        r = client.request(method, _url(path), headers=auth(role.value), json={"action": "comment"})
        if role is Role.ADMIN or role in roles:
            assert r.status_code not in (401, 403), (method, path, role)
        else:
            assert r.status_code == 403, (method, path, role)


def test_healthz_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200


def test_keys_are_never_logged_nor_audited(
    detected_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = detected_client.get("/v1/campaigns", headers=auth("analyst")).json()["campaigns"][0][
        "campaign_id"
    ]
    r = detected_client.post(
        f"/v1/campaigns/{cid}/actions", json={"action": "comment", "note": "looks odd"},
        headers=auth("analyst"),
    )  # fmt: skip
    assert r.status_code == 200
    detected_client.get("/v1/campaigns", headers={"Authorization": "Bearer wrong-key-123"})
    actor = r.json()["audit"]["actor"]
    assert actor.startswith("analyst-") and KEYS["analyst"] not in actor
    for key in (*KEYS.values(), "wrong-key-123"):
        assert key not in caplog.text
    assert KEYS["analyst"] not in repr(ApiKeys.parse(f"analyst:{KEYS['analyst']}"))


@pytest.mark.parametrize("spec", ["reader:abc", "ingest", "ingest:", "analyst: "])
def test_a_bad_key_list_is_a_config_error_that_does_not_echo_keys(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        ApiKeys.parse(spec)
    assert "abc" not in str(err.value)
