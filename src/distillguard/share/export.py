"""``share export``: campaigns as one STIX 2.1 bundle, built with the ``stix2`` library.

What leaves, per campaign: a ``campaign`` (first/last seen, counts, targeted capabilities in the
project's extension), an ``infrastructure`` for its proxy network, the ATLAS ``attack-pattern``s it
shows, ``indicator``s for its *blockable* indicators only (values in group-keyed form, see
:mod:`distillguard.share.keys`), a ``note`` with the context (evidence by signal, indicators
withheld and why), and the ``relationship``s between them — every object marked with one TLP 2.0
marking. What never leaves without ``allow_raw``: account ids, organisation names, IPs, e-mail
domains, payment ids, prompt text; evidence descriptions are not copied (they can name a customer).

Ids are uuid5 over the reporting identity and a stable key (the campaign id, an indicator's kind
and value), so exporting again updates the partner's objects instead of duplicating them.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stix2

from distillguard.share.atlas import (
    ATLAS_SOURCE,
    CASE_STUDY_ID,
    CASE_STUDY_URL,
    AtlasTechnique,
    techniques_for,
)
from distillguard.share.detections import CampaignRecord, DetectionRun, SharedIndicator
from distillguard.share.keys import Rekeyer, key_id
from distillguard.share.tlp import tlp_marking

# The project's extension-definition: fixed id, documented in docs/sharing.md.
EXTENSION_ID = "extension-definition--af85f2cb-1478-42ea-bd63-2937d365628d"
EXTENSION_VERSION = "1.0.0"
EXTENSION_SCHEMA = "distillguard docs/sharing.md#the-distillguard-extension (schema 1.0.0)"
# The identity that defines the extension (fixed: the same object in every provider's bundle).
PROJECT_IDENTITY_ID = "identity--4d3b4b6e-2f0a-4c51-9a43-0b6f3f7c2d11"
ID_NAMESPACE = uuid.UUID("6f1c2a7e-3b1d-5c8e-9a40-d1571a6e2b15")
FINGERPRINT_TYPE = "x-distillguard-fingerprint"
NETWORK_KINDS = ("ip_prefix", "asn")
# Too coarse to block or to match on: one ASN or country holds many unrelated customers at the
# partner even when only the campaign used it at the reporter. Context (infrastructure, note) only.
COARSE_KINDS = frozenset({"asn", "country"})


@dataclass(frozen=True)
class ExportOptions:
    """How to export: who reports, under which TLP, and how values are keyed."""

    rekeyer: Rekeyer
    identity: str = "distillguard"
    tlp: str = "amber"
    now: datetime | None = None


@dataclass
class ExportResult:
    """The bundle and what was left out of it (for the command's summary line)."""

    bundle: stix2.Bundle
    campaigns: int = 0
    indicators: int = 0
    withheld_not_blockable: Counter[str] = field(default_factory=Counter)
    withheld_no_group_form: Counter[str] = field(default_factory=Counter)


def _ext(**props: Any) -> dict[str, Any]:
    return {EXTENSION_ID: {"extension_type": "property-extension", **props}}


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def indicator_pattern(kind: str, value: str, scheme: str) -> str:
    """A STIX pattern for one exported value.

    >>> indicator_pattern("asn", "64500", "hmac-sha256-128")
    '[autonomous-system:number = 64500]'
    >>> print(indicator_pattern("user_agent", "ab", "hmac-sha256-128"))
    [x-distillguard-fingerprint:kind = 'user_agent' AND x-distillguard-fingerprint:value = 'ab']
    """
    if kind == "asn" and value.isdigit():
        return f"[autonomous-system:number = {int(value)}]"
    if kind == "ip_prefix" and scheme == "raw":
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            pass
        else:
            sco = "ipv4-addr" if net.version == 4 else "ipv6-addr"
            return f"[{sco}:value ISSUBSET {_quote(str(net))}]"
    return (
        f"[{FINGERPRINT_TYPE}:kind = {_quote(kind)} AND {FINGERPRINT_TYPE}:value = {_quote(value)}]"
    )


class _Builder:
    """Accumulates objects by id (one object per id, several campaigns may share one)."""

    def __init__(self, options: ExportOptions, now: datetime) -> None:
        self.opt = options
        self.now = now
        self.ns = uuid.uuid5(ID_NAMESPACE, f"reporter|{options.identity}")
        self.objects: dict[str, Any] = {}
        self.marking = tlp_marking(options.tlp)
        self.identity = stix2.Identity(
            id=f"identity--{uuid.uuid5(self.ns, 'identity')}",
            name=options.identity,
            identity_class="organization",
            description="LLM API provider reporting distillation campaigns (distillguard)",
            created=self.now,
            modified=self.now,
            object_marking_refs=[self.marking.id],
        )
        self.common: dict[str, Any] = {
            "created_by_ref": self.identity.id,
            "object_marking_refs": [self.marking.id],
        }
        for obj in (self.marking, self.identity, _project_identity(), _extension_definition()):
            self.objects[obj.id] = obj

    def sid(self, kind: str, key: str) -> str:
        return f"{kind}--{uuid.uuid5(self.ns, f'{kind}|{key}')}"

    def times(self, created: datetime) -> dict[str, datetime]:
        created = min(created, self.now)
        return {"created": created, "modified": self.now}

    def add(self, obj: Any) -> Any:
        self.objects[obj.id] = obj
        return obj

    def relate(self, src: str, rel: str, dst: str, created: datetime) -> None:
        rid = self.sid("relationship", f"{src}|{rel}|{dst}")
        if rid not in self.objects:
            self.add(
                stix2.Relationship(
                    id=rid,
                    relationship_type=rel,
                    source_ref=src,
                    target_ref=dst,
                    **self.times(created),
                    **self.common,
                )
            )

    def attack_pattern(self, t: AtlasTechnique) -> str:
        # Same id at every provider: keyed on the ATLAS id only, not on the reporter.
        apid = f"attack-pattern--{uuid.uuid5(ID_NAMESPACE, f'atlas|{t.external_id}')}"
        if apid not in self.objects:
            self.add(
                stix2.AttackPattern(
                    id=apid,
                    name=t.name,
                    description=t.description,
                    external_references=[
                        {"source_name": ATLAS_SOURCE, "external_id": t.external_id, "url": t.url}
                    ],
                    created=datetime(2026, 1, 1, tzinfo=UTC),
                    modified=datetime(2026, 1, 1, tzinfo=UTC),
                    object_marking_refs=[self.marking.id],
                )
            )
        return apid


def _project_identity() -> stix2.Identity:
    return stix2.Identity(
        id=PROJECT_IDENTITY_ID,
        name="distillguard project",
        identity_class="system",
        description="Defines the distillguard STIX extension (docs/sharing.md).",
        created=datetime(2026, 12, 1, tzinfo=UTC),
        modified=datetime(2026, 12, 1, tzinfo=UTC),
    )


def _extension_definition() -> stix2.ExtensionDefinition:
    return stix2.ExtensionDefinition(
        id=EXTENSION_ID,
        created_by_ref=PROJECT_IDENTITY_ID,
        name="distillguard distillation-campaign extension",
        description=(
            "Property extension carrying distillation-campaign figures (account and exchange "
            "counts, targeted capabilities) and identifier values with no STIX cyber-observable "
            "(group-keyed hashes of IP prefixes, payment and TLS fingerprints, user agents and "
            "e-mail domains; prompt-template fingerprints), with how each value is computed."
        ),
        schema=EXTENSION_SCHEMA,
        version=EXTENSION_VERSION,
        extension_types=["property-extension"],
        created=datetime(2026, 12, 1, tzinfo=UTC),
        modified=datetime(2026, 12, 1, tzinfo=UTC),
    )


def _describe(c: CampaignRecord) -> str:
    caps = ", ".join(f"{k} {v:.0%}" for k, v in list(c.capabilities.items())[:5]) or "unknown"
    return (
        f"{c.account_count} accounts and {c.exchanges} exchanges harvesting model outputs "
        f"between {c.first_seen:%Y-%m-%d} and {c.last_seen:%Y-%m-%d}; targeted capabilities: "
        f"{caps}."
    )


def _note_content(
    c: CampaignRecord, exported: int, not_blockable: Counter[str], no_group: Counter[str]
) -> str:
    lines = [f"Campaign {c.campaign_id}: {_describe(c)}", f"Score {c.score:.2f}."]
    if c.recommended_action:
        lines.append(f"Recommended action at the reporter: {c.recommended_action}.")
    if c.evidence:
        lines.append("Evidence (signal, strength, accounts):")
        for e in c.evidence:
            # Signal names and figures only: evidence text can name a customer organisation.
            count = e.get("account_count") or len(e.get("account_ids") or [])
            lines.append(f"- {e.get('signal')}: {float(e.get('strength') or 0):.2f}, {count}")
    lines.append(f"{exported} blockable indicators exported.")
    if not_blockable:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(not_blockable.items()))
        lines.append(
            f"Withheld as not blockable (too common in the reporter's traffic, prevalence "
            f"unknown, or too coarse to block: ASN, country): {kinds}."
        )
    if no_group:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(no_group.items()))
        lines.append(
            f"Withheld because the reporter holds them only under its own ingest key: {kinds}."
        )
    return "\n".join(lines)


