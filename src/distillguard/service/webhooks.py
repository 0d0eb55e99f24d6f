"""Webhooks: tell other systems when a campaign appears, grows or changes decision.

Events are put on a bounded queue and POSTed as JSON by one background thread with a timeout, so
a slow or dead receiver never blocks ingest or decisions; when the queue is full the event is
dropped and counted (``distillguard_webhook_deliveries{outcome="dropped"}``).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import httpx

from distillguard.service.metrics import ServiceMetrics

log = logging.getLogger("distillguard.service")


class Notifier:
    """Delivers events to every configured URL (one attempt each, ``timeout`` seconds)."""

    def __init__(
        self, urls: tuple[str, ...], timeout: float, metrics: ServiceMetrics, maxsize: int = 1000
    ) -> None:
        self.urls = urls
        self.timeout = timeout
        self.metrics = metrics
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=maxsize)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.urls and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dg-webhooks", daemon=True)
            self._thread.start()

    def send(self, event: dict[str, Any]) -> None:
        """Queue one event; never blocks."""
        if not self.urls:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.metrics.webhooks.labels("dropped").inc()

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                event = self._queue.get()
                if event is None:
                    return
                for url in self.urls:
                    try:
                        r = client.post(url, json=event)
                        outcome = "ok" if r.is_success else "http_error"
                    except httpx.HTTPError as exc:
                        outcome = "failed"
                        log.warning("webhook %s failed: %s", url, type(exc).__name__)
                    self.metrics.webhooks.labels(outcome).inc()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None
