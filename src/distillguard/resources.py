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

A limit that is *set* (``--memory-limit`` or ``$DISTILLGUARD_MEMORY_LIMIT``) is also enforced on
the Python side by :class:`MemoryGuard`: the resident memory of the whole process tree (Python,
Arrow buffers, DuckDB, a local Spark JVM) is sampled a few times a second, and a run that goes
over stops with one line, :class:`MemoryLimitError` (exit code 2), instead of being killed by the
operating system. The default limit (a share of the host) only sizes the engine's buffer pool.
"""

from __future__ import annotations

import _thread
import ctypes
import ctypes.util
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from distillguard.errors import ConfigError, DistillguardError

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


NATIVE_ARENAS = 2  # glibc malloc arenas for the whole process (its default: 8 per core)
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def limit_native_arenas(arenas: int = NATIVE_ARENAS) -> bool:
    """Let glibc's ``malloc`` (what NumPy and Python allocate from) use at most ``arenas``
    arenas for the threads created from now on; false where the C library is not glibc.

    Each worker thread that scores prompts gets an arena of its own by default, and an arena
    gives freed memory back to the system only from its top: at 80 K accounts the NumPy
    temporaries of the text signals left about 1 GiB resident that nothing used any more, on
    top of the engine's buffer pool. Arrow (mimalloc), DuckDB and Polars (jemalloc) keep
    their own heaps and are not affected.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return False
    # gnu_get_libc_version exists only in glibc, whose mallopt parameter numbers these are
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def limit_is_set(setting: str | None = None) -> bool:
    """Whether a memory limit was asked for (``setting`` or the environment), rather than the
    default share of the host."""
    return bool(setting or os.environ.get(ENV))


def tree_rss(pid: int | None = None) -> int:
    """Resident bytes of ``pid`` (default: this process) and all its descendants, from /proc
    (0 where /proc is absent)."""
    root = os.getpid() if pid is None else pid
    return sum(_rss(p) for p in [root, *_children(root)])


def _rss(pid: int) -> int:
    """Resident bytes of one process (0 when it is gone or /proc is absent)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = [int(c) for c in (task / "children").read_text().split()]
                out += kids
                todo += kids
        except (OSError, ValueError):
            continue
    return out


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB"


class MemoryLimitError(DistillguardError):
    """The run's process tree went over its memory limit."""


class MemoryGuard:
    """Enforce ``limit`` bytes on this process tree while the ``with`` block runs.

    A thread samples :func:`tree_rss` every ``interval`` seconds. Over the limit, it interrupts
    the main thread (DuckDB and Python stop at their next check), and the block ends with
    :class:`MemoryLimitError`. If the main thread has not unwound ``grace`` seconds later (stuck
    in native code), or is still growing past ``hard`` times the limit ``settle`` seconds
    after the interrupt, the guard prints the same one line, kills the child processes and
    exits with code 2 itself: the run never grows until the operating system kills it. Without
    /proc the guard does nothing.
    """

    def __init__(
        self,
        limit: int,
        *,
        interval: float = 0.2,
        grace: float = 15.0,
        hard: float = 1.25,
        settle: float = 2.0,
    ) -> None:
        self.limit = limit
        self.interval = interval
        self.grace = grace
        self.hard = hard
        self.settle = settle
        self.peak = 0
        self.tripped_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def message(self) -> str:
        return (
            f"memory limit {_gib(self.limit)} exceeded: the run's processes reached "
            f"{_gib(self.peak)}; raise --memory-limit (or ${ENV})"
        )

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            rss = tree_rss()
            self.peak = max(self.peak, rss)
            if rss <= self.limit and self.tripped_at is None:
                continue
            now = time.monotonic()
            if self.tripped_at is None:
                self.tripped_at = now
                _thread.interrupt_main()
            elif now - self.tripped_at > self.grace or (
                rss > self.hard * self.limit and now - self.tripped_at > self.settle
            ):
                self._hard_stop()

    def _hard_stop(self) -> None:
        print(f"distillguard: error: {self.message()}", file=sys.stderr, flush=True)
        for child in _children(os.getpid()):
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                continue
        os._exit(2)

    def __enter__(self) -> MemoryGuard:
        if Path("/proc/self/status").exists():
            self._thread = threading.Thread(target=self._watch, name="memory-guard", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
        except KeyboardInterrupt:  # the guard's own interrupt, landing late
            if self.tripped_at is None:
                raise
        if self.tripped_at is not None:
            raise MemoryLimitError(self.message()) from None


def memory_guard(setting: str | None = None) -> MemoryGuard | None:
    """A :class:`MemoryGuard` for the run's limit when one is set (see :func:`limit_is_set`),
    else None (the default share only sizes the engine's buffer pool)."""
    return MemoryGuard(memory_limit_bytes(setting)) if limit_is_set(setting) else None


__all__ = [
    "ENGINE_SHARE",
    "ENV",
    "NATIVE_ARENAS",
    "MemoryGuard",
    "MemoryLimitError",
    "available_memory",
    "cgroup_limit",
    "duckdb_memory_limit",
    "engine_memory_bytes",
    "limit_is_set",
    "limit_native_arenas",
    "memory_guard",
    "memory_limit_bytes",
    "parse_size",
    "physical_memory",
    "tree_rss",
]
