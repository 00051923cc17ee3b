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
    it answers a call (the gRPC port accepting and ``list_collections`` returning).

    The tests run in parallel workers (``make test``), so a port found free can be taken by another
    worker's server before this one binds it: a server that exits while starting is started again on
    another port (three tries).
    """
    require_milvus()
    log_path = tmp_path / "milvus-server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the server
    server: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(3):
            port = _free_port()
            server = subprocess.Popen(
                [*_milvus_lite_command(), "server", "--data-dir", str(tmp_path / f"milvus-server-{attempt}"),
                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
            uri = f"http://127.0.0.1:{port}"
            if _serving(server, port, uri):
                break
        else:
            raise AssertionError(f"milvus-lite server exited: {log_path.read_text()[-2000:]}")
        yield uri
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()


def _serving(server: subprocess.Popen[bytes], port: int, uri: str) -> bool:
    """True once ``server`` answers a call on ``port``; False when it exits first (a port taken meanwhile)."""
    from pymilvus import MilvusClient

    deadline = time.monotonic() + 120
    while server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            client = MilvusClient(uri=uri, timeout=5)
            client.list_collections()
            client.close()
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise AssertionError("milvus-lite server did not accept connections in 120 s") from None
            time.sleep(0.2)  # polling the port: the server gives no other signal that it is ready
            continue
        # It answered; still running means the answer was its own, not another worker's on that port.
        return server.poll() is None
    return False
