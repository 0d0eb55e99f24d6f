"""Holdout traffic generator: an independently designed source of labelled API traffic.

It shares nothing with distillguard's own simulator except the data contract
(``distillguard.schema``). Run ``benchmarks/holdout/generate.py --seed N --out DIR``.
Modules: ``corpora`` (real prompt payloads), ``phrasing`` (framing text), ``world``
(accounts, infrastructure, content builders), ``populations`` (who sends what, when),
``generate`` (assembly, output files, CLI).
"""

__all__ = ["corpora", "generate", "phrasing", "populations", "world"]
