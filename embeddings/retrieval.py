"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds names and rare words the small embedding model blurs.
Reciprocal rank fusion needs no score calibration between the two. A cap on passages per document
keeps one long article from filling every slot when others are relevant too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from . import vector_index
from .store import Generation

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or a date range (inclusive)."""

    doc_ids: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.doc_ids or self.since or self.until)


@dataclass(frozen=True)
class Candidate:
    chunk: int  # chunk id within the generation
    fused: float
    dense: float  # cosine similarity to the query


def allowed_chunks(gen: Generation, filters: Filters) -> np.ndarray | None:
    """Boolean mask over chunks, or None when nothing is filtered."""
    if not filters.active:
        return None
    keep_doc = np.ones(len(gen.doc_ids), dtype=bool)
    if filters.doc_ids:
        wanted = np.zeros(len(gen.doc_ids), dtype=bool)
        for d in filters.doc_ids:
            pos = gen.doc_pos.get(d)
            if pos is not None:
                wanted[pos] = True
        keep_doc &= wanted
    if filters.since or filters.until:
        for pos, when in enumerate(gen.dates):
            if when is None or (filters.since and when < filters.since) or (
                filters.until and when > filters.until
            ):
                keep_doc[pos] = False
    return keep_doc[gen.chunk_doc] if gen.size else np.zeros(0, dtype=bool)


def search(
    gen: Generation,
    query_vector: np.ndarray,
    query_terms: list[str],
    *,
    k: int,
    candidates: int,
    rrf_k: int,
    max_per_doc: int,
    nprobe: int,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
) -> list[Candidate]:
    """The ``k`` best chunks, best first."""
    if gen.size == 0:
        return []
    mask = allowed_chunks(gen, filters)
    if mask is not None and not mask.any():
        return []
    fused: dict[int, float] = {}
    if mode in ("hybrid", "dense"):
        allowed = np.flatnonzero(mask) if mask is not None else None
        ids, _ = vector_index.search(gen.index, query_vector, candidates, nprobe=nprobe, allowed=allowed)
        for rank, cid in enumerate(ids.tolist()):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
    if mode in ("hybrid", "bm25"):
        weights = mask.astype(np.float32) if mask is not None else None
        ids, _ = gen.lexical.search(query_terms, candidates, weights)
        for rank, cid in enumerate(ids.tolist()):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
    if not fused:
        return []
    order = sorted(fused, key=lambda c: (-fused[c], c))
    dense = np.asarray(gen.vectors[np.array(order)]) @ query_vector.astype(np.float32)
    ranked = [Candidate(c, fused[c], float(s)) for c, s in zip(order, dense)]
    return diversify(gen, ranked, k=k, max_per_doc=max_per_doc)


def diversify(gen: Generation, ranked: list[Candidate], *, k: int, max_per_doc: int) -> list[Candidate]:
    """Keep at most ``max_per_doc`` chunks of a document, unless nothing else is left to show."""
    chosen: list[Candidate] = []
    overflow: list[Candidate] = []
    per_doc: dict[int, int] = {}
    for cand in ranked:
        doc = int(gen.chunk_doc[cand.chunk])
        if per_doc.get(doc, 0) < max_per_doc:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            chosen.append(cand)
            if len(chosen) == k:
                return chosen
        else:
            overflow.append(cand)
    return chosen + overflow[: k - len(chosen)]
