"""The live per-account state: the detector's mergeable account aggregates, folded in as
exchanges arrive, equal those of the whole stored log, and survive a restart by refolding."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import ibis
import pytest
from fastapi.testclient import TestClient

from distillguard.accounts import AccountState
from distillguard.engine.tables import conform
from distillguard.service import Service, create_app
from tests.service.conftest import NDJSON, auth, settings_for

EXACT = ["n", "first_ts", "last_ts", "n_prefix", "n_asn", "n_ua", "n_models", "active_days",
         "tool_share", "error_share"]  # fmt: skip


def _whole(ws: Path) -> dict[str, dict[str, object]]:
    con = duckdb.connect(str(ws / "distillguard.duckdb"), read_only=True)
    try:
        state = AccountState.of(conform(ibis.duckdb.from_connection(con).table("requests")))
        return {r["account_id"]: r for r in state.features().to_dicts()}
    finally:
        con.close()


@pytest.mark.slow
def test_folding_arrivals_in_parts_gives_the_whole_logs_account_aggregates(
    tmp_path: Path, sim_body: bytes
) -> None:
    lines = sim_body.splitlines(keepends=True)
    half = len(lines) // 2
    ws = tmp_path / "ws"
    svc = Service(settings_for(ws))
    try:
        svc.ingest(b"".join(lines[:half]))
        assert svc.fold_state() == half
        svc.ingest(b"".join(lines[half:]))
        assert svc.fold_state() == len(lines) - half
        assert svc.fold_state() == 0  # nothing new
        folded = {a: svc.profiles.features(a) for a in svc.live.frame()["account_id"].to_list()}
    finally:
        svc.close()
    want = _whole(ws)
    assert folded.keys() == want.keys()
    for account, row in want.items():
        got = folded[account]
        assert got is not None
        for c in EXACT:
            want_c = row[c]
            assert got[c] == (pytest.approx(want_c) if isinstance(want_c, float) else want_c)
    # After a restart the first fold covers the whole workspace; the API serves the profile.
    with TestClient(create_app(settings_for(ws, state_interval=3600))) as c:
        account = next(iter(want))
        for _ in range(600):
            r = c.get(f"/v1/accounts/{account}", headers=auth("analyst")).json()
            if r["profile"] is not None:
                break
            time.sleep(0.1)
        assert r["profile"]["n"] == want[account]["n"]
        assert r["live"]["exchanges"] == want[account]["n"]
        assert r["decision"]["decision"] == "allow"
        # a new exchange is counted at once in ``live``; the profile follows at the next fold
        row = (
            lines[0]
            .replace(b'"request_id": "', b'"request_id": "again-')
            .replace(b'"request_id":"', b'"request_id":"again-')
        )
        assert (
            c.post("/v1/exchanges", content=row, headers={**NDJSON, **auth("ingest")}).json()[
                "accepted"
            ]
            == 1
        )
        live = c.get(f"/v1/accounts/{account}", headers=auth("analyst")).json()["live"]
        assert live["exchanges"] == want[account]["n"] + (account in row.decode())
