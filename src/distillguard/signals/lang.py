"""Coarse language/script guess from Unicode ranges, vectorised over flat code points."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals._text import codepoints, distinct_prompts, expand, map_batches
from distillguard.signals.base import RequestSignal

LABELS: tuple[str, ...] = (
    "latin", "zh", "ja", "ko", "cyrillic", "arabic", "devanagari", "greek", "hebrew", "thai",
)  # fmt: skip
# (first, last, label index) code point ranges; kana marks Japanese, Han alone Chinese.
RANGES: tuple[tuple[int, int, int], ...] = (
    (0x41, 0x5A, 0), (0x61, 0x7A, 0), (0xC0, 0x24F, 0), (0x1E00, 0x1EFF, 0),
    (0x370, 0x3FF, 7), (0x400, 0x4FF, 4), (0x590, 0x5FF, 8), (0x600, 0x6FF, 5),
    (0x750, 0x77F, 5), (0x900, 0x97F, 6), (0xE00, 0xE7F, 9), (0x1100, 0x11FF, 3),
    (0x3040, 0x30FF, 2), (0x3400, 0x4DBF, 1), (0x4E00, 0x9FFF, 1), (0xAC00, 0xD7AF, 3),
)  # fmt: skip
WINDOW = 400  # code points looked at
_NONE = len(LABELS)
_SCRIPT = np.full(0x10000, _NONE, dtype=np.int64)  # BMP code point -> label index
for _first, _last, _label in RANGES:
    _SCRIPT[_first : _last + 1] = _label


def _script_counts(texts: pa.Array) -> np.ndarray:
    cps, starts = codepoints(pc.utf8_slice_codeunits(texts, 0, WINDOW))
    n = len(starts) - 1
    label = np.where(cps < 0x10000, _SCRIPT[cps & np.uint32(0xFFFF)], _NONE)
    doc = np.repeat(np.arange(n), np.diff(starts))
    key = doc * (_NONE + 1) + label
    counts = np.bincount(key, minlength=n * (_NONE + 1)).reshape(n, _NONE + 1)
    return counts[:, :_NONE]


def script_counts(texts: pa.Array) -> np.ndarray:
    """Code points per script label, ``(n, len(LABELS))``, over each text's first WINDOW."""
    parts = map_batches(_script_counts, texts)
    return np.vstack(parts) if parts else np.zeros((0, _NONE), np.int64)


class LangSignal(RequestSignal):
    """``lang``: the dominant script of the prompt's first characters (``zh``, ``ja``, ``ko``,
    ``latin``, ``cyrillic``, ``arabic``, ``devanagari``...; ``other`` when none). Japanese mixes
    kana and kanji: a kana share of at least 10% of the Han count makes the text ``ja``."""

    name: ClassVar[str] = "lang"
    description: ClassVar[str] = "dominant script of the prompt's first characters"
    outputs: ClassVar[dict[str, pa.DataType]] = {"lang": pa.string()}

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = distinct_prompts(table)
        counts = script_counts(distinct).astype(np.float64)
        ja, zh = LABELS.index("ja"), LABELS.index("zh")
        kana = (counts[:, ja] > 0) & (counts[:, ja] >= 0.1 * counts[:, zh])
        counts[:, ja] = np.where(kana, counts[:, ja] + counts[:, zh], 0)
        labels = np.asarray([*LABELS, "other"], dtype=object)
        best = np.full(len(counts), len(LABELS), dtype=np.int64)
        if len(counts):
            best = np.where(counts.max(axis=1) > 0, counts.argmax(axis=1), len(LABELS))
        return pa.table({"lang": expand(pa.array(labels[best], pa.string()), idx)})
