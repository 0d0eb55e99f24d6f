"""Settings of one service instance: plain data, so tests build them in code and the
``serve`` command builds them from flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from distillguard.ingest import Privacy
from distillguard.pipeline.detect import DetectConfig
from distillguard.service.auth import API_KEYS_ENV, ApiKeys
from distillguard.service.policy import Policy

WEBHOOKS_ENV = "DISTILLGUARD_WEBHOOKS"


@dataclass
class ServiceSettings:
    """Everything :func:`distillguard.service.create_app` needs.

    ``detect_interval``: seconds between scheduled detection runs (0 turns the schedule off;
    ``POST /v1/detect`` still works). ``window_days``: detection sees the exchanges of the last
    this many days, counted back from the newest stored exchange (so a replayed old log is judged
    on its own clock). ``webhooks``: URLs that receive a JSON POST when a campaign appears, grows
    or changes decision. ``state_interval``: seconds between folds of new exchanges into the
    live per-account state (:class:`~distillguard.service.state.LiveProfiles`; 0: never in the
    background).
    """

    workspace: Path
    api_keys: ApiKeys = field(default_factory=ApiKeys)
    policy: Policy = field(default_factory=Policy)
    detect_config: DetectConfig | None = None
    detect_interval: float = 300.0
    window_days: float = 14.0
    state_interval: float = 10.0
    webhooks: tuple[str, ...] = ()
    webhook_timeout: float = 5.0
    privacy: Privacy = field(default_factory=Privacy)
    memory_limit: str = "2GB"
    checkpoint_threshold: str = "256MB"
    max_body_bytes: int = 256 << 20

    @classmethod
    def from_env(cls, workspace: Path, **overrides: object) -> ServiceSettings:
        """Settings with keys, hash key and webhooks from the environment
        (``DISTILLGUARD_API_KEYS``, ``DISTILLGUARD_HASH_KEY``, ``DISTILLGUARD_WEBHOOKS``)."""
        hooks = tuple(u.strip() for u in os.environ.get(WEBHOOKS_ENV, "").split(",") if u.strip())
        base: dict[str, object] = {
            "api_keys": ApiKeys.parse(os.environ.get(API_KEYS_ENV)),
            "privacy": Privacy.from_key(None),
            "webhooks": hooks,
        }
        base.update(overrides)
        return cls(workspace=Path(workspace), **base)  # type: ignore[arg-type]
