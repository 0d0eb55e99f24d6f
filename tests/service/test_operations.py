"""Operations: webhooks fire on campaign events without blocking, /metrics counts what happened,
and ``replay`` streams a log into a running service in timestamp order, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from distillguard.service import Policy, create_app
from distillguard.service.replay import paced_batches, replay
from tests.ingest.conftest import DATA
from tests.service.conftest import KEYS, Receiver, auth, serving, settings_for


def _metrics(c: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = c.get("/metrics", headers=auth("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(r.text)
        for s in fam.samples
    }


def test_metrics_count_ingest_quarantine_duplicates_and_decisions(client: TestClient) -> None:
    body = (DATA / "canonical.jsonl").read_bytes()
    client.post("/v1/exchanges", content=body, headers=auth("ingest"))
    client.post("/v1/exchanges", content=body, headers=auth("ingest"))
    client.get("/v1/accounts/acct-1/decision", headers=auth("ingest"))
    m = _metrics(client)
    assert m[("distillguard_exchanges_ingested_total", ())] == 3
    assert m[("distillguard_exchanges_duplicate_total", ())] == 3
    quarantined = sum(
        v for (n, _), v in m.items() if n == "distillguard_exchanges_quarantined_total"
    )
    assert quarantined == 10  # five bad lines, sent twice
    assert m[("distillguard_decisions_served_total", (("decision", "allow"),))] == 1
    assert m[("distillguard_ingest_latency_seconds_count", (("endpoint", "exchanges"),))] == 2
    assert m[("distillguard_wal_checkpoint_seconds_count", ())] == 0  # 256 MB log: no fold yet


def test_webhooks_fire_when_a_campaign_changes_decision(
    workspace_copy: Path, receiver: Receiver
) -> None:
    # A policy that never blocks without an analyst, so the analyst's block changes decisions.
    settings = settings_for(
        workspace_copy, webhooks=(receiver.url,), webhook_timeout=2.0,
        policy=Policy(max_unreviewed="throttle"),
    )  # fmt: skip
    with TestClient(create_app(settings)) as c:
        camp = c.get("/v1/campaigns", headers=auth("analyst")).json()["campaigns"][0]
        c.post(
            f"/v1/campaigns/{camp['campaign_id']}/actions", json={"action": "block"},
            headers=auth("analyst"),
        )  # fmt: skip
        hits = receiver.wait_for(lambda e: e["event"] == "campaign.decision_changed")
    assert hits, receiver.events
    assert hits[0]["campaign_id"] == camp["campaign_id"] and hits[0]["decision"] == "block"
    assert hits[0]["previous_decision"] == camp["decision"] == "throttle"


def test_a_dead_webhook_receiver_never_blocks_actions(workspace_copy: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, every delivery fails.
    settings = settings_for(
        workspace_copy, webhooks=("http://127.0.0.1:9/none",), webhook_timeout=1.0
    )
    with TestClient(create_app(settings)) as c:
        camp = c.get("/v1/campaigns", headers=auth("analyst")).json()["campaigns"][0]
        r = c.post(
            f"/v1/campaigns/{camp['campaign_id']}/actions", json={"action": "block"},
            headers=auth("analyst"),
        )  # fmt: skip
        assert r.status_code == 200
        assert c.get(
            f"/v1/accounts/{camp['accounts'][0]}/decision", headers=auth("ingest")
        ).json()["decision"] == "block"  # fmt: skip


@pytest.mark.slow
def test_a_new_campaign_fires_appeared_on_detection(
    tmp_path: Path, sim_body: bytes, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path / "ws", webhooks=(receiver.url,))
    with TestClient(create_app(settings)) as c:
        c.post("/v1/exchanges", content=sim_body, headers=auth("ingest"))
        summary = c.post("/v1/detect", headers=auth("analyst")).json()
        hits = receiver.wait_for(
            lambda e: e["event"] == "campaign.appeared", count=summary["campaigns"]
        )
    assert summary["campaigns"] >= 1
    assert {e["campaign_id"] for e in hits} == set(summary["campaign_ids"].values())


def test_replay_batches_are_in_timestamp_order_and_paced(sim_log: Path) -> None:
    batches = list(paced_batches([sim_log / "requests.jsonl.gz"], speed=3600.0, batch_size=1000))
    stamps = [t for _, b, _ in batches for t in b["timestamp"].to_pylist()]
    assert stamps == sorted(stamps)
    dues = [d for d, _, _ in batches]
    assert dues == sorted(dues) and dues[0] == 0.0
    span = (stamps[-1] - stamps[0]).total_seconds()
    assert dues[-1] == pytest.approx(span / 3600.0, abs=0.5)


def test_replay_streams_a_log_into_a_running_service_once(tmp_path: Path, sim_log: Path) -> None:
    n = sum(1 for _ in paced_batches([sim_log / "requests.jsonl.gz"], speed=0, batch_size=10**9))
    with serving(settings_for(tmp_path / "ws")) as url:
        first = replay([sim_log / "requests.jsonl.gz"], url, key=KEYS["ingest"], batch_size=2000)
        again = replay([sim_log / "requests.jsonl.gz"], url, key=KEYS["ingest"], batch_size=2000)
    assert n == 1
    assert first.accepted == first.rows_sent > 0 and first.duplicates == 0
    assert again.accepted == 0 and again.duplicates == first.rows_sent


def test_replay_with_a_wrong_key_fails_with_one_clear_error(tmp_path: Path, sim_log: Path) -> None:
    from distillguard.errors import DistillguardError

    with (
        serving(settings_for(tmp_path / "ws")) as url,
        pytest.raises(DistillguardError, match="401"),
    ):
        replay([DATA / "canonical.jsonl"], url, key="wrong")


def test_detection_runs_on_schedule_once_new_exchanges_arrive(tmp_path: Path) -> None:
    import time

    settings = settings_for(tmp_path / "ws", detect_interval=0.5)
    with TestClient(create_app(settings)) as c:
        time.sleep(1.5)
        assert c.get("/healthz").json()["last_detection"] is None  # nothing stored: no run
        body = (DATA / "canonical.jsonl").read_bytes()
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).status_code == 200
        deadline = time.monotonic() + 120
        while c.get("/healthz").json()["last_detection"] is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get("/healthz").json()["last_detection"] is not None
        m = _metrics(c)
        assert m[("distillguard_detection_runs_total", (("outcome", "ok"),))] >= 1


def test_a_commit_that_checkpoints_the_write_ahead_log_is_counted(tmp_path: Path) -> None:
    # Every body waits while one commit folds the log into the database: operators see it.
    settings = settings_for(tmp_path / "ws", checkpoint_threshold="1KB")
    with TestClient(create_app(settings)) as c:
        body = (DATA / "canonical.jsonl").read_bytes()
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).status_code == 200
        assert _metrics(c)[("distillguard_wal_checkpoint_seconds_count", ())] >= 1
