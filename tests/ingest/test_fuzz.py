"""Fuzzing: whatever bytes or JSON an adapter is given, it raises nothing but DistillguardError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillguard.errors import DistillguardError
from distillguard.ingest import ADAPTERS, read_batches

from .conftest import DATA

JSON_FORMATS = ["jsonl", "otel", "litellm", "openai"]
SAMPLES = {
    "jsonl": DATA / "canonical.jsonl",
    "otel": DATA / "otel_otlp.jsonl",
    "litellm": DATA / "litellm_payload.jsonl",
    "openai": DATA / "openai_gateway.jsonl",
}
CON = duckdb.connect()  # shared: a fresh connection per example costs more than the example
FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def consume(data: bytes, fmt: str | None, suffix: str = ".jsonl") -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"f{suffix}"
        p.write_bytes(data)
        try:
            for _, batch in read_batches([p], fmt=fmt, con=CON):
                assert batch.rows.num_rows + batch.quarantined.num_rows >= 0
        except DistillguardError:
            pass


@pytest.mark.parametrize("fmt", [*ADAPTERS, None])
@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(fmt: str | None, data: bytes) -> None:
    consume(data, fmt, ".parquet" if fmt == "parquet" else ".jsonl")


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@FUZZ
@given(values=st.lists(json_values, min_size=1, max_size=4))
def test_random_json(fmt: str, values: list[object]) -> None:
    consume("\n".join(json.dumps(v) for v in values).encode(), fmt)


def _mutate(obj: object, path: list[int], new: object) -> object:
    """Replace one node (chosen by ``path`` indexes) in a JSON tree."""
    if not path or not isinstance(obj, dict | list) or not obj:
        return new
    if isinstance(obj, dict):
        keys = list(obj)
        k = keys[path[0] % len(keys)]
        return {**obj, k: _mutate(obj[k], path[1:], new)}
    i = path[0] % len(obj)
    return [*obj[:i], _mutate(obj[i], path[1:], new), *obj[i + 1 :]]


@pytest.mark.parametrize("fmt", JSON_FORMATS)
@FUZZ
@given(
    picks=st.lists(
        st.tuples(st.lists(st.integers(0, 50), max_size=6), json_values), min_size=1, max_size=3
    ),
    line=st.integers(0, 10),
)
def test_mutated_valid_records(fmt: str, picks: list[tuple[list[int], object]], line: int) -> None:
    lines = [ln for ln in SAMPLES[fmt].read_text().splitlines() if ln.strip()]
    i = line % len(lines)
    try:
        obj: object = json.loads(lines[i])
    except ValueError:
        return
    for path, new in picks:
        obj = _mutate(obj, path, new)
    lines[i] = json.dumps(obj)
    consume("\n".join(lines).encode(), fmt)
