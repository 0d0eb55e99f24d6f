"""POST /v1/exchanges and /v1/traces: bad rows quarantined and counted as in batch, a retried
batch counted as duplicates and never stored twice, OTLP/HTTP JSON accepted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from distillguard.service import create_app
from tests.ingest.conftest import DATA
from tests.service.conftest import NDJSON, auth, settings_for


def _stored(ws: Path) -> list[str]:
    con = duckdb.connect(str(ws / "distillguard.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT request_id FROM requests").fetchall()]
    finally:
        con.close()


def test_a_batch_is_stored_once_and_a_retry_counts_as_duplicates(
    tmp_path: Path, sim_body: bytes
) -> None:
    ws = tmp_path / "ws"
    n = sim_body.count(b"\n")
    with TestClient(create_app(settings_for(ws))) as c:
        first = c.post("/v1/exchanges", content=sim_body, headers={**NDJSON, **auth("ingest")})
        retry = c.post("/v1/exchanges", content=sim_body, headers={**NDJSON, **auth("ingest")})
    assert first.status_code == 200
    assert first.json() == {"accepted": n, "duplicates": 0, "quarantined": 0}
    assert retry.json() == {"accepted": 0, "duplicates": n, "quarantined": 0}
    ids = _stored(ws)
    assert len(ids) == len(set(ids)) == n


def test_a_repeated_id_within_one_body_is_stored_once(client: TestClient) -> None:
    row = json.loads((DATA / "canonical.jsonl").read_text().splitlines()[0])
    body = (json.dumps(row) + "\n" + json.dumps({**row, "prompt": "changed"}) + "\n").encode()
    r = client.post("/v1/exchanges", content=body, headers=auth("ingest"))
    assert r.json() == {"accepted": 1, "duplicates": 1, "quarantined": 0}


def test_bad_rows_are_quarantined_with_their_reason_and_counted(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    body = (DATA / "canonical.jsonl").read_bytes()
    with TestClient(create_app(settings_for(ws))) as c:
        r = c.post("/v1/exchanges", content=body, headers={**NDJSON, **auth("ingest")})
    # The same five bad lines the batch adapter quarantines (tests/ingest/test_adapters.py).
    assert r.json() == {"accepted": 3, "duplicates": 0, "quarantined": 5}
    assert sorted(_stored(ws)) == ["r-001", "r-002", "r-003"]
    lines = [
        json.loads(line)
        for f in sorted((ws / "quarantine").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    assert sorted(q["reason"] for q in lines) == sorted(
        [
            "bad_timestamp:timestamp",
            "bad_value:status",
            "missing:account_id",
            "bad_type:asn",
            "invalid_json",
        ]
    )


def test_a_gzip_body_is_accepted(client: TestClient) -> None:
    body = gzip.compress((DATA / "canonical.jsonl").read_bytes())
    r = client.post(
        "/v1/exchanges", content=body, headers={**auth("ingest"), "Content-Encoding": "gzip"}
    )
    assert r.json()["accepted"] == 3


def test_a_broken_gzip_body_or_wrong_content_type_is_refused(client: TestClient) -> None:
    bad_gzip = client.post(
        "/v1/exchanges", content=b"not gzip", headers={**auth("ingest"), "Content-Encoding": "gzip"}
    )
    assert bad_gzip.status_code == 400
    proto = client.post(
        "/v1/traces",
        content=b"\x0a\x00",
        headers={**auth("ingest"), "Content-Type": "application/x-protobuf"},
    )
    assert proto.status_code == 415


def test_otlp_http_json_traces_are_ingested_idempotently(client: TestClient) -> None:
    body = (DATA / "otel_otlp_pretty.json").read_bytes()
    headers = {**auth("ingest"), "Content-Type": "application/json"}
    first = client.post("/v1/traces", content=body, headers=headers).json()
    again = client.post("/v1/traces", content=body, headers=headers).json()
    assert first["accepted"] == 2 and first["quarantined"] == 0
    assert again["accepted"] == 0 and again["duplicates"] == 2


def test_an_empty_body_stores_nothing(client: TestClient) -> None:
    r = client.post("/v1/exchanges", content=b"\n\n", headers=auth("ingest"))
    assert r.json() == {"accepted": 0, "duplicates": 0, "quarantined": 0}


def test_with_a_hash_key_and_drop_text_the_service_quarantine_holds_nothing_raw(
    tmp_path: Path,
) -> None:
    """A bad row sent to the service is quarantined like batch ingest's: keyed hashes, no text."""
    from distillguard.ingest import Privacy

    ws = tmp_path / "ws"
    bad = {
        "request_id": "q-1",
        "timestamp": "not a time",
        "account_id": "acct-raw-7",
        "model": "m",
        "ip": "203.0.113.77",
        "payment_fingerprint": "card-raw-4242",
        "prompt": "secret prompt text",
    }
    privacy = Privacy(hash_key=b"k", drop_text=True)
    with TestClient(create_app(settings_for(ws, privacy=privacy))) as c:
        r = c.post(
            "/v1/exchanges", content=(json.dumps(bad) + "\n").encode(), headers=auth("ingest")
        )
    assert r.json()["quarantined"] == 1
    text = "".join(f.read_text() for f in (ws / "quarantine").glob("*.jsonl"))
    assert "bad_timestamp:timestamp" in text
    for raw in ("203.0.113.77", "card-raw-4242", "secret prompt text"):
        assert raw not in text
