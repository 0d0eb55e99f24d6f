"""The analyst's case view, and the gateway plug-in routes, mounted in the service's app.

The case view is a static page (HTML, one script, one stylesheet, shipped as package data under
``service/static``; no CDN, no build step). The page and its assets are public because they hold
no data: the analyst signs in with an API key, kept in the tab's ``sessionStorage`` and sent as
``Authorization: Bearer`` to the JSON API, which checks its role like any other client. What the
page shows comes only from ``/v1/campaigns``, ``/v1/campaigns/{id}``, ``/v1/review`` and
``/v1/accounts/{id}/decision``; what it does goes through ``/v1/campaigns/{id}/actions``, so
every action lands in the audit trail.

Traffic-derived values (account ids, indicator values, excerpts) reach the page as JSON and are
inserted as text only; a strict Content-Security-Policy (no inline script, same-origin
``connect-src``, no framing) backs that up.

:func:`mount` is the one call the app factory makes: it adds the page, the review-queue endpoint
and the gateway plug-in routes (:mod:`distillguard.gateway.routes`) wired to the service's
in-memory decision lookup and its API keys.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

from distillguard.gateway.decision import GatewayPolicy
from distillguard.gateway.routes import GatewayConfig, gateway_router, presented_key
from distillguard.service.app import ANALYST, Guard, service_of
from distillguard.service.auth import ApiKeys, Principal, Role

ASSETS: dict[str, str] = {
    "caseview.js": "text/javascript; charset=utf-8",
    "caseview.css": "text/css; charset=utf-8",
}
"""The page's assets, by file name under ``service/static``; nothing else is served."""

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

PUBLIC_PATHS = frozenset({"/", "/caseview/{asset}"})
"""Routes that need no key: the static page and its assets (they carry no data)."""


@cache
def _asset(name: str) -> bytes:
    return files("distillguard.service").joinpath("static", name).read_bytes()


router = APIRouter(tags=["case view"])


@router.get("/", include_in_schema=False)
async def case_view() -> Response:
    """The case view's page (public: it holds no data; sign-in happens in the page)."""
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8",
                    headers=SECURITY_HEADERS)  # fmt: skip


@router.get("/caseview/{asset}", include_in_schema=False)
async def case_view_asset(asset: str) -> Response:
    """The page's script and stylesheet (public, like the page)."""
    media = ASSETS.get(asset)
    if media is None:
        raise HTTPException(404, "no such asset")
    return Response(_asset(asset), media_type=media, headers=SECURITY_HEADERS)


@router.get("/v1/review", dependencies=[Depends(ANALYST)])
async def review_queue(request: Request) -> dict[str, Any]:
    """The detector's review queue from the latest run (campaigns.json ``review``): near misses,
    lookalikes and single accounts that a person should look at."""
    svc = service_of(request)
    return {"review": svc.review, "last_run": (svc.last_run or {}).get("run_id")}


class GatewayGuard(Guard):
    """The service's key check for the gateway routes: a key of role ``ingest`` or ``analyst``
    (or admin), presented as ``Authorization: Bearer`` or, as LiteLLM's generic guardrail sends
    its ``api_key``, as ``x-api-key``."""

    async def __call__(self, request: Request) -> Principal:
        keys: ApiKeys = request.app.state.api_keys
        principal = keys.authenticate(presented_key(request))
        if principal is None:
            raise HTTPException(
                401, "missing or unknown API key", headers={"WWW-Authenticate": "Bearer"}
            )
        if not principal.may(self.roles):
            raise HTTPException(403, "this endpoint needs a key with role ingest or analyst")
        return principal


GATEWAY_ENV = {
    "fail_mode": "DISTILLGUARD_GATEWAY_FAIL_MODE",
    "timeout": "DISTILLGUARD_GATEWAY_TIMEOUT",
    "deny": "DISTILLGUARD_GATEWAY_DENY",
    "account_header": "DISTILLGUARD_GATEWAY_ACCOUNT_HEADER",
}
"""Environment variables that configure the plug-in routes (see ``docs/gateway-plugins.md``)."""


def gateway_config_from_env(environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """The plug-in routes' configuration: ``DISTILLGUARD_GATEWAY_FAIL_MODE`` (``open`` or
    ``closed``, default open), ``DISTILLGUARD_GATEWAY_TIMEOUT`` (seconds, default 0.25),
    ``DISTILLGUARD_GATEWAY_DENY`` (decisions refused, default ``block``),
    ``DISTILLGUARD_GATEWAY_ACCOUNT_HEADER`` (Envoy's account header).

    >>> cfg = gateway_config_from_env({"DISTILLGUARD_GATEWAY_DENY": "block,throttle"})
    >>> sorted(cfg.policy.deny), cfg.policy.fail_mode
    (['block', 'throttle'], 'open')
    """
    env = os.environ if environ is None else environ
    deny = env.get(GATEWAY_ENV["deny"], "block")
    try:
        policy = GatewayPolicy(
            deny=frozenset(d.strip() for d in deny.split(",") if d.strip()),
            fail_mode=env.get(GATEWAY_ENV["fail_mode"], "open").strip().lower(),  # type: ignore[arg-type]
            timeout=float(env.get(GATEWAY_ENV["timeout"], "0.25")),
        )
    except ValueError as exc:
        from distillguard.errors import ConfigError

        raise ConfigError(f"gateway settings: {exc}") from exc
    header = env.get(GATEWAY_ENV["account_header"], "x-distillguard-account").strip().lower()
    return GatewayConfig(policy=policy, account_header=header)


def mount(app: FastAPI, gateway: GatewayConfig | None = None) -> None:
    """Add the case view, ``/v1/review`` and the gateway plug-in routes to the service's app."""
    app.include_router(router)

    def lookup(account_id: str) -> dict[str, Any]:
        # The service is opened in the app's lifespan: look it up at call time.
        answer: dict[str, Any] = app.state.service.decision(account_id).to_json()
        return answer

    app.include_router(
        gateway_router(
            lookup,
            [Depends(GatewayGuard(Role.INGEST, Role.ANALYST))],
            gateway or gateway_config_from_env(),
        )
    )
