"""A partner's indicators as evidence in our own detection.

:func:`load_intel` reads a partner's STIX bundle (or what ``share import`` stored from one) into
:class:`PartnerIntel`. :class:`IntelLinker` is the linker-like component ``detect`` runs when given
intel (the ``intel`` hook of :func:`distillguard.pipeline.detect.detect`): it puts our own values in
the group-keyed form the partner used, finds the accounts whose traffic (or sampled prompt
templates) match a partner campaign's indicators, links those accounts to one another (edge family
``intel``) so clustering and campaign scoring take the partner's knowledge into account, and emits
an ``intel.partner_indicator`` finding — naming the partner and the bundle — on every campaign that
holds matched accounts.

Matching needs our values in the partner's form: raw values are hashed with the group key; values
hashed at ingest with the group key match as they are; values hashed at ingest with another key
cannot be matched (an HMAC cannot be re-keyed) and are reported as unmatchable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl
import pyarrow as pa

from distillguard.campaigns.model import Campaign, Finding
from distillguard.errors import InputError
from distillguard.ingest.privacy import Privacy
from distillguard.linkage.base import LinkContext, canonical_edges, empty_edges, pairs_within_groups
from distillguard.linkage.registry import OUTSIDE_FAMILIES
from distillguard.share.keys import INGEST_HASHED_KINDS, KEYED_KINDS, SCHEME_RAW, key_id

EXTENSION_ID = "extension-definition--af85f2cb-1478-42ea-bd63-2937d365628d"
INTEL_FORMAT = "distillguard-intel/1"
REQUEST_KINDS = (
    "ip_prefix",
    "asn",
    "payment_fingerprint",
    "email_domain",
    "tls_fingerprint",
    "user_agent",
    "system_prompt",
)
TEMPLATE_KIND = "prompt_template"
# How much one kind of match says about the operator (cf. the linkage reliabilities): a card or a
# fixed template is the operator's own; a proxy prefix nearly so; a client build (user agent, TLS
# fingerprint) or an e-mail domain is shared by whoever runs the same software or mail provider,
# so on its own it never makes an account match.
KIND_WEIGHT: dict[str, float] = {
    "payment_fingerprint": 1.0,
    "prompt_template": 0.9,
    "system_prompt": 0.9,
    "ip_prefix": 0.8,
    "email_domain": 0.4,
    "user_agent": 0.3,
    "tls_fingerprint": 0.3,
    "asn": 0.1,
}


@dataclass(frozen=True)
class PartnerIndicator:
    """One indicator a partner shared: value as exported, and the partner campaigns it indicates."""

    kind: str
    value: str
    scheme: str
    key_id: str | None
    campaigns: tuple[str, ...]


@dataclass(frozen=True)
class PartnerIntel:
    """What one bundle told us: who reported it, its campaigns (STIX id -> name), indicators."""

    partner: str
    bundle_id: str
    source: str
    tlp: str | None
    campaigns: dict[str, str]
    indicators: tuple[PartnerIndicator, ...]

    def to_json(self) -> dict[str, Any]:
        return {"format": INTEL_FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PartnerIntel:
        inds = tuple(
            PartnerIndicator(
                i["kind"], i["value"], i["scheme"], i.get("key_id"), tuple(i["campaigns"])
            )
            for i in doc["indicators"]
        )
        return cls(
            doc["partner"], doc["bundle_id"], doc["source"], doc.get("tlp"),
            dict(doc["campaigns"]), inds,
        )  # fmt: skip


def parse_bundle(doc: dict[str, Any], source: str) -> PartnerIntel:
    """Extract the indicators of a STIX 2.1 bundle made by ``share export``."""
    from distillguard.share.tlp import tlp_level

    if doc.get("type") != "bundle" or not isinstance(doc.get("objects"), list):
        raise InputError("not a STIX 2.1 bundle", source=source)
    objs: list[dict[str, Any]] = [o for o in doc["objects"] if isinstance(o, dict)]
    by_id = {o.get("id"): o for o in objs}
    campaigns = {o["id"]: str(o.get("name", o["id"])) for o in objs if o.get("type") == "campaign"}
    indicates: dict[str, list[str]] = {}
    for o in objs:
        if (
            o.get("type") == "relationship"
            and o.get("relationship_type") == "indicates"
            and o.get("target_ref") in campaigns
        ):
            indicates.setdefault(o["source_ref"], []).append(o["target_ref"])
    reporters = {
        str(by_id[c]["created_by_ref"])
        for c in campaigns
        if by_id[c].get("created_by_ref") in by_id
    }
    partner = ", ".join(sorted(str(by_id[r].get("name", r)) for r in reporters)) or "unknown"
    markings = sorted({m for o in objs for m in o.get("object_marking_refs", [])})
    out: list[PartnerIndicator] = []
    for o in objs:
        ext = (o.get("extensions") or {}).get(EXTENSION_ID)
        if o.get("type") != "indicator" or not isinstance(ext, dict):
            continue  # only indicators this project's extension describes can be matched
        out.append(
            PartnerIndicator(
                kind=str(ext["kind"]),
                value=str(ext["value"]),
                scheme=str(ext.get("scheme", SCHEME_RAW)),
                key_id=ext.get("key_id"),
                campaigns=tuple(indicates.get(o["id"], [])),
            )
        )
    return PartnerIntel(
        partner=partner,
        bundle_id=str(doc.get("id")),
        source=source,
        tlp=tlp_level(markings),
        campaigns=campaigns,
        indicators=tuple(out),
    )


def load_intel(path: Path) -> list[PartnerIntel]:
    """A STIX bundle, a file stored by ``share import``, or a directory of those
    (``WORKSPACE/intel``)."""
    path = Path(path)
    if path.is_dir():
        return [i for p in sorted(path.glob("*.json")) for i in load_intel(p)]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read intel: {exc}", source=str(path)) from exc
    if isinstance(doc, dict) and doc.get("format") == INTEL_FORMAT:
        return [PartnerIntel.from_json(doc)]
    return [parse_bundle(doc, path.name)]


def import_bundle(path: Path, workspace: Path) -> tuple[Path, PartnerIntel]:
    """Store a partner's bundle's indicators in ``workspace/intel/`` (``detect --intel`` reads
    that directory)."""
    (intel,) = load_intel(path)
    target = Path(workspace) / "intel"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {target}: {exc.strerror}", source=str(workspace)) from exc
    slug = re.sub(r"[^A-Za-z0-9]+", "-", intel.partner).strip("-").lower() or "partner"
    out = target / f"{slug}-{intel.bundle_id.split('--')[-1]}.json"
    out.write_text(json.dumps(intel.to_json(), indent=2))
    return out, intel


@dataclass
class IntelMatches:
    """Per-account matches against partner campaigns, and the edges they imply."""

    accounts: (
        pl.DataFrame
    )  # idx, account_id, group, partner, bundle, source, campaign, kinds, strength
    edges: pl.DataFrame
    unmatchable: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        a = self.accounts
        return {
            "accounts_matched": int(a["idx"].n_unique()) if not a.is_empty() else 0,
            "bundles": sorted(set(a["bundle"].to_list())) if not a.is_empty() else [],
            "unmatchable_kinds": self.unmatchable,
        }

    def annotate(self, campaigns: Sequence[Campaign]) -> None:
        """Add an ``intel.partner_indicator`` finding to each campaign holding matched accounts
        (one per partner campaign it touches)."""
        if self.accounts.is_empty():
            return
        for c in campaigns:
            hit = self.accounts.filter(pl.col("account_id").is_in(c.accounts))
            if hit.is_empty():
                continue
            for key, g in hit.group_by(["partner", "bundle", "source", "campaign"]):
                partner, bundle, source, name = (str(k) for k in key)
                ids = sorted(set(g["account_id"].to_list()))
                kinds = sorted({k for ks in g["kinds"].to_list() for k in ks})
                share = len(ids) / max(len(c.accounts), 1)
                c.evidence.append(
                    Finding(
                        signal="intel.partner_indicator",
                        strength=share * float(np.mean(g["strength"].to_numpy())),
                        description=(
                            f"{len(ids)} of {len(c.accounts)} accounts match indicators "
                            f"({', '.join(kinds)}) that {partner} shared for '{name}' "
                            f"(bundle {bundle}, file {source})"
                        ),
                        account_ids=tuple(ids[:50]),
                        account_count=len(ids),
                        details={
                            "partner": partner,
                            "bundle": bundle,
                            "bundle_file": source,
                            "partner_campaign": name,
                            "kinds": kinds,
                            "accounts_matched": len(ids),
                        },
                    )
                )
            c.evidence.sort(key=lambda f: -f.strength)


@dataclass
class IntelLinker:
    """Links accounts that match the same partner campaign's indicators (family ``intel``).

    Self-describing like the built-in linkers: ``family``, ``reliability`` (how much one such link
    counts when families fuse) and ``description`` live on the class.
    ``min_strength`` is the least match strength that counts: ``1 - prod(1 - w_k * share_k)``
    over the kinds matched, ``share_k`` the share of the account's requests (sampled requests for
    templates) that match and ``w_k`` the kind's :data:`KIND_WEIGHT`.
    """

    family: ClassVar[str] = "intel"
    reliability: ClassVar[float] = 0.6
    description: ClassVar[str] = "match indicators a partner provider shared"

    intel: Sequence[PartnerIntel]
    share_key: bytes | None
    ingest_key: bytes | None = None
    min_strength: float = 0.5
    fanout: int = 12

    def configure(self, config: Any) -> Any:
        """``config`` (a ``DetectConfig``) with this family's reliability added."""
        cluster = replace(
            config.cluster,
            reliability={**config.cluster.reliability, self.family: self.reliability},
        )
        return replace(config, cluster=cluster)

    def _local_form(self, kind: str, values: pa.Array, scheme: str) -> pa.Array | None:
        """Our values in the form the partner exported them, or None when impossible."""
        if kind not in KEYED_KINDS or scheme == SCHEME_RAW:
            stored_hashed = self.ingest_key is not None and kind in INGEST_HASHED_KINDS
            return None if stored_hashed and scheme == SCHEME_RAW else values
        if self.share_key is None:
            return None
        if self.ingest_key is not None and kind in INGEST_HASHED_KINDS:
            return values if self.ingest_key == self.share_key else None
        return Privacy(hash_key=self.share_key).hash_column(values)

    def _wanted(self) -> pl.DataFrame:
        mine = key_id(self.share_key) if self.share_key is not None else None
        rows = [
            (i.kind, i.value, i.scheme, g, intel.partner, intel.bundle_id, intel.source,
             intel.campaigns.get(cid, cid))
            for g, (intel, cid) in enumerate(
                (intel, cid) for intel in self.intel for cid in _campaigns_of(intel)
            )
            for i in intel.indicators
            if cid in i.campaigns and (i.key_id is None or i.key_id == mine)
        ]  # fmt: skip
        schema = ["kind", "value", "scheme", "group", "partner", "bundle", "source", "campaign"]
        return (
            pl.DataFrame(rows, schema=schema, orient="row")
            if rows
            else pl.DataFrame(schema=dict.fromkeys(schema, pl.String) | {"group": pl.Int64})
        )

    def match(self, ctx: LinkContext) -> IntelMatches:
        wanted = self._wanted()
        unmatchable: set[str] = set()
        shares: list[pl.DataFrame] = []
        for (kind, scheme), w in wanted.group_by(["kind", "scheme"]):
            kind, scheme = str(kind), str(scheme)
            if kind in REQUEST_KINDS and kind in ctx.requests.columns:
                got = self._request_shares(ctx, kind, scheme, w)
            elif kind == TEMPLATE_KIND and "skeleton" in ctx.sample.columns:
                got = self._template_shares(ctx, scheme, w)
            else:
                got = None
            if got is None:
                unmatchable.add(kind)
            elif not got.is_empty():
                shares.append(got.with_columns(pl.lit(kind).alias("kind")))
        if not shares:
            empty = pl.DataFrame(
                schema={"idx": pl.Int64, "account_id": pl.String, "group": pl.Int64,
                        "partner": pl.String, "bundle": pl.String, "source": pl.String,
                        "campaign": pl.String, "kinds": pl.List(pl.String),
                        "strength": pl.Float64}
            )  # fmt: skip
            return IntelMatches(empty, empty_edges(), sorted(unmatchable))
        per = pl.concat(shares).join(
            wanted.select("group", "partner", "bundle", "source", "campaign").unique(), on="group"
        )
        # Kinds are independent evidence: strength = 1 - prod(1 - weight * share of each kind).
        weight = pl.col("kind").replace_strict(KIND_WEIGHT, default=0.3, return_dtype=pl.Float64)
        per = per.with_columns((weight * pl.col("share").clip(0.0, 1.0)).alias("share"))
        accounts = (
            per.group_by(["idx", "group", "partner", "bundle", "source", "campaign"])
            .agg(
                pl.col("kind").unique().sort().alias("kinds"),
                (1.0 - (1.0 - pl.col("share").clip(0.0, 1.0)).product()).alias("strength"),
            )
            .filter(pl.col("strength") >= self.min_strength)
            .join(ctx.accounts.select("idx", "account_id"), on="idx")
            .sort(["group", "idx"])
        )
        return IntelMatches(accounts, self._edges(accounts, ctx.seed), sorted(unmatchable))

    def _request_shares(
        self, ctx: LinkContext, kind: str, scheme: str, wanted: pl.DataFrame
    ) -> pl.DataFrame | None:
        t = ctx.requests
        col = _value_expr(t, kind).cast("string")
        distinct = t.select(v=col).filter(ibis._.v.notnull()).distinct().to_pyarrow()["v"]
        local = self._local_form(kind, distinct.combine_chunks(), scheme)
        if local is None:
            return None
        forms = pl.DataFrame({"v": pl.Series(distinct.combine_chunks()), "value": pl.Series(local)})
        hits = forms.join(wanted.select("value", "group"), on="value")
        if hits.is_empty():
            return pl.DataFrame(schema={"idx": pl.Int64, "group": pl.Int64, "share": pl.Float64})
        matched = ibis.memtable(hits.select("v", "group").to_arrow())
        j = t.mutate(v=col).join(matched, "v")
        counts = j.group_by(["account_id", "group"]).aggregate(m=ibis._.count())
        totals = t.group_by("account_id").aggregate(n=ibis._.count())
        k = counts.join(totals, "account_id")
        frame = pl.from_arrow(
            k.select("account_id", "group", share=k.m.cast("float64") / k.n).to_pyarrow()
        )
        assert isinstance(frame, pl.DataFrame)
        return frame.join(ctx.accounts.select("account_id", "idx"), on="account_id").select(
            "idx", pl.col("group").cast(pl.Int64), "share"
        )

    def _template_shares(
        self, ctx: LinkContext, scheme: str, wanted: pl.DataFrame
    ) -> pl.DataFrame | None:
        s = ctx.sample.filter(pl.col("skeleton").is_not_null())
        if s.is_empty():
            return pl.DataFrame(schema={"idx": pl.Int64, "group": pl.Int64, "share": pl.Float64})
        skel = s["skeleton"].unique().sort()
        hexed = pa.array(
            [f"{int(k) & 0xFFFFFFFFFFFFFFFF:016x}" for k in skel.to_list()], pa.string()
        )
        local = self._local_form(TEMPLATE_KIND, hexed, scheme)
        if local is None:
            return None
        forms = pl.DataFrame({"skeleton": skel, "value": pl.Series(local)})
        hits = forms.join(wanted.select("value", "group"), on="value")
        totals = ctx.sample.group_by("idx").agg(pl.len().alias("n"))
        return (
            s.join(hits.select("skeleton", "group"), on="skeleton")
            .group_by(["idx", "group"])
            .agg(pl.len().alias("m"))
            .join(totals, on="idx")
            .select(pl.col("idx").cast(pl.Int64), pl.col("group").cast(pl.Int64),
                    (pl.col("m") / pl.col("n")).alias("share"))
        )  # fmt: skip

    def _edges(self, accounts: pl.DataFrame, seed: int) -> pl.DataFrame:
        if accounts.height < 2:
            return empty_edges()
        group = accounts["group"].to_numpy()
        i, j = pairs_within_groups(group, fanout=self.fanout, seed=seed)
        if len(i) == 0:
            return empty_edges()
        idx = accounts["idx"].to_numpy()
        s = accounts["strength"].to_numpy()
        return canonical_edges(idx[i], idx[j], np.minimum(s[i], s[j]), self.family, merge="max")


OUTSIDE_FAMILIES[IntelLinker.family] = IntelLinker.description


def _value_expr(t: ir.Table, kind: str) -> ir.Value:
    """The stored form of an indicator kind, as ``campaigns.json`` derives it: a system prompt
    is the first 16 hex digits of its SHA-256, never the text."""
    if kind == "system_prompt":
        return t.system_prompt.hexdigest("sha256").substr(0, 16)
    return t[kind]


def _campaigns_of(intel: PartnerIntel) -> Iterable[str]:
    return sorted(intel.campaigns)


__all__ = [
    "IntelLinker",
    "IntelMatches",
    "PartnerIndicator",
    "PartnerIntel",
    "import_bundle",
    "load_intel",
    "parse_bundle",
]
