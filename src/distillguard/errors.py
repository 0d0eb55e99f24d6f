"""One root exception for everything distillguard raises on purpose.

A message says what was wrong, where (file, line or row when known) and what to do. The CLI turns
any :class:`DistillguardError` into a one-line message on stderr and exit code 2.
"""

from __future__ import annotations


class DistillguardError(Exception):
    """Root of every error distillguard raises deliberately."""

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None):
        self.message = message
        self.source = source
        self.location = location
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.location}" if self.location else "") + ": "
        return f"{where}{self.message}"


class InputError(DistillguardError):
    """An input file or row cannot be read as a request log."""


class ConfigError(DistillguardError):
    """Arguments or configuration are invalid."""
