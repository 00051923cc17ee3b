"""The ``docbot`` command's entry point: Ctrl-C while the program is still loading ends in one line.

A console script imports its module before calling it, and ``embeddings.cli`` imports numpy, pydantic
and the engine (~0.3 s): a Ctrl-C landing there printed a traceback of 15-40 lines. This module is
all that is imported first; it catches that Ctrl-C, also when it surfaces as the ImportError of a
compiled module interrupted half-way, then hands over to :func:`embeddings.cli.run`.

Before :func:`run` is called (the console script's own lines, and the imports of this module and of the
package's ``__init__``), a Ctrl-C is an uncaught KeyboardInterrupt: in the ``docbot`` script it is said in
one line by :func:`_interrupted_while_starting`, installed as ``sys.excepthook`` as soon as this module
runs, which the package's ``__init__`` makes the first thing it does. This module and ``__init__`` import
next to nothing of their own (no ``typing``, ``threading`` or ``contextlib``: ~2 of the ~10 ms they took).
What runs before any of the package (the interpreter's ``site``, the path finder of an editable install that
it imports, the import system finding and reading ``embeddings/__init__``) is out of its reach: there a
Ctrl-C is still Python's traceback.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # ``typing`` itself is not imported: see above
if TYPE_CHECKING:
    from types import FrameType, TracebackType
    from typing import NoReturn

_PROG = "docbot"


def _interrupted_while_starting(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook`` of the ``docbot`` script: an uncaught Ctrl-C is one line (Python then ends the
    process as killed by SIGINT: status 130 in a shell); anything else is Python's traceback, as it was."""
    if issubclass(kind, KeyboardInterrupt):
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return
    sys.__excepthook__(kind, exc, tb)


def _started_as_docbot() -> bool:
    """Whether this process is the ``docbot`` console script (not a library user, the bot or a test)."""
    script = os.path.basename(getattr(sys.modules.get("__main__"), "__file__", None) or "")
    return script.removesuffix(".exe").removesuffix("-script.pyw").removesuffix("-script.py") == _PROG


if _started_as_docbot() and sys.excepthook is sys.__excepthook__:
    sys.excepthook = _interrupted_while_starting

import signal  # noqa: E402  (after the hook: it is the first thing this module does)


def run() -> NoReturn:
    """``docbot``: load the command line with Ctrl-C watched, then run it."""
    try:
        with counting_interrupts() as interrupts:
            try:
                from .cli import run as run_cli
            except ImportError:
                if not interrupts[0]:
                    raise
                _interrupted()
    except KeyboardInterrupt:
        _interrupted()
    try:
        run_cli()
    except KeyboardInterrupt:  # before ``cli.run_reporting`` watches (its arguments, its settings)
        _interrupted()


def counting_interrupts(enabled: bool = True) -> "_CountingInterrupts":
    """While inside, count Ctrl-Cs in the list yielded (Python's own handler still raises KeyboardInterrupt).
    Only the main thread can install a handler, and only Python's default one is wrapped: elsewhere, under
    another handler, or not ``enabled``, nothing is counted. Here, as the console script loads with it,
    and used by ``cli.run_reporting`` for the commands themselves."""
    return _CountingInterrupts(enabled)


class _CountingInterrupts:
    """:func:`counting_interrupts` without ``contextlib`` or ``threading`` (see the module docstring)."""

    def __init__(self, enabled: bool) -> None:
        self.count = [0]
        self.enabled = enabled
        self.installed = False

    def __enter__(self) -> list[int]:
        if self.enabled and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            try:
                signal.signal(signal.SIGINT, self._on_sigint)
            except ValueError:  # not the main thread: only it can install a handler
                return self.count
            self.installed = True
        return self.count

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self.installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.count[0] += 1
        signal.default_int_handler(signum, frame)


def _interrupted() -> NoReturn:
    print(f"{_PROG}: interrupted", file=sys.stderr)
    sys.exit(130)
