"""The FAISS side: exact search for small corpora, a graph (HNSW) or IVF for large ones.

Exact inner-product search over normalised vectors is cosine similarity; it stays under a few
milliseconds up to tens of thousands of chunks. Past ``exact_search_max_chunks`` an approximate
index answers in well under a millisecond: by default an HNSW graph (``DOCBOT_DENSE_INDEX=hnsw``; on
the full news2022 index a search takes about half the time of IVF's at the same recall@100, and a
question about 0.5 ms less: README, Speed), or IVF, whose trained centroids are reused when the
corpus has not grown or shrunk much, so a small re-index doesn't pay for k-means again, and whose
lists can hold 8-bit vectors (a quarter of the memory).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from .cpu import available_cores

log = logging.getLogger(__name__)

# A query searches one vector: OpenMP threads only add spin-waiting, which on a busy 2-core machine
# made a 12k-vector exact search 10x slower. Building the index is where threads help.
faiss.omp_set_num_threads(1)


@contextmanager
def _all_cores() -> Iterator[None]:
    faiss.omp_set_num_threads(available_cores())
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def _nlist_for(n: int) -> int:
    # About 4 * sqrt(n) lists, and at least 39 training points per list as FAISS advises.
    return max(1, min(4096, int(4 * math.sqrt(n)), n // 39))


#: How an IVF index stores its lists' vectors (``DOCBOT_IVF_ENCODING``): fp32 as given, or 8 bits a
#: component (a quarter of the bytes a search reads; the scan is bound by memory: README, Speed).
ENCODINGS = {"flat": None, "sq8": faiss.ScalarQuantizer.QT_8bit}


#: Neighbours a vector links to in the graph, and the candidate lists of building and of a search:
#: on news2022 (98,459 vectors) efSearch 128 finds the exact top 10 for every dev question and 0.967
#: of the top 100 (IVF at nprobe 48: 0.992 and 0.965) in 0.26 against 0.58 ms; the graph took 6.8 s
#: to build on 2 cores (``benchmarks`` README, Speed).
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 64, 128


def _hnsw(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    log.info("HNSW: linking %d vectors", len(vectors))
    with _all_cores():
        index.add(vectors)
    return index


def _ivf(quantizer: faiss.Index, dim: int, nlist: int, encoding: str) -> faiss.IndexIVF:
    qtype = ENCODINGS[encoding]
    if qtype is None:
        return faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    return faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, qtype, faiss.METRIC_INNER_PRODUCT)


def build(
    vectors: np.ndarray,
    *,
    exact_max: int,
    previous: faiss.Index | None = None,
    seed: int = 1234,
    encoding: str = "flat",
    method: str = "ivf",
) -> faiss.Index:
    """An index over ``vectors`` whose ids are the row numbers; above ``exact_max`` an HNSW graph
    (``method="hnsw"``) or an IVF index whose lists hold the vectors as ``encoding`` says (``ENCODINGS``)."""
    n, dim = vectors.shape
    family = planned_kind(n, exact_max=exact_max, method=method, encoding=encoding)
    if family == "FlatIP":
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    if family == "HNSWFlat":
        return _hnsw(vectors)
    nlist = _nlist_for(n)
    if (
        isinstance(previous, faiss.IndexIVF)
        and previous.d == dim
        and nlist / 2 <= previous.nlist <= min(2 * nlist, max(1, n // 39))
    ):
        # The corpus is about the size the centroids were trained for: keep them (read out of the
        # previous index, whatever holds its lists).
        quantizer = faiss.IndexFlatIP(dim)
        quantizer.add(previous.quantizer.reconstruct_n(0, previous.nlist))
        index = _ivf(quantizer, dim, previous.nlist, encoding)
        log.info("IVF: reusing %d trained centroids", previous.nlist)
        if isinstance(index, faiss.IndexIVFScalarQuantizer):
            # FAISS keeps a quantizer already holding nlist centroids and trains only the 8-bit
            # ranges of the residuals (to the centroids) on a sample.
            with _all_cores():
                index.train(_sample(vectors, nlist, seed))
        index.is_trained = True
    else:
        quantizer = faiss.IndexFlatIP(dim)
        index = _ivf(quantizer, dim, nlist, encoding)
        sample = _sample(vectors, nlist, seed)
        log.info("IVF: training %d centroids on %d vectors", nlist, len(sample))
        with _all_cores():
            index.train(sample)
    with _all_cores():
        index.add(vectors)
    return index


def _sample(vectors: np.ndarray, nlist: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return vectors[rng.choice(len(vectors), size=min(len(vectors), 40 * nlist), replace=False)]


def planned_kind(n: int, *, exact_max: int, method: str = "ivf", encoding: str = "flat") -> str:
    """The family of index :func:`build` makes for ``n`` vectors (what :func:`kind` begins with): exact
    up to ``exact_max``, then an HNSW graph (``method="hnsw"``, ``DOCBOT_DENSE_INDEX``) or IVF lists."""
    if n <= exact_max:
        return "FlatIP"
    if method == "hnsw":
        return "HNSWFlat"
    return "IVFSQ8" if ENCODINGS[encoding] is not None else "IVFFlat"


def kind(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexIVFFlat):
        return f"IVFFlat(nlist={index.nlist})"
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        return f"IVFSQ8(nlist={index.nlist})"
    if isinstance(index, faiss.IndexHNSW):
        return f"HNSWFlat(M={index.hnsw.nb_neighbors(1)}, efSearch={HNSW_EF_SEARCH})"  # its own M
    return "FlatIP (exact)"


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    """The index, memory-mapped: reading the news index's 150 MB took a cold question ~0.1 s (an
    HNSW graph's vectors are mapped and its links read: 17 ms for news2022's).

    FAISS serves mapped IVF lists through its on-disk lists, which by default start 32 threads to
    prefetch the lists of every search (2.3x slower searches here); the pages are in the page
    cache or come in as a search touches them, so prefetching is turned off. Searches give the
    same results as on a loaded index (tested).
    """
    with open(path, "rb") as f:
        graph = f.read(3) == b"IHN"  # FAISS's tag of an HNSW index; IVF's lists map with the other flag
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if graph else faiss.IO_FLAG_MMAP)
    if isinstance(index, faiss.IndexIVF):
        lists = faiss.downcast_InvertedLists(index.invlists)
        if isinstance(lists, faiss.OnDiskInvertedLists):
            lists.prefetch_nthread = 0
    return index


#: A filter allowing at most this many vectors is searched exactly over them (``exact_among``): reading
#: 20,000 of news2022's vectors takes a few milliseconds, and an approximate index misses most of the
#: nearest allowed ones when few are allowed.
EXACT_FILTER_MAX = 20_000


def exact_among(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``ids`` (rows ``vectors``) nearest ``query`` by inner product, best first (ties by id)."""
    if not len(ids) or k <= 0:
        return np.empty(0, dtype=np.int64)
    sims = vectors @ query.astype(np.float32)
    if k < len(sims):  # the k best first (a week's thousands of chunks need not all be sorted)
        keep = np.argpartition(-sims, k - 1)[:k]
        # Ties at the k-th similarity are kept by id, as a full stable sort over id order keeps them.
        cut = sims[keep].min()
        keep = np.flatnonzero(sims >= cut)
    else:
        keep = np.arange(len(sims))
    top = keep[np.lexsort((ids[keep], -sims[keep]))][:k]
    return ids[top].astype(np.int64)


def search(
    index: faiss.Index,
    query: np.ndarray,
    k: int,
    *,
    nprobe: int = 32,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, similarities) of the ``k`` nearest rows, best first; ``allowed`` restricts the rows."""
    if index.ntotal == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    k = min(k, index.ntotal)
    selector = faiss.IDSelectorBatch(allowed.astype(np.int64)) if allowed is not None else None
    if isinstance(index, faiss.IndexIVF):
        params = faiss.SearchParametersIVF(nprobe=nprobe, sel=selector)
    elif isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(efSearch=max(k, HNSW_EF_SEARCH), sel=selector)
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    sims, ids = index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), sims[0][keep]
