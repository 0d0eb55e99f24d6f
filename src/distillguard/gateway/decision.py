"""What a gateway asks the service, and what it does when the service cannot answer.

A gateway sits on the hot path of every model call, so the question is small (one account id)
and bounded in time: :class:`DecisionClient` gives up after :attr:`GatewayPolicy.timeout`
seconds in total (connect, send and read together) and then applies the configured fail mode:
``open`` lets the call through (the detector being down must not take the API down with it),
``closed`` refuses it (for deployments where an unchecked call is worse than a refused one).
Either way the answer says it was not the service's (:attr:`GatewayDecision.degraded`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

DECISIONS: tuple[str, ...] = ("allow", "review", "throttle", "block")
"""The service's decisions, weakest first (contract section 4)."""

FailMode = Literal["open", "closed"]

LITELLM_ACCOUNT_SOURCES: tuple[str, ...] = ("user_api_key_user_id", "user_api_key_team_id")
"""Where :func:`account_from_litellm` looks by default: identities LiteLLM's proxy derived from
the virtual key it authenticated, so a client cannot choose them. ``user`` (the request body's
field) and ``user_api_key_end_user_id`` (derived from it) are chosen by the client and must be
opted into."""


@dataclass(frozen=True)
class GatewayDecision:
    """One account's decision as a gateway sees it.

    ``degraded`` is true when the decision service did not answer (timeout, connection error,
    bad reply) and the fail mode decided instead; ``reasons`` then says why.
    """

    account_id: str
    decision: str
    campaign_id: str | None = None
    score: float | None = None
    reasons: tuple[str, ...] = ()
    degraded: bool = False

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], account_id: str | None = None) -> GatewayDecision:
        """Parse the service's JSON answer; an unknown decision is a :class:`ValueError` (a
        gateway must not guess what a newer service meant).

        >>> GatewayDecision.from_json({"account_id": "a", "decision": "block", "score": 0.9,
        ...                            "campaign_id": "C1", "reasons": ["r"]}).decision
        'block'
        """
        decision = doc.get("decision")
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        reasons = doc.get("reasons") or ()
        score = doc.get("score")
        campaign = doc.get("campaign_id")
        return cls(
            account_id=str(doc.get("account_id") or account_id or ""),
            decision=str(decision),
            campaign_id=str(campaign) if campaign is not None else None,
            score=float(score) if isinstance(score, int | float) else None,
            reasons=tuple(str(r) for r in reasons) if isinstance(reasons, list) else (),
        )


@dataclass(frozen=True)
class GatewayPolicy:
    """How a gateway acts on decisions.

    ``deny``: decisions that refuse the call (``block`` by default; add ``throttle`` to refuse
    throttled accounts too, or leave throttling to the gateway's own rate limiter, which can
    read the decision from a response header). ``fail_mode``: what happens when the service does
    not answer within ``timeout`` seconds.

    >>> p = GatewayPolicy(deny=frozenset({"block", "throttle"}), fail_mode="closed")
    >>> p.on_failure("acct", "timeout").decision, p.refuses(p.on_failure("acct", "timeout"))
    ('block', True)
    """

    deny: frozenset[str] = frozenset({"block"})
    fail_mode: FailMode = "open"
    timeout: float = 0.25

    def __post_init__(self) -> None:
        unknown = sorted(set(self.deny) - set(DECISIONS))
        if unknown:
            raise ValueError(f"unknown decision(s) to deny: {', '.join(unknown)}")
        if self.fail_mode not in ("open", "closed"):
            raise ValueError(f"fail_mode must be 'open' or 'closed', got {self.fail_mode!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")

    def refuses(self, decision: GatewayDecision) -> bool:
        return decision.decision in self.deny

    def on_failure(self, account_id: str, why: str) -> GatewayDecision:
        """The decision the fail mode gives when the service could not answer."""
        verdict = "allow" if self.fail_mode == "open" else "block"
        return GatewayDecision(
            account_id=account_id,
            decision=verdict,
            reasons=(f"decision service unavailable ({why}); failing {self.fail_mode}",),
            degraded=True,
        )


@dataclass
class DecisionClient:
    """Asks ``GET {base_url}/v1/accounts/{id}/decision`` with an API key of role ``ingest``
    (or ``analyst``). One client keeps one connection pool: build it once per gateway process.

    ``transport`` lets tests (and in-process deployments) hand httpx an ASGI app instead of a
    socket.
    """

    base_url: str
    api_key: str
    policy: GatewayPolicy = field(default_factory=GatewayPolicy)
    transport: httpx.AsyncBaseTransport | None = None
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def __repr__(self) -> str:  # never show the key
        return f"DecisionClient(base_url={self.base_url!r}, policy={self.policy!r})"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url.rstrip("/"),
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=self.policy.timeout,
                transport=self.transport,
            )
        return self._client

    async def decide(self, account_id: str) -> GatewayDecision:
        """The service's decision, or the fail mode's when it does not answer in time."""
        path = f"/v1/accounts/{quote(account_id, safe='')}/decision"
        try:
            async with asyncio.timeout(self.policy.timeout):
                response = await self._http().get(path)
            if response.status_code in (401, 403):
                log.error(
                    "decision service refused the gateway's key (HTTP %d)", response.status_code
                )
            response.raise_for_status()
            return GatewayDecision.from_json(response.json(), account_id)
        except TimeoutError:
            return self.policy.on_failure(account_id, "timeout")
        except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
            log.warning("decision service error: %s", type(exc).__name__)
            return self.policy.on_failure(account_id, type(exc).__name__)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _lookup(mapping: object, key: str) -> str | None:
    if isinstance(mapping, Mapping):
        value = mapping.get(key)
        if value is not None and str(value).strip():
            return str(value)
    return None


def account_from_litellm(
    request_data: Mapping[str, Any], sources: Sequence[str] = LITELLM_ACCOUNT_SOURCES
) -> str | None:
    """The billed account of a LiteLLM request: the first of ``sources`` that is set.

    A source is a key of the proxy's request metadata (``litellm_metadata`` or ``metadata``,
    e.g. ``user_api_key_user_id``, ``user_api_key_team_id``, ``user_api_key_org_id``,
    ``user_api_key_end_user_id``) or ``user``, the request body's own field.

    >>> account_from_litellm({"metadata": {"user_api_key_user_id": "u1"}, "user": "x"})
    'u1'
    >>> account_from_litellm({"user": "x"}) is None, account_from_litellm({"user": "x"}, ["user"])
    (True, 'x')
    """
    for source in sources:
        if source == "user":
            found = _lookup(request_data, "user")
        else:
            found = _lookup(request_data.get("litellm_metadata"), source) or _lookup(
                request_data.get("metadata"), source
            )
        if found:
            return found
    return None
