"""Sharing: campaigns as STIX 2.1 threat intel between providers, and partners' intel as evidence.

``export`` turns ``campaigns.json`` into a STIX bundle (identity, campaign, infrastructure,
blockable indicators in group-keyed form, ATLAS attack patterns, notes, relationships, TLP 2.0);
``intel`` reads a partner's bundle back and matches it against our own traffic (the ``intel`` hook
of :func:`distillguard.pipeline.detect`); ``taxii`` pushes and pulls bundles over TAXII 2.1.
Needs the ``share`` extra (``stix2``, ``taxii2-client``); ``detect`` never imports this package
unless ``--intel`` is given.
"""

from typing import Any

from distillguard.share.detections import DetectionRun, read_detections
from distillguard.share.keys import Rekeyer, group_hash, key_id

_LAZY = {"ExportOptions", "ExportResult", "export_bundle"}


def __getattr__(name: str) -> Any:
    # The STIX library is only imported for export, so ``detect --intel`` needs no more than
    # the core dependencies.
    if name in _LAZY:
        from distillguard.share import export

        return getattr(export, name)
    raise AttributeError(name)


__all__ = [
    "DetectionRun",
    "ExportOptions",
    "ExportResult",
    "Rekeyer",
    "export_bundle",
    "group_hash",
    "key_id",
    "read_detections",
]
