"""What the input could tell the detector: field coverage, signals without data, warnings.

A log without prompt text (OpenTelemetry keeps none by default; many providers drop it for
privacy) is valid input, but the text signals then have nothing to read. Rather than let a quiet
run look like a clean one, :func:`data_coverage` says which signals had no data, and warns about
inputs that look misconfigured: one *placeholder* account carrying traffic (a LiteLLM proxy names
every master-key request ``default_user_id``), which is a gateway setting, not a customer.

Everything is one aggregate over the request table (any Ibis backend), no row loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

# Evidence -> the input fields it reads; it "has data" when any of them is set on some row.
SIGNAL_FIELDS: dict[str, tuple[str, ...]] = {
    "elicitation": ("prompt",),
    "capability": ("prompt",),
    "language": ("prompt",),
    "prompt_template": ("prompt",),
    "system_prompt": ("system_prompt",),
    "conversation_continuity": ("conversation_id", "turn_index"),
    "agentic_elicitation": ("prompt",),
    # Tools without a loop: a loop can only be seen in conversations.
    "tool_loop": ("conversation_id",),
    "output_budget": ("max_tokens",),
    "token_ratio": ("output_tokens",),
    "signup_age": ("account_created_at",),
    "network": ("ip",),
    "asn": ("asn",),
    "client_fingerprint": ("user_agent", "tls_fingerprint"),
    "payment": ("payment_fingerprint",),
    "email_domain": ("email_domain",),
    "organisation": ("org_id",),
}

# Account ids that name no customer: a gateway's stand-in for "no billed account was known".
# ``default_user_id`` is what the LiteLLM proxy records for requests made with its master key.
PLACEHOLDER_ACCOUNTS: dict[str, str] = {
    "default_user_id": (
        "LiteLLM records every request made with the proxy's master key as 'default_user_id': "
        "issue virtual keys per customer (or log the end user) so the billed account is known"
    ),
    "anonymous": "the gateway logged no account for these requests",
    "unknown": "the gateway logged no account for these requests",
    "none": "the gateway logged no account for these requests",
    "null": "the gateway logged no account for these requests",
    "undefined": "the gateway logged no account for these requests",
}
# Any single account above this share of all exchanges is worth a look when there are many.
DOMINANT_SHARE = 0.5
DOMINANT_MIN_ACCOUNTS = 10


@dataclass
class Coverage:
    """Field coverage (share of rows with a value), signals with no data, and warnings."""

    field_coverage: dict[str, float]
    signals_without_data: list[str]
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_summary(self) -> dict[str, Any]:
        """The keys added to ``summary.json``."""
        return asdict(self)


def data_coverage(requests: ir.Table) -> Coverage:
    """Coverage of a conformed request table (see :func:`distillguard.engine.conform`)."""
    fields = sorted({f for fs in SIGNAL_FIELDS.values() for f in fs} & set(requests.columns))
    counts = requests.aggregate(
        _rows=requests.count(),
        _accounts=requests.account_id.nunique(),
        **{f: requests[f].notnull().sum() for f in fields},
    ).to_pyarrow()
    row = {k: v[0] for k, v in counts.to_pydict().items()}
    n = int(row.pop("_rows") or 0)
    n_accounts = int(row.pop("_accounts") or 0)
    coverage = {f: round(int(row.get(f) or 0) / n, 4) if n else 0.0 for f in fields}
    missing = [
        name
        for name, needs in SIGNAL_FIELDS.items()
        if not any(coverage.get(f, 0.0) > 0 for f in needs)
    ]
    return Coverage(coverage, missing, _warnings(requests, n, n_accounts))


def _warnings(requests: ir.Table, n: int, n_accounts: int) -> list[dict[str, Any]]:
    if n == 0:
        return []
    placeholders = list(PLACEHOLDER_ACCOUNTS)
    per_account = requests.group_by("account_id").aggregate(exchanges=requests.count())
    suspects = per_account.filter(
        per_account.account_id.lower().strip().isin(placeholders)
        | (per_account.exchanges > DOMINANT_SHARE * n)
    )
    rows = suspects.order_by(ibis.desc("exchanges")).limit(20).to_pyarrow().to_pylist()
    out: list[dict[str, Any]] = []
    for r in rows:  # at most 20 accounts, not rows of the log
        account = str(r["account_id"])
        exchanges = int(r["exchanges"])
        share = round(exchanges / n, 4)
        reason = PLACEHOLDER_ACCOUNTS.get(account.strip().lower())
        if reason is not None:
            out.append(
                {
                    "kind": "placeholder_account",
                    "account_id": account,
                    "exchanges": exchanges,
                    "share": share,
                    "message": f"{share:.0%} of exchanges are billed to placeholder account "
                    f"{account!r}, which is a gateway setting, not a customer: {reason}. "
                    "Detection treats it as one account.",
                }
            )
        elif n_accounts >= DOMINANT_MIN_ACCOUNTS:
            out.append(
                {
                    "kind": "dominant_account",
                    "account_id": account,
                    "exchanges": exchanges,
                    "share": share,
                    "message": f"one account, {account!r}, carries {share:.0%} of exchanges: "
                    "check that the gateway logs the billed account and not a shared key.",
                }
            )
    return out
