"""Shared fixtures: API keys, a small simulated log, and a workspace already detected once
(copied per test, so each test starts from the same campaigns without re-running detection)."""

from __future__ import annotations

import contextlib
import gzip
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from distillguard.service import ApiKeys, Service, ServiceSettings, create_app
from distillguard.simulate import simulate

KEYS = {"ingest": "ing-7bQx2", "analyst": "ana-Kp93z", "admin": "adm-Zt41w"}
KEY_SPEC = ",".join(f"{role}:{key}" for role, key in KEYS.items())


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


NDJSON = {"Content-Type": "application/x-ndjson"}


def settings_for(workspace: Path, **kw: Any) -> ServiceSettings:
    kw.setdefault("detect_interval", 0)
    kw.setdefault("state_interval", 0)  # tests fold the live account state when they need it
    return ServiceSettings(workspace=workspace, api_keys=ApiKeys.parse(KEY_SPEC), **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def sim_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small labelled log (demo preset, scale 0.1: ~7 k exchanges, ~76 accounts) as JSON Lines."""
    out = tmp_path_factory.mktemp("svc-sim") / "sim"
    simulate("demo", scale=0.1, seed=3, out=out, fmt="jsonl")
    return out


@pytest.fixture(scope="session")
def sim_body(sim_log: Path) -> bytes:
    return gzip.decompress((sim_log / "requests.jsonl.gz").read_bytes())


@pytest.fixture(scope="session")
def detected_workspace(tmp_path_factory: pytest.TempPathFactory, sim_body: bytes) -> Path:
    """A workspace holding the simulated log and one detection run's campaigns."""
    ws = tmp_path_factory.mktemp("svc-detected") / "ws"
    svc = Service(settings_for(ws))
    try:
        svc.ingest(sim_body)
        svc.run_detection()
        assert svc.book.records, "the simulated log should yield at least one campaign"
    finally:
        svc.close()
    return ws


@pytest.fixture
def workspace_copy(detected_workspace: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(detected_workspace, dst)
    return dst


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path / "ws"))) as c:
        yield c


@pytest.fixture
def detected_client(workspace_copy: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(workspace_copy))) as c:
        yield c


class Receiver:
    """A local webhook receiver: collects the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.events: list[dict[str, Any]] = []
        got = self.events

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("content-length", 0))
                got.append(json.loads(self.rfile.read(n)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(
        self, predicate: Any, timeout: float = 20.0, count: int = 1
    ) -> list[dict[str, Any]]:
        """The events matching ``predicate`` once at least ``count`` arrived (or at timeout)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = [e for e in self.events if predicate(e)]
            if len(hits) >= count:
                return hits
            time.sleep(0.05)
        return [e for e in self.events if predicate(e)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@contextlib.contextmanager
def serving(settings: ServiceSettings) -> Iterator[str]:
    """A real uvicorn server for ``settings`` in a thread on a free loopback port; its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
