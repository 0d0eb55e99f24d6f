"""Engine-neutral access to the request table.

Analytics are written once as Ibis expressions over a table with the stored schema; the same
expressions run on DuckDB (the embedded default) or on Spark. :func:`conform` makes any request
table look like :data:`~distillguard.schema.STORED_SCHEMA`: optional columns that are missing are
added as typed nulls, and the derived ``ip_prefix`` is computed from ``ip`` when absent.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import InputError
from distillguard.ingest.privacy import ip_prefix
from distillguard.schema import REQUIRED_FIELDS, STORED_SCHEMA


def _ibis_type(arrow_type: pa.DataType) -> dt.DataType:
    return dt.DataType.from_pyarrow(arrow_type)


@ibis.udf.scalar.pyarrow  # type: ignore[untyped-decorator]
def _ip_prefix(ip: str) -> str:
    # Arrow arrays at run time; UDFs may not return NULL on DuckDB, so "" stands for it here.
    return pc.fill_null(ip_prefix(ip), "")  # type: ignore[no-any-return]


def ip_prefix_expr(ip: ir.StringValue) -> ir.StringValue:
    """The /24 (IPv4) or /48 (IPv6) network of an address written as text; null otherwise.

    The one implementation, :func:`distillguard.ingest.privacy.ip_prefix` (Arrow compute plus
    ``ipaddress`` for IPv6), run as a vectorised UDF, so a table without a stored ``ip_prefix``
    gets exactly what ingest would have stored.

    >>> import ibis
    >>> t = ibis.memtable({"ip": ["203.0.113.7", "2001:db8:1:2::1", "not-an-ip"]})
    >>> t.select(ip_prefix_expr(t.ip)).to_pyarrow().column(0).to_pylist()
    ['203.0.113.0/24', '2001:db8:1::/48', None]
    """
    return _ip_prefix(ip.cast("string")).nullif("").name("ip_prefix")


def conform(t: ir.Table) -> ir.Table:
    """Add missing optional columns as nulls, derive ``ip_prefix``, cast columns to the stored
    types (an engine's own types, such as Spark's zone-less timestamps, become the schema's);
    keep stored-schema order."""
    missing_required = [c for c in REQUIRED_FIELDS if c not in t.columns]
    if missing_required:
        raise InputError(f"request table lacks required column(s): {', '.join(missing_required)}")
    cols: list[ir.Value] = []
    for field in STORED_SCHEMA:
        if field.name in t.columns:
            col = t[field.name]
            want = _ibis_type(field.type)
            if col.type().copy(nullable=True) != want:
                # e.g. Spark's zone-less TIMESTAMP (an instant shown in the session's UTC zone).
                col = col.cast(want).name(field.name)
            cols.append(col)
        elif field.name == "ip_prefix" and "ip" in t.columns:
            cols.append(ip_prefix_expr(t.ip))
        else:
            cols.append(ibis.null().cast(_ibis_type(field.type)).name(field.name))
    return t.select(*cols)
