"""Detection quality against simulator ground truth, computed in DuckDB over whole tables.

Definitions (see docs/evaluation.md): an account is *positive* when labelled ``attack`` and
*predicted positive* when ``flagged`` in ``accounts.csv``. Exchange recall counts attack-labelled
exchanges (``request_labels.parquet``) whose billed account is flagged. Ratios with an empty
denominator are defined so that "nothing to find / nothing claimed" is not a failure: precision is
1 when nothing is flagged, recall is 1 when there is no attack; per-campaign shares are ``None``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from distillguard.evaluate.inputs import connect, load_detections, load_truth


@dataclass(frozen=True)
class PersonaRate:
    """False-positive rate for one legitimate persona."""

    persona: str
    accounts: int
    flagged: int

    @property
    def fpr(self) -> float:
        return self.flagged / self.accounts if self.accounts else 0.0


@dataclass(frozen=True)
class TrueCampaignResult:
    """How one simulated campaign was detected."""

    campaign_id: str
    accounts: int
    flagged: int
    share_flagged: float | None
    grouped: int
    """Accounts under the single most common detected campaign id."""
    share_grouped: float | None
    detected_ids: dict[str, int]
    """Detected campaign id -> how many of this campaign's accounts carry it (largest first)."""
    exchanges: int
    exchanges_caught: int
    exchange_recall: float | None


@dataclass(frozen=True)
class DetectedCampaignResult:
    """How pure one detected campaign is."""

    campaign_id: str
    accounts: int
    dominant_campaign: str | None
    dominant_accounts: int
    benign_accounts: int
    unknown_accounts: int
    """Accounts the ground truth does not know."""
    purity: float | None


@dataclass(frozen=True)
class CalibrationBin:
    """Accounts scored in ``[low, high)`` and how many of them are labelled ``attack``."""

    low: float
    high: float
    accounts: int
    attack: int
    campaigns: int = 0

    @property
    def precision(self) -> float | None:
        return self.attack / self.accounts if self.accounts else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "precision": self.precision}


CALIBRATION_BINS = 10


@dataclass
class Evaluation:
    """Every figure ``distillguard evaluate`` reports."""

    attack_accounts: int
    benign_accounts: int
    flagged_accounts: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    attack_exchanges: int
    attack_exchanges_caught: int
    exchange_recall: float
    benign_flagged: int
    fpr_overall: float
    personas: list[PersonaRate] = field(default_factory=list)
    campaigns: list[TrueCampaignResult] = field(default_factory=list)
    detected: list[DetectedCampaignResult] = field(default_factory=list)
    unknown_flagged: int = 0
    """Flagged accounts absent from labels.csv (counted as false positives)."""
    missing_verdicts: int = 0
    """Labelled accounts absent from accounts.csv (counted as not flagged)."""
    attack_exchanges_not_in_log: int = 0
    """Attack-labelled request ids not found in the request log (counted as missed)."""
    calibration: dict[str, list[CalibrationBin]] = field(default_factory=dict)
    """What a score means: precision measured in score bins, for ``accounts`` (each account's
    score in accounts.csv) and ``campaigns`` (the members of detected campaigns, by the
    campaign's score)."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["personas"] = [{**asdict(p), "fpr": p.fpr} for p in self.personas]
        out["calibration"] = {k: [b.to_json() for b in v] for k, v in self.calibration.items()}
        return out


def evaluate(sim_dir: Path, det_dir: Path) -> Evaluation:
    """Score the detections in ``det_dir`` against the simulator's truth in ``sim_dir``."""
    con = connect()
    try:
        load_truth(con, sim_dir)
        load_detections(con, det_dir)
        return compute(con)
    finally:
        con.close()


