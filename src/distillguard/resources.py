"""How much memory a run may use: one setting for ``ingest`` and ``detect``.

``--memory-limit`` (or ``$DISTILLGUARD_MEMORY_LIMIT``) is a size (``4GB``, ``512MiB``) or a share
of the machine (``40%``). Without it the default is :data:`DEFAULT_SHARE` of the memory this
process can actually have: the smaller of physical memory and the cgroup (container) limit. A
request above that is lowered to it, so nothing plans for memory the host does not have.

The limit is for the whole run, not for the query engine alone: the engine's buffer pool
(DuckDB's ``memory_limit``, a local Spark driver's heap) gets :data:`ENGINE_SHARE` of it and
spills to disk beyond that, and the rest is left to what lives in Python (Arrow results, the
request sample, the edge list and the account graph). Giving DuckDB the whole limit let a run
reach the limit in DuckDB's cache alone and then add the graph on top (8.3 GiB peak on an
80 K-account log under the 6 GiB default).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from distillguard.errors import ConfigError

ENV = "DISTILLGUARD_MEMORY_LIMIT"
DEFAULT_SHARE = 0.25  # leaves room for other tenants of the host
ENGINE_SHARE = 0.5  # of the run's limit, for the engine's buffer pool; the rest for Python
MIN_BYTES = 64 << 20
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "k": 1 << 10,
    "m": 1 << 20,
    "g": 1 << 30,
    "t": 1 << 40,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_CGROUP_FILES = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def physical_memory() -> int:
    """Bytes of RAM on the host (``sysconf``), 4 GiB when the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 4 << 30


def cgroup_limit(files: tuple[str, ...] = _CGROUP_FILES) -> int | None:
    """The container's memory limit in bytes (cgroup v2, then v1), None when unlimited."""
    for name in files:
        try:
            text = Path(name).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def available_memory() -> int:
    """What this process can have at most: physical memory, lowered to the cgroup limit."""
    total = physical_memory()
    limit = cgroup_limit()
    return min(total, limit) if limit else total


def parse_size(text: str, total: int) -> int:
    """Bytes meant by ``text``: ``"6GB"``, ``"512MiB"``, ``"1.5g"``, ``"40%"`` (of ``total``).

    >>> parse_size("2GB", 10**12), parse_size("1GiB", 10**12), parse_size("50%", 1000)
    (2000000000, 1073741824, 500)
    """
    t = text.strip()
    if t.endswith("%"):
        try:
            share = float(t[:-1])
        except ValueError:
            share = -1.0
        if not 0 < share <= 100:
            raise ConfigError(f"memory limit {text!r}: a share must be in (0%, 100%]")
        return int(total * share / 100)
    m = _SIZE.match(t)
    if not m or m.group(2).lower() not in _UNITS:
        raise ConfigError(f"memory limit {text!r} is not a size such as 4GB, 512MiB or 40%")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def memory_limit_bytes(setting: str | None = None) -> int:
    """The limit in bytes: ``setting``, else ``$DISTILLGUARD_MEMORY_LIMIT``, else the default
    share; never above :func:`available_memory`, never below 64 MiB."""
    total = available_memory()
    text = setting if setting else os.environ.get(ENV)
    wanted = parse_size(text, total) if text else int(total * DEFAULT_SHARE)
    return max(MIN_BYTES, min(wanted, total))


def engine_memory_bytes(setting: str | None = None) -> int:
    """The engine's part of the run's limit: :data:`ENGINE_SHARE` of
    :func:`memory_limit_bytes`, never below 64 MiB."""
    return max(MIN_BYTES, int(memory_limit_bytes(setting) * ENGINE_SHARE))


def duckdb_memory_limit(setting: str | None = None) -> str:
    """:func:`engine_memory_bytes` in DuckDB's ``SET memory_limit`` syntax (whole MiB)."""
    return f"{engine_memory_bytes(setting) >> 20}MiB"


__all__ = [
    "ENGINE_SHARE",
    "ENV",
    "available_memory",
    "cgroup_limit",
    "duckdb_memory_limit",
    "engine_memory_bytes",
    "memory_limit_bytes",
    "parse_size",
    "physical_memory",
]
