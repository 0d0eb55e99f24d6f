"""The LiteLLM guardrail, driven by LiteLLM's own guardrail machinery (the unified pre-call hook
the proxy runs for every guardrail with ``apply_guardrail``) against a decision service on
loopback. LiteLLM's proxy server itself does not import here (its ``proxy`` extra pins rich < 14
and polars < 2, which the project cannot take), so the proxy's hook is called directly."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

litellm = pytest.importorskip("litellm")

from litellm.caching.caching import DualCache  # noqa: E402
from litellm.exceptions import GuardrailRaisedException  # noqa: E402
from litellm.proxy._types import UserAPIKeyAuth  # noqa: E402
from litellm.proxy.guardrails.guardrail_hooks.generic_guardrail_api import (  # noqa: E402
    GenericGuardrailAPI,
)
from litellm.proxy.guardrails.guardrail_hooks.unified_guardrail.unified_guardrail import (  # noqa: E402
    UnifiedLLMGuardrails,
)

from distillguard.gateway.litellm_guardrail import DistillguardGuardrail  # noqa: E402
from tests.servers import free_port  # noqa: E402

pytestmark = pytest.mark.anyio


def guardrail(url: str, **params: Any) -> DistillguardGuardrail:
    """Built the way the proxy builds a custom guardrail from config.yaml's litellm_params."""
    params.setdefault("api_key", "ingest-key")
    params.setdefault("timeout", 2.0)  # generous: the shared test machine is slow at times
    return DistillguardGuardrail(
        guardrail_name="distillguard",
        event_hook="pre_call",
        default_on=True,
        api_base=url,
        **params,
    )


async def call(guard: Any, user_id: str | None, **body: Any) -> dict[str, Any]:
    """One chat completion through the proxy's pre-call guardrail hook."""
    data: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Solve 2x+3=7 and show every step."}],
        "metadata": {},
        "guardrail_to_apply": guard,
        **body,
    }
    result = await UnifiedLLMGuardrails().async_pre_call_hook(
        user_api_key_dict=UserAPIKeyAuth(user_id=user_id, api_key="sk-hashed"),
        cache=DualCache(),
        data=data,
        call_type="acompletion",
    )
    assert isinstance(result, dict)
    return result


async def test_blocked_account_is_refused_and_another_allowed(service_url: str) -> None:
    guard = guardrail(service_url)
    allowed = await call(guard, "acct-normal")
    assert allowed["messages"][0]["content"].startswith("Solve 2x+3=7")
    with pytest.raises(GuardrailRaisedException) as refused:
        await call(guard, "acct-blocked")
    assert refused.value.status_code == 403
    assert "C0007" in refused.value.message


async def test_throttle_is_refused_only_when_configured(service_url: str) -> None:
    await call(guardrail(service_url), "acct-throttled")  # default: only block refuses
    with pytest.raises(GuardrailRaisedException) as refused:
        await call(guardrail(service_url, deny=["block", "throttle"]), "acct-throttled")
    assert refused.value.status_code == 429


async def test_client_chosen_user_field_cannot_pick_the_account(service_url: str) -> None:
    # The key belongs to a clean account; the body claims a blocked one: the key's identity wins.
    await call(guardrail(service_url), "acct-normal", user="acct-blocked")
    # An operator who bills by the body's `user` can opt into it.
    with pytest.raises(GuardrailRaisedException):
        await call(guardrail(service_url, account_sources=["user"]), None, user="acct-blocked")


@pytest.mark.parametrize("fallback", ["fail_open", "fail_closed"])
async def test_timeout_fails_open_or_closed(service_url: str, fallback: str) -> None:
    guard = guardrail(service_url, timeout=0.3, unreachable_fallback=fallback)
    started = time.monotonic()
    if fallback == "fail_open":
        await call(guard, "acct-slow")
    else:
        with pytest.raises(GuardrailRaisedException) as refused:
            await call(guard, "acct-slow")
        assert refused.value.blocked_content is False  # refused unchecked, not judged
    assert time.monotonic() - started < 2.5  # did not wait for the 3 s answer


@pytest.mark.parametrize("fallback", ["fail_open", "fail_closed"])
async def test_unreachable_service_fails_open_or_closed(fallback: str) -> None:
    guard = guardrail(f"http://127.0.0.1:{free_port()}", unreachable_fallback=fallback)
    if fallback == "fail_open":
        await call(guard, "acct-blocked")
    else:
        with pytest.raises(GuardrailRaisedException):
            await call(guard, "acct-normal")


async def test_wrong_key_is_not_taken_for_an_answer(service_url: str) -> None:
    guard = guardrail(service_url, api_key="not-a-key", unreachable_fallback="fail_closed")
    with pytest.raises(GuardrailRaisedException):
        await call(guard, "acct-normal")


def generic(url: str, **params: Any) -> GenericGuardrailAPI:
    """LiteLLM's own generic guardrail client, as `guardrail: generic_guardrail_api` builds it."""
    return GenericGuardrailAPI(
        api_base=f"{url}/v1/gateway/litellm",
        api_key=params.pop("api_key", "ingest-key"),
        guardrail_name="distillguard-generic",
        event_hook="pre_call",
        default_on=True,
        **params,
    )


async def test_generic_guardrail_api_blocks_through_litellms_client(service_url: str) -> None:
    guard = generic(service_url)
    await call(guard, "acct-normal")
    with pytest.raises(GuardrailRaisedException) as refused:
        await call(guard, "acct-blocked")
    assert "C0007" in refused.value.message


async def test_generic_guardrail_api_fails_closed_when_configured(strict_service_url: str) -> None:
    with pytest.raises(GuardrailRaisedException):  # throttle refused on the strict service
        await call(generic(strict_service_url), "acct-throttled")
    with pytest.raises(GuardrailRaisedException):  # slow lookup -> fail closed after 0.2 s
        await call(generic(strict_service_url), "acct-slow")
    await call(generic(strict_service_url), "acct-review")


async def test_generic_guardrail_api_needs_a_key(service_url: str) -> None:
    with pytest.raises(Exception, match="401"):
        await call(generic(service_url, api_key="wrong"), "acct-normal")
