"""Prometheus metrics of one service instance (its own registry, so apps never share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """What ``GET /metrics`` exposes; the names are documented in docs/service.md."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.ingested = Counter(
            "distillguard_exchanges_ingested", "Exchanges stored (new request_id)", registry=r
        )
        self.duplicates = Counter(
            "distillguard_exchanges_duplicate", "Exchanges skipped: request_id already stored",
            registry=r,
        )  # fmt: skip
        self.quarantined = Counter(
            "distillguard_exchanges_quarantined", "Rows quarantined, by reason", ["reason"],
            registry=r,
        )  # fmt: skip
        self.ingest_latency = Histogram(
            "distillguard_ingest_latency_seconds", "Time to parse, validate and commit one body",
            ["endpoint"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.checkpoint_seconds = Histogram(
            "distillguard_wal_checkpoint_seconds",
            "Commits that folded the write-ahead log into the database: their duration (every "
            "body waits for it; see serve --checkpoint-threshold)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120), registry=r,
        )  # fmt: skip
        self.decisions_served = Counter(
            "distillguard_decisions_served", "Decision answers, by decision", ["decision"],
            registry=r,
        )  # fmt: skip
        self.accounts_decided = Gauge(
            "distillguard_accounts_decided", "Accounts whose current decision is not allow",
            ["decision"], registry=r,
        )  # fmt: skip
        self.campaigns = Gauge(
            "distillguard_campaigns", "Campaigns in the book, by status", ["status"], registry=r
        )
        self.detection_seconds = Histogram(
            "distillguard_detection_run_seconds", "Wall time of one detection run",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600), registry=r,
        )  # fmt: skip
        self.detection_runs = Counter(
            "distillguard_detection_runs", "Detection runs, by outcome", ["outcome"], registry=r
        )
        self.indicator_matches = Counter(
            "distillguard_indicator_matches", "Accounts decided on arrival by a known indicator",
            registry=r,
        )  # fmt: skip
        self.newest_exchange = Gauge(
            "distillguard_newest_exchange_timestamp_seconds",
            "Timestamp (Unix seconds) of the newest exchange stored: the service's log clock",
            registry=r,
        )
        self.state_fold_seconds = Histogram(
            "distillguard_state_fold_seconds",
            "Wall time of one fold of new exchanges into the live per-account state",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60), registry=r,
        )  # fmt: skip
        self.webhooks = Counter(
            "distillguard_webhook_deliveries", "Webhook POSTs, by outcome", ["outcome"], registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
