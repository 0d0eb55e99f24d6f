"""Linkers find the coordination they are built for, and not ordinary coincidences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.engine.tables import conform
from distillguard.linkage import LinkContext, SharedKeyLinker, SyncLinker, TemplateLinker
from distillguard.linkage.base import pairs_within_groups
from distillguard.linkage.shared_keys import NetworkLinker

START = datetime(2026, 3, 2, tzinfo=UTC)


def _context(rows: list[dict[str, object]]) -> LinkContext:
    table = conform(ibis.memtable(pa.Table.from_pylist(rows)))
    ids = sorted({str(r["account_id"]) for r in rows})
    counts = pl.DataFrame(rows).group_by("account_id").len().rename({"len": "n"})
    accounts = (
        pl.DataFrame({"account_id": ids, "idx": np.arange(len(ids), dtype=np.int64)})
        .join(counts, on="account_id")
        .sort("idx")
    )
    return LinkContext(requests=table, accounts=accounts, sample=pl.DataFrame())


def _row(account: str, i: int, ts: datetime, **extra: object) -> dict[str, object]:
    return {
        "request_id": f"{account}-{i}",
        "timestamp": ts,
        "account_id": account,
        "model": "m",
        "prompt": "p",
        **extra,
    }


def _pairs(edges: pl.DataFrame, ids: list[str]) -> set[tuple[str, str]]:
    return {(ids[a], ids[b]) for a, b in edges.select("a", "b").iter_rows()}


def test_pairs_within_groups_bounded_and_connected() -> None:
    group = np.zeros(1000, dtype=np.int64)
    i, j = pairs_within_groups(group, fanout=5, seed=3)
    assert len(i) <= 5 * 1000  # not 1000 * 999 / 2
    import igraph as ig

    g = ig.Graph(n=1000, edges=list(zip(i.tolist(), j.tolist(), strict=True)))
    assert g.is_connected()


def test_sync_links_lockstep_accounts_not_independent_busy_ones() -> None:
    rng = np.random.default_rng(0)
    rows: list[dict[str, object]] = []
    # Five accounts driven by one dispatcher: same 60 five-minute slots over a week.
    slots = rng.choice(7 * 288, size=60, replace=False)
    for k in range(5):
        for i, s in enumerate(slots):
            rows.append(_row(f"bot{k}", i, START + timedelta(seconds=int(s) * 300 + k)))
    # Twenty independent accounts, each as busy, at their own times.
    for k in range(20):
        for i, s in enumerate(rng.choice(7 * 288, size=60, replace=False)):
            rows.append(_row(f"user{k:02d}", i, START + timedelta(seconds=int(s) * 300)))
    ctx = _context(rows)
    ids = ctx.accounts["account_id"].to_list()
    edges = SyncLinker().link(ctx)
    strong = _pairs(edges.filter(pl.col("weight") > 0.5), ids)
    bots = {f"bot{k}" for k in range(5)}
    assert {p for p in strong if p[0] in bots and p[1] in bots} == {
        (a, b) for a in sorted(bots) for b in sorted(bots) if a < b
    }
    assert all(a in bots and b in bots for a, b in strong)


def test_shared_key_weight_is_distribution_overlap() -> None:
    rows: list[dict[str, object]] = []
    for i in range(10):
        rows.append(_row("a", i, START, ip="198.51.100.7"))
        # b sends half its traffic from a's network, half from elsewhere.
        rows.append(_row("b", i, START, ip="198.51.100.9" if i < 5 else "203.0.113.1"))
        rows.append(_row("c", i, START, ip="192.0.2.1"))
    ctx = _context(rows)
    edges = SharedKeyLinker(family="network", columns=("ip_prefix",)).link(ctx)
    assert edges.height == 1
    row = edges.row(0, named=True)
    assert (row["a"], row["b"]) == (0, 1)
    assert abs(row["weight"] - 0.5) < 1e-9


def test_common_values_carry_little_weight_with_idf() -> None:
    rows = [
        _row(f"acct{k:03d}", i, START, user_agent="openai-python/1.0", tls_fingerprint="t")
        for k in range(200)
        for i in range(3)
    ] + [_row(f"other{k:03d}", 0, START, user_agent=f"app/{k}") for k in range(100)]
    ctx = _context(rows)
    edges = SharedKeyLinker(family="client", columns=("user_agent", "tls_fingerprint"), idf=True)
    weights = edges.link(ctx)["weight"].to_numpy()
    assert len(weights) > 0 and weights.max() < 0.1


def test_a_nat_hundreds_share_links_weaker_than_a_network_three_share() -> None:
    # 300 students behind one campus NAT; three accounts on one small rented network; 700
    # others each on their own network.
    rows = [_row(f"student{k:03d}", 0, START, ip="192.0.2.10") for k in range(300)]
    rows += [_row(f"op{k}", 0, START, ip="198.51.100.7") for k in range(3)]
    rows += [_row(f"home{k:03d}", 0, START, ip=f"10.{k // 250}.{k % 250}.1") for k in range(700)]
    ctx = _context(rows)
    ids = ctx.accounts["account_id"].to_list()
    edges = NetworkLinker().link(ctx)
    who = [ids[a][:2] for a in edges["a"].to_list()]
    weight = edges["weight"].to_numpy()
    ops = np.array([w == "op" for w in who])
    assert ops.sum() == 3 and weight[ops].min() > 0.75
    assert weight[~ops].max() < weight[ops].min() / 2


def test_a_template_most_accounts_share_links_weakly() -> None:
    # Three accounts share a rare wrapper; 300 accounts use one stock template.
    rare = [(k, 7) for k in range(3)]
    stock = [(k, 1) for k in range(3, 303)]
    sample = pl.DataFrame(
        {
            "idx": [k for k, _ in rare + stock for _ in range(4)],
            "template_id": [t for _, t in rare + stock for _ in range(4)],
        }
    )
    accounts = pl.DataFrame({"account_id": [f"a{k}" for k in range(303)], "idx": range(303)})
    ctx = LinkContext(requests=None, accounts=accounts, sample=sample)  # type: ignore[arg-type]
    edges = TemplateLinker(idf=True).link(ctx)
    rare_w = edges.filter(pl.col("b") < 3)["weight"].to_numpy()
    stock_w = edges.filter(pl.col("a") >= 3)["weight"].to_numpy()
    assert len(rare_w) == 3 and len(stock_w) > 0
    assert rare_w.min() > 3 * stock_w.max()


def test_requests_without_text_never_link_by_template() -> None:
    # Metadata-only rows have no template: they must not all look like one shared "empty" one.
    accounts = pl.DataFrame({"account_id": [f"a{k}" for k in range(6)], "idx": range(6)})
    no_text = pl.DataFrame(
        {"idx": [k for k in range(6) for _ in range(5)], "template_id": [None] * 30},
        schema={"idx": pl.Int64, "template_id": pl.Int64},
    )
    ctx = LinkContext(requests=None, accounts=accounts, sample=no_text)  # type: ignore[arg-type]
    assert TemplateLinker().link(ctx).is_empty()
    # Half the rows without text: only the accounts that share a real template are linked.
    mixed = no_text.with_columns(
        pl.when((pl.col("idx") < 2) & (pl.int_range(pl.len()) % 2 == 0))
        .then(pl.lit(9, pl.Int64))
        .otherwise(None)
        .alias("template_id")
    )
    ctx = LinkContext(requests=None, accounts=accounts, sample=mixed)  # type: ignore[arg-type]
    assert _pairs(TemplateLinker().link(ctx), accounts["account_id"].to_list()) == {("a0", "a1")}
