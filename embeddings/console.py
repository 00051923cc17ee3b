"""The ``docbot`` command's entry point: Ctrl-C while the program is still loading ends in one line.

A console script imports its module before calling it, and ``embeddings.cli`` imports numpy, pydantic
and the engine (~0.3 s): a Ctrl-C landing there printed a traceback of 15-40 lines. This module is
all that is imported first; it catches that Ctrl-C, also when it surfaces as the ImportError of a
compiled module interrupted half-way, then hands over to :func:`embeddings.cli.run`.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any, NoReturn


def run() -> NoReturn:
    """``docbot``: load the command line with Ctrl-C watched, then run it."""
    interrupts = [0]
    watching = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler)

    def on_sigint(signum: int, frame: Any) -> None:
        interrupts[0] += 1
        signal.default_int_handler(signum, frame)

    if watching:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        from .cli import run as run_cli
    except KeyboardInterrupt:
        _interrupted()
    except ImportError:
        if not interrupts[0]:
            raise
        _interrupted()
    finally:
        if watching:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    run_cli()


def _interrupted() -> NoReturn:
    print("docbot: interrupted", file=sys.stderr)
    sys.exit(130)
