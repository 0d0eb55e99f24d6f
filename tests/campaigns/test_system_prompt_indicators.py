"""A campaign carries its system prompts as fingerprint indicators with their prevalence: the
operator's own prompt is safe to block, an agent's default prompt that benign users also send
is context."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.campaigns.decide import indicator_prevalence
from distillguard.engine.tables import conform

T0 = datetime(2026, 3, 1, tzinfo=UTC)
OWN = "You operate the sweep runner. Record every step."
DEFAULT = "You are an open-source terminal agent."


def test_the_operators_prompt_is_blockable_an_agents_default_prompt_is_context() -> None:
    campaign = [f"sweep-{i}" for i in range(5)]
    users = [f"user-{i}" for i in range(20)]
    rows = []
    for i, account in enumerate(campaign + users):
        for r in range(4):
            sp = (OWN if r < 2 else DEFAULT) if account.startswith("sweep") else DEFAULT
            rows.append(
                {
                    "request_id": f"{account}-{r}",
                    "timestamp": T0 + timedelta(minutes=7 * i + r),
                    "account_id": account,
                    "model": "m",
                    "prompt": f"task {i}-{r}",
                    "system_prompt": sp,
                }
            )
    t = conform(ibis.memtable(pa.Table.from_pylist(rows)))
    ids = np.array(campaign + users, dtype=object)
    member = np.array([0 if a.startswith("sweep") else -1 for a in ids])
    listed, _ = indicator_prevalence(t, ids, member, {0: "C1"}, pl.DataFrame())
    prompts = {i["value"]: i for i in listed["C1"] if i["kind"] == "system_prompt"}
    own = prompts[hashlib.sha256(OWN.encode()).hexdigest()[:16]]
    default = prompts[hashlib.sha256(DEFAULT.encode()).hexdigest()[:16]]
    assert (own["accounts_in_campaign"], own["accounts_in_log"], own["blockable"]) == (5, 5, True)
    assert (default["accounts_in_log"], default["blockable"]) == (25, False)
    assert OWN not in str(listed) and DEFAULT not in str(listed)  # fingerprints, never the text
