"""A LiteLLM guardrail that refuses calls from accounts the service decided to block.

Load it in the LiteLLM proxy's ``config.yaml`` (see ``docs/gateway-plugins.md``)::

    guardrails:
      - guardrail_name: distillguard
        litellm_params:
          guardrail: distillguard.gateway.litellm_guardrail.DistillguardGuardrail
          mode: pre_call
          default_on: true
          api_base: http://127.0.0.1:8000
          api_key: os.environ/DISTILLGUARD_INGEST_KEY
          timeout: 0.25
          unreachable_fallback: fail_open

The proxy builds the class with the guardrail's ``litellm_params`` as keyword arguments and
calls :meth:`DistillguardGuardrail.apply_guardrail` before each call (``mode: pre_call``).
The account asked about is the first of ``account_sources`` that the request carries; by default
the identity LiteLLM derived from the virtual key (``user_api_key_user_id``, then
``user_api_key_team_id``), never a field the client chose (see
:data:`~distillguard.gateway.decision.LITELLM_ACCOUNT_SOURCES`). A request with no account is let
through: there is nothing to decide on.

This module imports ``litellm``; the rest of distillguard does not need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from litellm.exceptions import GuardrailRaisedException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks

from distillguard.gateway.decision import (
    LITELLM_ACCOUNT_SOURCES,
    DecisionClient,
    GatewayDecision,
    GatewayPolicy,
    account_from_litellm,
)

if TYPE_CHECKING:
    from litellm.types.utils import GenericGuardrailAPIInputs

DEFAULT_TIMEOUT = 0.25
"""Seconds the guardrail waits for a decision before applying ``unreachable_fallback``."""

STATUS = {"block": 403, "throttle": 429, "review": 403, "allow": 403}
"""HTTP status LiteLLM returns to the client when this guardrail refuses a call."""


class DistillguardGuardrail(CustomGuardrail):
    """Asks distillguard's decision API about the calling account; raises to refuse the call.

    Parameters (all optional keywords, as LiteLLM passes ``litellm_params``):
    ``api_base`` (the service, default ``http://127.0.0.1:8000``), ``api_key`` (a key of role
    ``ingest``), ``timeout`` (seconds, default 0.25), ``unreachable_fallback``
    (``fail_open`` or ``fail_closed``: what to do when the service does not answer in time),
    ``deny`` (decisions that refuse the call, default ``["block"]``; add ``"throttle"`` to refuse
    throttled accounts too), ``account_sources`` (where to read the account id, see
    :func:`~distillguard.gateway.decision.account_from_litellm`).
    """

    def __init__(
        self,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        unreachable_fallback: Literal["fail_open", "fail_closed"] = "fail_open",
        deny: Sequence[str] = ("block",),
        account_sources: Sequence[str] = LITELLM_ACCOUNT_SOURCES,
        client: DecisionClient | None = None,
        **kwargs: Any,
    ) -> None:
        policy = GatewayPolicy(
            deny=frozenset(deny),
            fail_mode="closed" if unreachable_fallback == "fail_closed" else "open",
            timeout=float(timeout or DEFAULT_TIMEOUT),
        )
        self.decisions = client or DecisionClient(
            base_url=api_base or "http://127.0.0.1:8000", api_key=api_key or "", policy=policy
        )
        self.account_sources = tuple(account_sources)
        kwargs.setdefault(
            "supported_event_hooks",
            [GuardrailEventHooks.pre_call, GuardrailEventHooks.during_call],
        )
        super().__init__(timeout=policy.timeout, **kwargs)

    async def decide(self, request_data: dict[str, Any]) -> GatewayDecision | None:
        """The decision for the request's account, or None when the request names none."""
        account = account_from_litellm(request_data, self.account_sources)
        if account is None:
            return None
        return await self.decisions.decide(account)

    async def apply_guardrail(
        self,
        inputs: GenericGuardrailAPIInputs,
        request_data: dict[str, Any],
        input_type: Literal["request", "response"],
        logging_obj: Any = None,
    ) -> GenericGuardrailAPIInputs:
        """Let the inputs through unchanged, or raise ``GuardrailRaisedException`` (403 for
        ``block``, 429 for ``throttle``) when the account's decision is one to deny."""
        if input_type != "request":
            return inputs
        decision = await self.decide(request_data)
        if decision is None or not self.decisions.policy.refuses(decision):
            return inputs
        where = f" (campaign {decision.campaign_id})" if decision.campaign_id else ""
        raise GuardrailRaisedException(
            guardrail_name=self.guardrail_name,
            message=f"distillguard: this account's decision is {decision.decision}{where}",
            should_wrap_with_default_message=False,
            status_code=STATUS.get(decision.decision, 403),
            blocked_content=not decision.degraded,
        )
