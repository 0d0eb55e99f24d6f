"""The registry of built-in request signals and the one entry point that runs them all."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals._text import prompt_column
from distillguard.signals.base import RequestSignal
from distillguard.signals.capability import CapabilitySignal
from distillguard.signals.elicitation import ElicitationSignal
from distillguard.signals.lang import LangSignal
from distillguard.signals.skeleton import SkeletonSignal

REQUEST_SIGNALS: dict[str, type[RequestSignal]] = {
    "elicitation": ElicitationSignal,
    "capability": CapabilitySignal,
    "skeleton": SkeletonSignal,
    "lang": LangSignal,
}

FEATURE_COLUMNS: tuple[str, ...] = (
    "request_id",
    "elicitation",
    "trace_reconstruction",
    "capability",
    "capability_conf",
    "skeleton",
    "template_id",
    "lang",
    "prompt_chars",
)


def compute_request_signals(table: pa.Table, signals: tuple[str, ...] | None = None) -> pa.Table:
    """Per-request features for every row of ``table`` (same order and length).

    Columns: ``request_id``, ``elicitation``, ``trace_reconstruction`` (float32 in [0, 1]),
    ``capability`` (string), ``capability_conf`` (float32), ``skeleton`` (uint64),
    ``template_id`` (int64), ``lang`` (string), ``prompt_chars`` (int32). Identical prompts are
    computed once; a null or missing prompt gives null features.

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
    for name in names:
        out = REQUEST_SIGNALS[name]().compute(table)
        for c in out.column_names:
            cols[c] = out.column(c)
    cols["prompt_chars"] = pc.cast(pc.utf8_length(prompt_column(table)), pa.int32())
    return pa.table(cols)
