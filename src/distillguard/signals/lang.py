"""Coarse language/script guess from Unicode ranges, vectorised with Arrow regex counts."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.signals._text import dedupe, expand, prompt_column
from distillguard.signals.base import RequestSignal

# (label, RE2 character class). Kana before Han so Japanese with kanji is "ja"; Hangul is "ko".
SCRIPTS: tuple[tuple[str, str], ...] = (
    ("latin", r"[A-Za-z\x{00C0}-\x{024F}]"),
    ("zh", r"[\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}]"),
    ("ja", r"[\x{3040}-\x{30FF}]"),
    ("ko", r"[\x{AC00}-\x{D7AF}\x{1100}-\x{11FF}]"),
    ("cyrillic", r"[\x{0400}-\x{04FF}]"),
    ("arabic", r"[\x{0600}-\x{06FF}\x{0750}-\x{077F}]"),
    ("devanagari", r"[\x{0900}-\x{097F}]"),
    ("greek", r"[\x{0370}-\x{03FF}]"),
    ("hebrew", r"[\x{0590}-\x{05FF}]"),
    ("thai", r"[\x{0E00}-\x{0E7F}]"),
)
WINDOW = 400  # code points looked at


class LangSignal(RequestSignal):
    """``lang``: the dominant script of the prompt's first characters (``zh``, ``ja``, ``ko``,
    ``latin``, ``cyrillic``, ``arabic``, ``devanagari``...; ``other`` when none)."""

    name: ClassVar[str] = "lang"
    columns: ClassVar[tuple[str, ...]] = ("lang",)

    def compute(self, table: pa.Table) -> pa.Table:
        distinct, idx = dedupe(prompt_column(table))
        head = pc.utf8_slice_codeunits(distinct, 0, WINDOW)
        counts = (
            np.stack(
                [
                    pc.count_substring_regex(head, pattern).to_numpy(zero_copy_only=False)
                    for _, pattern in SCRIPTS
                ],
                axis=1,
            ).astype(np.float64)
            if len(distinct)
            else np.zeros((0, len(SCRIPTS)))
        )
        # Japanese text mixes kana and kanji: any real kana share makes it Japanese.
        ja, zh = 2, 1
        counts[:, ja] = np.where(
            counts[:, ja] >= 0.1 * counts[:, zh], counts[:, ja] + counts[:, zh], 0
        )
        labels = np.asarray([s for s, _ in SCRIPTS] + ["other"], dtype=object)
        best = (
            np.where(counts.max(axis=1) > 0, counts.argmax(axis=1), len(SCRIPTS))
            if len(counts)
            else np.zeros(0, int)
        )
        return pa.table({"lang": expand(pa.array(labels[best], pa.string()), idx)})
