"""Idempotent ingest over a large workspace: the in-memory index of stored request ids is rebuilt
at start-up, a retry after a restart stores nothing twice, and a hash hit never drops a new row."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from distillguard.ingest.store import ensure_table
from distillguard.service import Service
from distillguard.service.seen import SeenIds
from tests.service.conftest import settings_for

STORED = 200_000


def _prefill(ws: Path, n: int) -> None:
    """``n`` exchanges written straight into the workspace (as batch ``ingest`` would)."""
    ws.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(ws / "distillguard.duckdb"))
    try:
        ensure_table(con, "requests")
        con.execute(
            "INSERT INTO requests BY NAME SELECT 'old-' || i AS request_id, "
            "TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS timestamp, "
            "'acct-' || (i % 997) AS account_id, 'm' AS model, 'ok' AS status, "
            f"'prompt ' || i AS prompt FROM range({n}) r(i)"
        )
    finally:
        con.close()


def _body(ids: list[str]) -> bytes:
    rows = [
        {
            "request_id": r,
            "timestamp": "2026-03-01T00:00:00Z",
            "account_id": "acct-new",
            "model": "m",
            "prompt": f"hello {r}",
        }
        for r in ids
    ]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _stored_ids(ws: Path) -> tuple[int, int]:
    con = duckdb.connect(str(ws / "distillguard.duckdb"), read_only=True)
    try:
        n, distinct = con.execute(
            "SELECT count(*), count(DISTINCT request_id) FROM requests"
        ).fetchall()[0]
        return int(n), int(distinct)
    finally:
        con.close()


@pytest.mark.slow
def test_a_retry_after_restart_over_a_large_workspace_stores_each_exchange_once(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    _prefill(ws, STORED)
    old = [f"old-{i}" for i in range(0, STORED, STORED // 1000)]  # spread over the workspace
    new = [f"new-{i}" for i in range(1000)]
    body = _body(old + new)
    svc = Service(settings_for(ws))
    try:
        assert len(svc.writer.seen) == STORED  # rebuilt from the workspace at start-up
        first = svc.ingest(body).answer()
    finally:
        svc.close()
    assert first == {"accepted": len(new), "duplicates": len(old), "quarantined": 0}
    svc = Service(settings_for(ws))  # a restart, then the client retries the same body
    try:
        retry = svc.ingest(body).answer()
        more = svc.ingest(_body([*new[:10], "new-extra"])).answer()
    finally:
        svc.close()
    assert retry == {"accepted": 0, "duplicates": len(old) + len(new), "quarantined": 0}
    assert more == {"accepted": 1, "duplicates": 10, "quarantined": 0}
    assert _stored_ids(ws) == (STORED + len(new) + 1,) * 2


def test_a_hash_hit_is_confirmed_against_the_store_so_a_new_exchange_is_never_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    svc = Service(settings_for(ws))
    try:
        assert svc.ingest(_body(["a", "b"])).answer()["accepted"] == 2
        # Pretend every id collides with a stored one: only the exact check can tell them apart.
        monkeypatch.setattr(svc.writer.seen, "contains", lambda h: np.ones(len(h), dtype=bool))
        got = svc.ingest(_body(["a", "c", "d", "c"])).answer()
    finally:
        svc.close()
    assert got == {"accepted": 2, "duplicates": 2, "quarantined": 0}
    assert _stored_ids(ws) == (4, 4)


def test_the_id_index_answers_like_a_set_as_it_grows() -> None:
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 2**63, size=20_000, dtype=np.uint64)
    seen = SeenIds(stored[:5000])
    for lo in range(5000, 20_000, 700):
        seen.add(stored[lo : lo + 700])
    assert len(seen) == len(np.unique(stored))
    assert seen.runs <= 16
    probe = np.concatenate([stored[::7], rng.integers(0, 2**63, size=5000, dtype=np.uint64)])
    assert (seen.contains(probe) == np.isin(probe, stored)).all()
