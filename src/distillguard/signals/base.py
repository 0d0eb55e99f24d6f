"""The one small base class every request signal implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import pyarrow as pa


class RequestSignal(ABC):
    """A per-request signal: computes named columns over a table of requests.

    A signal describes itself: ``name`` (its registry id), ``description`` (what it measures)
    and ``outputs`` (each output column's Arrow type, in order); ``columns`` is derived from
    ``outputs``. ``row_local`` is false when a row's value depends on other rows (template ids
    group prompts), so a sharded engine must merge state across shards for it.

    ``compute`` receives a table with (a subset of) the columns of ``REQUEST_SCHEMA`` and returns
    a table with exactly ``columns`` of the declared types, in the same row order and of the same
    length. A row whose input is null (e.g. a null prompt) gets null outputs.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    outputs: ClassVar[dict[str, pa.DataType]]
    columns: ClassVar[tuple[str, ...]]
    row_local: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "outputs" in cls.__dict__:
            cls.columns = tuple(cls.outputs)

    @abstractmethod
    def compute(self, table: pa.Table) -> pa.Table:
        """Return this signal's output columns for every row of ``table``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
