"""Detections as data: findings, campaigns and the per-account verdicts.

Every signal emits :class:`Finding` objects; a :class:`Campaign` carries the findings that made it.
The report, the evaluation and the threat-intel export all render these same objects, and
:meth:`Detections.write` produces exactly the files of the contract (section 2).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from distillguard.schema import rfc3339

CAMPAIGNS_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: which signal fired, how strongly, and on which records.

    ``strength`` is in [0, 1]: how far the campaign stands from the population on this signal
    (for behaviour, its level minus the median account's). ``account_ids`` (and example
    ``request_ids``) name the records behind it so an analyst can check it; ``account_count`` is
    the true number of accounts when ``account_ids`` lists only some of them. ``observed`` holds
    the measured values in real units (tokens, shares, requests per day) next to the
    population's, and ``excerpts`` short redacted prompt excerpts of the example requests.
    """

    signal: str
    strength: float
    description: str
    account_ids: tuple[str, ...] = ()
    request_ids: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    account_count: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    excerpts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["strength"] = round(float(self.strength), 4)
        out["text"] = self.description
        count = len(self.account_ids) if self.account_count is None else int(self.account_count)
        out["account_count"] = count
        out["account_ids"] = list(self.account_ids)
        out["account_ids_complete"] = len(self.account_ids) >= count
        out["request_ids"] = list(self.request_ids)
        out["excerpts"] = list(self.excerpts)
        return out


@dataclass(frozen=True)
class ReviewItem:
    """Accounts a person should look at although no campaign was flagged on them.

    ``kind`` is ``near_miss`` (a linked group that scored just under its threshold),
    ``lookalike`` (an unflagged group that behaves like the flagged campaign ``campaign_id``) or
    ``account`` (one of the unflagged accounts that harvest most). ``accounts`` lists at most the
    queue's budget; ``account_count`` is the group's true size.
    """

    kind: str
    accounts: tuple[str, ...]
    score: float
    reasons: tuple[str, ...]
    account_count: int
    exchanges: int = 0
    campaign_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "accounts": list(self.accounts),
            "account_count": int(self.account_count),
            "accounts_complete": len(self.accounts) >= self.account_count,
            "score": round(float(self.score), 4),
            "reasons": list(self.reasons),
            "exchanges": int(self.exchanges),
        }
        if self.campaign_id is not None:
            out["campaign_id"] = self.campaign_id
        return out


@dataclass
class Campaign:
    """A group of accounts judged to be one coordinated harvesting operation."""

    campaign_id: str
    score: float
    accounts: list[str]
    exchanges: int
    first_seen: datetime
    last_seen: datetime
    capabilities: dict[str, float]
    # One entry per shared indicator value: kind, value, accounts_in_campaign, accounts_in_log,
    # blockable, ... (see docs/detection.md, "Indicators").
    indicators: list[dict[str, Any]]
    evidence: list[Finding]
    # Extras for the report: exchanges per day, and per-model exchange counts.
    timeline: list[tuple[str, int]] = field(default_factory=list)
    models: dict[str, int] = field(default_factory=dict)
    # Optional: exchanges per day for each model (model -> [(day, n), ...]), so the report can
    # stack the timeline by model and a pivot to a newly released model shows on the day it happens.
    timeline_by_model: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # Schema v2: the score's parts, the threshold it was held to, the recommended action (and
    # why), indicator totals per kind when a kind's list is paged, and what the score means.
    score_parts: dict[str, float] = field(default_factory=dict)
    threshold: float | None = None
    recommended_action: str | None = None
    action_reasons: list[str] = field(default_factory=list)
    indicator_totals: dict[str, int] = field(default_factory=dict)
    calibration: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        truncated = any(
            n > sum(i["kind"] == k for i in self.indicators)
            for k, n in self.indicator_totals.items()
        )
        return {
            "campaign_id": self.campaign_id,
            "score": round(float(self.score), 4),
            "accounts": list(self.accounts),
            "exchanges": int(self.exchanges),
            "first_seen": rfc3339(self.first_seen),
            "last_seen": rfc3339(self.last_seen),
            "capabilities": {k: round(float(v), 4) for k, v in self.capabilities.items()},
            "indicators": self.indicators,
            "evidence": [f.to_json() for f in self.evidence],
            "timeline": [[d, int(n)] for d, n in self.timeline],
            "models": {k: int(v) for k, v in self.models.items()},
            "timeline_by_model": {
                m: [[d, int(n)] for d, n in days] for m, days in self.timeline_by_model.items()
            },
            "account_count": len(self.accounts),
            "score_parts": {k: round(float(v), 4) for k, v in self.score_parts.items()},
            "threshold": None if self.threshold is None else round(float(self.threshold), 4),
            "recommended_action": self.recommended_action,
            "action_reasons": list(self.action_reasons),
            # The contract's name ("paged with truncated: true") and the explicit one.
            "truncated": truncated,
            "indicators_truncated": truncated,
            "indicator_totals": dict(self.indicator_totals),
            "calibration": self.calibration,
        }


@dataclass(frozen=True)
class AccountVerdict:
    account_id: str
    score: float
    flagged: bool
    campaign_id: str | None = None
    exchanges: int = 0
    reasons: tuple[str, ...] = ()


@dataclass
class Detections:
    """Everything ``detect`` produces."""

    accounts: list[AccountVerdict]
    campaigns: list[Campaign]
    summary: dict[str, Any]
    review: list[ReviewItem] = field(default_factory=list)
    # Run metadata (run id, tool version, generation time, engine, inputs, window, exchanges
    # analysed), written at the top of campaigns.json and into summary.json.
    run: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: Path) -> None:
        """Write ``accounts.csv``, ``campaigns.json`` and ``summary.json`` (report is separate)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        with (out_dir / "accounts.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                ["account_id", "score", "flagged", "campaign_id", "exchanges", "reasons"]
            )
            for a in self.accounts:
                writer.writerow(
                    [
                        csv_cell(a.account_id),
                        f"{min(max(a.score, 0.0), 1.0):.4f}",
                        "true" if a.flagged else "false",
                        csv_cell(a.campaign_id or ""),
                        int(a.exchanges),
                        csv_cell("; ".join(a.reasons)),
                    ]
                )
        doc = {
            "schema_version": CAMPAIGNS_SCHEMA_VERSION,
            "run": self.run,
            "campaigns": [c.to_json() for c in self.campaigns],
            "review": [r.to_json() for r in self.review],
        }
        (out_dir / "campaigns.json").write_text(json.dumps(doc, indent=2, default=str))
        (out_dir / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str))


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """``value`` made safe for a spreadsheet: a leading ``'`` when it starts like a formula.

    Client-controlled values (an ``openai`` log's ``request.user`` becomes ``account_id``) must
    never open as ``=HYPERLINK(...)``; the quote is what spreadsheets show as "text", and a reader
    can strip one leading ``'`` to get the value back.

    >>> print(csv_cell("=SUM(A1)"), csv_cell("acct-1"), csv_cell("-1"), csv_cell("@x"))
    '=SUM(A1) acct-1 '-1 '@x
    """
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
