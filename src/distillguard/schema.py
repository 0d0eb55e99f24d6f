"""The request-log schema (contract v1), defined once as an Arrow schema.

Every stage reads and writes tables with these columns in this order. See ``shared/CONTRACT.md``.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

SCHEMA_VERSION = 1

TS = pa.timestamp("us", tz="UTC")

REQUEST_SCHEMA = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("timestamp", TS, nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("org_id", pa.string()),
        pa.field("api_key_id", pa.string()),
        pa.field("ip", pa.string()),
        pa.field("asn", pa.int64()),
        pa.field("country", pa.string()),
        pa.field("user_agent", pa.string()),
        pa.field("tls_fingerprint", pa.string()),
        pa.field("payment_fingerprint", pa.string()),
        pa.field("account_created_at", TS),
        pa.field("email_domain", pa.string()),
        pa.field("model", pa.string(), nullable=False),
        pa.field("conversation_id", pa.string()),
        pa.field("turn_index", pa.int64()),
        pa.field("system_prompt", pa.string()),
        pa.field("prompt", pa.string()),  # optional since 2026-12-02: metadata-only logs
        pa.field("tool_count", pa.int64()),
        pa.field("max_tokens", pa.int64()),
        pa.field("temperature", pa.float64()),
        pa.field("input_tokens", pa.int64()),
        pa.field("output_tokens", pa.int64()),
        pa.field("response", pa.string()),
        pa.field("status", pa.string()),
    ],
    metadata={b"distillguard.schema_version": str(SCHEMA_VERSION).encode()},
)

# What a workspace stores: the request schema plus columns derived at ingest. ``ip_prefix`` is the
# client's /24 (IPv4) or /48 (IPv6) network, kept for linkage even when ``ip`` is keyed-hashed (then
# the prefix is keyed-hashed too). Derived columns are recomputed by the detector when absent.
DERIVED_FIELDS = [pa.field("ip_prefix", pa.string())]
STORED_SCHEMA = pa.schema(list(REQUEST_SCHEMA) + DERIVED_FIELDS, metadata=REQUEST_SCHEMA.metadata)

REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in REQUEST_SCHEMA if not f.nullable)
FIELD_NAMES: tuple[str, ...] = tuple(REQUEST_SCHEMA.names)
STATUS_VALUES: frozenset[str] = frozenset({"ok", "error", "refused"})

# Ground truth written by the simulator beside the log (contract section 3).
LABELS_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string()),
        pa.field("persona", pa.string()),
    ]
)
REQUEST_LABELS_SCHEMA = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string()),
    ]
)


def empty_table() -> pa.Table:
    """A zero-row table with the request schema."""
    return REQUEST_SCHEMA.empty_table()


def rfc3339(ts: datetime) -> str:
    """The contract's text form of a time: ISO 8601 with ``Z`` for UTC.

    >>> from datetime import UTC
    >>> rfc3339(datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
    '2026-03-01T12:30:00Z'
    """
    return ts.isoformat().replace("+00:00", "Z")
