"""The decision policy: how campaign scores, analyst actions and indicators become decisions.

Plain data, loaded from a TOML or JSON file (``serve --policy FILE``) or built in code. The
decision for an account is the strongest that any rule gives it, in the order
``allow < review < throttle < block``:

- a campaign an analyst **blocked** -> ``block``; **confirmed** -> :attr:`Policy.confirmed`;
  **dismissed** -> nothing (a false positive: its accounts are not flagged for it again);
- an open (unreviewed) campaign of the latest detection run -> at least :attr:`Policy.formed`
  (default ``throttle``: the detector formed it, its score clearing its threshold by at least
  :attr:`Policy.formed_margin`; reversible and rate-limited until an analyst confirms or
  dismisses it; closer to the line, the detector's own ``review``); ``block`` when its
  ``recommended_action`` is ``block`` (a clear margin over the threshold on a fleet) and it has
  a blockable indicator (:attr:`Policy.block_needs_blockable`), when
  :attr:`Policy.follow_recommended`; by score (:attr:`Policy.block_score`,
  :attr:`Policy.throttle_score`, :attr:`Policy.review_score`) otherwise; never above
  :attr:`Policy.max_unreviewed`;
- an account once decided :attr:`Policy.formed` or more for an unreviewed campaign stays at
  least :attr:`Policy.formed` (:attr:`Policy.hold_formed`) when a later run scores the campaign
  closer to the line, leaves the account out or misses the campaign, until an analyst dismisses
  the campaign or the account;
- an account of the detector's review queue -> :attr:`Policy.review_queue`;
- an account that uses a blockable indicator (or prompt template) of a campaign decided one of
  :attr:`Policy.indicator_from` -> :attr:`Policy.indicator_decision`, but never more than that
  campaign's own decision, nor than :attr:`Policy.indicator_unreviewed` until an analyst
  confirms or blocks it, as soon as its exchange arrives (before the next detection run):
  a new account of a throttled campaign's payment instrument is throttled at its first
  exchange, one of an analyst-blocked campaign's is blocked.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from enum import IntEnum
from pathlib import Path
from typing import Any

from distillguard.errors import ConfigError


class Verdict(IntEnum):
    """Decisions, ordered by severity so the strongest rule wins with ``max``."""

    ALLOW = 0
    REVIEW = 1
    THROTTLE = 2
    BLOCK = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def of(cls, name: str) -> Verdict:
        try:
            return cls[name.upper()]
        except KeyError:
            known = ", ".join(v.label for v in cls)
            raise ConfigError(f"unknown decision {name!r} (one of {known})") from None


@dataclass(frozen=True)
class Policy:
    """Rules that turn detections and analyst actions into decisions (see the module doc)."""

    review_score: float = 0.5
    throttle_score: float = 0.7
    # None: an unreviewed campaign is never blocked by score alone; an analyst blocks it.
    block_score: float | None = None
    follow_recommended: bool = True
    # The least decision for the accounts of a campaign the detector formed ("allow" or None: by
    # score and recommended action only, the behaviour before this key).
    formed: str | None = "throttle"
    # ... when its score clears its threshold by at least this much. The detector recommends
    # ``review`` for campaigns closer to the line than its own ``review_margin`` (0.05); on the
    # replayed demo log those were the runs that swept dozens of benign accounts into a campaign
    # for one run (BENCHMARKS.md, time to detection). 0: every formed campaign.
    formed_margin: float = 0.05
    # A recommended ``block`` of an unreviewed campaign counts only when one of its indicators is
    # blockable (a rule on it stops the campaign and no one else); else it is ``throttle``.
    block_needs_blockable: bool = True
    # An account once decided ``formed`` or more for an unreviewed campaign keeps ``formed`` until
    # an analyst dismisses the campaign or the account (False: each run decides afresh).
    hold_formed: bool = True
    max_unreviewed: str = "block"
    confirmed: str = "block"
    review_queue: str | None = "review"
    indicator_from: tuple[str, ...] = ("throttle", "block")
    indicator_decision: str = "block"
    # ... but at most this while no analyst has confirmed or blocked the campaign.
    indicator_unreviewed: str = "throttle"
    match_templates: bool = True
    # campaigns.json v1 indicators carry no ``blockable`` flag: these kinds count as blockable.
    fallback_blockable_kinds: tuple[str, ...] = ("payment_fingerprint",)

    def __post_init__(self) -> None:
        for name in ("max_unreviewed", "confirmed", "indicator_decision", "indicator_unreviewed"):
            Verdict.of(getattr(self, name))
        for name in ("review_queue", "formed"):
            if getattr(self, name) is not None:
                Verdict.of(getattr(self, name))
        for name in self.indicator_from:
            Verdict.of(name)
        for name in ("review_score", "throttle_score", "block_score", "formed_margin"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= float(v) <= 1.0:
                raise ConfigError(f"policy {name} must be in [0, 1], got {v!r}")

    def open_campaign(
        self,
        score: float,
        recommended: str | None,
        *,
        threshold: float | None = None,
        blockable: int = 0,
    ) -> Verdict:
        """The decision for an unreviewed campaign of the latest run with this score, flag
        ``threshold`` (None: the detector's own, so the campaign cleared it), recommended action
        and number of blockable indicators.

        >>> p = Policy()
        >>> p.open_campaign(0.62, "review", threshold=0.55).label  # small, but clearly over
        'throttle'
        >>> p.open_campaign(0.52, "review", threshold=0.5).label  # barely over: a person looks
        'review'
        >>> p.open_campaign(0.9, "block", blockable=3).label
        'block'
        >>> p.open_campaign(0.9, "block", blockable=0).label  # nothing safe to block on
        'throttle'
        >>> old = Policy(formed="allow", max_unreviewed="throttle")
        >>> [old.open_campaign(s, None).label for s in (0.3, 0.55, 0.8)]
        ['allow', 'review', 'throttle']
        >>> old.open_campaign(0.62, "review", threshold=0.55).label
        'review'
        """
        cap = Verdict.of(self.max_unreviewed)
        if recommended and self.follow_recommended:
            v = Verdict.of(recommended)
            if v is Verdict.BLOCK and self.block_needs_blockable and blockable <= 0:
                v = Verdict.THROTTLE
        else:
            v = Verdict.ALLOW
            if score >= self.review_score:
                v = Verdict.REVIEW
            if score >= self.throttle_score:
                v = Verdict.THROTTLE
            if self.block_score is not None and score >= self.block_score:
                v = Verdict.BLOCK
        if self.formed is not None and (
            threshold is None or score >= threshold + self.formed_margin
        ):
            v = max(v, Verdict.of(self.formed))
        return min(v, cap)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def policy_from_dict(doc: dict[str, Any]) -> Policy:
    """A :class:`Policy` from plain data; unknown keys are an error (a typo must not pass)."""
    known = {f.name for f in fields(Policy)}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ConfigError(f"unknown policy key(s): {', '.join(unknown)}")
    values = dict(doc)
    for name in ("indicator_from", "fallback_blockable_kinds"):
        if name in values:
            values[name] = tuple(values[name])
    try:
        return Policy(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bad policy: {exc}") from exc


def load_policy(path: Path) -> Policy:
    """Read a policy from a ``.toml`` or ``.json`` file."""
    p = Path(path)
    try:
        text = p.read_text()
        doc = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read policy: {exc}", source=str(p)) from exc
    if not isinstance(doc, dict):
        raise ConfigError("policy must be a table/object", source=str(p))
    try:
        return policy_from_dict(doc)
    except ConfigError as exc:
        raise ConfigError(exc.message, source=str(p)) from exc


@dataclass(frozen=True)
class Decision:
    """The answer for one account (``GET /v1/accounts/{id}/decision``)."""

    account_id: str
    decision: str = "allow"
    campaign_id: str | None = None
    score: float = 0.0
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "decision": self.decision,
            "campaign_id": self.campaign_id,
            "score": round(float(self.score), 4),
            "reasons": list(self.reasons),
        }
