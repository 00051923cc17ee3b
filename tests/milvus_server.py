"""A Milvus Lite gRPC server for the tests, on a port the kernel picks: ``python tests/milvus_server.py DIR``
prints the port on its first line of output, then serves until it is terminated.

``milvus-lite server --port N`` needs a port chosen beforehand, and gRPC binds with SO_REUSEPORT: when two
test workers happen to choose the same free port, both servers start and share the connections. Port 0
cannot collide.
"""

from __future__ import annotations

import os
import sys

from milvus_lite.adapter.grpc.server import start_server_in_thread


def main() -> None:
    server, _db, port = start_server_in_thread(sys.argv[1], host="127.0.0.1", port=0)
    print(port, flush=True)
    os.dup2(2, 1)  # anything printed later goes to the log, not into a pipe nobody reads
    server.wait_for_termination()


if __name__ == "__main__":
    main()