def _indicator(b: _Builder, c: CampaignRecord, ind: SharedIndicator, value: str) -> str:
    scheme = b.opt.rekeyer.scheme if ind.kind != "asn" else "raw"
    iid = b.sid("indicator", f"{ind.kind}|{scheme}|{value}")
    if iid not in b.objects:
        props: dict[str, Any] = {
            "kind": ind.kind,
            "value": value,
            "scheme": scheme,
            "accounts_in_campaign": ind.accounts_in_campaign,
        }
        if ind.accounts_in_log is not None:
            props["accounts_in_log"] = ind.accounts_in_log
        if scheme != "raw" and b.opt.rekeyer.share_key is not None:
            props["key_id"] = key_id(b.opt.rekeyer.share_key)
        b.add(
            stix2.Indicator(
                id=iid,
                name=f"{ind.kind} used by a distillation campaign",
                description=(
                    f"{ind.kind} shared by {ind.accounts_in_campaign} accounts of campaign "
                    f"{c.campaign_id}; blockable at the reporter."
                ),
                indicator_types=(
                    ["anonymization"] if ind.kind in NETWORK_KINDS else ["malicious-activity"]
                ),
                pattern=indicator_pattern(ind.kind, value, scheme),
                pattern_type="stix",
                valid_from=c.first_seen,
                extensions=_ext(**props),
                **b.times(c.first_seen),
                **b.common,
            )
        )
    return iid


