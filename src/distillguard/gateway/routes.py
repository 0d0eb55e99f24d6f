"""Decision endpoints in the shapes two gateways already speak, mounted in the service itself.

- **LiteLLM's generic guardrail API** (``guardrail: generic_guardrail_api`` in the proxy's
  config): LiteLLM POSTs ``{"input_type", "texts", "request_data": {"user_api_key_user_id", ...},
  ...}`` to ``{api_base}/beta/litellm_basic_guardrail_api`` and refuses the call when the answer
  is ``{"action": "BLOCKED", "blocked_reason": ...}``; ``{"action": "NONE"}`` lets it through.
  With ``api_base: http://HOST:PORT/v1/gateway/litellm`` the call lands here. LiteLLM sends its
  ``api_key`` as ``x-api-key``; a Bearer header works as well.
- **Envoy's ``ext_authz`` HTTP service**: Envoy sends the original request's method, path
  (after ``path_prefix: /v1/gateway/envoy``) and the allowed headers; a 200 lets the request
  through, anything else is returned to the client (403 for a refused account, 429 with
  ``retry-after`` for a throttled one when ``throttle`` is denied); ``x-distillguard-degraded:
  true`` marks an answer the fail mode gave because the lookup failed or was late. The account
  comes from :attr:`GatewayConfig.account_header`, which the gateway must set from its own
  authentication (and strip from client requests). Every answer carries
  ``x-distillguard-decision`` so Envoy can forward it upstream (``allowed_upstream_headers``) for
  logging or rate limiting.

Both ask the same in-process decision function the ``/v1/accounts/{id}/decision`` endpoint uses,
bounded by :attr:`GatewayPolicy.timeout`, and apply the fail mode when it does not answer.
Both need a key that may read decisions (role ``ingest`` or ``analyst``): the caller passes the
FastAPI dependencies that check it (the service passes its own key guard, which also reads
LiteLLM's ``x-api-key``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from distillguard.gateway.decision import (
    LITELLM_ACCOUNT_SOURCES,
    GatewayDecision,
    GatewayPolicy,
    account_from_litellm,
)

log = logging.getLogger(__name__)

DecisionLookup = Callable[[str], Awaitable[Mapping[str, Any]] | Mapping[str, Any]]
"""Account id -> the decision JSON of contract section 4 (sync or async)."""

LITELLM_PATH = "/beta/litellm_basic_guardrail_api"
"""The path LiteLLM's generic guardrail appends to its ``api_base``."""

ENVOY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class GatewayConfig:
    """Where the plug-in endpoints live and how they act.

    ``account_header``: the request header (as Envoy forwards it) naming the billed account.
    ``missing_account``: what Envoy's check answers when that header is absent: ``allow``
    (nothing to decide on) or ``deny``. ``litellm_account_sources``: keys of LiteLLM's
    ``request_data`` tried in order (see :func:`account_from_litellm`).
    """

    prefix: str = "/v1/gateway"
    policy: GatewayPolicy = field(default_factory=GatewayPolicy)
    account_header: str = "x-distillguard-account"
    missing_account: str = "allow"
    litellm_account_sources: tuple[str, ...] = LITELLM_ACCOUNT_SOURCES
    retry_after: int = 60


def presented_key(request: Request) -> str | None:
    """The API key a gateway presents: ``Authorization: Bearer KEY`` (Envoy's
    ``headers_to_add``, the LiteLLM guardrail) or ``x-api-key: KEY`` (what LiteLLM's generic
    guardrail sends for its ``api_key``)."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


async def _decide(lookup: DecisionLookup, policy: GatewayPolicy, account: str) -> GatewayDecision:
    """The in-process decision, bounded in time; the fail mode's answer when it errs or is late."""
    try:
        async with asyncio.timeout(policy.timeout):
            answer = lookup(account)
            if inspect.isawaitable(answer):
                answer = await answer
        return GatewayDecision.from_json(answer, account)
    except TimeoutError:
        return policy.on_failure(account, "timeout")
    except Exception as exc:  # the gateway must answer whatever went wrong behind it
        log.exception("decision lookup failed")
        return policy.on_failure(account, type(exc).__name__)


def gateway_router(
    lookup: DecisionLookup,
    dependencies: Sequence[Any],
    config: GatewayConfig | None = None,
) -> APIRouter:
    """The LiteLLM generic-guardrail and Envoy ext_authz endpoints under ``config.prefix``;
    ``dependencies`` (FastAPI ``Depends``) authenticate every call."""
    cfg = config or GatewayConfig()
    policy = cfg.policy
    router = APIRouter(prefix=cfg.prefix, tags=["gateway"], dependencies=list(dependencies))

    @router.post(f"/litellm{LITELLM_PATH}")
    async def litellm_generic_guardrail(request: Request) -> Response:
        """LiteLLM's generic guardrail API: ``BLOCKED`` refuses the call, ``NONE`` lets it be."""
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"detail": "body is not JSON"}, status_code=422)
        if not isinstance(body, dict):
            return JSONResponse({"detail": "body must be a JSON object"}, status_code=422)
        if body.get("input_type", "request") != "request":
            return JSONResponse({"action": "NONE"})
        meta = body.get("request_data")
        account = account_from_litellm(
            {"metadata": meta if isinstance(meta, dict) else {}}, cfg.litellm_account_sources
        )
        if account is None:
            return JSONResponse({"action": "NONE"})
        decision = await _decide(lookup, policy, account)
        if not policy.refuses(decision):
            return JSONResponse({"action": "NONE"})
        where = f" (campaign {decision.campaign_id})" if decision.campaign_id else ""
        return JSONResponse(
            {
                "action": "BLOCKED",
                "blocked_reason": f"distillguard: this account's decision is "
                f"{decision.decision}{where}",
            }
        )

    @router.api_route("/envoy", methods=ENVOY_METHODS, include_in_schema=False)
    @router.api_route("/envoy/{path:path}", methods=ENVOY_METHODS)
    async def envoy_ext_authz(request: Request) -> Response:
        """Envoy ext_authz HTTP check: 200 lets the original request through."""
        account = (request.headers.get(cfg.account_header) or "").strip()
        if not account:
            if cfg.missing_account == "deny":
                return Response(status_code=403, headers={"x-distillguard-decision": "unknown"})
            return Response(status_code=200, headers={"x-distillguard-decision": "unknown"})
        decision = await _decide(lookup, policy, account)
        headers = {"x-distillguard-decision": decision.decision}
        if decision.degraded:  # the fail mode answered, not the service
            headers["x-distillguard-degraded"] = "true"
        if decision.campaign_id:
            headers["x-distillguard-campaign"] = decision.campaign_id
        if not policy.refuses(decision):
            return Response(status_code=200, headers=headers)
        if decision.decision == "throttle":
            headers["retry-after"] = str(cfg.retry_after)
            status = 429
        else:
            status = 403
        return JSONResponse(
            {"error": "refused by distillguard", "decision": decision.decision},
            status_code=status,
            headers=headers,
        )

    return router
