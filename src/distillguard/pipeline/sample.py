"""The bounded request sample that the text signals see.

Every ``ceil(n / per_account)``-th request of each account in time order: spread over the
account's whole activity, deterministic, and the same rows on every engine (no engine-specific
hashing). The ranking sorts only the keys (``request_id``, ``account_id``, ``timestamp``); the
text columns are fetched for the picked rows alone, so no query sorts or spills every prompt.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

__all__ = ["evenly_spaced_sample"]

_RANK = "_r"


def evenly_spaced_sample(t: ir.Table, per_account: int, columns: Sequence[str]) -> pa.Table:
    """``columns`` of about ``per_account`` evenly spaced requests per account (all of an account's
    requests when it has fewer). Rows come back grouped by account, in time order within one."""
    keys = t.select("request_id", "account_id", "timestamp")
    w = ibis.window(group_by=keys.account_id, order_by=[keys.timestamp, keys.request_id])
    ranked = keys.mutate(
        _r=ibis.row_number().over(w), _n=ibis._.request_id.count().over(group_by="account_id")
    )
    step = ((ranked._n + per_account - 1) // per_account).cast("int64")
    picked = ranked.filter(ranked._r % step == 0).select("request_id")
    wanted = list(dict.fromkeys([*columns, "request_id", "account_id", "timestamp"]))
    rows = t.select(*wanted).semi_join(picked, "request_id")
    # The same per-account window over the picked rows only: the engine returns them grouped by
    # account and in time order, as the ranking over the whole table did. The rank is kept in the
    # query (an engine drops an unused window) and removed here.
    order = ibis.window(group_by=rows.account_id, order_by=[rows.timestamp, rows.request_id])
    table = rows.mutate(**{_RANK: ibis.row_number().over(order)}).to_pyarrow()
    return table.select(list(columns))
