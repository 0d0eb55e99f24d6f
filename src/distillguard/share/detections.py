"""Read a ``detect --out`` directory (``campaigns.json``, contract section 2) for sharing.

Schema v2 carries each indicator's prevalence and whether it is ``blockable``; only those leave
as STIX indicators. A v1 file has neither, so every v1 indicator counts as not blockable (context
only): sharing a value without knowing how common it is in one's own traffic risks blocking
legitimate customers at the partner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distillguard.errors import InputError


@dataclass(frozen=True)
class SharedIndicator:
    """One indicator of a campaign as ``detect`` stored it (value raw or ingest-hashed)."""

    kind: str
    value: str
    accounts_in_campaign: int
    accounts_in_log: int | None
    blockable: bool


@dataclass(frozen=True)
class CampaignRecord:
    """What export needs of one campaign. ``account_count`` only: ids never leave."""

    campaign_id: str
    score: float
    account_count: int
    exchanges: int
    first_seen: datetime
    last_seen: datetime
    capabilities: dict[str, float]
    indicators: tuple[SharedIndicator, ...]
    evidence: tuple[dict[str, Any], ...]
    recommended_action: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class DetectionRun:
    """A parsed ``campaigns.json``: its run metadata and campaigns."""

    path: Path
    schema_version: int
    run: dict[str, Any] = field(default_factory=dict)
    campaigns: tuple[CampaignRecord, ...] = ()

    def select(self, campaign_id: str | None) -> tuple[CampaignRecord, ...]:
        """All campaigns, or the one named (error naming the known ids when absent)."""
        if campaign_id is None:
            return self.campaigns
        chosen = tuple(c for c in self.campaigns if c.campaign_id == campaign_id)
        if not chosen:
            known = ", ".join(c.campaign_id for c in self.campaigns) or "none"
            raise InputError(f"no campaign {campaign_id!r} (known: {known})", source=str(self.path))
        return chosen


def _ts(value: Any, path: Path) -> datetime:
    try:
        ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"bad timestamp {value!r}", source=str(path)) from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _indicators(raw: Any) -> tuple[SharedIndicator, ...]:
    if isinstance(raw, list):  # v2: a flat list with kind and prevalence
        return tuple(
            SharedIndicator(
                kind=str(i["kind"]),
                value=str(i["value"]),
                accounts_in_campaign=int(i.get("accounts_in_campaign") or 0),
                accounts_in_log=(
                    int(i["accounts_in_log"]) if i.get("accounts_in_log") is not None else None
                ),
                blockable=bool(i.get("blockable", False)),
            )
            for i in raw
            if isinstance(i, dict) and "kind" in i and "value" in i
        )
    if isinstance(raw, dict):  # v1: kind -> [{value, accounts, ...}], prevalence unknown
        return tuple(
            SharedIndicator(str(kind), str(i["value"]), int(i.get("accounts") or 0), None, False)
            for kind, items in raw.items()
            for i in items
            if isinstance(i, dict) and "value" in i
        )
    return ()


def read_detections(out_dir: Path) -> DetectionRun:
    """Parse ``out_dir/campaigns.json`` (v1 or v2)."""
    path = Path(out_dir) / "campaigns.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(
            "no campaigns.json: is this a `detect --out` directory?", source=str(path)
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read campaigns.json: {exc}", source=str(path)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("campaigns"), list):
        raise InputError("campaigns.json has no campaigns list", source=str(path))
    campaigns = []
    for k, c in enumerate(doc["campaigns"]):
        try:
            campaigns.append(
                CampaignRecord(
                    campaign_id=str(c["campaign_id"]),
                    score=float(c.get("score") or 0.0),
                    account_count=int(c.get("account_count") or len(c.get("accounts") or [])),
                    exchanges=int(c.get("exchanges") or 0),
                    first_seen=_ts(c["first_seen"], path),
                    last_seen=_ts(c["last_seen"], path),
                    capabilities={
                        str(k): float(v) for k, v in (c.get("capabilities") or {}).items()
                    },
                    indicators=_indicators(c.get("indicators")),
                    evidence=tuple(e for e in c.get("evidence") or [] if isinstance(e, dict)),
                    recommended_action=c.get("recommended_action"),
                    threshold=c.get("threshold"),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"campaign {k} is malformed: {exc}", source=str(path)) from exc
    return DetectionRun(
        path=path,
        schema_version=int(doc.get("schema_version") or 1),
        run=dict(doc.get("run") or {}),
        campaigns=tuple(campaigns),
    )


__all__ = ["CampaignRecord", "DetectionRun", "SharedIndicator", "read_detections"]
