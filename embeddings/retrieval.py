"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds names and rare words the small embedding model blurs.
Reciprocal rank fusion needs no score calibration between the two. A cap on passages per document
keeps one long article from filling every slot when others are relevant too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple, TypeVar
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .store_api import IndexView as Generation
from .vector_index import exact_among

Mode = Literal["hybrid", "dense", "bm25"]
Lap = Callable[[str], None]


def _no_lap(stage: str) -> None:
    pass


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents and/or a date range (inclusive)."""

    doc_ids: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.doc_ids or self.since or self.until)


class Candidate(NamedTuple):
    """One fused candidate. A named tuple rather than a frozen dataclass: a question makes ~160 of
    them, and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` a field) took 3x as long."""

    chunk: int  # chunk id within the generation
    fused: float
    dense: float  # cosine similarity to the query
    dense_rank: int | None = None  # 0-based rank in the dense list, None when not in it
    bm25_rank: int | None = None  # likewise in the BM25 list


@dataclass(frozen=True, eq=False)
class Prior:
    """Documents a question prefers, each at a weight (document position -> weight), and their chunks:
    ranked by cosine to the question, one more list for the fusion (see :func:`search`).

    The chunks' vectors are read when the list is ranked, after a filter has dropped the chunks it does
    not allow, unless :meth:`gathered` read them ahead: the engine does that on a second core while the
    question is embedded (a week's ~1,600 chunk vectors, ~0.3 ms of the ~0.45 ms the ranking takes on
    news2022; a filtered question is never overlapped, so it never reads what its filter drops).
    """

    weights: Mapping[int, float]
    chunks: np.ndarray
    vectors: np.ndarray | None = None  # the chunks' vectors when read ahead (``gathered``)

    @classmethod
    def of(cls, gen: Generation, weights: Mapping[int, float] | None) -> "Prior | None":
        """The chunks of documents ``weights`` (None when there are none)."""
        if not weights:
            return None
        return cls(weights, gen.chunks_of(np.fromiter(weights, dtype=np.int64, count=len(weights))))

    def gathered(self, gen: Generation) -> "Prior":
        """The same with its chunks' vectors read now."""
        return self if self.vectors is not None else Prior(self.weights, self.chunks, gen.chunk_vectors(self.chunks))

    def allowed(self, mask: np.ndarray | None) -> "Prior":
        """Only the chunks ``mask`` allows (all when None)."""
        if mask is None:
            return self
        keep = mask[self.chunks]
        return Prior(self.weights, self.chunks[keep], None if self.vectors is None else self.vectors[keep])


def allowed_chunks(gen: Generation, filters: Filters) -> np.ndarray | None:
    """Boolean mask over chunks, or None when nothing is filtered."""
    if not filters.active:
        return None
    return gen.chunk_mask(filters.doc_ids, filters.since, filters.until)


def search(
    gen: Generation,
    query_vector: np.ndarray,
    query_terms: list[str],
    *,
    candidates: int,
    rrf_k: int,
    nprobe: int,
    filters: Filters = Filters(),
    mode: Mode = "hybrid",
    term_weights: Mapping[str, float] | None = None,
    priors: Sequence[Mapping[int, float] | Prior] = (),
    lap: Lap = _no_lap,
    bm25: np.ndarray | None = None,
) -> list[Candidate]:
    """Every candidate chunk of either retriever, fused, best first (re-rank, then ``diversify``).

    ``term_weights`` weighs the BM25 terms (see ``LexicalIndex.search``). Each of ``priors`` maps
    document positions to a weight: their chunks, ranked by cosine to the query, are one more list in
    the fusion, each rank counting ``weight / (rrf_k + rank)``: a conversation's follow-up prefers the
    documents its earlier answers cited, and a question about "this week" the documents of that week,
    without being confined to them (each list ranked on its own, so that a week's hundred articles do
    not push a cited one down); a :class:`Prior` is such a mapping with its chunks found (and their
    vectors, when read ahead). ``lap(stage)`` is called as
    each stage ends ("dense", "bm25", "fusion"), for the engine's timings. ``bm25``: the BM25
    ranking (``gen.lexical_search`` of the same terms and filters) when it was computed beforehand,
    while the question was embedded.
    """
    if gen.size == 0:
        return []
    mask = allowed_chunks(gen, filters)
    if mask is not None and not mask.any():
        return []
    fused: dict[int, float] = {}
    dense_rank: dict[int, int] = {}
    bm25_rank: dict[int, int] = {}
    if mode in ("hybrid", "dense"):
        ids = gen.dense_search(query_vector, candidates, nprobe=nprobe, filters=filters, mask=mask)
        lap("dense")
        for rank, cid in enumerate(ids.tolist()):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
            dense_rank[cid] = rank
    if mode in ("hybrid", "bm25"):
        ids = bm25 if bm25 is not None else gen.lexical_search(
            query_terms, candidates, term_weights=term_weights, filters=filters, mask=mask)
        lap("bm25")
        for rank, cid in enumerate(ids.tolist()):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
            bm25_rank[cid] = rank
    for prior in priors:
        prior = prior if isinstance(prior, Prior) else Prior.of(gen, prior)
        if prior is None:
            continue
        for rank, (cid, weight) in enumerate(_prior_ranking(gen, query_vector, prior.allowed(mask), candidates)):
            fused[cid] = fused.get(cid, 0.0) + weight / (rrf_k + rank + 1)
    if not fused:
        return []
    out = _candidates(gen, query_vector, fused, dense_rank, bm25_rank)
    lap("fusion")
    return out


def _candidates(
    gen: Generation, query_vector: np.ndarray, fused: dict[int, float], dense_rank: dict[int, int],
    bm25_rank: dict[int, int],
) -> list[Candidate]:
    """The fused chunks as candidates, best fused score first (ties by chunk id), each with its cosine."""
    order = sorted(fused, key=lambda c: (-fused[c], c))
    dense = (gen.chunk_vectors(np.array(order)) @ query_vector.astype(np.float32)).tolist()
    return list(map(Candidate, order, map(fused.__getitem__, order), dense, map(dense_rank.get, order),
                    map(bm25_rank.get, order)))


def _prior_ranking(gen: Generation, query_vector: np.ndarray, prior: Prior, limit: int) -> list[tuple[int, float]]:
    """The ``prior`` documents' chunks, best cosine first, with their document's weight."""
    if not len(prior.chunks):
        return []
    vectors = prior.vectors if prior.vectors is not None else gen.chunk_vectors(prior.chunks)
    best = exact_among(vectors, prior.chunks, query_vector, limit).tolist()
    return [(cid, prior.weights[gen.doc_of(cid)]) for cid in best]


T = TypeVar("T")


def scoring_set(
    ranked: list[T], doc_of: Callable[[T], int], *, depth: int, min_docs: int
) -> tuple[list[T], list[T]]:
    """The candidates whose sentences are scored, and the rest, each in fused order.

    The first ``depth`` are scored, and after them the best candidate of each further document until
    ``min_docs`` documents are among the scored (0: none added). News holds several articles on one
    event, and a long one's similar chunks can fill the depth: the article that answers may be the
    fifth document but the fifteenth chunk. Adding documents rather than capping one's chunks keeps
    every passage scored before (a cap of 2 a document dropped the third chunk that held the answer
    and cost hit@1; README, Answer quality).
    """
    scored, rest = list(ranked[:depth]), []
    docs = {doc_of(item) for item in scored} if min_docs else set()
    for at in range(depth, len(ranked)):
        if len(docs) >= min_docs:  # enough documents (always, when off): the rest as it is, unread
            rest.extend(ranked[at:])
            break
        doc = doc_of(ranked[at])
        if doc not in docs:
            docs.add(doc)
            scored.append(ranked[at])
        else:
            rest.append(ranked[at])
    return scored, rest


def diversify(ranked: list[T], doc_of: Callable[[T], int], *, k: int, max_per_doc: int) -> list[T]:
    """Keep at most ``max_per_doc`` items of a document, unless nothing else is left to show."""
    chosen: list[T] = []
    overflow: list[T] = []
    per_doc: dict[int, int] = {}
    for item in ranked:
        doc = doc_of(item)
        if per_doc.get(doc, 0) < max_per_doc:
            per_doc[doc] = per_doc.get(doc, 0) + 1
            chosen.append(item)
            if len(chosen) == k:
                return chosen
        else:
            overflow.append(item)
    return chosen + overflow[: k - len(chosen)]
