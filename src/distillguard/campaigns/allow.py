"""Organisations and accounts the provider has cleared.

A provider knows some of its heaviest harvest-shaped traffic is permitted: a customer under
contract to build an agent-trajectory dataset, its own evaluation team, a partner lab running a
benchmark. Those are listed in the detection config (``allow_orgs``, ``allow_accounts``).
Their links are left out of campaign formation, so they can neither form a campaign nor be
pulled into one; they are never flagged nor queued for review; and each says why in
``accounts.csv``. What they do is still measured and reported (score, exchanges).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.campaigns.model import AccountVerdict


def cleared_mask(
    table: pa.Table, orgs: Collection[str] = (), account_ids: Collection[str] = ()
) -> pa.ChunkedArray:
    """Per row of ``table`` (``account_id``, and ``org_id`` when present), whether its account
    or its organisation is cleared (never null).

    >>> t = pa.table({"account_id": ["a", "b", "c"], "org_id": ["o1", None, "o2"]})
    >>> cleared_mask(t, orgs=["o2"], account_ids=["a"]).to_pylist()
    [True, False, True]
    """
    cleared = pc.fill_null(
        pc.is_in(table["account_id"], value_set=pa.array(list(account_ids), pa.string())), False
    )
    if orgs and "org_id" in table.column_names:
        by_org = pc.is_in(table["org_id"], value_set=pa.array(list(orgs), pa.string()))
        cleared = pc.or_(cleared, pc.fill_null(by_org, False))
    return cleared


def allowlisted(
    accounts: pl.DataFrame, orgs: Collection[str] = (), account_ids: Collection[str] = ()
) -> np.ndarray:
    """Boolean mask over ``accounts`` (row order) of the accounts cleared by organisation or id.

    >>> t = pl.DataFrame({"account_id": ["a", "b", "c"], "org_id": ["o1", None, "o2"]})
    >>> allowlisted(t, orgs=["o2"], account_ids=["a"]).tolist()
    [True, False, True]
    """
    columns = [c for c in ("account_id", "org_id") if c in accounts.columns]
    mask = cleared_mask(accounts.select(columns).to_arrow(), orgs, account_ids)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def without_allowlisted(edges: pl.DataFrame, allowed: np.ndarray) -> pl.DataFrame:
    """``edges`` (``a, b`` dense account indices) minus every edge touching a cleared account.

    >>> e = pl.DataFrame({"a": [0, 1], "b": [1, 2], "weight": [0.5, 0.7]})
    >>> without_allowlisted(e, np.array([True, False, False]))["a"].to_list()
    [1]
    """
    if not allowed.any() or edges.is_empty():
        return edges
    touched = allowed[edges["a"].to_numpy()] | allowed[edges["b"].to_numpy()]
    return edges.filter(pl.Series(~touched))


def with_allowlist_reasons(
    verdicts: list[AccountVerdict],
    org_ids: Sequence[str | None],
    allowed: np.ndarray,
    allowed_orgs: Collection[str],
) -> list[AccountVerdict]:
    """``verdicts`` (one per account, in ``allowed``'s order) with each cleared account's reason:
    it is not judged, since its links were left out and no campaign holds it."""
    orgs = set(allowed_orgs)

    def reason(org_id: str | None) -> str:
        if org_id is not None and org_id in orgs:
            return f"allowlisted: organisation {org_id} is cleared in the detection config"
        return "allowlisted: account is cleared in the detection config"

    return [
        replace(v, reasons=(reason(org_ids[i]),)) if allowed[i] else v
        for i, v in enumerate(verdicts)
    ]


def without_cleared_rows(
    rows: pa.Table, orgs: Collection[str] = (), account_ids: Collection[str] = ()
) -> pa.Table:
    """Request rows (stored form) other than those of cleared organisations and accounts: what
    the service matches against known campaigns' indicators as traffic arrives.

    >>> t = pa.table({"account_id": ["a", "b", "c"], "org_id": ["o1", None, "o2"]})
    >>> without_cleared_rows(t, orgs=["o2"], account_ids=["a"])["account_id"].to_pylist()
    ['b']
    """
    if not orgs and not account_ids:
        return rows
    return rows.filter(pc.invert(cleared_mask(rows, orgs, account_ids)))
