"""Privacy at ingest: keyed hashing of identifiers and dropping of text.

``ip_prefix`` (the /24 or /48 network) is derived from the raw IP *before* hashing, then hashed with
the same key, so two requests from one network still share a value. Hashing works on the distinct
values of a column (dictionary-encode, hash the dictionary, take), never per row.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from distillguard.errors import ConfigError

HASHED_FIELDS: tuple[str, ...] = ("ip", "email_domain", "payment_fingerprint", "ip_prefix")
TEXT_FIELDS: tuple[str, ...] = ("prompt", "response", "system_prompt")
HASH_HEX_CHARS = 32
HASH_KEY_ENV = "DISTILLGUARD_HASH_KEY"

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"^(?P<net>{_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}$"


@dataclass(frozen=True)
class Privacy:
    """What to protect in storage.

    ``hash_key``: HMAC-SHA256 key; when set, ``ip``, ``email_domain``, ``payment_fingerprint`` and
    ``ip_prefix`` are stored as the first 32 hex characters of their keyed hash.
    ``drop_text``: store NULL for ``prompt``, ``response`` and ``system_prompt``.
    """

    hash_key: bytes | None = None
    drop_text: bool = False

    @classmethod
    def from_key(cls, hash_key: str | None, *, drop_text: bool = False) -> Privacy:
        """The one reading of a hash key for every command: ``hash_key`` as given, else the
        :data:`HASH_KEY_ENV` environment variable; an empty key is a
        :class:`~distillguard.errors.ConfigError` (it would silently store raw values)."""
        key = hash_key if hash_key is not None else os.environ.get(HASH_KEY_ENV)
        if key is not None and not key:
            raise ConfigError(f"empty hash key (--hash-key or {HASH_KEY_ENV})")
        return cls(hash_key=key.encode("utf-8") if key else None, drop_text=drop_text)

    @property
    def active(self) -> bool:
        """Whether anything is hashed or dropped."""
        return self.hash_key is not None or self.drop_text

    def hash_value(self, value: str) -> str:
        """The stored form of one identifier (requires a key)."""
        assert self.hash_key is not None
        digest = hmac.new(self.hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:HASH_HEX_CHARS]

    def hash_column(self, column: pa.ChunkedArray | pa.Array) -> pa.Array:
        """Keyed hash of every value, computed once per distinct value."""
        arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded = pc.dictionary_encode(arr.cast(pa.string()))
        hashed = pa.array([self.hash_value(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return hashed.take(encoded.indices)

    def hash_identifiers(self, table: pa.Table) -> pa.Table:
        """Replace the hashed fields with their keyed hashes (no-op without a key)."""
        if self.hash_key is None:
            return table
        for name in HASHED_FIELDS:
            if name in table.column_names:
                i = table.column_names.index(name)
                table = table.set_column(i, name, self.hash_column(table[name]))
        return table

    def drop(self, table: pa.Table) -> pa.Table:
        """Null the text fields when ``drop_text`` is on."""
        if not self.drop_text:
            return table
        for name in TEXT_FIELDS:
            if name in table.column_names:
                i = table.column_names.index(name)
                table = table.set_column(
                    i, name, pa.nulls(table.num_rows, table.schema.field(name).type)
                )
        return table


def _v6_prefix(value: str) -> str | None:
    try:
        addr = ipaddress.ip_address(value.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    bits = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False))


def ip_prefix(ip: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The /24 (IPv4) or /48 (IPv6) network of each IP as text; NULL when not an IP address.

    >>> ip_prefix(pa.array(["203.0.113.7", "2001:db8:1:2::1", "not-an-ip", None])).to_pylist()
    ['203.0.113.0/24', '2001:db8:1::/48', None, None]
    """
    arr = ip.combine_chunks() if isinstance(ip, pa.ChunkedArray) else ip
    arr = arr.cast(pa.string())
    v4 = pc.extract_regex(arr, _IPV4).field("net")
    is_v4 = pc.fill_null(pc.match_substring_regex(arr, _IPV4), False)
    joined = pc.binary_join_element_wise(v4, pa.scalar(".0/24"), "")
    out = pc.if_else(is_v4, joined, pa.scalar(None, pa.string()))
    # IPv6 (and anything else containing ':'): Python's ipaddress over distinct values only.
    maybe_v6 = pc.fill_null(pc.match_substring(arr, ":"), False)
    if pc.any(maybe_v6).as_py():
        encoded = pc.dictionary_encode(pc.if_else(maybe_v6, arr, pa.scalar(None, pa.string())))
        prefixes = pa.array([_v6_prefix(v) for v in encoded.dictionary.to_pylist()], pa.string())
        v6 = prefixes.take(encoded.indices)
        out = pc.if_else(maybe_v6, v6, out)
    return out.cast(pa.string())


def with_ip_prefix(table: pa.Table) -> pa.Table:
    """Append the derived ``ip_prefix`` column computed from the (raw) ``ip`` column."""
    prefix = ip_prefix(table["ip"]) if table.num_rows else pa.array([], pa.string())
    return table.append_column(pa.field("ip_prefix", pa.string()), prefix)


__all__ = [
    "HASHED_FIELDS",
    "HASH_KEY_ENV",
    "TEXT_FIELDS",
    "Privacy",
    "ip_prefix",
    "with_ip_prefix",
]
