"""Arrays read from ``.npy`` files memory-mapped, as plain arrays.

``np.load(..., mmap_mode="r")`` returns an ``np.memmap``, a subclass whose every indexing runs
Python code (``__getitem__`` and ``__array_finalize__``): ~6 us a call, and a question indexes the
BM25 postings, the vocabulary and the sentence tables ~80 times (0.5 ms). A plain array viewing the
same mapping pages in as lazily and costs nothing extra to index. The mapping stays open as long as
any view of it is alive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_mapped(path: Path) -> np.ndarray:
    """The array in ``path``, memory-mapped read-only, as a plain ``np.ndarray``."""
    return np.load(path, mmap_mode="r").view(np.ndarray)
