"""Two providers, one operator: one simulator run split by account into provider A and B.

The scenario is a small preset built from the simulator's own tactics: ordinary customers of every
kind, and one operator who signs up a burst of accounts, sends through a residential proxy pool,
paraphrases its prompt wrappers and pays with four cards. For each card one of its accounts goes
to B and the others to A (the operator spreads thin at B): both see the same cards and proxy
network under different accounts, but only A sees a card shared by several accounts. Legitimate
customers go to one provider only, by organisation (accounts without an organisation by account
id): A's customers never appear at B.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from distillguard.simulate.presets import PRESETS, Preset
from distillguard.simulate.run import simulate
from distillguard.simulate.tactics import (
    AccountPool,
    Campaign,
    Capabilities,
    HumanJitter,
    LowAndSlow,
    Pathway,
    PaymentReuse,
    ProxyNetwork,
    Sampling,
    Wrappers,
)

OPERATOR = Campaign(
    "operator-x",
    16,
    3_000,
    (
        AccountPool("burst", -1, 1),
        Pathway("individual"),
        PaymentReuse(4),
        ProxyNetwork("residential", pool_size=200, sticky=2),
        HumanJitter(operator_tz=8.0, session_mean=4, gap_s=60),
        LowAndSlow(0.3),
        Wrappers(obfuscated=True),
        Capabilities((("reasoning_trace", 0.5), ("rubric_grading", 0.5))),
        Sampling(((8192, 0.6), (16000, 0.4)), ((0.7, 0.6), (1.0, 0.4)), noise=0.3),
    ),
)
PRESET = Preset(
    "two-providers",
    "one operator spread over two providers, with every kind of legitimate customer",
    datetime(2026, 3, 2, tzinfo=UTC),
    7,
    3.7,
    (
        ("individual_developer", 40, 2_000),
        ("coding_agent", 10, 2_000),
        ("campus", 16, 1_000),
        ("product_app", 4, 2_000),
        ("enterprise_batch", 4, 1_500),
        ("eval_runner", 4, 1_500),
        ("reseller", 4, 2_000),
        ("synthetic_data", 4, 1_500),
    ),
    (OPERATOR,),
)


def two_providers(root: Path, *, scale: float = 1.0, seed: int = 11) -> tuple[Path, Path]:
    """Simulate :data:`PRESET` once and write ``root/A`` and ``root/B`` as two simulator
    directories (``requests/``, ``labels.csv``, ``request_labels.parquet``)."""
    full = root / "full"
    PRESETS[PRESET.name] = PRESET
    try:
        simulate(PRESET.name, scale=scale, seed=seed, out=full)
    finally:
        del PRESETS[PRESET.name]
    with (full / "labels.csv").open(newline="") as fh:
        labels = list(csv.DictReader(fh))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    orgs = dict(
        con.execute(
            f"SELECT account_id, any_value(org_id) FROM read_parquet('{full}/requests/*.parquet') "
            "GROUP BY 1"
        ).fetchall()
    )
    side: dict[str, str] = {}
    # The operator's accounts by the card they pay with: per card, one account at B and the rest
    # at A, so B never sees two of its accounts share a card but A sees each card on several.
    cards = con.execute(
        "SELECT account_id, mode(payment_fingerprint) "
        f"FROM read_parquet('{full}/requests/*.parquet') GROUP BY 1"
    ).fetchall()
    card_of = dict(cards)
    seen_card: set[str] = set()
    for r in sorted((r for r in labels if r["label"] == "attack"), key=lambda r: r["account_id"]):
        card = f"{r['campaign_id']}|{card_of.get(r['account_id'])}"
        side[r["account_id"]] = "A" if card in seen_card else "B"
        seen_card.add(card)
    for r in labels:
        if r["label"] != "attack":
            key = orgs.get(r["account_id"]) or r["account_id"]
            side[r["account_id"]] = "AB"[sum(key.encode()) % 2]
    con.execute("CREATE TABLE side(account_id VARCHAR, provider VARCHAR)")
    con.executemany("INSERT INTO side VALUES (?, ?)", list(side.items()))
    out = []
    for p in "AB":
        d = root / p
        (d / "requests").mkdir(parents=True)
        con.execute(
            f"COPY (SELECT r.* FROM read_parquet('{full}/requests/*.parquet') r "
            f"JOIN side s USING (account_id) WHERE s.provider = '{p}' ORDER BY r.timestamp) "
            f"TO '{d}/requests/part-00000.parquet' (FORMAT parquet)"
        )
        con.execute(
            f"COPY (SELECT l.* FROM read_parquet('{full}/request_labels.parquet') l "
            f"JOIN read_parquet('{d}/requests/part-00000.parquet') r USING (request_id)) "
            f"TO '{d}/request_labels.parquet' (FORMAT parquet)"
        )
        with (d / "labels.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(labels[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(r for r in labels if side[r["account_id"]] == p)
        out.append(d)
    con.close()
    return out[0], out[1]
