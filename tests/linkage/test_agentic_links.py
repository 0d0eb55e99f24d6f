"""System-prompt and complementary-coverage linkers: a sweep's accounts are linked across
organisations; users of an open-source agent's default prompt and evaluation teams sharing a
benchmark harness are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.engine.tables import conform
from distillguard.linkage import CoverageLinker, LinkContext, SystemPromptLinker

START = datetime(2026, 3, 2, tzinfo=UTC)
GRID = [f"{f} in {e} with {t}" for f in "ABCDEFGH" for e in "klmnop" for t in "xyz"]  # 144 cells
SWEEP_PROMPTS = (
    "You operate a sandboxed build agent. Record each step.",
    "Agent runtime: plan, act.",
)
OSS_PROMPT = "You are a popular open-source terminal coding agent. Ask before deleting files."
HARNESS_PROMPT = "You are evaluated on a software benchmark. Produce a patch for the issue."


def _world(seed: int = 0) -> tuple[list[dict[str, object]], dict[str, str]]:
    """Rows and each account's group: ``sweep`` (24 accounts, own organisation each, two shared
    system prompts, disjoint slices of one task grid, one task per new conversation), ``oss``
    (120 users of one agent's default prompt, own organisations, real multi-turn sessions on
    their own tasks), ``harness`` (8 teams of two accounts running the same 30 tasks under one
    harness prompt) and ``other`` (60 accounts with their own or no system prompt)."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    who: dict[str, str] = {}

    def add(acc: str, org: str, i: int, sp: str | None, prompt: str, turn: int, conv: str) -> None:
        rows.append(
            {
                "request_id": f"{acc}-{i}",
                "timestamp": START + timedelta(minutes=int(rng.integers(0, 14 * 1440))),
                "account_id": acc,
                "org_id": org,
                "model": "m",
                "system_prompt": sp,
                "prompt": prompt,
                "turn_index": turn,
                "conversation_id": conv,
            }
        )

    cells = rng.permutation(len(GRID))
    for k, part in enumerate(np.array_split(cells, 24)):
        acc = f"sweep-{k:02d}"
        who[acc] = "sweep"
        for i, c in enumerate(part):
            task = f"Write the whole trajectory for task {GRID[c]}."
            add(acc, f"o-sweep-{k}", i, SWEEP_PROMPTS[k % 2], task, 0, f"{acc}-c{i}")
    for k in range(120):
        acc = f"oss-{k:03d}"
        who[acc] = "oss"
        for s in range(2):
            own = f"help me fix bug {rng.integers(0, 10**9)} in my project"
            for turn in range(4):
                text = own if turn == 0 else f"tool output {rng.integers(0, 10**9)}"
                add(acc, f"o-oss-{k}", s * 4 + turn, OSS_PROMPT, text, turn, f"{acc}-s{s}")
    tasks = [f"Resolve issue {GRID[c]} in the repository snapshot." for c in range(30)]
    for team in range(8):
        for m in range(2):
            acc = f"harness-{team}-{m}"
            who[acc] = "harness"
            for i, task in enumerate(tasks):
                add(acc, f"o-team-{team}", i, HARNESS_PROMPT, task, 0, f"{acc}-{i}")
    for k in range(60):
        acc = f"other-{k:02d}"
        who[acc] = "other"
        for i in range(5):
            sp = f"You are the assistant of shop {k}." if k % 2 else None
            add(acc, f"o-other-{k}", i, sp, f"question {rng.integers(0, 10**9)}", 0, f"{acc}-{i}")
    return rows, who


def _context(rows: list[dict[str, object]], sample: pl.DataFrame | None = None) -> LinkContext:
    table = conform(ibis.memtable(pa.Table.from_pylist(rows)))
    frame = pl.DataFrame(rows)
    accounts = (
        frame.group_by("account_id")
        .agg(
            pl.len().alias("n"),
            pl.col("org_id").first(),
            (pl.col("turn_index") == 0).mean().alias("first_turn_share"),
        )
        .sort("account_id")
        .with_row_index("idx")
        .with_columns(pl.col("idx").cast(pl.Int64))
    )
    return LinkContext(requests=table, accounts=accounts, sample=sample or pl.DataFrame())


def _by_group(edges: pl.DataFrame, ctx: LinkContext, who: dict[str, str]) -> dict[str, float]:
    """Strongest edge weight per kind of pair (``sweep-sweep``, ``oss-oss``...)."""
    ids = ctx.accounts["account_id"].to_list()
    out: dict[str, float] = {}
    for a, b, w in edges.select("a", "b", "weight").iter_rows():
        kind = "-".join(sorted((who[ids[a]], who[ids[b]])))
        out[kind] = max(out.get(kind, 0.0), w)
    return out


def test_system_prompt_links_a_sweep_across_organisations_not_agent_or_harness_users() -> None:
    rows, who = _world()
    ctx = _context(rows)
    linker = SystemPromptLinker()
    edges = linker.link(ctx)
    strongest = _by_group(edges, ctx, who)
    ids = ctx.accounts["account_id"].to_list()
    linked = {ids[i] for i in np.concatenate([edges["a"].to_numpy(), edges["b"].to_numpy()])}
    assert {a for a in who if who[a] == "sweep"} <= linked
    # The harness teams share the prompt and the tasks: an evaluation harness, never a link.
    assert "harness-harness" not in strongest
    # The agent's default prompt is used by five times as many organisations: it links, but
    # so weakly that the sweep's weakest link is stronger than its strongest.
    sweep_pairs = edges.filter(
        pl.Series([who[ids[a]] == who[ids[b]] == "sweep" for a, b in edges.select("a", "b").rows()])
    )
    assert sweep_pairs["weight"].min() > 2 * strongest["oss-oss"]
    assert not {k for k in strongest if "other" in k}
    assert {g["task_overlap"] < 0.05 for g in linker.groups if g["accounts"] == 12} == {True}


def test_system_prompt_linker_needs_no_text_and_no_system_prompt() -> None:
    rows, _ = _world()
    for r in rows:
        r["system_prompt"] = None
    assert SystemPromptLinker().link(_context(rows)).is_empty()


def _sample(rows: list[dict[str, object]], ctx: LinkContext) -> pl.DataFrame:
    """A sample as the signal stage gives it: every request, its template (the wrapper: the
    text before the task's grid cell) and skeleton (the whole prompt)."""
    frame = pl.DataFrame(rows).join(ctx.accounts.select("account_id", "idx"), on="account_id")
    wrapper = pl.col("prompt").str.replace_all(r"[A-H] in [k-p] with [x-z]|\d+", "")
    return frame.select(
        "request_id",
        "idx",
        (wrapper.hash() // 2).cast(pl.Int64).alias("template_id"),
        pl.col("prompt").hash().alias("skeleton"),
    )


def test_coverage_links_disjoint_slices_not_a_shared_task_list() -> None:
    rows, who = _world()
    ctx = _context(rows)
    ctx.sample = _sample(rows, ctx)
    strongest = _by_group(CoverageLinker().link(ctx), ctx, who)
    assert strongest.get("sweep-sweep", 0.0) > 0.3
    assert "harness-harness" not in strongest  # same tasks: a benchmark run by several teams
    # Tool results wrap one format across the agent's users, but they are later turns of real
    # sessions, not tasks: a weak link at most.
    assert strongest.get("oss-oss", 0.0) < strongest["sweep-sweep"] / 3
