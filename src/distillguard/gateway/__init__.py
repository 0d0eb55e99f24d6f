"""Gateway plug-ins: put the service's per-account decision in front of the model.

A gateway asks ``GET /v1/accounts/{id}/decision`` (or the same decision in-process) before it
forwards a call, and refuses the call when the answer is ``block`` (and, if configured,
``throttle``). Three shapes are shipped, all with a timeout and a fail-open / fail-closed
choice for when the decision service cannot answer in time:

- :class:`~distillguard.gateway.decision.DecisionClient`: the HTTP client every out-of-process
  plug-in uses;
- ``distillguard.gateway.litellm_guardrail.DistillguardGuardrail``: a LiteLLM
  ``CustomGuardrail`` (import that module only where ``litellm`` is installed);
- :func:`~distillguard.gateway.routes.gateway_router`: routes mounted in the service itself that
  answer LiteLLM's generic guardrail API (``BLOCKED`` / ``NONE``) and Envoy's ``ext_authz`` HTTP
  check (200 allows, 403 / 429 denies).

Example configurations are in ``docs/gateway-plugins.md``.
"""

from distillguard.gateway.decision import (
    DECISIONS,
    DecisionClient,
    FailMode,
    GatewayDecision,
    GatewayPolicy,
    account_from_litellm,
)
from distillguard.gateway.routes import GatewayConfig, gateway_router

__all__ = [
    "DECISIONS",
    "DecisionClient",
    "FailMode",
    "GatewayConfig",
    "GatewayDecision",
    "GatewayPolicy",
    "account_from_litellm",
    "gateway_router",
]
