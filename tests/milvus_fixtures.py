"""Milvus in tests: Milvus Lite in-process (a file per test) and a Milvus Lite gRPC server on 127.0.0.1.

Milvus tests are skipped, saying why, only when ``pymilvus``/``milvus-lite`` are not installed (the ``milvus``
extra); with ``DOCBOT_REQUIRE_MILVUS=1`` (``.ci/run`` sets it) they fail instead, so CI cannot pass without
having tested the Milvus backend.
"""

from __future__ import annotations

import importlib.util
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["milvus_server", "require_milvus"]

LAUNCHER = Path(__file__).with_name("milvus_server.py")


def require_milvus() -> None:
    """Skip (or, when CI requires Milvus, fail) unless the ``milvus`` extra is installed."""
    missing = [m for m in ("pymilvus", "milvus_lite") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (pip install -e '.[milvus]' in the checkout)"
    if os.environ.get("DOCBOT_REQUIRE_MILVUS") == "1":
        pytest.fail(f"Milvus is required (DOCBOT_REQUIRE_MILVUS=1) but {reason}")
    pytest.skip(f"Milvus unavailable: {reason}")


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A Milvus Lite gRPC server (``tests/milvus_server.py``) on a port of 127.0.0.1 the kernel picked,
    with a data folder of the test's own; its URI once it answers a call (``list_collections``)."""
    require_milvus()
    from pymilvus import MilvusClient

    log_path = tmp_path / "milvus-server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen([sys.executable, str(LAUNCHER), str(tmp_path / "milvus-server")],
                              stdout=subprocess.PIPE, stderr=log)
    try:
        port = _port_of(server, log_path)
        uri = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                client = MilvusClient(uri=uri, timeout=5)
                client.list_collections()
                client.close()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if server.poll() is not None:
                    raise AssertionError(f"milvus-lite server exited: {log_path.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise AssertionError("milvus-lite server did not answer in 120 s") from None
                time.sleep(0.2)  # polling: the server gives no other signal that it answers
        yield uri
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        if server.stdout is not None:
            server.stdout.close()
        log.close()


def _port_of(server: subprocess.Popen[bytes], log_path: Path) -> int:
    """The port the launcher printed on its first line (it binds before printing)."""
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 120)
    line = server.stdout.readline().strip() if ready else b""
    if not line.isdigit():
        raise AssertionError(f"milvus-lite server did not start: {line!r} {log_path.read_text()[-2000:]}")
    return int(line)
