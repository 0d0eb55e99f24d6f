"""Detection configuration as plain data (JSON), validated into :class:`DetectConfig`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distillguard.campaigns.cluster import ClusterConfig
from distillguard.errors import ConfigError
from distillguard.pipeline.detect import DetectConfig


def config_from_dict(doc: dict[str, Any]) -> DetectConfig:
    """Build a :class:`DetectConfig` from a dict such as ``{"flag_threshold": 0.6,
    "cluster": {"min_edge": 0.65}, "linkage": [...]}``; unknown keys are an error."""
    doc = dict(doc)
    cluster_doc = doc.pop("cluster", {}) or {}
    try:
        cluster = ClusterConfig(**cluster_doc)
        return DetectConfig(cluster=cluster, **doc)
    except TypeError as exc:
        raise ConfigError(f"bad detection config: {exc}") from exc


def load_config(path: Path) -> DetectConfig:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config: {exc}", source=str(path)) from exc
    if not isinstance(doc, dict):
        raise ConfigError("config must be a JSON object", source=str(path))
    return config_from_dict(doc)
