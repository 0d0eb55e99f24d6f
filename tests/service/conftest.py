"""Shared fixtures: API keys, a small simulated log, and a workspace already detected once
(copied per test, so each test starts from the same campaigns without re-running detection)."""

from __future__ import annotations

import gzip
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