def _campaign(b: _Builder, c: CampaignRecord) -> tuple[int, Counter[str], Counter[str]]:
    cid = b.sid("campaign", c.campaign_id)
    props: dict[str, Any] = {
        "source_campaign_id": c.campaign_id,
        "account_count": c.account_count,
        "exchanges": c.exchanges,
        "score": round(c.score, 4),
        "capabilities": {k: round(v, 4) for k, v in c.capabilities.items()},
    }
    if c.recommended_action:
        props["recommended_action"] = c.recommended_action
    b.add(
        stix2.Campaign(
            id=cid,
            name=f"Distillation campaign {c.campaign_id}",
            description=_describe(c),
            objective="Harvest model outputs to train a copy of the model (distillation).",
            first_seen=c.first_seen,
            last_seen=c.last_seen,
            external_references=[
                {"source_name": ATLAS_SOURCE, "external_id": CASE_STUDY_ID, "url": CASE_STUDY_URL}
            ],
            extensions=_ext(**props),
            **b.times(c.first_seen),
            **b.common,
        )
    )
    network = [i for i in c.indicators if i.kind in NETWORK_KINDS]
    infra_id = None
    if network:
        infra_id = b.sid("infrastructure", c.campaign_id)
        b.add(
            stix2.Infrastructure(
                id=infra_id,
                name=f"Proxy network of distillation campaign {c.campaign_id}",
                description=(
                    f"Networks shared across the campaign's accounts: "
                    f"{sum(i.kind == 'ip_prefix' for i in network)} IP prefixes, "
                    f"{sum(i.kind == 'asn' for i in network)} ASNs."
                ),
                infrastructure_types=["anonymization"],
                first_seen=c.first_seen,
                last_seen=c.last_seen,
                **b.times(c.first_seen),
                **b.common,
            )
        )
        b.relate(cid, "uses", infra_id, c.first_seen)
    for t in techniques_for(proxies=infra_id is not None, accounts=c.account_count):
        b.relate(cid, "uses", b.attack_pattern(t), c.first_seen)
    exported = 0
    not_blockable: Counter[str] = Counter()
    no_group: Counter[str] = Counter()
    for ind in c.indicators:
        if not ind.blockable or ind.kind in COARSE_KINDS:
            not_blockable[ind.kind] += 1
            continue
        value = b.opt.rekeyer.convert(ind.kind, ind.value)
        if value is None:
            no_group[ind.kind] += 1
            continue
        iid = _indicator(b, c, ind, value)
        b.relate(iid, "indicates", cid, c.first_seen)
        if infra_id is not None and ind.kind in NETWORK_KINDS:
            b.relate(iid, "indicates", infra_id, c.first_seen)
        exported += 1
    b.add(
        stix2.Note(
            id=b.sid("note", c.campaign_id),
            abstract=f"Context for distillation campaign {c.campaign_id}",
            content=_note_content(c, exported, not_blockable, no_group),
            object_refs=[cid],
            **b.times(c.first_seen),
            **b.common,
        )
    )
    return exported, not_blockable, no_group


def export_bundle(
    run: DetectionRun, campaigns: tuple[CampaignRecord, ...], options: ExportOptions
) -> ExportResult:
    """Build the bundle for ``campaigns`` (a selection from ``run``)."""
    now = options.now or datetime.now(UTC)
    b = _Builder(options, now)
    result = ExportResult(bundle=stix2.Bundle(allow_custom=True))
    for c in campaigns:
        n, nb, ng = _campaign(b, c)
        result.campaigns += 1
        result.indicators += n
        result.withheld_not_blockable.update(nb)
        result.withheld_no_group_form.update(ng)
    result.bundle = stix2.Bundle(objects=list(b.objects.values()), allow_custom=True)
    return result


__all__ = [
    "EXTENSION_ID",
    "FINGERPRINT_TYPE",
    "ExportOptions",
    "ExportResult",
    "export_bundle",
    "indicator_pattern",
]
