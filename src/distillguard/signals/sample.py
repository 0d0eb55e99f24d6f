"""The bounded request sample that the text signals see.

Every ``ceil(n / per_account)``-th request of each account in time order: spread over the
account's whole activity, deterministic, and the same rows on every engine (no engine-specific
hashing). The ranking sorts only the keys (``request_id``, ``account_id``, ``timestamp``); the
text columns are fetched for the picked rows alone, so no query sorts or spills every prompt.
The sample is an engine expression, so an engine can run the text signals where the rows are
(see :meth:`distillguard.engine.Engine.request_signals`).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

__all__ = ["evenly_spaced_sample"]


def evenly_spaced_sample(t: ir.Table, per_account: int, columns: Sequence[str]) -> ir.Table:
    """``columns`` (which must include ``request_id``) of about ``per_account`` evenly spaced
    requests per account (all of an account's requests when it has fewer), in ``request_id``
    order: template ids and every pairing built on them must not depend on the order in which
    an engine happens to return rows."""
    keys = t.select("request_id", "account_id", "timestamp")
    w = ibis.window(group_by=keys.account_id, order_by=[keys.timestamp, keys.request_id])
    ranked = keys.mutate(
        _r=ibis.row_number().over(w), _n=ibis._.request_id.count().over(group_by="account_id")
    )
    step = ((ranked._n + per_account - 1) // per_account).cast("int64")
    picked = ranked.filter(ranked._r % step == 0).select("request_id")
    return t.select(*columns).semi_join(picked, "request_id").order_by("request_id")
