"""Shared-infrastructure linkers: accounts that rely on the same network, client, payment
instrument, or sign-up burst.

For one key (say ``ip_prefix``) each account has a distribution over values (the share of its
requests from each network). The evidence between two accounts is the overlap of their
distributions, ``sum(min(p_a(v), p_b(v)) * specificity(v))``: 1 when both send everything from the
same place, small when they merely cross paths once. A value used by a large share of all accounts
(a popular client library, a huge mail provider) carries little information, so its specificity
falls with the number of accounts using it. None of these families makes a campaign on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from distillguard.errors import ConfigError
from distillguard.linkage.base import (
    LinkContext,
    Linker,
    canonical_edges,
    empty_edges,
    pairs_within_groups,
)


def key_shares(requests: ir.Table, key: ir.Value) -> ir.Table:
    """Per (account, key value): the share of the account's requests with that value."""
    t = requests.mutate(_key=key.cast("string")).filter(ibis._._key.notnull())
    per_value = t.group_by(["account_id", "_key"]).aggregate(_c=ibis._.count())
    totals = requests.group_by("account_id").aggregate(_n=ibis._.count())
    j = per_value.join(totals, "account_id")
    return j.select("account_id", value=j._key, share=j._c.cast("float64") / j._n)


def account_shares(ctx: LinkContext, key: ir.Value) -> pl.DataFrame:
    """:func:`key_shares` with each account's dense ``idx``: ``idx, value, share``.

    The request count per account is the account table's ``n`` when it has one (the same
    ``count(*)`` over the same requests), so each key costs one engine pass, not two."""
    if "n" not in ctx.accounts.columns:
        shares = pl.from_arrow(key_shares(ctx.requests, key).to_pyarrow())
        assert isinstance(shares, pl.DataFrame)
        return shares.join(ctx.accounts.select("account_id", "idx"), on="account_id")
    t = ctx.requests.mutate(_key=key.cast("string")).filter(ibis._._key.notnull())
    counts = t.group_by(["account_id", "_key"]).aggregate(_c=ibis._.count())
    return shares_of_requests(counts, ctx.accounts, "_key", "value", keep=("idx",))


