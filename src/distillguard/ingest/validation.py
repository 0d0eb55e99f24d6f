"""What a valid row is, described once and rendered as SQL for each engine's dialect.

The schema (:mod:`distillguard.schema`) gives each field's type and whether it is required; this
module adds the value rules (:data:`MIN_VALUE`, :data:`ALLOWED`, finite floats, a plausible time
window, a size bound per text field) and turns the whole description into, per field, a typed
SQL expression and the ``(condition, reason)`` pairs that quarantine a row. DuckDB
(:func:`distillguard.ingest.base.validate_sql`) and Spark (:mod:`distillguard.engine.spark`)
both run exactly these expressions, so both engines quarantine the same rows for the same reasons.

Nothing is coerced. How a raw value is read depends on where it comes from (:data:`SourceKind`):
a typed column (Parquet, Arrow, Spark) must already have the field's type class (a JSON number or
an ``int64`` column where a string is expected, a list where an id is expected: ``bad_type``);
text where a number is expected is accepted only when it reads as that number exactly (``"64500"``
for ``asn``; ``"12.5"`` or ``"three"`` for an integer is ``bad_type``, never rounded).
Reasons, in the order they are tested:

* ``missing:FIELD``: a required field is absent, null or blank;
* ``bad_type:FIELD`` / ``bad_timestamp:FIELD``: wrong type, fractional integer, unparseable time;
* ``too_large:FIELD``: a text value longer (UTF-8 bytes) than its limit (:func:`field_limits`);
* ``bad_value:FIELD``: negative counts, unknown ``status``, non-finite ``temperature``, a time
  before 2000 or more than a day after the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import pyarrow as pa

from distillguard.errors import ConfigError
from distillguard.schema import REQUEST_SCHEMA, STATUS_VALUES

Kind = Literal["string", "int", "float", "timestamp"]
# Where raw values come from: a typed column of one of these classes, or JSON-extracted text.
SourceKind = Literal["string", "int", "float", "timestamp", "text", "other"]

MIN_VALUE: dict[str, float] = {
    "asn": 0,
    "turn_index": 0,
    "tool_count": 0,
    "max_tokens": 0,
    "input_tokens": 0,
    "output_tokens": 0,
    "temperature": 0,
}
ALLOWED: dict[str, frozenset[str]] = {"status": STATUS_VALUES}
FINITE = frozenset({"temperature"})
LOWERCASE = frozenset({"status"})  # compared case-insensitively, stored lower-case
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
BLANK_MAX = 64  # blank-checking (trim) only short values: it is slow on long text

# Default size bounds (UTF-8 bytes) of string fields; ``$DISTILLGUARD_FIELD_LIMITS`` overrides
# them per field, e.g. ``prompt=16MiB,response=2MiB``.
LIMITS_ENV = "DISTILLGUARD_FIELD_LIMITS"
TEXT_LIMIT = 4 << 20
OTHER_LIMIT = 64 << 10
_TEXT = frozenset({"prompt", "response", "system_prompt"})


def field_kind(t: pa.DataType) -> Kind:
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    return "string"


@dataclass(frozen=True)
class FieldRule:
    """Everything that makes one field's value valid."""

    name: str
    kind: Kind
    required: bool
    max_bytes: int | None = None
    min_value: float | None = None
    allowed: frozenset[str] | None = None
    finite: bool = False
    lowercase: bool = False


def field_limits(text: str | None = None) -> dict[str, int]:
    """Per string field, its size bound in bytes: defaults, overridden by ``text`` (or
    ``$DISTILLGUARD_FIELD_LIMITS``) as ``field=size,...`` (sizes as in ``--memory-limit``)."""
    from distillguard.resources import parse_size

    limits = {
        f.name: TEXT_LIMIT if f.name in _TEXT else OTHER_LIMIT
        for f in REQUEST_SCHEMA
        if field_kind(f.type) == "string"
    }
    spec = text if text is not None else os.environ.get(LIMITS_ENV, "")
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, size = item.partition("=")
        if name.strip() not in limits or not size:
            raise ConfigError(f"{LIMITS_ENV}: {item!r} is not STRING_FIELD=SIZE")
        limits[name.strip()] = parse_size(size, 0)
    return limits


def field_rules(limits: Mapping[str, int] | None = None) -> tuple[FieldRule, ...]:
    """The rules of every schema field, in schema order (required-ness read from the schema)."""
    bounds = field_limits() if limits is None else limits
    return tuple(
        FieldRule(
            name=f.name,
            kind=field_kind(f.type),
            required=not f.nullable,
            max_bytes=bounds.get(f.name),
            min_value=MIN_VALUE.get(f.name),
            allowed=ALLOWED.get(f.name),
            finite=f.name in FINITE,
            lowercase=f.name in LOWERCASE,
        )
        for f in REQUEST_SCHEMA
    )


