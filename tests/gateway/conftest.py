"""A decision service on loopback for the gateway plug-ins to ask.

Its ``/v1/accounts/{id}/decision`` endpoint has the contract's shape and auth (Bearer key, role
``ingest`` or ``analyst``); ``acct-slow`` answers only after three seconds, so timeouts can be
tested. The plug-in routes are mounted on the same app, asking the same function in-process.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Header, HTTPException, Request

from distillguard.gateway import GatewayConfig, GatewayPolicy, gateway_router
from distillguard.gateway.routes import presented_key
from tests.servers import serving

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

KEYS = {"ingest-key": "ingest", "analyst-key": "analyst", "admin-key": "admin"}
DECISIONS = {
    "acct-blocked": ("block", "C0007"),
    "acct-throttled": ("throttle", "C0003"),
    "acct-review": ("review", "C0003"),
}


async def decision_of(account_id: str) -> dict[str, Any]:
    if account_id == "acct-slow":
        await asyncio.sleep(3.0)
    decision, campaign = DECISIONS.get(account_id, ("allow", None))
    return {
        "account_id": account_id,
        "decision": decision,
        "campaign_id": campaign,
        "score": 0.9 if campaign else 0.0,
        "reasons": [f"member of campaign {campaign}"] if campaign else [],
    }


def may_decide(request: Request) -> None:
    """The auth a gateway route gets from its app: 401 for an unknown key."""
    if KEYS.get(presented_key(request) or "") is None:
        raise HTTPException(401, "missing or unknown API key")


def decision_app(policy: GatewayPolicy | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/accounts/{account_id}/decision")
    async def decision(account_id: str, authorization: str = Header("")) -> dict[str, Any]:
        if KEYS.get(authorization.removeprefix("Bearer ")) is None:
            raise HTTPException(401)
        return await decision_of(account_id)

    app.include_router(
        gateway_router(
            decision_of, [Depends(may_decide)], GatewayConfig(policy=policy or GatewayPolicy())
        )
    )
    return app


@pytest.fixture(scope="module")
def service_url() -> Iterator[str]:
    with serving(decision_app()) as url:
        yield url


@pytest.fixture(scope="module")
def strict_service_url() -> Iterator[str]:
    """Plug-in routes that refuse throttled accounts too and fail closed after 0.5 s."""
    policy = GatewayPolicy(deny=frozenset({"block", "throttle"}), fail_mode="closed", timeout=0.5)
    with serving(decision_app(policy)) as url:
        yield url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
