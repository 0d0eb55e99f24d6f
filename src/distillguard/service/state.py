"""Live state: per-account aggregates updated on every batch, and the decision snapshot.

Two layers of mergeable per-account state. :class:`LiveAccounts` (count, first and last seen) is
updated by every acknowledged body with one vectorised group-by, so it is never behind.
:class:`LiveProfiles` holds the detector's own mergeable aggregates
(:class:`~distillguard.accounts.AccountState`: shares, moments, exact small sets, a KMV sketch of
distinct prompts, gap histograms) and folds the newly stored exchanges into them in the
background every few seconds: an ``AccountState.of`` costs about a second whatever its size, too
much per body at 20 k exchanges/s, while a fold of everything since the last one costs the same
and merges exactly. The decision snapshot is an immutable dict
rebuilt after each detection run or analyst action and swapped in one assignment, so
``GET /v1/accounts/{id}/decision`` is a dictionary lookup: no database query per call.
Indicators of decided campaigns are matched on arrival with Arrow's ``is_in`` over whole columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ibis
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.accounts import AccountState
from distillguard.engine.tables import conform
from distillguard.service.book import CampaignRecord
from distillguard.service.policy import Decision, Policy, Verdict

# Indicator kinds that are columns of a stored exchange, matched on arrival.
ROW_KINDS = (
    "ip_prefix",
    "asn",
    "tls_fingerprint",
    "user_agent",
    "payment_fingerprint",
    "email_domain",
    "ip",
)
TEMPLATE_KIND = "prompt_template"
_FOLD_VIEW = "dg_fold_rows"

_EMPTY = pl.DataFrame(
    schema={
        "account_id": pl.String,
        "exchanges": pl.Int64,
        "first_seen": pl.Datetime("us", "UTC"),
        "last_seen": pl.Datetime("us", "UTC"),
    }
)


class LiveAccounts:
    """Exchanges, first and last seen per account since the service's workspace began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _EMPTY
        self._pending: list[pl.DataFrame] = []

    @staticmethod
    def aggregate(rows: pa.Table) -> pl.DataFrame:
        frame = pl.from_arrow(rows.select(["account_id", "timestamp"]))
        assert isinstance(frame, pl.DataFrame)
        return frame.group_by("account_id").agg(
            pl.len().cast(pl.Int64).alias("exchanges"),
            pl.col("timestamp").min().alias("first_seen"),
            pl.col("timestamp").max().alias("last_seen"),
        )

    def update(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        part = self.aggregate(rows)
        with self._lock:
            self._pending.append(part)
            if len(self._pending) >= 64:
                self._compact()

    def _compact(self) -> None:
        if self._pending:
            merged = pl.concat([self._state, *self._pending], how="vertical_relaxed")
            self._state = merged.group_by("account_id").agg(
                pl.col("exchanges").sum(), pl.col("first_seen").min(), pl.col("last_seen").max()
            )
            self._pending = []

    def frame(self) -> pl.DataFrame:
        with self._lock:
            self._compact()
            return self._state

    def get(self, account_id: str) -> dict[str, Any] | None:
        rows = self.frame().filter(pl.col("account_id") == account_id).to_dicts()
        return rows[0] if rows else None

    def load(self, frame: pl.DataFrame) -> None:
        """Start from aggregates computed elsewhere (the stored exchanges, at start-up)."""
        with self._lock:
            self._state = frame.select(_EMPTY.columns).cast(dict(_EMPTY.schema))  # type: ignore[arg-type]
            self._pending = []


class LiveProfiles:
    """Every stored exchange folded into one :class:`~distillguard.accounts.AccountState`.

    The workspace is append-only for the service, so DuckDB's ``rowid`` orders stored rows: each
    :meth:`fold` reads the rows past its watermark in one read transaction (ingest goes on) and
    merges their state in. Nothing is buffered in memory between folds, and a restart refolds
    the workspace from the start (the first fold after start-up covers all stored rows).
    """

    def __init__(self, connect: Callable[[], duckdb.DuckDBPyConnection], table: str) -> None:
        self._connect = connect
        self._table = table
        self._lock = threading.Lock()
        self.state = AccountState()
        self.watermark = 0  # rowids below this are folded in
        self.folded = 0
        self.closed = False

    def fold(self) -> int:
        """Fold in the exchanges stored since the last fold; return how many."""
        with self._lock:
            if self.closed:
                return 0
            cur = self._connect()
            try:
                cur.execute("BEGIN TRANSACTION")
                (hi,) = cur.execute(
                    f"SELECT coalesce(max(rowid) + 1, 0) FROM {self._table}"
                ).fetchall()[0]
                lo = self.watermark
                if hi <= lo:
                    cur.execute("ROLLBACK")
                    return 0
                # A connection-local view: ibis reads the new rows as a table.
                cur.execute(
                    f"CREATE OR REPLACE TEMP VIEW {_FOLD_VIEW} AS SELECT * FROM {self._table} "
                    f"WHERE rowid >= {int(lo)} AND rowid < {int(hi)}"
                )
                part = AccountState.of(conform(ibis.duckdb.from_connection(cur).table(_FOLD_VIEW)))
                n = int(part.parts["n"].sum()) if len(part) else 0
                cur.execute("ROLLBACK")
            finally:
                cur.close()
            self.state = AccountState(self.state.parts).merge(part)
            self.watermark = hi
            self.folded += n
            return n

    def close(self) -> None:
        """Wait for a running fold to finish; fold no more (the connection is closing)."""
        with self._lock:
            self.closed = True

    def features(self, account_id: str) -> dict[str, Any] | None:
        """The account's mergeable features as of the last fold, or None if not yet folded."""
        state = self.state
        if not len(state):
            return None
        mine = state.parts.filter(pl.col("account_id") == account_id)
        if mine.height == 0:
            return None
        return AccountState(mine).features().to_dicts()[0]


def indicators_of(doc: dict[str, Any], policy: Policy) -> list[dict[str, Any]]:
    """A campaign's indicators as ``[{"kind", "value", "blockable", ...}]`` whatever the
    campaigns.json version (v1: ``{kind: [{"value", ...}]}`` without ``blockable``)."""
    raw = doc.get("indicators") or []
    out: list[dict[str, Any]] = []
    if isinstance(raw, dict):
        for kind, items in raw.items():
            for item in items or []:
                value = item.get("value") if isinstance(item, dict) else item
                out.append(
                    {
                        **(item if isinstance(item, dict) else {}),
                        "kind": kind,
                        "value": value,
                        "blockable": kind in policy.fallback_blockable_kinds,
                    }
                )
    else:
        for item in raw:
            if isinstance(item, dict) and "kind" in item:
                blockable = item.get("blockable")
                if blockable is None:
                    blockable = item["kind"] in policy.fallback_blockable_kinds
                out.append({**item, "blockable": bool(blockable)})
    return out


@dataclass(frozen=True)
class IndicatorIndex:
    """Blockable indicators of campaigns whose decision propagates: kind -> value -> campaign."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)

    def match(self, rows: pa.Table) -> list[tuple[str, str, str, str]]:
        """``(account_id, campaign_id, kind, value)`` for each distinct account/indicator pair in
        ``rows`` (stored form) that hits the index. Vectorised per column."""
        hits: list[tuple[str, str, str, str]] = []
        for kind, values in self.by_kind.items():
            if not values:
                continue
            if kind == TEMPLATE_KIND:
                accounts, found = _template_hits(rows, values)
            elif kind in rows.column_names:
                column = pc.cast(rows[kind], pa.string())
                wanted = pa.array(list(values), pa.string())
                mask = pc.fill_null(pc.is_in(column, value_set=wanted), False)
                if not pc.any(mask).as_py():
                    continue
                accounts, found = rows["account_id"].filter(mask), column.filter(mask)
            else:
                continue
            if len(accounts) == 0:
                continue
            pairs = pl.from_arrow(pa.table({"account_id": accounts, "value": found}))
            assert isinstance(pairs, pl.DataFrame)
            pairs = pairs.unique()
            hits.extend((a, values[v], kind, v) for a, v in pairs.iter_rows())
        return hits


def _template_hits(rows: pa.Table, values: dict[str, str]) -> tuple[pa.Array, pa.Array]:
    """Accounts and template fingerprints (hex, as in campaigns.json) of the rows whose prompt
    has one of the fingerprints in ``values``; compared as integers over the whole column."""
    empty = pa.array([], pa.string())
    if "prompt" not in rows.column_names or rows.num_rows == 0:
        return empty, empty
    from distillguard.signals.skeleton import fingerprints

    present = pc.is_valid(rows["prompt"])
    if not pc.any(present).as_py():
        return empty, empty
    kept = rows.filter(present)
    fps = fingerprints(kept["prompt"].combine_chunks())
    wanted = np.array([int(v, 16) for v in values], dtype=np.uint64)
    mask = np.isin(fps, wanted)
    if not mask.any():
        return empty, empty
    hexes = pa.array([f"{int(fp):016x}" for fp in np.unique(fps[mask])], pa.string())
    fp_arr = pa.array(np.unique(fps[mask]))
    labels = pc.take(hexes, pc.index_in(pa.array(fps[mask]), value_set=fp_arr))
    return kept["account_id"].filter(pa.array(mask)).combine_chunks(), labels


def held_accounts(
    snap: Snapshot, records: Iterable[CampaignRecord], policy: Policy, held: Mapping[str, str]
) -> dict[str, str]:
    """``held`` updated with the snapshot: accounts its campaigns decide ``policy.formed`` or
    more join (first campaign kept); those whose campaign or own finding was dismissed leave."""
    if policy.formed is None or not policy.hold_formed:
        return {}
    by_id = {r.campaign_id: r for r in records}
    floor = Verdict.of(policy.formed)
    out = dict(held)
    for d in snap.decisions.values():
        if d.campaign_id is not None and Verdict.of(d.decision) >= floor > Verdict.ALLOW:
            out.setdefault(d.account_id, d.campaign_id)
    return {
        acc: cid
        for acc, cid in out.items()
        if (rec := by_id.get(cid)) is not None
        and rec.status != "dismissed"
        and acc not in rec.dismissed_accounts
    }


@dataclass(frozen=True)
class Snapshot:
    """Decisions for every flagged account, campaign decisions, and the indicator index."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    campaign_verdicts: dict[str, Verdict] = field(default_factory=dict)
    index: IndicatorIndex = field(default_factory=IndicatorIndex)


def campaign_verdict(rec: CampaignRecord, policy: Policy) -> tuple[Verdict, str] | None:
    """The decision a campaign gives its accounts and why, or None when it gives none."""
    score = float(rec.doc.get("score") or 0.0)
    if rec.status == "blocked":
        return Verdict.BLOCK, f"campaign {rec.campaign_id} blocked by an analyst"
    if rec.status == "confirmed":
        return Verdict.of(policy.confirmed), f"campaign {rec.campaign_id} confirmed by an analyst"
    if rec.status == "dismissed" or not rec.in_latest_run:
        return None
    threshold = rec.doc.get("threshold")
    blockable = sum(
        1
        for ind in indicators_of(rec.doc, policy)
        if ind["blockable"]
        and (str(ind["kind"]), str(ind["value"])) not in rec.dismissed_indicators
    )
    v = policy.open_campaign(
        score,
        rec.doc.get("recommended_action"),
        threshold=None if threshold is None else float(threshold),
        blockable=blockable,
    )
    if v is Verdict.ALLOW:
        return None
    return v, f"campaign {rec.campaign_id} detected (score {score:.2f}, unreviewed)"


def _evidence_reasons(doc: dict[str, Any], limit: int = 3) -> list[str]:
    out = []
    for ev in doc.get("evidence", [])[:limit]:
        if isinstance(ev, dict):
            text = ev.get("text") or ev.get("description") or ev.get("signal")
            if text:
                out.append(str(text))
    return out


def build_snapshot(
    records: Iterable[CampaignRecord],
    policy: Policy,
    account_scores: dict[str, float],
    review: list[dict[str, Any]],
    held: Mapping[str, str] | None = None,
) -> Snapshot:
    """Decide every account named by a campaign, held for one, or in the review queue (strongest
    rule wins). ``held``: account -> the campaign it was once decided ``policy.formed`` or more
    for (see :func:`held_accounts`)."""
    records = list(records)
    decisions: dict[str, Decision] = {}
    verdicts: dict[str, Verdict] = {}
    index: dict[str, dict[str, str]] = {}

    def offer(d: Decision) -> None:
        cur = decisions.get(d.account_id)
        if cur is None or (Verdict.of(d.decision), d.score) > (Verdict.of(cur.decision), cur.score):
            decisions[d.account_id] = d

    propagate = {Verdict.of(v) for v in policy.indicator_from}
    for rec in records:
        got = campaign_verdict(rec, policy)
        if got is None:
            continue
        verdict, why = got
        verdicts[rec.campaign_id] = verdict
        reasons = (why, *_evidence_reasons(rec.doc))
        cscore = float(rec.doc.get("score") or 0.0)
        for acc in rec.accounts:
            if acc in rec.dismissed_accounts:
                continue
            offer(
                Decision(
                    acc, verdict.label, rec.campaign_id, account_scores.get(acc, cscore), reasons
                )
            )
        if verdict in propagate:
            for ind in indicators_of(rec.doc, policy):
                key = (str(ind["kind"]), str(ind["value"]))
                if ind["blockable"] and key not in rec.dismissed_indicators:
                    index.setdefault(key[0], {})[key[1]] = rec.campaign_id
    if held and policy.formed is not None and policy.hold_formed:
        by_id = {r.campaign_id: r for r in records}
        floor = Verdict.of(policy.formed)
        for acc, cid in held.items():
            owner = by_id.get(cid)
            if owner is None or owner.status == "dismissed" or acc in owner.dismissed_accounts:
                continue
            held_why = (
                f"decided {floor.label} for campaign {cid} by an earlier run; held until an "
                "analyst reviews it",
            )
            score = float(owner.doc.get("score") or 0.0)
            offer(Decision(acc, floor.label, cid, score, held_why))
    if policy.review_queue is not None:
        rv = Verdict.of(policy.review_queue)
        for entry in review:
            reasons = tuple(str(r) for r in entry.get("reasons", [])) or ("in the review queue",)
            for acc in entry.get("accounts", []):
                offer(Decision(str(acc), rv.label, None, float(entry.get("score") or 0.0), reasons))
    if not policy.match_templates:
        index.pop(TEMPLATE_KIND, None)
    return Snapshot(decisions, verdicts, IndicatorIndex(index))
