"""The command line as a user runs it: a child process, its exit code and its two streams."""

from __future__ import annotations

import subprocess
import sys


def detect_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``distillguard detect ARGS --quiet`` in a child process; never raises on a failed run."""
    return subprocess.run(
        [sys.executable, "-m", "distillguard", "detect", *args, "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
