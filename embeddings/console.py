"""The ``docbot`` command's entry point: Ctrl-C while the program is still loading ends in one line.

A console script imports its module before calling it, and ``embeddings.cli`` imports numpy, pydantic
and the engine (~0.3 s): a Ctrl-C landing there printed a traceback of 15-40 lines. This module is
all that is imported first; it catches that Ctrl-C, also when it surfaces as the ImportError of a
compiled module interrupted half-way, then hands over to :func:`embeddings.cli.run`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, NoReturn


def run() -> NoReturn:
    """``docbot``: load the command line with Ctrl-C watched, then run it."""
    with counting_interrupts() as interrupts:
        try:
            from .cli import run as run_cli
        except KeyboardInterrupt:
            _interrupted()
        except ImportError:
            if not interrupts[0]:
                raise
            _interrupted()
    try:
        run_cli()
    except KeyboardInterrupt:  # before ``cli.run_reporting`` watches (its arguments, its settings)
        _interrupted()


@contextlib.contextmanager
def counting_interrupts(enabled: bool = True) -> Iterator[list[int]]:
    """While inside, count Ctrl-Cs in the list yielded (Python's own handler still raises KeyboardInterrupt).
    Only the main thread can install a handler, and only Python's default one is wrapped: elsewhere, under
    another handler, or not ``enabled``, nothing is counted. Here, as the console script loads with it,
    and used by ``cli.run_reporting`` for the commands themselves."""
    count = [0]
    if not enabled or threading.current_thread() is not threading.main_thread() or (
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield count
        return

    def on_sigint(signum: int, frame: Any) -> None:
        count[0] += 1
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield count
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _interrupted() -> NoReturn:
    print("docbot: interrupted", file=sys.stderr)
    sys.exit(130)
