"""Milvus in tests: Milvus Lite in-process (a file per test) and a ``milvus-lite server`` on 127.0.0.1.

Milvus tests are skipped, saying why, only when ``pymilvus``/``milvus-lite`` are not installed (the ``milvus``
extra); with ``DOCBOT_REQUIRE_MILVUS=1`` (``.ci/run`` sets it) they fail instead, so CI cannot pass without
having tested the Milvus backend.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["milvus_server", "require_milvus"]


def require_milvus() -> None:
    """Skip (or, when CI requires Milvus, fail) unless the ``milvus`` extra is installed."""
    missing = [m for m in ("pymilvus", "milvus_lite") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (pip install 'docbot[milvus]')"
    if os.environ.get("DOCBOT_REQUIRE_MILVUS") == "1":
        pytest.fail(f"Milvus is required (DOCBOT_REQUIRE_MILVUS=1) but {reason}")
    pytest.skip(f"Milvus unavailable: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _milvus_lite_command() -> list[str]:
    beside = Path(sys.executable).parent / "milvus-lite"
    found = beside if beside.exists() else shutil.which("milvus-lite")
    if found is None:
        pytest.fail("the milvus-lite command is not installed beside pymilvus")
    return [str(found)]


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """``milvus-lite server`` on a free port of 127.0.0.1 with a data folder of the test's own; its URI once
    it answers a call (the gRPC port accepting and ``list_collections`` returning)."""
    require_milvus()
    from pymilvus import MilvusClient

    port = _free_port()
    log = open(tmp_path / "milvus-server.log", "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen([*_milvus_lite_command(), "server", "--data-dir", str(tmp_path / "milvus-server"),
                               "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise AssertionError(f"milvus-lite server exited: {(tmp_path / 'milvus-server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                client = MilvusClient(uri=uri, timeout=5)
                client.list_collections()
                client.close()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise AssertionError("milvus-lite server did not accept connections in 120 s") from None
                time.sleep(0.2)  # polling the port: the server gives no other signal that it is ready
        yield uri
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
