"""Look at the first bytes of a file to guess its format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distillguard.errors import InputError

HEAD_BYTES = 256 << 10


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of a file, decompressed if it is gzip."""
    from distillguard.ingest.jsonlines import open_maybe_gzip

    try:
        with open_maybe_gzip(path) as fh:
            return fh.read(size)
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read file: {exc}", source=str(path)) from exc
    except Exception as exc:  # zlib.error and friends from a corrupt gzip stream
        raise InputError(f"cannot read file: {exc}", source=str(path)) from exc


def first_object(head: bytes) -> dict[str, Any] | None:
    """The first non-blank line of ``head`` parsed as a JSON object, or None (a UTF-8
    byte-order mark before it is allowed)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    for raw in head.split(b"\n", 50)[:50]:
        line = raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            return None
        return obj if isinstance(obj, dict) else None
    return None