@dataclass(frozen=True)
class Dialect:
    """How one SQL engine spells what the rules need."""

    name: str
    types: Mapping[Kind, str]
    try_cast: Callable[[str, str], str]  # (expr, sql type) -> NULL when it does not convert
    full_match: Callable[[str, str], str]  # (expr, regex) -> whole value matches
    byte_length: Callable[[str], str]
    is_nonfinite: Callable[[str], str]

    def ts_literal(self, ts: datetime) -> str:
        text = ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"CAST('{text}' AS {self.types['timestamp']})"


def _sql_regex(pattern: str) -> str:
    return "'" + pattern.replace("\\", "\\\\").replace("'", "''") + "'"


DUCKDB = Dialect(
    name="duckdb",
    types={"timestamp": "TIMESTAMPTZ", "int": "BIGINT", "float": "DOUBLE", "string": "VARCHAR"},
    try_cast=lambda e, t: f"TRY_CAST({e} AS {t})",
    full_match=lambda e, p: f"regexp_full_match({e}, '{p}')",
    byte_length=lambda e: f"strlen({e})",
    is_nonfinite=lambda e: f"(isinf({e}) OR isnan({e}))",
)
SPARK = Dialect(
    name="spark",
    types={"timestamp": "timestamp", "int": "bigint", "float": "double", "string": "string"},
    try_cast=lambda e, t: f"CAST({e} AS {t})",  # ANSI mode off: NULL when it does not convert
    full_match=lambda e, p: f"({e} RLIKE {_sql_regex('^(?:' + p + ')$')})",
    byte_length=lambda e: f"octet_length({e})",
    is_nonfinite=lambda e: f"(isnan({e}) OR {e} IN (double('inf'), double('-inf')))",
)

_INT_TEXT = r"\s*[-+]?[0-9]+\s*"


