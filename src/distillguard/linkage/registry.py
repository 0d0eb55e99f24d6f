"""The one registry of linkers (``id -> class``) and the start-up check of a linkage config.

Registering a linker is one line in :data:`LINKERS`; everything else about it (family name,
reliability, description, output columns, whether it runs by default) lives on its class. A
linkage configuration is plain data, a list of ``{"linker": ID, **parameters}`` entries, and
:func:`build_linkers` turns it into checked instances before any data is read: an unknown id, a
bad parameter, a missing reliability or two linkers claiming one family with different
reliabilities is a :class:`~distillguard.errors.ConfigError` naming the entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from distillguard.errors import ConfigError
from distillguard.linkage.base import Linker
from distillguard.linkage.coverage import CoverageLinker
from distillguard.linkage.dense import DenseBlockLinker
from distillguard.linkage.shared_keys import (
    ClientLinker,
    EmailLinker,
    NetworkLinker,
    PaymentLinker,
    SharedKeyLinker,
    SignupLinker,
)
from distillguard.linkage.similar import TemplateLinker, TwinLinker
from distillguard.linkage.sync import SyncLinker
from distillguard.linkage.system_prompt import SystemPromptLinker

LINKERS: dict[str, type[Linker]] = {
    "payment": PaymentLinker,
    "network": NetworkLinker,
    "client": ClientLinker,
    "signup": SignupLinker,
    "email": EmailLinker,
    "template": TemplateLinker,
    "sync": SyncLinker,
    "twin": TwinLinker,
    "system_prompt": SystemPromptLinker,
    "coverage": CoverageLinker,
    "dense": DenseBlockLinker,
    "shared_key": SharedKeyLinker,
}

# Linkers that need parameters (a generic key linker) or that are opt-in (see docs/detection.md).
OPT_IN: frozenset[str] = frozenset({"dense", "shared_key"})


def default_linkage() -> list[dict[str, Any]]:
    """The linkage run when the configuration names none: every registered linker but the
    opt-in ones, with its class defaults, in registry order."""
    return [{"linker": name} for name in LINKERS if name not in OPT_IN]


def build_linkers(config: Sequence[Mapping[str, Any]] | None = None) -> list[Linker]:
    """Instantiate and check linkers from plain configuration data (default:
    :func:`default_linkage`)."""
    out: list[Linker] = []
    for number, entry in enumerate(config if config is not None else default_linkage(), 1):
        where = f"linkage entry {number}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be an object such as {{'linker': 'network'}}")
        params = dict(entry)
        kind = params.pop("linker", None)
        if kind not in LINKERS:
            raise ConfigError(f"{where}: unknown linker {kind!r}; known: {', '.join(LINKERS)}")
        for key in ("columns", "modes", "features"):
            if isinstance(params.get(key), list):
                params[key] = tuple(params[key])
        try:
            linker = LINKERS[kind](**params)
        except TypeError as exc:
            raise ConfigError(f"{where}: bad parameters for linker {kind!r}: {exc}") from exc
        try:
            linker.check()
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc.message}") from exc
        out.append(linker)
    reliability(out)  # rejects two linkers claiming one family with different weights
    return out


def reliability(linkers: Sequence[Linker]) -> dict[str, float]:
    """``family -> reliability`` of the given linkers; a family claimed by two linkers with
    different reliabilities (or classes) is a :class:`ConfigError`."""
    seen: dict[str, Linker] = {}
    for lk in linkers:
        other = seen.setdefault(lk.family, lk)
        if other is not lk and (type(other) is not type(lk) or other.reliability != lk.reliability):
            raise ConfigError(
                f"duplicate linker family {lk.family!r}: {type(other).__name__} "
                f"(reliability {other.reliability}) and {type(lk).__name__} "
                f"(reliability {lk.reliability}); give each its own family name"
            )
    return {f: float(lk.reliability) for f, lk in seen.items()}


OUTSIDE_FAMILIES: dict[str, str] = {}
"""``family -> description`` of evidence families whose components are built from run inputs
rather than the linkage config (partner intel): they register their sentence here, once."""


def family_description(family: str, linkers: Sequence[Linker] = ()) -> str:
    """The evidence sentence of ``family``: from the given linkers, else from the registered
    class that declares it, else from :data:`OUTSIDE_FAMILIES`, else the family name itself."""
    for lk in linkers:
        if lk.family == family:
            return lk.description
    for cls in LINKERS.values():
        if getattr(cls, "family", None) == family and getattr(cls, "description", ""):
            return str(cls.description)
    return OUTSIDE_FAMILIES.get(family, family)
