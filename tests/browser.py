"""Headless Debian Chromium for the browser tests: ``/usr/bin/chromium``, never a downloaded one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"


@contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    """A headless Chromium browser from Playwright's ``sync_api`` module, closed on exit."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