def compute(con: duckdb.DuckDBPyConnection) -> Evaluation:
    """Compute the evaluation from the tables described in :mod:`distillguard.evaluate.inputs`."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE acct AS
        SELECT l.account_id, l.label, l.campaign_id AS true_campaign, l.persona,
               coalesce(d.flagged, false) AS flagged, d.campaign_id AS det_campaign,
               d.account_id IS NULL AS missing
        FROM labels l LEFT JOIN det_accounts d USING (account_id)
        """
    )
    (attack, benign, tp, fp_known, missing) = _one(
        con,
        """
        SELECT count(*) FILTER (label = 'attack'), count(*) FILTER (label = 'benign'),
               count(*) FILTER (label = 'attack' AND flagged),
               count(*) FILTER (label = 'benign' AND flagged),
               count(*) FILTER (missing)
        FROM acct
        """,
    )
    (unknown_flagged,) = _one(
        con,
        """
        SELECT count(*) FROM det_accounts d
        WHERE d.flagged AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.account_id = d.account_id)
        """,
    )
    fp = fp_known + unknown_flagged
    fn = attack - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / attack if attack else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE attack_ex AS
        SELECT rl.request_id, rl.campaign_id, r.account_id,
               r.account_id IS NULL AS not_in_log,
               coalesce(d.flagged, false) AS caught
        FROM req_labels rl
        LEFT JOIN requests r USING (request_id)
        LEFT JOIN det_accounts d ON d.account_id = r.account_id
        WHERE rl.label = 'attack'
        """
    )
    (ex_total, ex_caught, not_in_log) = _one(
        con,
        "SELECT count(*), count(*) FILTER (caught), count(*) FILTER (not_in_log) FROM attack_ex",
    )

    personas = [
        PersonaRate(p, int(n), int(f))
        for p, n, f in con.execute(
            """
            SELECT persona, count(*), count(*) FILTER (flagged) FROM acct
            WHERE label = 'benign' GROUP BY persona ORDER BY persona
            """
        ).fetchall()
    ]
    return Evaluation(
        attack_accounts=attack,
        benign_accounts=benign,
        flagged_accounts=tp + fp,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        precision=precision,
        recall=recall,
        f1=f1,
        attack_exchanges=ex_total,
        attack_exchanges_caught=ex_caught,
        exchange_recall=ex_caught / ex_total if ex_total else 1.0,
        benign_flagged=fp_known,
        fpr_overall=fp_known / benign if benign else 0.0,
        personas=personas,
        campaigns=_true_campaigns(con),
        detected=_detected_campaigns(con),
        unknown_flagged=unknown_flagged,
        missing_verdicts=missing,
        attack_exchanges_not_in_log=not_in_log,
        calibration=calibration(con),
    )


def calibration(
    con: duckdb.DuckDBPyConnection, bins: int = CALIBRATION_BINS
) -> dict[str, list[CalibrationBin]]:
    """Precision in ``bins`` equal score bins (the last one includes 1.0): for every labelled
    account by its own score, and for the members of detected campaigns by the campaign's score.
    Bins without accounts are listed with zero counts so tables from several runs add up."""
    edges = [(k / bins, (k + 1) / bins) for k in range(bins)]
    acct = dict.fromkeys(range(bins), (0, 0, 0))
    for b, n, attack in con.execute(
        f"""
        SELECT least(CAST(floor(coalesce(d.score, 0) * {bins}) AS INTEGER), {bins - 1}) AS b,
               count(*), count(*) FILTER (l.label = 'attack')
        FROM labels l LEFT JOIN det_accounts d USING (account_id) GROUP BY b
        """
    ).fetchall():
        acct[int(b)] = (int(n), int(attack), 0)
    camp = dict.fromkeys(range(bins), (0, 0, 0))
    for b, n, attack, k in con.execute(
        f"""
        SELECT least(CAST(floor(c.score * {bins}) AS INTEGER), {bins - 1}) AS b,
               count(m.account_id), count(*) FILTER (l.label = 'attack'),
               count(DISTINCT c.campaign_id)
        FROM det_campaigns c JOIN det_members m USING (campaign_id)
        LEFT JOIN labels l ON l.account_id = m.account_id
        WHERE c.score IS NOT NULL AND m.account_id IS NOT NULL GROUP BY b
        """
    ).fetchall():
        camp[int(b)] = (int(n), int(attack), int(k))
    return {
        name: [CalibrationBin(lo, hi, *table[k]) for k, (lo, hi) in enumerate(edges)]
        for name, table in (("accounts", acct), ("campaigns", camp))
    }


def _true_campaigns(con: duckdb.DuckDBPyConnection) -> list[TrueCampaignResult]:
    rows = con.execute(
        """
        WITH ids AS (
            SELECT campaign_id FROM labels WHERE label = 'attack' AND campaign_id IS NOT NULL
            UNION
            SELECT campaign_id FROM attack_ex WHERE campaign_id IS NOT NULL
        ),
        acc AS (
            SELECT true_campaign AS campaign_id, count(*) AS n, count(*) FILTER (flagged) AS f
            FROM acct WHERE label = 'attack' AND true_campaign IS NOT NULL GROUP BY 1
        ),
        ex AS (
            SELECT campaign_id, count(*) AS n, count(*) FILTER (caught) AS c
            FROM attack_ex WHERE campaign_id IS NOT NULL GROUP BY 1
        ),
        grp AS (
            SELECT true_campaign AS campaign_id,
                   list(det_campaign ORDER BY k DESC, det_campaign) AS ids,
                   list(k ORDER BY k DESC, det_campaign) AS ks
            FROM (
                SELECT true_campaign, det_campaign, count(*) AS k FROM acct
                WHERE label = 'attack' AND true_campaign IS NOT NULL AND det_campaign IS NOT NULL
                GROUP BY 1, 2
            ) GROUP BY 1
        )
        SELECT ids.campaign_id, coalesce(acc.n, 0), coalesce(acc.f, 0),
               coalesce(ex.n, 0), coalesce(ex.c, 0), grp.ids, grp.ks
        FROM ids
        LEFT JOIN acc USING (campaign_id)
        LEFT JOIN ex USING (campaign_id)
        LEFT JOIN grp USING (campaign_id)
        ORDER BY ids.campaign_id
        """
    ).fetchall()
    out = []
    for cid, n, f, ex_n, ex_c, ids, ks in rows:
        detected = dict(zip(ids or [], ks or [], strict=True))
        grouped = max(detected.values(), default=0)
        out.append(
            TrueCampaignResult(
                campaign_id=str(cid),
                accounts=int(n),
                flagged=int(f),
                share_flagged=f / n if n else None,
                grouped=int(grouped),
                share_grouped=grouped / n if n else None,
                detected_ids={str(k): int(v) for k, v in detected.items()},
                exchanges=int(ex_n),
                exchanges_caught=int(ex_c),
                exchange_recall=ex_c / ex_n if ex_n else None,
            )
        )
    return out


def _detected_campaigns(con: duckdb.DuckDBPyConnection) -> list[DetectedCampaignResult]:
    rows = con.execute(
        """
        WITH m AS (
            SELECT d.campaign_id, d.account_id, l.label, l.campaign_id AS true_campaign
            FROM det_members d LEFT JOIN labels l USING (account_id)
        ),
        tally AS (
            SELECT campaign_id, true_campaign, count(*) AS k FROM m
            WHERE label = 'attack' AND true_campaign IS NOT NULL GROUP BY 1, 2
        ),
        top AS (
            SELECT campaign_id, true_campaign AS dominant, k FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY campaign_id ORDER BY k DESC, true_campaign) AS rank
                FROM tally
            ) WHERE rank = 1
        )
        SELECT m.campaign_id, count(m.account_id),
               any_value(top.dominant), coalesce(any_value(top.k), 0),
               count(*) FILTER (m.label = 'benign'),
               count(*) FILTER (m.account_id IS NOT NULL AND m.label IS NULL)
        FROM m LEFT JOIN top USING (campaign_id)
        GROUP BY m.campaign_id ORDER BY m.campaign_id
        """
    ).fetchall()
    return [
        DetectedCampaignResult(
            campaign_id=str(cid),
            accounts=int(n),
            dominant_campaign=None if dom is None else str(dom),
            dominant_accounts=int(k),
            benign_accounts=int(b),
            unknown_accounts=int(u),
            purity=k / n if n else None,
        )
        for cid, n, dom, k, b, u in rows
    ]


def _one(con: duckdb.DuckDBPyConnection, query: str) -> tuple[int, ...]:
    row = con.execute(query).fetchall()[0]
    return tuple(int(v or 0) for v in row)
