"""Stable campaign ids: derived from the campaign, not from its rank in one run.

Case tools, the service and sharing partners follow a campaign from one run to the next by its
id, so the id must survive a re-run on a log that has grown. The rule:

1. **Carry-over by overlap** (when the previous run's campaigns are known, e.g. its
   ``campaigns.json``): each previous campaign's id goes to the current campaign holding most of
   its accounts; pairs are settled largest overlap first (ties: the older id), so one campaign
   gets at most one old id and an old id at most one campaign.
2. **Derived from the anchor** otherwise: the campaign's *anchor* is its member seen first in the
   log (earliest first request; ties by account id), and the id is ``C`` followed by 10
   upper-case hex digits of SHA-256 of the anchor's account id. A campaign that continues on a
   longer log keeps its earliest member, hence its id, without any stored state; a campaign that
   splits keeps the id in the part holding the anchor. If the id is taken (by a carried-over
   id), the next member in anchor order is used.

>>> from datetime import datetime
>>> seen = {"a": datetime(2026, 1, 2), "b": datetime(2026, 1, 1), "c": datetime(2026, 1, 3)}
>>> first = stable_campaign_ids([["a", "b"], ["c"]], seen)
>>> first == stable_campaign_ids([["c"], ["b", "a"]], seen)[::-1]
True
>>> stable_campaign_ids([["a", "c"]], seen, previous={"C0001": ["a", "b"]})
['C0001']
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["anchor_id", "stable_campaign_ids"]


def anchor_id(account_id: str) -> str:
    """The id a campaign anchored on ``account_id`` gets (see the module docstring)."""
    return "C" + hashlib.sha256(account_id.encode("utf-8")).hexdigest()[:10].upper()


def _order_key(account: str, first_seen: Mapping[str, Any]) -> tuple[bool, Any, str]:
    seen = first_seen.get(account)
    return (seen is None, seen if seen is not None else 0, account)


def stable_campaign_ids(
    groups: Sequence[Sequence[str]],
    first_seen: Mapping[str, Any],
    previous: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """One id per group of account ids (same order as ``groups``); ``first_seen`` maps an
    account id to when it was first seen (any comparable value; unknown accounts sort last);
    ``previous`` maps earlier campaign ids to their accounts."""
    ids: list[str | None] = [None] * len(groups)
    taken: set[str] = set()
    if previous:
        owner = {a: cid for cid, members in previous.items() for a in members}
        overlaps: dict[tuple[int, str], int] = {}
        for k, members in enumerate(groups):
            for a in members:
                cid = owner.get(a)
                if cid is not None:
                    overlaps[(k, cid)] = overlaps.get((k, cid), 0) + 1
        for (k, cid), _ in sorted(overlaps.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0])):
            if ids[k] is None and cid not in taken:
                ids[k] = cid
                taken.add(cid)
    for k, members in enumerate(groups):
        if ids[k] is not None:
            continue
        for a in sorted(members, key=lambda m: _order_key(m, first_seen)):
            cid = anchor_id(a)
            if cid not in taken:
                ids[k] = cid
                taken.add(cid)
                break
        else:  # every member's id is taken (cannot happen for disjoint groups): fall back
            ids[k] = f"C{k + 1:04d}-{len(taken)}"
            taken.add(str(ids[k]))
    return [str(i) for i in ids]