def source_kind_of_arrow(t: pa.DataType) -> SourceKind:
    """The class of an Arrow (Parquet) column type."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "timestamp"
    if pa.types.is_null(t):
        return "text"  # an all-null column: nothing to type-check
    return "other"


_DUCK_KINDS = (
    (re.compile(r"^(VARCHAR|STRING|TEXT)$"), "string"),
    (re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$"), "int"),
    (re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL.*)$"), "float"),
    (re.compile(r"^(DATE|TIMESTAMP.*)$"), "timestamp"),
    (re.compile(r'^("NULL"|NULL)$'), "text"),
)


def source_kind_of_duckdb(type_name: str) -> SourceKind:
    """The class of a DuckDB column type as ``DESCRIBE`` spells it."""
    for pattern, kind in _DUCK_KINDS:
        if pattern.match(type_name.upper()):
            return kind  # type: ignore[return-value]
    return "other"


def source_kind_of_spark(type_name: str) -> SourceKind:
    """The class of a Spark column type (``DataType.typeName()``)."""
    name = type_name.lower()
    if name == "string":
        return "string"
    if name in ("byte", "short", "integer", "long"):
        return "int"
    if name in ("float", "double") or name.startswith("decimal"):
        return "float"
    if name.startswith("timestamp") or name == "date":
        return "timestamp"
    if name in ("void", "null"):
        return "text"
    return "other"


@dataclass(frozen=True)
class FieldSQL:
    """One field rendered for one dialect: the typed expression and its quarantine reasons."""

    typed: str
    missing: str | None  # condition for ``missing:FIELD``
    bad_type: str | None  # condition for ``bad_type:`` / ``bad_timestamp:FIELD``
    too_large: str | None
    bad_value: str | None


def _typed(rule: FieldRule, raw: str, source: SourceKind, d: Dialect) -> str | None:
    """The typed value, NULL where the raw value is not of the field's type (None: the source
    column can never hold the type)."""
    sql_t = d.types[rule.kind]
    if rule.kind == "string":
        if source not in ("string", "text"):
            return None
        cast = d.try_cast(raw, sql_t)
        if rule.lowercase:
            cast = f"lower(trim({cast}))"
        if rule.required:
            blank = f"{d.byte_length(cast)} <= {BLANK_MAX} AND trim({cast}) = ''"
            cast = f"CASE WHEN {blank} THEN NULL ELSE {cast} END"
        return cast
    if rule.kind == "int":
        if source == "int":
            return d.try_cast(raw, sql_t)
        if source in ("float", "text", "string"):
            num = d.try_cast(raw, d.types["float"])
            integral = f"CASE WHEN {num} = floor({num}) THEN {d.try_cast(num, sql_t)} END"
            if source == "float":
                return integral
            raw = d.try_cast(raw, d.types["string"])
            exact = d.try_cast(f"trim({raw})", sql_t)
            return f"CASE WHEN {d.full_match(raw, _INT_TEXT)} THEN {exact} ELSE {integral} END"
        return None
    if rule.kind == "float":
        return d.try_cast(raw, sql_t) if source in ("int", "float", "text", "string") else None
    # timestamp: typed columns, or RFC 3339 text
    return d.try_cast(raw, sql_t) if source in ("timestamp", "string", "text") else None


def field_sql(
    rule: FieldRule, raw: str, typed_ref: str, source: SourceKind, d: Dialect, now: datetime
) -> FieldSQL:
    """``rule`` over the raw value ``raw`` (an expression), for ``d``. Conditions refer to the
    typed value as ``typed_ref`` (the caller names the typed expression so it is computed once)."""
    typed = _typed(rule, raw, source, d)
    sql_t = d.types[rule.kind]
    missing = f"{typed_ref} IS NULL AND {raw} IS NULL" if rule.required else None
    if typed is None:  # a column of the wrong class: every value is the wrong type
        return FieldSQL(f"CAST(NULL AS {sql_t})", missing, f"{raw} IS NOT NULL", None, None)
    if rule.kind == "string" and rule.required:
        # a blank required value is missing, not of a wrong type
        missing = f"{typed_ref} IS NULL"
        bad_type = None
    else:
        bad_type = f"{typed_ref} IS NULL AND {raw} IS NOT NULL"
    too_large = None
    if rule.kind == "string" and rule.max_bytes is not None:
        too_large = f"{d.byte_length(typed_ref)} > {int(rule.max_bytes)}"
    values: list[str] = []
    if rule.min_value is not None:
        values.append(f"{typed_ref} < {rule.min_value!r}")
    if rule.allowed is not None:
        allowed = ", ".join(f"'{v}'" for v in sorted(rule.allowed))
        values.append(f"{typed_ref} NOT IN ({allowed})")
    if rule.finite:
        values.append(d.is_nonfinite(typed_ref))
    if rule.kind == "timestamp":
        late = d.ts_literal(now + FUTURE_SLACK)
        values.append(f"{typed_ref} < {d.ts_literal(EARLIEST)} OR {typed_ref} > {late}")
    bad_value = " OR ".join(f"({v})" for v in values) if values else None
    return FieldSQL(typed, missing, bad_type, too_large, bad_value)


def reason_cases(
    rules: tuple[FieldRule, ...],
    raw_ref: Callable[[str], str],
    typed_ref: Callable[[str], str],
    sources: Mapping[str, SourceKind],
    d: Dialect,
    now: datetime,
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Typed expressions per field (over the raw references) and the ordered ``(condition,
    reason)`` list over raw and typed references. ``extra`` conditions (adapter checks) come
    first. A field absent from ``sources`` is read as text."""
    typed: dict[str, str] = {}
    phases: list[list[tuple[str, str]]] = [list(extra), [], [], [], []]
    for rule in rules:
        src = sources.get(rule.name, "text")
        f = field_sql(rule, raw_ref(rule.name), typed_ref(rule.name), src, d, now)
        typed[rule.name] = f.typed
        label = "bad_timestamp" if rule.kind == "timestamp" else "bad_type"
        for phase, cond, reason in (
            (1, f.missing, f"missing:{rule.name}"),
            (2, f.bad_type, f"{label}:{rule.name}"),
            (3, f.too_large, f"too_large:{rule.name}"),
            (4, f.bad_value, f"bad_value:{rule.name}"),
        ):
            if cond is not None:
                phases[phase].append((cond, reason))
    return typed, [c for phase in phases for c in phase]


def case_sql(conditions: list[tuple[str, str]]) -> str:
    """``CASE WHEN cond THEN 'reason' ... END`` (NULL for a good row); the same in both dialects."""
    if not conditions:
        return "CAST(NULL AS STRING)"
    whens = " ".join(f"WHEN {c} THEN '{r}'" for c, r in conditions)
    return f"CASE {whens} END"


def run_time() -> datetime:
    """The instant validation compares times with (one value per run, for both engines)."""
    return datetime.now(UTC)


__all__ = [
    "DUCKDB",
    "SPARK",
    "Dialect",
    "FieldRule",
    "case_sql",
    "field_kind",
    "field_limits",
    "field_rules",
    "reason_cases",
    "run_time",
    "source_kind_of_arrow",
    "source_kind_of_duckdb",
    "source_kind_of_spark",
]
