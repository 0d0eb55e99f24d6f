"""TAXII 2.1 round trip against a real medallion server on loopback: A pushes, B pulls, imports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from distillguard.cli import main
from distillguard.share.intel import load_intel

COLLECTION = "8c1a3f0e-6f25-4d1e-9a7b-2b1f0b5e4c11"
USERS = {"provider-a": "pw-a-secret", "provider-b": "pw-b-secret"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def taxii_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """medallion with the memory backend, one API root and collection, two users."""
    d = tmp_path_factory.mktemp("taxii")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    data = {
        "/discovery": {
            "title": "sharing group",
            "default": f"{base}/group/",
            "api_roots": [f"{base}/group/"],
        },
        "group": {
            "information": {
                "title": "distillation campaigns",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "campaign indicators",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (d / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module_class": "MemoryBackend",
            "module": "medallion.backends.memory_backend",
            "filename": str(d / "data.json"),
        },
        "users": USERS,
        "taxii": {"max_page_size": 100},
    }
    (d / "config.json").write_text(json.dumps(config))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medallion.scripts.run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(d / "config.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(
                    f"{base}/taxii2/",
                    auth=("provider-a", USERS["provider-a"]),
                    headers={"Accept": "application/taxii+json;version=2.1"},
                )
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("medallion did not start")
            time.sleep(0.2)
        yield f"{base}/group/collections/{COLLECTION}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_push_as_a_pull_as_b_and_import(
    taxii_server: str, detections_v2: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "a.json"
    assert (
        main(
            [
                "share",
                "export",
                "--detections",
                str(detections_v2),
                "--all",
                "--out",
                str(bundle),
                "--share-key",
                "k",
                "--identity",
                "Provider A",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "share",
                "push",
                str(bundle),
                "--url",
                taxii_server,
                "--user",
                "provider-a",
                "--password",
                USERS["provider-a"],
            ]
        )
        == 0
    )
    pulled = tmp_path / "pulled.json"
    ws = tmp_path / "workspace-b"
    assert (
        main(
            [
                "share",
                "pull",
                "--url",
                taxii_server,
                "--out",
                str(pulled),
                "--workspace",
                str(ws),
                "--user",
                "provider-b",
                "--password",
                USERS["provider-b"],
            ]
        )
        == 0
    )
    sent = {
        o["id"]
        for o in json.loads(bundle.read_text())["objects"]
        if o["type"] != "extension-definition"
    }
    got = {o["id"] for o in json.loads(pulled.read_text())["objects"]}
    assert sent <= got
    (intel,) = load_intel(ws / "intel")
    assert intel.partner == "Provider A"
    assert len(intel.campaigns) == 2 and len(intel.indicators) == 6
    assert all(i.campaigns for i in intel.indicators)


def test_wrong_password_is_a_clear_error(
    taxii_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "share",
            "pull",
            "--url",
            taxii_server,
            "--out",
            str(tmp_path / "x.json"),
            "--user",
            "provider-b",
            "--password",
            "wrong",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "pull failed" in err or "cannot open collection" in err
    assert "wrong" not in err
