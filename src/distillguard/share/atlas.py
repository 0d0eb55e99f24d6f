"""MITRE ATLAS techniques and the case study a distillation campaign maps to.

Attack patterns get the same STIX id at every provider (uuid5 over the ATLAS id), so bundles from
several partners merge on them instead of duplicating.
"""

from __future__ import annotations

from dataclasses import dataclass

ATLAS_SOURCE = "mitre-atlas"
ATLAS_URL = "https://atlas.mitre.org"


@dataclass(frozen=True)
class AtlasTechnique:
    """One ATLAS technique; ``applies`` says which campaigns use it (see :func:`techniques_for`)."""

    external_id: str
    name: str
    description: str
    applies: str = "always"  # "always" | "proxies" | "accounts"

    @property
    def url(self) -> str:
        return f"{ATLAS_URL}/techniques/{self.external_id}"


TECHNIQUES: tuple[AtlasTechnique, ...] = (
    AtlasTechnique(
        "AML.T0024.002",
        "Extract AI Model",
        "Querying the model's inference API to harvest prompt/response pairs that reproduce "
        "its behaviour.",
    ),
    AtlasTechnique(
        "AML.T0005.001",
        "Train Proxy via Replication",
        "Training a copy of the model (distillation) on the harvested exchanges.",
    ),
    AtlasTechnique(
        "AML.T0008.005",
        "AI Service Proxies",
        "Routing requests through proxy networks that spread traffic over many addresses.",
        applies="proxies",
    ),
    AtlasTechnique(
        "AML.T0021",
        "Establish Accounts",
        "Creating many accounts to spread the harvesting and evade per-account limits.",
        applies="accounts",
    ),
)
CASE_STUDY_ID = "AML.CS0056"
CASE_STUDY_URL = f"{ATLAS_URL}/studies/{CASE_STUDY_ID}"


def techniques_for(*, proxies: bool, accounts: int) -> list[AtlasTechnique]:
    """The techniques one campaign shows: extraction and replication always; proxies when it
    used a shared proxy network; account establishment when it ran more than one account."""
    keep = {"always": True, "proxies": proxies, "accounts": accounts > 1}
    return [t for t in TECHNIQUES if keep[t.applies]]


__all__ = [
    "ATLAS_SOURCE",
    "CASE_STUDY_ID",
    "CASE_STUDY_URL",
    "TECHNIQUES",
    "AtlasTechnique",
    "techniques_for",
]
