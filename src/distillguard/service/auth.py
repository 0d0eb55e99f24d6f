"""API keys with roles, from ``DISTILLGUARD_API_KEYS`` (``ROLE:KEY,ROLE:KEY,...``).

A request names its key in ``Authorization: Bearer KEY``. Keys are compared in constant time
(:func:`hmac.compare_digest` against every configured key, so timing says nothing about which
key nearly matched) and never logged: an analyst is recorded as the key's role and a short
fingerprint (the first hex digits of its SHA-256), never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from distillguard.errors import ConfigError

API_KEYS_ENV = "DISTILLGUARD_API_KEYS"


class Role(StrEnum):
    """What a key may do; ``admin`` may do everything."""

    INGEST = "ingest"
    ANALYST = "analyst"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who made a request: the key's role and a fingerprint that identifies it without revealing
    it. ``repr`` never shows the key (it is not stored here at all)."""

    role: Role
    key_id: str

    @property
    def name(self) -> str:
        """The name written to the audit log, e.g. ``analyst-3f2a9c1e``."""
        return f"{self.role.value}-{self.key_id}"

    def may(self, allowed: frozenset[Role]) -> bool:
        return self.role is Role.ADMIN or self.role in allowed


def key_id(key: str) -> str:
    """A short, non-reversible fingerprint of a key (8 hex digits of SHA-256)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class ApiKeys:
    """The configured keys. Build with :meth:`parse`; look up with :meth:`authenticate`."""

    entries: tuple[tuple[bytes, Principal], ...] = ()

    @classmethod
    def parse(cls, spec: str | None) -> ApiKeys:
        """``"ingest:k1,analyst:k2"`` -> keys. Empty entries are skipped; a bad role or an empty
        key is a :class:`ConfigError` (which names the entry's position, never its key).

        >>> keys = ApiKeys.parse("ingest:abc, admin:xyz")
        >>> keys.authenticate("xyz").role.value, keys.authenticate("nope")
        ('admin', None)
        """
        entries: list[tuple[bytes, Principal]] = []
        for i, raw in enumerate((spec or "").split(",")):
            item = raw.strip()
            if not item:
                continue
            role, sep, key = item.partition(":")
            if not sep or not key.strip():
                raise ConfigError(f"{API_KEYS_ENV} entry {i + 1} is not ROLE:KEY")
            try:
                r = Role(role.strip().lower())
            except ValueError:
                roles = ", ".join(r.value for r in Role)
                raise ConfigError(
                    f"{API_KEYS_ENV} entry {i + 1}: unknown role {role.strip()!r} ({roles})"
                ) from None
            k = key.strip()
            entries.append((k.encode(), Principal(r, key_id(k))))
        return cls(tuple(entries))

    def authenticate(self, presented: str | None) -> Principal | None:
        """The principal of ``presented``, or None. Checks every key (constant time)."""
        if not presented:
            return None
        given = presented.encode()
        found: Principal | None = None
        for key, principal in self.entries:
            if hmac.compare_digest(key, given):
                found = principal
        return found

    def __repr__(self) -> str:
        return f"ApiKeys({[p.name for _, p in self.entries]})"

    def __bool__(self) -> bool:
        return bool(self.entries)