def shares_of_requests(
    counts: ir.Table, accounts: pl.DataFrame, key: str, name: str, keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Engine counts ``account_id, <key>, _c`` (requests per account and value) as shares of
    each account's requests, dividing by the account table's ``n``: ``account_id``, the
    ``keep`` columns of ``accounts``, ``<name>`` and ``share``."""
    frame = pl.from_arrow(counts.to_pyarrow())
    assert isinstance(frame, pl.DataFrame)
    return frame.join(accounts.select("account_id", *keep, "n"), on="account_id").select(
        "account_id",
        *keep,
        pl.col(key).alias(name),
        (pl.col("_c").cast(pl.Float64) / pl.col("n").cast(pl.Float64)).alias("share"),
    )


def _specificity(n_accounts_with_value: np.ndarray, population: int, idf: bool) -> np.ndarray:
    if not idf:
        return np.ones(len(n_accounts_with_value))
    k = np.maximum(n_accounts_with_value, 1).astype(np.float64)
    spec: np.ndarray = np.clip(1.0 - np.log1p(k) / np.log1p(max(population, 2)), 0.0, 1.0)
    return spec


@dataclass
class SharedKeyLinker(Linker):
    """Link accounts whose requests share values of one key expression.

    ``columns`` are concatenated into the key (``user_agent`` + ``tls_fingerprint`` identify a
    client build); ``idf`` down-weights values that many accounts use; ``fanout`` bounds the
    pairs drawn from one large group (see :func:`pairs_within_groups`). The generic linker has no
    family of its own: a configured one names ``family``, ``reliability`` and ``description``
    (the built-in families below are its subclasses).
    """

    family: str = ""
    columns: tuple[str, ...] = ()
    idf: bool = False
    bucket_seconds: int = 0
    fanout: int = 12
    reliability: float = math.nan
    description: str = ""

    def check(self) -> None:
        super().check()
        if not self.columns or not all(isinstance(c, str) for c in self.columns):
            raise ConfigError(f"linker family {self.family!r} needs key columns")
        if self.fanout < 1:
            raise ConfigError(f"linker family {self.family!r}: fanout must be >= 1")

    def key_expr(self, t: ir.Table) -> ir.Value:
        if self.bucket_seconds:
            col = t[self.columns[0]]
            return (col.epoch_seconds() // self.bucket_seconds).cast("string")
        parts = [t[c].cast("string") for c in self.columns]
        key = parts[0]
        for p in parts[1:]:
            key = key.concat("|", p)
        return key

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        t = ctx.requests
        if any(c not in t.columns for c in self.columns):
            return empty_edges()
        shares = account_shares(ctx, self.key_expr(t))
        return overlap_edges(
            shares,
            self.family,
            population=ctx.n_accounts,
            idf=self.idf,
            fanout=self.fanout,
            seed=ctx.seed,
        )


@dataclass
class PaymentLinker(SharedKeyLinker):
    """Accounts paying with the same instrument: the strongest single infrastructure tie."""

    family: str = "payment"
    columns: tuple[str, ...] = ("payment_fingerprint",)
    reliability: float = 0.55
    description: str = "share payment instruments"


@dataclass
class NetworkLinker(SharedKeyLinker):
    """Accounts sending from the same /24 or /48 networks, by idf.

    A network that hundreds of accounts share is an institution's egress (a campus or
    corporate NAT, a carrier-grade NAT, a VPN exit): it says where people sit, not who operates
    them, so its links weigh little; a handful of accounts on one residential or rented network
    is what an operator leaves behind."""

    family: str = "network"
    columns: tuple[str, ...] = ("ip_prefix",)
    idf: bool = True
    reliability: float = 0.35
    description: str = "send from the same networks (/24 or /48)"


@dataclass
class ClientLinker(SharedKeyLinker):
    """Accounts on the same uncommon client build (user agent + TLS fingerprint), by idf."""

    family: str = "client"
    columns: tuple[str, ...] = ("user_agent", "tls_fingerprint")
    idf: bool = True
    reliability: float = 0.15
    description: str = "use the same uncommon client build (user agent + TLS fingerprint)"


@dataclass
class SignupLinker(SharedKeyLinker):
    """Accounts created in the same hour (a sign-up burst), by idf."""

    family: str = "signup"
    columns: tuple[str, ...] = ("account_created_at",)
    bucket_seconds: int = 3600
    idf: bool = True
    reliability: float = 0.25
    description: str = "signed up in the same hour"


@dataclass
class EmailLinker(SharedKeyLinker):
    """Accounts on the same uncommon e-mail domain, by idf (a huge mail provider counts little)."""

    family: str = "email"
    columns: tuple[str, ...] = ("email_domain",)
    idf: bool = True
    reliability: float = 0.1
    description: str = "share an uncommon e-mail domain"


def overlap_edges(
    shares: pl.DataFrame, family: str, *, population: int, idf: bool, fanout: int, seed: int
) -> pl.DataFrame:
    """Edges weighted by distribution overlap, from rows ``idx, value, share``."""
    if shares.is_empty():
        return empty_edges()
    # A fixed row order makes the pairs drawn from large groups independent of the engine.
    shares = shares.with_columns(pl.col("value").cast(pl.String)).sort(["value", "idx"])
    shares = shares.with_columns(
        pl.col("value").cast(pl.String).cast(pl.Categorical).to_physical().alias("vid"),
        pl.len().over("value").alias("k"),
    ).filter(pl.col("k") > 1)
    if shares.is_empty():
        return empty_edges()
    vid = shares["vid"].to_numpy()
    i, j = pairs_within_groups(vid, fanout=fanout, seed=seed)
    share = shares["share"].to_numpy()
    spec = _specificity(shares["k"].to_numpy(), population, idf)
    weight = np.minimum(share[i], share[j]) * spec[i]
    idx = shares["idx"].to_numpy()
    return canonical_edges(idx[i], idx[j], weight, family)


@dataclass
class CrossOrgLinker(Linker):
    """A linker over groups of accounts that span organisations (a shared prompt, a shared task
    space): ``min_orgs`` is the fewest organisations a group must span to link anyone (a
    customer's own accounts share its setup), ``fanout`` bounds the pairs drawn from one large
    group, and ``groups`` (filled by ``link``, for reports and diagnostics) describes each
    linking group."""

    min_orgs: int = 2
    fanout: int = 12
    groups: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    def group_edges(self, shares: pl.DataFrame, ctx: LinkContext) -> pl.DataFrame:
        """Edges from rows ``idx, value, share`` (``value`` names the group), weighted by how
        much of both accounts' traffic the group holds; specificity is the linker's own."""
        return overlap_edges(
            shares,
            self.family,
            population=ctx.n_accounts,
            idf=False,
            fanout=self.fanout,
            seed=ctx.seed,
        )

    def check(self) -> None:
        super().check()
        if self.fanout < 1 or self.min_orgs < 2:
            raise ConfigError(
                f"linker family {self.family!r}: fanout must be >= 1 and min_orgs >= 2"
            )
