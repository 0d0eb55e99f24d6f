"""The campaign book: every campaign the service has seen, its analyst status and audit trail.

Detection runs hand over their campaigns (:meth:`CampaignBook.absorb`); a campaign keeps its
service id from run to run when it holds most of the same accounts as one already in the book, so
analyst actions stay attached to it even if a run numbers campaigns differently. Actions are
appended to ``dg_audit`` and the book to ``dg_campaigns`` in the workspace database, through the
one writer, so both survive a restart; statuses are recomputed by replaying the audit log.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from distillguard.errors import InputError
from distillguard.schema import rfc3339
from distillguard.service.auth import Principal
from distillguard.service.writer import IngestWriter

ACTIONS = ("confirm", "dismiss", "block", "assign", "comment")
STATUS_OF_ACTION = {"confirm": "confirmed", "dismiss": "dismissed", "block": "blocked"}
OVERLAP = 0.5  # share of the smaller campaign's accounts that makes two runs' campaigns one


@dataclass(frozen=True)
class AuditEntry:
    """One analyst action, as recorded (who is a role + key fingerprint, never the key)."""

    seq: int
    at: datetime
    campaign_id: str
    action: str
    actor: str
    note: str | None = None
    target: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": rfc3339(self.at),
            "campaign_id": self.campaign_id,
            "action": self.action,
            "actor": self.actor,
            "note": self.note,
            "target": self.target,
        }


@dataclass
class CampaignRecord:
    """A campaign as the service knows it: the latest detection document plus analyst state."""

    campaign_id: str
    doc: dict[str, Any]
    first_detected: datetime
    last_detected: datetime
    in_latest_run: bool = True
    status: str = "open"
    assignee: str | None = None
    dismissed_accounts: set[str] = field(default_factory=set)
    dismissed_indicators: set[tuple[str, str]] = field(default_factory=set)

    @property
    def accounts(self) -> list[str]:
        return [str(a) for a in self.doc.get("accounts", [])]

    def apply(self, entry: AuditEntry) -> None:
        """Update the analyst state with one action (used live and when replaying the log)."""
        target = entry.target or {}
        if entry.action == "dismiss" and target:
            if "account_id" in target:
                self.dismissed_accounts.add(str(target["account_id"]))
            ind = target.get("indicator")
            if isinstance(ind, dict):
                self.dismissed_indicators.add((str(ind.get("kind")), str(ind.get("value"))))
        elif entry.action in STATUS_OF_ACTION:
            self.status = STATUS_OF_ACTION[entry.action]
        elif entry.action == "assign":
            self.assignee = str(target.get("assignee") or entry.note or entry.actor)


def _now() -> datetime:
    return datetime.now(UTC)


class CampaignBook:
    """Campaign records and the audit log, persisted through the service's writer."""

    def __init__(self, writer: IngestWriter) -> None:
        self.writer = writer
        self.lock = threading.RLock()
        self.records: dict[str, CampaignRecord] = {}
        self.audit: list[AuditEntry] = []
        writer.execute(
            "CREATE TABLE IF NOT EXISTS dg_campaigns (campaign_id VARCHAR, doc VARCHAR, "
            "first_detected TIMESTAMPTZ, last_detected TIMESTAMPTZ, in_latest_run BOOLEAN)"
        )
        writer.execute(
            "CREATE TABLE IF NOT EXISTS dg_audit (seq BIGINT, acted_at TIMESTAMPTZ, "
            "campaign_id VARCHAR, action VARCHAR, actor VARCHAR, note VARCHAR, target VARCHAR)"
        )
        self._load()

    def _load(self) -> None:
        cur = self.writer.cursor()
        try:
            for cid, doc, first, last, latest in cur.execute(
                "SELECT * FROM dg_campaigns ORDER BY campaign_id"
            ).fetchall():
                self.records[cid] = CampaignRecord(cid, json.loads(doc), first, last, bool(latest))
            for seq, at, cid, action, actor, note, target in cur.execute(
                "SELECT * FROM dg_audit ORDER BY seq"
            ).fetchall():
                entry = AuditEntry(seq, at, cid, action, actor, note, json.loads(target or "null"))
                self.audit.append(entry)
                if cid in self.records:
                    self.records[cid].apply(entry)
        finally:
            cur.close()

    # -- detection runs -------------------------------------------------------------------
    def absorb(self, docs: list[dict[str, Any]]) -> dict[str, str]:
        """Take one detection run's campaigns; return ``{detect id: service id}``.

        Largest campaigns claim ids first; a campaign reuses the id of the book's campaign that
        shares the most accounts with it (at least :data:`OVERLAP` of the smaller one)."""
        now = _now()
        mapping: dict[str, str] = {}
        with self.lock:
            old_sets = {cid: set(r.accounts) for cid, r in self.records.items()}
            claimed: set[str] = set()
            for doc in sorted(docs, key=lambda d: -len(d.get("accounts", []))):
                accounts = {str(a) for a in doc.get("accounts", [])}
                best, best_share = None, 0.0
                for cid, old in old_sets.items():
                    if cid in claimed or not old or not accounts:
                        continue
                    share = len(accounts & old) / min(len(accounts), len(old))
                    if share >= OVERLAP and share > best_share:
                        best, best_share = cid, share
                detected_as = str(doc.get("campaign_id"))
                sid = best or self._fresh_id(detected_as, claimed)
                claimed.add(sid)
                mapping[detected_as] = sid
                new_doc = {**doc, "campaign_id": sid, "detected_as": detected_as}
                rec = self.records.get(sid)
                if rec is None:
                    self.records[sid] = CampaignRecord(sid, new_doc, now, now, True)
                else:
                    rec.doc, rec.last_detected, rec.in_latest_run = new_doc, now, True
            for cid, rec in self.records.items():
                if cid not in claimed:
                    rec.in_latest_run = False
            self._persist()
        return mapping

    def _fresh_id(self, wanted: str, claimed: set[str]) -> str:
        if wanted not in self.records and wanted not in claimed:
            return wanted
        n = 2
        while f"{wanted}-{n}" in self.records or f"{wanted}-{n}" in claimed:
            n += 1
        return f"{wanted}-{n}"

    def _persist(self) -> None:
        rows = [
            (r.campaign_id, json.dumps(r.doc, default=str), r.first_detected, r.last_detected,
             r.in_latest_run)
            for r in self.records.values()
        ]  # fmt: skip
        with self.writer.lock:
            con = self.writer.con
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("DELETE FROM dg_campaigns")
                if rows:
                    con.executemany("INSERT INTO dg_campaigns VALUES (?, ?, ?, ?, ?)", rows)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # -- analyst actions --------------------------------------------------------------------
    def act(
        self,
        campaign_id: str,
        action: str,
        principal: Principal,
        note: str | None = None,
        target: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Record one action durably, then apply it. Raises KeyError for an unknown campaign and
        InputError for an unknown action or a target that the action does not take."""
        if action not in ACTIONS:
            raise InputError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
        if target and action not in ("dismiss", "assign"):
            raise InputError(f"action {action!r} takes no target")
        with self.lock:
            rec = self.records[campaign_id]
            seq = (self.audit[-1].seq + 1) if self.audit else 1
            entry = AuditEntry(seq, _now(), campaign_id, action, principal.name, note, target)
            self.writer.execute(
                "INSERT INTO dg_audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                [entry.seq, entry.at, campaign_id, action, entry.actor, note,
                 json.dumps(target) if target else None],
            )  # fmt: skip
            self.audit.append(entry)
            rec.apply(entry)
        return entry

    def trail(self, campaign_id: str) -> list[AuditEntry]:
        with self.lock:
            return [e for e in self.audit if e.campaign_id == campaign_id]
