"""What the engine needs from an index, whatever holds it: two protocols and the choice between backends.

``IndexView`` is one published generation as questions read it (documents, chunks and their offsets,
vectors, sentences, dense and lexical search); ``StoreBackend`` is where generations live (which one is
published, opening it, writing and publishing a new one, the re-index lock, sweeping what is left over).

Two backends implement them (``DOCBOT_STORE``):

* ``local`` (default): ``embeddings.store`` — generation folders under ``DOCBOT_DATA_DIR`` (SQLite, FAISS,
  bm25s), published by renaming the ``CURRENT`` pointer file.
* ``milvus``: ``embeddings.milvus_store`` — each generation in new Milvus collections, published by
  switching an alias; nothing of the index on local disk, so processes on several machines share it.

The engine and the indexer only see these protocols; the retrieval fusion, evidence scoring and answers
are the same code over both, so a cited excerpt is ``doc_text(pos)[start:end]`` on either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from .documents import Document
    from .models import DocumentInfo, Source
    from .retrieval import Filters
    from .sentence_terms import SentenceMatches
    from .settings import EngineSettings
    from .sources import SourceTable
    from .store import (
        BuildSettings,
        ChunkInfo,
        ChunkSentences,
        DocumentChunks,
        Manifest,
        Published,
        Update,
        Verification,
    )


@runtime_checkable
class IndexView(Protocol):
    """One published generation, read-only and safe to share between threads."""

    name: str
    manifest: Manifest
    indexed_at: datetime
    source_table: SourceTable | None

    @property
    def size(self) -> int: ...  # chunks
    @property
    def documents(self) -> int: ...
    def __contains__(self, doc_id: object) -> bool: ...
    def position(self, doc_id: str) -> int | None: ...
    def doc_id(self, pos: int) -> str: ...
    def title(self, pos: int) -> str: ...
    def doc_date(self, pos: int) -> date | None: ...
    def doc_path(self, pos: int) -> str | None: ...
    def read_derived(self, name: str) -> dict | None:
        """A record measured on this generation (``write_derived``) by this or any other process sharing it,
        or None (then it is measured again): e.g. the abstention's null profile, ``embeddings.null``."""
        ...

    def write_derived(self, name: str, data: dict, *, quiet: bool = False) -> None:
        """Keep a record measured on this generation with it (local: its ``derived/`` folder; Milvus: a row of
        its docs collection), for every process reading it; one that cannot be kept is logged, not raised."""
        ...

    def content_hashes(self) -> dict[str, str]: ...
    def doc_info(self, pos: int) -> DocumentInfo: ...
    def source(self, pos: int, number: int) -> Source: ...
    def doc_of(self, cid: int) -> int: ...
    def chunk(self, cid: int) -> ChunkInfo: ...
    def chunk_number(self, cid: int) -> int: ...
    def page(self, pos: int, offset: int) -> int | None: ...
    def page_count(self, pos: int) -> int | None: ...
    def doc_chunks(self, pos: int) -> list[ChunkInfo]: ...
    def chunk_ids(self, pos: int) -> np.ndarray: ...
    def chunks_of(self, positions: np.ndarray) -> np.ndarray: ...
    def chunk_vectors(self, cids: np.ndarray) -> np.ndarray: ...
    def chunk_mask(
        self, doc_ids: Iterable[str] = (), since: date | None = None, until: date | None = None
    ) -> np.ndarray: ...
    def dated_within(self, since: date | None, until: date | None) -> np.ndarray: ...
    @property
    def newest_date(self) -> date | None: ...
    def chunk_text(self, cid: int) -> str: ...
    def sentences_of(self, cids: Iterable[int]) -> tuple[ChunkSentences, np.ndarray]: ...
    def sentence_matches(self, cids: Iterable[int], terms: Iterable[str]) -> SentenceMatches | None: ...
    def ensure_sentence_terms(self) -> None: ...
    def doc_sizes(self, pos: int) -> tuple[int, int]: ...
    def document_chunks(self, pos: int, document: Document) -> DocumentChunks: ...
    def doc_text(self, pos: int) -> str: ...
    def doc_texts(self, positions: Iterable[int], into: dict[int, str]) -> dict[int, str]: ...
    def document(self, pos: int) -> Document: ...
    def size_bytes(self) -> int: ...

    def dense_search(
        self, vector: np.ndarray, k: int, *, nprobe: int, filters: Filters, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Chunk ids of the ``k`` nearest chunks (inner product), best first, within ``filters``.

        ``mask`` is ``chunk_mask`` of the same filters when they are active (a backend that filters
        in the engine uses it, one that filters by expression uses ``filters``)."""
        ...

    def lexical_search(
        self, terms: list[str], k: int, *, term_weights: Mapping[str, float] | None = None,
        filters: Filters, mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Chunk ids of the ``k`` best BM25 matches of the stemmed ``terms``, best first, within ``filters``."""
        ...

    def terms_starting(self, prefix: str, limit: int) -> list[str] | None:
        """Up to ``limit`` stemmed terms of this generation's vocabulary that begin with ``prefix`` and are
        longer, in order; None when the generation does not record its vocabulary (see ``corpus_terms``)."""
        ...

    def corpus_terms(self, terms: Iterable[str]) -> set[str] | None:
        """Which of the stemmed ``terms`` occur somewhere in this generation (its BM25 vocabulary, kept by both
        backends); None when the generation does not record it (a Milvus generation written before it was
        kept): the abstention then reads only the passage, and no spelling variant is looked up."""
        ...

    def pervasive_terms(self, terms: Iterable[str]) -> set[str]:
        """Which of the stemmed ``terms`` are the collection's own subject: held by more than half of its
        passages (``pervasive.is_pervasive``); a question is searched without them. None of them for a
        generation that does not record it (a Milvus generation written before it was kept)."""
        ...


class StoreBackend(Protocol):
    """Where generations live. One object per engine; every method may be called from any thread."""

    #: Where the index lives, as ``stats`` shows it (a folder, or ``milvus:URI`` and the alias).
    location: str

    def pointer(self) -> str | None:
        """What names the published generation now (cheap: checked before every question), or None."""
        ...

    def open_published(self) -> Published:
        """The published generation (IndexNotFound when none, IndexDamaged when it cannot be used)."""
        ...

    def open_for_update(self) -> Update:
        """The generation an update builds on, checked in full, and what was found damaged."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """One change at a time across processes (ReindexInProgress at once when it is held)."""
        ...

    def space_needed(self, chunks: int, sentences: int, text_bytes: int, dimension: int) -> int:
        """Bytes a new generation of this size needs in the data directory (0 when it lives elsewhere)."""
        ...

    def planned_index(self, chunks: int, exact_max: int) -> str:
        """The kind of vector index a new generation of ``chunks`` gets with this backend's settings, as
        its manifest's ``index_type`` begins (see :func:`index_family`)."""
        ...

    def publish(
        self, docs: list[DocumentChunks], *, build: BuildSettings, exact_max: int, previous: Any,
        sources: SourceTable | None,
    ) -> str:
        """Write a complete new generation and publish it atomically; returns its name.

        On any failure (an exception, the process killed) the previous generation stays published."""
        ...

    def sweep_unfinished(self) -> None:
        """Remove what a crashed run left half-written (only with the lock held)."""
        ...

    def sweep_superseded(self, keep: str | None, damaged: Iterable[str] = ()) -> None:
        """Remove old generations but the published one and ``keep`` (only with the lock held)."""
        ...

    def verify(self) -> Verification:
        """Every generation checked in full (``stats --verify``)."""
        ...


def open_store(settings: EngineSettings) -> StoreBackend:
    """The backend ``settings.store`` names (nothing is connected or read until first used)."""
    if settings.store == "milvus":
        from .milvus_store import (
            MilvusStore,  # pymilvus is an optional extra: imported only when chosen
        )

        return MilvusStore(settings)
    from .store import LocalStore

    return LocalStore(settings.data_dir, ivf_encoding=settings.ivf_encoding, dense_index=settings.dense_index)


def index_family(index_type: str) -> str:
    """A manifest's ``index_type`` without its parameters: "IVFFlat(nlist=1255)" -> "IVFFlat"."""
    return index_type.split("(", 1)[0].strip()
