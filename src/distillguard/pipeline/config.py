"""Detection configuration as plain data (JSON), validated into :class:`DetectConfig`.

Every tuning number is a range-checked field (:func:`distillguard.bounds.knob`); a bad value,
an unknown key, an unknown linker or a linker without a reliability is a
:class:`~distillguard.errors.ConfigError` from :meth:`DetectConfig.check`, which the CLI runs
before any data is read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from distillguard.bounds import check_fields, knob
from distillguard.campaigns.cluster import ClusterConfig
from distillguard.errors import ConfigError
from distillguard.linkage import Linker, build_linkers
from distillguard.linkage import reliability as linker_reliability
from distillguard.signals import check_signals

__all__ = ["DetectConfig", "config_from_dict", "load_config", "load_previous_campaigns"]


@dataclass
class DetectConfig:
    """Tunable knobs of one detection run (plain data: can come from TOML/JSON)."""

    sample_per_account: int = knob(100, 1, None, "sampled requests per account at most")
    # Groups smaller than this need a score ``small_margin`` higher: a handful of accounts can
    # look coordinated by coincidence (three students on one campus NAT), a large fleet cannot.
    small_campaign: int = knob(5, 1, None, "groups smaller than this need a higher score")
    small_margin: float = knob(0.1, 0.0, 1.0, "extra score a small group needs")
    # Text signals see at most this many requests in all; with many accounts each gets fewer
    # (never under ``min_sample_per_account``), so model cost stays bounded as traffic grows.
    sample_budget: int = knob(300_000, 1, None, "sampled requests in all")
    min_sample_per_account: int = knob(12, 1, None, "sampled requests per account at least")
    flag_threshold: float = knob(0.5, 0.0, 1.0, "campaign score that flags a group")
    min_requests: int = knob(2, 1, None, "requests an account needs in the window to be flagged")
    # A community within this much of its threshold joins a flagged campaign it behaves like
    # (mean profiles less than ``lookalike_difference`` spreads apart): one workload, split.
    lookalike_slack: float = knob(0.1, 0.0, 1.0, "how near the threshold a lookalike may be")
    lookalike_difference: float = knob(1.0, 0.0, None, "profile spreads apart that still merge")
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    linkage: list[dict[str, Any]] | None = None
    seed: int = knob(0, 0, None, "seed of every pseudo-random choice")
    # Not a tuning number: the previous run's campaigns (id -> account ids), so that ids carry
    # over by member overlap (see :mod:`distillguard.campaigns.identity`).
    previous_campaigns: dict[str, list[str]] | None = None
    # Not tuning numbers either: organisations and accounts the provider has cleared (a customer
    # under contract to build a dataset, its own evaluation team). They are never flagged or
    # queued for review, and their links take no part in campaign formation (see
    # :mod:`distillguard.campaigns.allow`).
    allow_orgs: list[str] | None = None
    allow_accounts: list[str] | None = None

    def __post_init__(self) -> None:
        check_fields(self)
        for name in ("allow_orgs", "allow_accounts"):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise ConfigError(f"DetectConfig.{name} must be a list of strings")
        if self.min_sample_per_account > self.sample_per_account:
            raise ConfigError(
                "DetectConfig.min_sample_per_account must not exceed sample_per_account"
            )

    def linkers(self) -> list[Linker]:
        """The checked linker instances of ``linkage`` (default set when ``None``)."""
        return build_linkers(self.linkage)

    def check(self) -> DetectConfig:
        """Validate everything that can be validated without data (linkers, signals, the
        reliability table) and return the config with ``cluster.reliability`` filled in from the
        linkers (entries given in the config override a family's declared reliability)."""
        check_signals()
        linkers = self.linkers()
        declared = linker_reliability(linkers)
        unknown = sorted(set(self.cluster.reliability) - set(declared))
        if unknown:
            raise ConfigError(
                f"cluster.reliability names families no configured linker produces: "
                f"{', '.join(unknown)} (families: {', '.join(sorted(declared))})"
            )
        table = {**declared, **self.cluster.reliability}
        return replace(self, cluster=replace(self.cluster, reliability=table))


def config_from_dict(doc: Mapping[str, Any]) -> DetectConfig:
    """Build a checked :class:`DetectConfig` from a dict such as ``{"flag_threshold": 0.6,
    "cluster": {"min_edge": 0.65}, "linkage": [{"linker": "network"}, ...]}``; unknown keys,
    out-of-range numbers and bad linker entries are a :class:`ConfigError`."""
    doc = dict(doc)
    cluster_doc = doc.pop("cluster", {}) or {}
    if not isinstance(cluster_doc, Mapping):
        raise ConfigError("bad detection config: 'cluster' must be an object")
    try:
        cluster = ClusterConfig(**cluster_doc)
        cfg = DetectConfig(cluster=cluster, **doc)
    except TypeError as exc:
        raise ConfigError(f"bad detection config: {exc}") from exc
    cfg.check()
    return cfg


def load_config(path: Path) -> DetectConfig:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config: {exc}", source=str(path)) from exc
    if not isinstance(doc, dict):
        raise ConfigError("config must be a JSON object", source=str(path))
    try:
        return config_from_dict(doc)
    except ConfigError as exc:
        raise ConfigError(exc.message, source=str(path)) from exc


def load_previous_campaigns(path: Path) -> dict[str, list[str]]:
    """``campaign_id -> accounts`` from an earlier run's ``campaigns.json`` (``path`` is the
    file or the run's output directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / "campaigns.json"
    try:
        doc = json.loads(path.read_text())
        campaigns: Sequence[Mapping[str, Any]] = doc["campaigns"]
        return {str(c["campaign_id"]): [str(a) for a in c["accounts"]] for c in campaigns}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read previous campaigns: {exc}", source=str(path)) from exc
