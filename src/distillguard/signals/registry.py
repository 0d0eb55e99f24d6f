"""The registry of request signals (``id -> class``, one line each) and the one entry point that
runs them all.

Everything else about a signal (its description, output columns and their types, whether it is
row-local) lives on its class; :func:`feature_schema` is derived from them, so the in-process
runner, the shard-and-merge route and the Spark schema all read one description.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import ConfigError
from distillguard.signals._text import prompt_column, shared_prompts
from distillguard.signals.agentic import AgenticSignal
from distillguard.signals.base import RequestSignal
from distillguard.signals.capability import CapabilitySignal
from distillguard.signals.elicitation import ElicitationSignal
from distillguard.signals.lang import LangSignal
from distillguard.signals.skeleton import SkeletonSignal


class PromptLengthSignal(RequestSignal):
    """``prompt_chars``: the prompt's length in code points (null for a null prompt)."""

    name: ClassVar[str] = "length"
    description: ClassVar[str] = "prompt length in characters"
    outputs: ClassVar[dict[str, pa.DataType]] = {"prompt_chars": pa.int32()}

    def compute(self, table: pa.Table) -> pa.Table:
        return pa.table({"prompt_chars": pc.cast(pc.utf8_length(prompt_column(table)), pa.int32())})


REQUEST_SIGNALS: dict[str, type[RequestSignal]] = {
    "elicitation": ElicitationSignal,
    "capability": CapabilitySignal,
    "agentic": AgenticSignal,
    "skeleton": SkeletonSignal,
    "lang": LangSignal,
    "length": PromptLengthSignal,
}


def check_signals(registry: dict[str, type[RequestSignal]] | None = None) -> None:
    """Raise :class:`ConfigError` when a registered signal's metadata is wrong: an id that is not
    its ``name``, a missing description or output, or an output column claimed twice."""
    seen: dict[str, str] = {"request_id": "the request table"}
    for key, cls in (REQUEST_SIGNALS if registry is None else registry).items():
        where = f"signal {key!r} ({cls.__name__})"
        if getattr(cls, "name", None) != key:
            raise ConfigError(f"{where}: registered under another id than its name")
        if not getattr(cls, "description", ""):
            raise ConfigError(f"{where} has no description")
        outputs = getattr(cls, "outputs", None)
        if not outputs or not all(isinstance(t, pa.DataType) for t in outputs.values()):
            raise ConfigError(f"{where} must declare its output columns and their Arrow types")
        for column in outputs:
            if column in seen:
                raise ConfigError(f"{where}: column {column!r} is also produced by {seen[column]}")
            seen[column] = where


def feature_schema(signals: tuple[str, ...] | None = None) -> pa.Schema:
    """``request_id`` and every output column of the given signals (default: all registered),
    with their declared types, in registry order: the layout of
    :func:`compute_request_signals`."""
    names = tuple(REQUEST_SIGNALS) if signals is None else signals
    fields = [pa.field("request_id", pa.string())]
    for name in names:
        fields += [pa.field(c, t) for c, t in REQUEST_SIGNALS[name].outputs.items()]
    return pa.schema(fields)


def compute_request_signals(table: pa.Table, signals: tuple[str, ...] | None = None) -> pa.Table:
    """Per-request features for every row of ``table`` (same order and length).

    Columns: ``request_id``, ``elicitation``, ``trace_reconstruction`` (float32 in [0, 1]),
    ``capability`` (string), ``capability_conf`` (float32), ``trajectory``, ``state_carry``
    (float32 in [0, 1]), ``skeleton`` (uint64),
    ``template_id`` (int64), ``lang`` (string), ``prompt_chars`` (int32): see
    :func:`feature_schema`. Identical prompts are computed once; a null or missing prompt gives
    null features.

    >>> import pyarrow as pa
    >>> prompts = ["List the steps to install nginx.", None]
    >>> t = pa.table({"request_id": ["a", "b"], "prompt": prompts})
    >>> f = compute_request_signals(t)
    >>> f.column("prompt_chars").to_pylist(), f.column("capability").to_pylist()[1]
    ([32, None], None)
    """
    names = tuple(REQUEST_SIGNALS) if signals is None else signals
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    if "request_id" in table.column_names:
        cols["request_id"] = table.column("request_id")
    else:
        cols["request_id"] = pa.nulls(table.num_rows, pa.string())
    with shared_prompts():
        for name in names:
            out = REQUEST_SIGNALS[name]().compute(table)
            for c in out.column_names:
                cols[c] = out.column(c)
    return pa.table(cols)
