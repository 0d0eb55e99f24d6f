"""Range-checked configuration fields: a dataclass field says its own bounds.

``knob(default, lo, hi, doc)`` is a dataclass field whose metadata holds the closed range
``[lo, hi]`` (``None`` for unbounded) and a one-line meaning; :func:`check_fields` rejects a
value outside it with a :class:`~distillguard.errors.ConfigError` naming the config and field,
so a typo in a JSON config fails at start-up rather than as odd verdicts an hour later.

>>> from dataclasses import dataclass
>>> @dataclass
... class Demo:
...     share: float = knob(0.5, 0.0, 1.0, "a share")
...     def __post_init__(self) -> None:
...         check_fields(self)
>>> Demo(share=2.0)
Traceback (most recent call last):
...
distillguard.errors.ConfigError: Demo.share must be in [0.0, 1.0] (a share), got 2.0
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import Any

from distillguard.errors import ConfigError


def knob(default: Any, lo: float | None = None, hi: float | None = None, doc: str = "") -> Any:
    """A dataclass field with default ``default`` that must lie in ``[lo, hi]``."""
    return field(default=default, metadata={"range": (lo, hi), "doc": doc})


def check_fields(obj: Any) -> None:
    """Raise :class:`ConfigError` for the first field of ``obj`` outside its declared range
    (or of the wrong kind: a string where a number is expected)."""
    name = type(obj).__name__
    for f in fields(obj):
        if "range" not in f.metadata:
            continue
        lo, hi = f.metadata["range"]
        value = getattr(obj, f.name)
        doc = f" ({f.metadata['doc']})" if f.metadata.get("doc") else ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}.{f.name} must be a number{doc}, got {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            raise ConfigError(f"{name}.{f.name} must be in {span}{doc}, got {value!r}")


def describe_fields(cls: type) -> list[tuple[str, Any, Any, Any, str]]:
    """``(name, default, lo, hi, meaning)`` for each range-checked field of ``cls`` (for docs)."""
    out = []
    for f in fields(cls):
        if "range" in f.metadata:
            lo, hi = f.metadata["range"]
            out.append((f.name, f.default, lo, hi, str(f.metadata.get("doc", ""))))
    return out
