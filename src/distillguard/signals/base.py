"""The one small base class every request signal implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import pyarrow as pa


class RequestSignal(ABC):
    """A per-request signal: computes named columns over a table of requests.

    ``compute`` receives a table with (a subset of) the columns of ``REQUEST_SCHEMA`` and returns
    a table with exactly ``columns``, in the same row order and of the same length. A row whose
    input is null (e.g. a null prompt) gets null outputs.
    """

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]

    @abstractmethod
    def compute(self, table: pa.Table) -> pa.Table:
        """Return this signal's output columns for every row of ``table``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
