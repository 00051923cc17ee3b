"""What a process does once, before the engine's imports: settings of the libraries it loads.

``embeddings/__init__`` runs these before anything heavy is imported, because each only acts then:
OpenBLAS reads its environment when numpy loads it, and the garbage collector's work during the imports
is what :func:`imports_outside_gc` saves. Measured on a cold ``docbot ask`` on the full news2022 index
(README, Speed).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: OpenBLAS's idle threads sleep at once (2**4 cycles) rather than spin-yield for 2**28 (~0.1 s).
BLAS_THREAD_TIMEOUT = "4"


def calm_blas_threads() -> None:
    """Make the OpenBLAS pools that numpy (and FAISS) load put idle threads to sleep instead of spinning.

    When numpy loads OpenBLAS, its pool starts a thread per core, and each spins for ~0.1 s (again
    after every threaded BLAS call) before it sleeps: on two shared cores that spinning took the other
    core from the work a cold ``docbot ask`` overlaps with the index open, and ``import numpy`` went
    from 0.10 to 0.16 s wall (0.08 to 0.15 s CPU). OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` once,
    when it is loaded, so this runs before numpy's import; a value already in the environment is
    kept, and a process that loaded numpy before keeps its pool as it is.
    """
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)


@contextmanager
def imports_outside_gc() -> Iterator[None]:
    """Import without the cyclic garbage collector, then move what was imported out of its reach.

    Importing numpy, pydantic, FAISS and the engine makes a few hundred thousand objects that live as
    long as the process (modules, classes, pydantic's schemas); the collector walked them over and
    over while they were made (~40 ms of a cold question: 120 young, 11 middle and one full pass),
    and again at exit. Paused during the imports and then frozen (``gc.freeze``: later collections
    skip them), a cold ``docbot ask`` took 0.47 instead of 0.58 s at best. Whatever was garbage at
    that moment stays allocated: the imports leave next to none. The collector's state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
