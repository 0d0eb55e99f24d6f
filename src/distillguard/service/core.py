"""The service's state and operations, independent of HTTP: :class:`Service`.

``create_app`` wraps one Service in FastAPI routes; the LiteLLM guardrail and the Envoy
``ext_authz`` plug-in call :meth:`Service.decision` directly (an in-memory lookup).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import polars as pl
import pyarrow.compute as pc

from distillguard.campaigns.allow import without_cleared_rows
from distillguard.engine.tables import conform
from distillguard.ingest import Workspace
from distillguard.pipeline.detect import detect
from distillguard.schema import rfc3339
from distillguard.service.auth import Principal
from distillguard.service.book import AuditEntry, CampaignBook, CampaignRecord
from distillguard.service.metrics import ServiceMetrics
from distillguard.service.policy import Decision, Verdict
from distillguard.service.settings import ServiceSettings
from distillguard.service.state import (
    LiveAccounts,
    LiveProfiles,
    Snapshot,
    build_snapshot,
    held_accounts,
)
from distillguard.service.webhooks import Notifier
from distillguard.service.writer import TABLE, IngestResult, IngestWriter

log = logging.getLogger("distillguard.service")


def _rfc3339(ts: datetime | None) -> str | None:
    return rfc3339(ts.astimezone(UTC)) if ts is not None else None


class Service:
    """One running service over one workspace. Thread-safe."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.workspace = Workspace(settings.workspace, memory_limit=settings.memory_limit)
        self.writer = IngestWriter(self.workspace, settings.privacy, settings.checkpoint_threshold)
        self.book = CampaignBook(self.writer)
        self.live = LiveAccounts()
        self.profiles = LiveProfiles(self.writer.cursor, TABLE)
        self.notifier = Notifier(settings.webhooks, settings.webhook_timeout, self.metrics)
        self._detect_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._matched: dict[str, tuple[str, str, str]] = {}  # account -> (campaign, kind, value)
        self._account_scores: dict[str, float] = {}
        # account -> campaign it was throttled for, unreviewed (policy.hold_formed; in memory:
        # a restart starts afresh from the next run)
        self._held: dict[str, str] = {}
        self._review: list[dict[str, Any]] = []
        self.snapshot = Snapshot()
        self.last_run: dict[str, Any] | None = None
        self.ingested_since_run = 0
        self._newest = 0.0
        self._load_live()
        self.rebuild()

    # -- ingest -----------------------------------------------------------------------------
    def _load_live(self) -> None:
        cur = self.writer.cursor()
        try:
            rows = cur.sql(
                f"SELECT account_id, count(*)::BIGINT AS exchanges, min(timestamp) AS first_seen,"
                f" max(timestamp) AS last_seen FROM {TABLE} GROUP BY account_id"
            ).to_arrow_table()
            self.ingested_since_run = int(
                cur.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]
            )
        finally:
            cur.close()
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        self.live.load(frame)
        if frame.height:
            newest = frame["last_seen"].max()
            if isinstance(newest, datetime):
                self._newest = newest.timestamp()
                self.metrics.newest_exchange.set(self._newest)

    def ingest(self, body: bytes, fmt: str = "jsonl", endpoint: str = "exchanges") -> IngestResult:
        """Store one request body (``fmt``: ``jsonl`` or ``otel``); update live state; return
        once durable."""
        t0 = time.perf_counter()
        result = self.writer.ingest(body, fmt, f"POST /v1/{endpoint}")
        if result.accepted:
            self.live.update(result.rows)
            self._match(result)
            self.ingested_since_run += result.accepted
            newest = pc.max(result.rows["timestamp"]).as_py()
            with self._state_lock:
                if newest is not None and newest.timestamp() > self._newest:
                    self._newest = newest.timestamp()
                    self.metrics.newest_exchange.set(self._newest)
        m = self.metrics
        m.ingested.inc(result.accepted)
        m.duplicates.inc(result.duplicates)
        for reason, n in result.reasons.items():
            m.quarantined.labels(reason).inc(n)
        m.ingest_latency.labels(endpoint).observe(time.perf_counter() - t0)
        if result.checkpoint_seconds is not None:
            m.checkpoint_seconds.observe(result.checkpoint_seconds)
        return result

    def _match(self, result: IngestResult) -> None:
        """Decide on arrival the accounts that use a known campaign's blockable indicator."""
        snap = self.snapshot
        if not snap.index.by_kind:
            return
        rows, cfg = result.rows, self.settings.detect_config
        if cfg is not None:  # cleared customers are never decided on arrival either
            rows = without_cleared_rows(rows, cfg.allow_orgs or (), cfg.allow_accounts or ())
        hits = snap.index.match(rows)
        if not hits:
            return
        new = []
        with self._state_lock:
            snap = self.snapshot  # decisions may have changed since the match began
            for account, cid, kind, value in hits:
                if account in self._matched:
                    continue
                self._matched[account] = (cid, kind, value)
                d = self._match_decision(account, snap.campaign_verdicts)
                cur = snap.decisions.get(account)
                if cur is None or Verdict.of(cur.decision) < Verdict.of(d.decision):
                    new.append(d)
            if new:
                decisions = dict(snap.decisions)
                for d in new:
                    decisions[d.account_id] = d
                self.snapshot = Snapshot(decisions, snap.campaign_verdicts, snap.index)
            joined: dict[str, list[str]] = {}
            for d in new:
                if d.campaign_id is not None:
                    joined.setdefault(d.campaign_id, []).append(d.account_id)
            matched = Counter(cid for cid, _, _ in self._matched.values())
        self.metrics.indicator_matches.inc(len(new))
        for cid, accounts in joined.items():
            self._arrival_event(cid, accounts, matched[cid], snap)

    def _arrival_event(self, cid: str, accounts: list[str], matched: int, snap: Snapshot) -> None:
        """``campaign.grew`` when new accounts were decided on arrival for a campaign: its
        account count is the detected accounts plus those matched on arrival so far."""
        rec = self.book.records.get(cid)
        base = len(rec.accounts) if rec is not None else 0
        decision = snap.campaign_verdicts.get(cid, Verdict.ALLOW).label
        self.notifier.send(
            {
                "event": "campaign.grew",
                "campaign_id": cid,
                "decision": decision,
                "previous_decision": decision,
                "account_count": base + matched,
                "previous_account_count": base + matched - len(accounts),
                "accounts_decided_on_arrival": sorted(accounts),
                "cause": "on_arrival",
                "at": _rfc3339(datetime.now(UTC)),
            }
        )

    def _match_decision(self, account: str, verdicts: dict[str, Verdict]) -> Decision:
        """The on-arrival decision: the policy's ``indicator_decision``, never stronger than
        the decision of the campaign whose indicator the account used, nor than
        ``indicator_unreviewed`` while no analyst has confirmed or blocked that campaign (one
        shared value is all the evidence there is about the newcomer)."""
        policy = self.settings.policy
        cid, kind, value = self._matched[account]
        decided = min(Verdict.of(policy.indicator_decision), verdicts.get(cid, Verdict.ALLOW))
        rec = self.book.records.get(cid)
        if rec is None or rec.status not in ("confirmed", "blocked"):
            decided = min(decided, Verdict.of(policy.indicator_unreviewed))
        return Decision(
            account,
            decided.label,
            cid,
            0.0,
            (f"uses {kind} {value} of campaign {cid}, decided on arrival",),
        )

    # -- decisions --------------------------------------------------------------------------
    @property
    def review(self) -> list[dict[str, Any]]:
        """The latest detection run's review queue (campaigns.json ``review``)."""
        return list(self._review)

    def decision(self, account_id: str) -> Decision:
        """The current decision for an account (``allow`` when unknown). A dict lookup."""
        d = self.snapshot.decisions.get(account_id)
        if d is None:
            d = Decision(account_id)
        self.metrics.decisions_served.labels(d.decision).inc()
        return d

    def rebuild(self) -> None:
        """Recompute the decision snapshot from the book (after a run or an action)."""
        policy = self.settings.policy
        with self.book.lock:
            records = list(self.book.records.values())
            snap = build_snapshot(records, policy, self._account_scores, self._review, self._held)
            self._held = held_accounts(snap, records, policy, self._held)
        with self._state_lock:
            decisions = dict(snap.decisions)
            for account, (cid, kind, value) in list(self._matched.items()):
                if snap.index.by_kind.get(kind, {}).get(value) != cid:
                    del self._matched[account]  # the indicator no longer propagates
                    continue
                d = self._match_decision(account, snap.campaign_verdicts)
                cur = decisions.get(account)
                if cur is None or Verdict.of(cur.decision) < Verdict.of(d.decision):
                    decisions[account] = d
            self.snapshot = Snapshot(decisions, snap.campaign_verdicts, snap.index)
        counts: dict[str, int] = {v.label: 0 for v in Verdict if v is not Verdict.ALLOW}
        for d in decisions.values():
            counts[d.decision] = counts.get(d.decision, 0) + 1
        for label, n in counts.items():
            self.metrics.accounts_decided.labels(label).set(n)
        statuses: dict[str, int] = {"open": 0, "confirmed": 0, "dismissed": 0, "blocked": 0}
        for r in records:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        for status, n in statuses.items():
            self.metrics.campaigns.labels(status).set(n)

    # -- detection --------------------------------------------------------------------------
    def run_detection(self) -> dict[str, Any]:
        """Detect over the sliding window with the batch pipeline's :func:`detect`, update the
        book and decisions, fire webhooks; return the run's summary. One run at a time."""
        with self._detect_lock:
            t0 = time.perf_counter()
            try:
                summary = self._detect()
            except Exception:
                self.metrics.detection_runs.labels("failed").inc()
                raise
            self.metrics.detection_runs.labels("ok").inc()
            self.metrics.detection_seconds.observe(time.perf_counter() - t0)
            summary["seconds"] = round(time.perf_counter() - t0, 3)
            self.last_run = summary
            return summary

    def _detect(self) -> dict[str, Any]:
        run_id = uuid.uuid4().hex[:12]
        pending = self.ingested_since_run
        before = self._campaign_view()
        cur = self.writer.cursor()
        try:
            # One transaction: every query of the run sees the same snapshot while ingest goes on.
            cur.execute("BEGIN TRANSACTION")
            n, newest = cur.execute(f"SELECT count(*), max(timestamp) FROM {TABLE}").fetchall()[0]
            if n == 0:
                cur.execute("ROLLBACK")
                return {"run_id": run_id, "exchanges": 0, "accounts": 0, "campaigns": 0,
                        "flagged_accounts": 0, "window": None, "events": []}  # fmt: skip
            start = newest - timedelta(days=self.settings.window_days)
            t = ibis.duckdb.from_connection(cur).table(TABLE)
            t = t.filter(t.timestamp >= ibis.literal(start))
            det = detect(conform(t), self.settings.detect_config)
            cur.execute("ROLLBACK")
        finally:
            cur.close()
        self.ingested_since_run = max(0, self.ingested_since_run - pending)
        docs = [c.to_json() for c in det.campaigns]
        mapping = self.book.absorb(docs)
        self._account_scores = {a.account_id: a.score for a in det.accounts if a.flagged}
        # campaigns.json v2's review queue (near misses, lookalikes, single accounts), if any.
        review = [r.to_json() if hasattr(r, "to_json") else r for r in getattr(det, "review", [])]
        self._review = [r for r in review if isinstance(r, dict)]
        self.rebuild()
        events = self._events(before, self._campaign_view(), run_id)
        for e in events:
            self.notifier.send(e)
        return {
            "run_id": run_id,
            "window": {"from": _rfc3339(start), "to": _rfc3339(newest)},
            "exchanges": int(det.summary.get("exchanges", 0)),
            "accounts": int(det.summary.get("accounts", 0)),
            "flagged_accounts": int(det.summary.get("flagged_accounts", 0)),
            "campaigns": len(docs),
            "campaign_ids": {k: v for k, v in mapping.items()},
            "timings": det.summary.get("timings", {}),
            "events": [{"event": e["event"], "campaign_id": e["campaign_id"]} for e in events],
        }

    def _campaign_view(self) -> dict[str, tuple[int, str]]:
        verdicts = self.snapshot.campaign_verdicts
        with self.book.lock:
            return {
                cid: (len(r.accounts), verdicts.get(cid, Verdict.ALLOW).label)
                for cid, r in self.book.records.items()
                if r.in_latest_run or cid in verdicts
            }

    def _events(
        self, before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]], cause: str
    ) -> list[dict[str, Any]]:
        events = []
        for cid, (size, decision) in after.items():
            kind = None
            prev = before.get(cid)
            if prev is None:
                kind = "campaign.appeared"
            elif decision != prev[1]:
                kind = "campaign.decision_changed"
            elif size > prev[0]:
                kind = "campaign.grew"
            if kind:
                events.append(
                    {
                        "event": kind,
                        "campaign_id": cid,
                        "decision": decision,
                        "previous_decision": prev[1] if prev else None,
                        "account_count": size,
                        "previous_account_count": prev[0] if prev else None,
                        "cause": cause,
                        "at": _rfc3339(datetime.now(UTC)),
                    }
                )
        return events

    # -- campaigns and actions --------------------------------------------------------------
    def campaign_json(self, rec: CampaignRecord, *, with_audit: bool = False) -> dict[str, Any]:
        verdict = self.snapshot.campaign_verdicts.get(rec.campaign_id, Verdict.ALLOW)
        out = {
            **rec.doc,
            "account_count": rec.doc.get("account_count", len(rec.accounts)),
            "status": rec.status,
            "decision": verdict.label,
            "assignee": rec.assignee,
            "in_latest_run": rec.in_latest_run,
            "first_detected": _rfc3339(rec.first_detected),
            "last_detected": _rfc3339(rec.last_detected),
            "dismissed_accounts": sorted(rec.dismissed_accounts),
            "dismissed_indicators": [
                {"kind": k, "value": v} for k, v in sorted(rec.dismissed_indicators)
            ],
        }
        if with_audit:
            out["audit"] = [e.to_json() for e in self.book.trail(rec.campaign_id)]
        return out

    def campaigns(self) -> list[dict[str, Any]]:
        with self.book.lock:
            recs = sorted(
                self.book.records.values(),
                key=lambda r: (not r.in_latest_run, -float(r.doc.get("score") or 0.0)),
            )
            return [self.campaign_json(r) for r in recs]

    def campaign(self, campaign_id: str) -> dict[str, Any] | None:
        with self.book.lock:
            rec = self.book.records.get(campaign_id)
            return None if rec is None else self.campaign_json(rec, with_audit=True)

    def act(
        self,
        campaign_id: str,
        action: str,
        principal: Principal,
        note: str | None = None,
        target: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Record an analyst action; decisions follow before this returns."""
        before = self._campaign_view()
        entry = self.book.act(campaign_id, action, principal, note, target)
        self.rebuild()
        for e in self._events(before, self._campaign_view(), f"action:{action}"):
            self.notifier.send(e)
        return entry

    def examples(
        self, campaign_id: str, limit: int = 10, text_chars: int = 500
    ) -> list[dict[str, Any]]:
        """Example exchanges of a campaign for the case view: the evidence's request ids when
        the campaign names some, else its accounts' latest exchanges. Text is cut to
        ``text_chars`` characters (0: no text at all); nothing is returned for unknown ids."""
        rec = self.book.records.get(campaign_id)
        if rec is None:
            raise KeyError(campaign_id)
        ids = [
            str(r)
            for ev in rec.doc.get("evidence", [])
            if isinstance(ev, dict)
            for r in ev.get("request_ids", [])
        ][:limit]
        text = (
            f"left(prompt, {int(text_chars)}) AS prompt, left(response, {int(text_chars)}) "
            "AS response"
            if text_chars > 0
            else "NULL AS prompt, NULL AS response"
        )
        cols = f"request_id, timestamp, account_id, model, status, {text}"
        cur = self.writer.cursor()
        try:
            if ids:
                rows = cur.execute(
                    f"SELECT {cols} FROM {TABLE} WHERE request_id IN (SELECT unnest(?)) "
                    "ORDER BY timestamp LIMIT ?",
                    [ids, limit],
                ).fetchall()
            else:
                rows = cur.execute(
                    f"SELECT {cols} FROM {TABLE} WHERE account_id IN (SELECT unnest(?)) "
                    "ORDER BY timestamp DESC LIMIT ?",
                    [rec.accounts, limit],
                ).fetchall()
            names = [d[0] for d in cur.description or []]
        finally:
            cur.close()
        out = []
        for row in rows:
            item = dict(zip(names, row, strict=True))
            item["timestamp"] = _rfc3339(item["timestamp"])
            out.append(item)
        return out

    def fold_state(self) -> int:
        """Fold newly stored exchanges into the live per-account state; return how many."""
        t0 = time.perf_counter()
        n = self.profiles.fold()
        if n:
            self.metrics.state_fold_seconds.observe(time.perf_counter() - t0)
        return n

    def close(self) -> None:
        self.profiles.close()
        self.notifier.close()
        self.writer.close()
