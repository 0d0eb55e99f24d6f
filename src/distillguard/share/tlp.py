"""TLP 2.0 marking definitions for STIX 2.1.

``stix2`` predefines only TLP 1.0. The TLP 2.0 marking definitions are fixed objects published by
OASIS in ``oasis-open/cti-stix-common-objects`` (``extension-definition-specifications/tlp-2.0``):
the ids, names, ``created`` and the property extension below are copied from there and must not
change, so that every consumer recognises them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from distillguard.errors import ConfigError

if TYPE_CHECKING:
    import stix2

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_LEVELS = tuple(TLP2_IDS)


def tlp_marking(level: str) -> stix2.MarkingDefinition:
    """The published TLP 2.0 ``marking-definition`` for ``level`` (clear, green, amber,
    amber+strict, red).

    >>> tlp_marking("amber+strict").id
    'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'
    """
    import stix2

    key = level.lower()
    if key not in TLP2_IDS:
        raise ConfigError(f"unknown TLP level {level!r}; choose one of {', '.join(TLP_LEVELS)}")
    obj: dict[str, Any] = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[key],
        "created": TLP2_CREATED,
        "name": f"TLP:{key.upper()}",
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": key}},
    }
    marking = stix2.parse(obj, allow_custom=True)
    assert isinstance(marking, stix2.MarkingDefinition)
    return marking


def tlp_level(marking_ids: list[str]) -> str | None:
    """The TLP 2.0 level among ``marking_ids`` (None when there is none)."""
    by_id = {v: k for k, v in TLP2_IDS.items()}
    levels = [by_id[m] for m in marking_ids if m in by_id]
    return levels[0] if levels else None


__all__ = ["TLP2_EXTENSION_ID", "TLP2_IDS", "TLP_LEVELS", "tlp_level", "tlp_marking"]
