"""Sharing-group keys: how identifiers are put in a form two providers can compare.

A provider's own ``--hash-key`` (ingest key) must never leave the provider, so values hashed with
it mean nothing to a partner. A sharing group agrees on one *group key*; every identifier that
leaves in a bundle is ``HMAC-SHA256(group_key, utf8(value))``, hex, first 32 characters — the same
scheme ingest uses (:class:`distillguard.ingest.Privacy`). Two consequences, both deliberate:

* a provider whose ingest key *is* the group key already stores group-keyed values (pass-through);
* a provider that stores only values hashed with a different ingest key cannot re-key them (an HMAC
  cannot be inverted): it needs the raw values, e.g. from a raw log still within retention
  (:func:`raw_lookup`), or those indicators are withheld.

The :func:`key_id` of a group key is a public, non-secret fingerprint so an importer can check it
holds the key a bundle was made with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from distillguard.errors import ConfigError
from distillguard.ingest.privacy import HASHED_FIELDS, Privacy

SHARE_KEY_ENV = "DISTILLGUARD_SHARE_KEY"
SCHEME_GROUP = "hmac-sha256-128"
SCHEME_RAW = "raw"
# Kinds whose values ingest replaces by a keyed hash when ``--hash-key`` is set.
INGEST_HASHED_KINDS = frozenset(HASHED_FIELDS) - {"ip"}
# Kinds that are always keyed with the group key before they leave (identify a customer or
# a network); ``asn`` is public routing data and leaves as a STIX ``autonomous-system``.
KEYED_KINDS = frozenset(
    {"ip_prefix", "payment_fingerprint", "email_domain", "tls_fingerprint", "user_agent"}
    | {"prompt_template", "system_prompt"}
)


def group_hash(key: bytes, value: str) -> str:
    """The group-keyed form of one identifier.

    >>> group_hash(b"k", "203.0.113.0/24")
    '38cc77f58339be8227172a5a38845570'
    """
    return Privacy(hash_key=key).hash_value(value)


def key_id(key: bytes) -> str:
    """A public fingerprint of a group key (reveals nothing usable about the key).

    >>> len(key_id(b"k"))
    16
    """
    return hmac.new(key, b"distillguard-share-key-id", hashlib.sha256).hexdigest()[:16]


def resolve_share_key(value: str | None) -> bytes | None:
    """``--share-key`` or ``$DISTILLGUARD_SHARE_KEY``; None when neither is set."""
    text = value or os.environ.get(SHARE_KEY_ENV)
    if text is not None and not text.strip():
        raise ConfigError("the sharing-group key is empty")
    return text.encode("utf-8") if text else None


@dataclass(frozen=True)
class Rekeyer:
    """Turns stored indicator values into the form they leave in.

    ``ingest_key``: the key the workspace was hashed with at ingest (None: raw values stored).
    ``raw``: optional ``{ingest-hashed value: raw value}`` recovered from a raw log.
    ``allow_raw``: export raw values (explicit opt-in; for a group that shares raw data).
    """

    share_key: bytes | None
    ingest_key: bytes | None = None
    raw: dict[str, str] | None = None
    allow_raw: bool = False

    def __post_init__(self) -> None:
        if self.share_key is None and not self.allow_raw:
            raise ConfigError(
                "no sharing-group key: pass --share-key or set $DISTILLGUARD_SHARE_KEY "
                "(or --allow-raw to export raw values)"
            )

    @property
    def scheme(self) -> str:
        return SCHEME_RAW if self.share_key is None else SCHEME_GROUP

    def convert(self, kind: str, value: str) -> str | None:
        """The exported value, or None when it cannot be put in group form."""
        if kind not in KEYED_KINDS:
            return value
        stored_hashed = self.ingest_key is not None and kind in INGEST_HASHED_KINDS
        if self.share_key is None:  # --allow-raw without a group key
            if not stored_hashed:
                return value
            return (self.raw or {}).get(value)
        if stored_hashed:
            if self.ingest_key == self.share_key:
                return value  # already group-keyed
            raw = (self.raw or {}).get(value)
            return None if raw is None else group_hash(self.share_key, raw)
        return group_hash(self.share_key, value)


def raw_lookup(
    values: Iterable[str], raw_candidates: Iterable[str], ingest_key: bytes
) -> dict[str, str]:
    """Map ingest-hashed values back to raw ones by hashing candidate raw values (distinct values
    of a raw log) with the ingest key. Only the wanted values are kept."""
    wanted = set(values)
    raw = pa.array(sorted(set(raw_candidates)), pa.string())
    hashed = Privacy(hash_key=ingest_key).hash_column(raw)
    return {h: r for h, r in zip(hashed.to_pylist(), raw.to_pylist(), strict=True) if h in wanted}


__all__ = [
    "INGEST_HASHED_KINDS",
    "KEYED_KINDS",
    "SCHEME_GROUP",
    "SCHEME_RAW",
    "SHARE_KEY_ENV",
    "Rekeyer",
    "group_hash",
    "key_id",
    "raw_lookup",
    "resolve_share_key",
]
