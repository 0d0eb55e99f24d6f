"""The dense-block linker finds an operator's accounts that are dense across networks and hours,
even when they hide among popular values, and leaves one shared column alone unlinked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.engine.tables import conform
from distillguard.linkage import DenseBlockLinker, LinkContext, build_linkers
from distillguard.linkage.dense import densest_block, find_dense_blocks

START = datetime(2026, 3, 2, tzinfo=UTC)
HOURS = 14 * 24
CAMPUS_IP = "192.0.2.{}"


def _human_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Hours of a fortnight during the working day (what every person's traffic looks like)."""
    day = rng.integers(0, 14, size=n)
    return day * 24 + rng.integers(8, 20, size=n)


def _rows(account: str, hours: np.ndarray, ips: list[str], rng: np.random.Generator) -> list[dict]:
    rows = []
    for i, h in enumerate(hours.tolist()):
        ts = START + timedelta(hours=int(h), seconds=int(rng.integers(0, 3600)))
        rows.append(
            {
                "request_id": f"{account}-{i}",
                "timestamp": ts,
                "account_id": account,
                "model": "m",
                "prompt": "p",
                "ip": ips[int(rng.integers(0, len(ips)))],
            }
        )
    return rows


def _population(rng: np.random.Generator, *, operator: bool) -> list[dict]:
    rows: list[dict] = []
    for k in range(60):  # ordinary developers, each on a home network
        rows += _rows(f"dev{k:02d}", _human_hours(rng, 30), [f"10.{k}.7.1"], rng)
    for k in range(40):  # a campus behind one NAT, every student at their own hours
        rows += _rows(f"campus{k:02d}", _human_hours(rng, 30), [CAMPUS_IP.format(k)], rng)
    # a batch job: one account, one network, one long run
    rows += _rows("batch", rng.integers(100, 120, size=2000), ["172.16.5.9"], rng)
    if operator:
        # One dispatcher drives eight accounts through four proxy networks in scheduled
        # bursts (night hours too), and each account also sends camouflage from the campus NAT.
        bursts = rng.choice(HOURS, size=12, replace=False)
        proxies = ["198.51.100.4", "203.0.113.8", "100.64.3.2", "100.64.9.7"]
        for k in range(8):
            rows += _rows(f"op{k}", rng.choice(bursts, size=60), proxies, rng)
            rows += _rows(f"op{k}-cam", _human_hours(rng, 20), [CAMPUS_IP.format(k)], rng)
    for r in rows:
        r["account_id"] = str(r["account_id"]).removesuffix("-cam")
    return rows


def _context(rows: list[dict], sample: pl.DataFrame | None = None) -> LinkContext:
    for i, r in enumerate(rows):
        r["request_id"] = f"r{i}"
    table = conform(ibis.memtable(pa.Table.from_pylist(rows)))
    ids = sorted({str(r["account_id"]) for r in rows})
    accounts = pl.DataFrame({"account_id": ids, "idx": np.arange(len(ids), dtype=np.int64)})
    return LinkContext(requests=table, accounts=accounts, sample=sample or pl.DataFrame())


def _linked(edges: pl.DataFrame, ctx: LinkContext) -> set[str]:
    ids = ctx.accounts["account_id"].to_list()
    return {ids[i] for i in np.concatenate([edges["a"].to_numpy(), edges["b"].to_numpy()])}


def test_densest_block_recovers_a_planted_block() -> None:
    rng = np.random.default_rng(1)
    noise = np.stack([rng.integers(0, s, size=600) for s in (50, 40, 30)], axis=1)
    block = np.array([(a, b, c) for a in range(5) for b in range(4) for c in range(3)])
    coords = np.concatenate([noise, block + np.array([10, 20, 5])])
    mass = np.concatenate([np.ones(len(noise)), np.full(len(block), 10.0)])
    found = densest_block(coords, mass, (50, 40, 30))
    assert [m.tolist() for m in found.members] == [
        list(range(10, 15)),
        list(range(20, 24)),
        list(range(5, 8)),
    ]
    # The next block is sought without the first one's cells: only sparse noise is left.
    first, second = find_dense_blocks(coords, mass, (50, 40, 30), k=2)
    assert first.density == found.density and second.density < first.density / 3


def test_planted_operator_is_linked_despite_camouflage() -> None:
    ctx = _context(_population(np.random.default_rng(7), operator=True))
    edges = DenseBlockLinker(modes=("ip_prefix", "hour")).link(ctx)
    assert _linked(edges, ctx) == {f"op{k}" for k in range(8)}
    assert edges["weight"].min() > 0.5
    import igraph as ig

    g = ig.Graph(n=ctx.n_accounts, edges=edges.select("a", "b").rows())
    assert max(len(c) for c in g.connected_components()) == 8


def test_campus_nat_and_batch_job_make_no_edges() -> None:
    ctx = _context(_population(np.random.default_rng(7), operator=False))
    linker = DenseBlockLinker(modes=("ip_prefix", "hour"))
    assert linker.link(ctx).is_empty()
    # The campus and the batch job are dense blocks; they just are not dense in every mode.
    shapes = [b["shape"] for b in linker.blocks]
    assert any(s[:2] == (1, 1) for s in shapes)  # the batch job: one account, one network
    assert any(s[0] >= 40 for s in shapes)  # the campus, among everyone else
    assert all(len(b["accounts"]) == 0 for b in linker.blocks)  # type: ignore[arg-type]


def test_template_blocks_come_from_the_sample() -> None:
    rng = np.random.default_rng(3)
    frames = []
    bursts = rng.choice(HOURS, size=10, replace=False)
    for idx in range(80):
        operator = idx < 6
        n = 40
        hours = rng.choice(bursts, size=n) if operator else _human_hours(rng, n)
        # Everyone uses the stock templates 0-4 now and then (the operator too, as camouflage);
        # people otherwise write their own prompts, the operator fills its wrapper (99).
        stock = rng.integers(0, 5, size=n)
        own = 99 if operator else 1000 + 10 * idx + rng.integers(0, 10, size=n)
        templates = np.where(rng.random(n) < 0.7, own, stock)
        frames.append(
            pl.DataFrame(
                {
                    "idx": np.full(n, idx, dtype=np.int64),
                    "template_id": templates.astype(np.int64),
                    "timestamp": [START + timedelta(hours=int(h)) for h in hours],
                }
            )
        )
    sample = pl.concat(frames)
    accounts = pl.DataFrame(
        {"account_id": [f"a{i:02d}" for i in range(80)], "idx": np.arange(80, dtype=np.int64)}
    )
    rows = [
        {"request_id": "x", "timestamp": START, "account_id": "a00", "model": "m", "prompt": "p"}
    ]
    ctx = LinkContext(
        requests=conform(ibis.memtable(pa.Table.from_pylist(rows))),
        accounts=accounts,
        sample=sample,
    )
    (linker,) = build_linkers([{"linker": "dense", "modes": ["template", "hour"]}])
    edges = linker.link(ctx)
    assert _linked(edges, ctx) == {f"a{i:02d}" for i in range(6)}
