"""Index generations on disk, published atomically.

Layout of the data directory::

    CURRENT                 name of the published generation (replaced by rename)
    reindex.lock            held by whoever changes the index or the documents folder
    generations/<name>/     manifest.json, store.sqlite, vectors.npy, index.faiss, bm25/,
                            sentences.npy, chunk_sentences.npy, sentence_vectors.npy, sentence_scales.npy
    onnx/<model>/           the query-time ONNX export of the embedding model

A new generation is written under ``<name>.tmp``, flushed, renamed to ``<name>`` and only then
named in ``CURRENT`` (write to a temporary file + ``os.replace``). A crash at any moment leaves
``CURRENT`` pointing at the last complete generation; leftovers are swept by the next run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout

from . import vector_index
from .chunking import embedded_text
from .documents import Document
from .errors import DataDirUnusable, IndexNotFound, ModelMismatch, ReindexInProgress
from .lexical import LexicalIndex

log = logging.getLogger(__name__)

# 2: sentence spans, kinds and int8 sentence vectors (late chunking) stored with every chunk.
FORMAT_VERSION = 2
CHUNKER_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    format: int
    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    chunker: int
    documents: int
    chunks: int
    index_type: str
    created_at: str

    def check_model(self, model: str) -> None:
        if model != self.model:
            raise ModelMismatch(
                f"this index was built with the embedding model {self.model!r}, but the configured "
                f"model is {model!r}; set DOCBOT_MODEL={self.model} or index into another "
                f"--data-dir (vectors from different models cannot be compared)"
            )


@dataclass
class SentenceVectors:
    """Sentence vectors quantised to int8, one scale per row: a quarter of fp32's size, and the
    cosine they give stays within about 0.005 of it, far below the gaps between sentences."""

    codes: np.ndarray  # int8 (n, dim)
    scales: np.ndarray  # float32 (n,)

    @classmethod
    def quantise(cls, vectors: np.ndarray) -> "SentenceVectors":
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
        scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
        scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
        codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
        return cls(codes, scales)

    @classmethod
    def concat(cls, parts: list["SentenceVectors"], dim: int) -> "SentenceVectors":
        if not parts:
            return cls(np.zeros((0, dim), np.int8), np.zeros(0, np.float32))
        return cls(np.concatenate([p.codes for p in parts]), np.concatenate([p.scales for p in parts]))

    def __len__(self) -> int:
        return int(self.codes.shape[0])


@dataclass
class DocumentChunks:
    """A document with its chunk spans, their vectors and their sentences, ready to be written.

    ``sentences[i]`` lists chunk i's quotable sentences as ``(start, end, kind)`` (document
    offsets, see ``sentences.quotable_sentences``); ``sentence_vectors`` holds their vectors in the
    same order, all chunks concatenated.
    """

    document: Document
    spans: list[tuple[int, int]]
    vectors: np.ndarray
    sentences: list[list[tuple[int, int, int]]]
    sentence_vectors: SentenceVectors


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb+") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(path)


# ---------------------------------------------------------------------- the re-index lock
@contextmanager
def reindex_lock(data_dir: Path) -> Iterator[None]:
    """One change at a time per data directory, across threads and processes.

    Whoever changes the index or the documents folder takes it first, so a refusal
    (ReindexInProgress) comes before anything is touched. Not re-entrant: take it once per change.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(data_dir / "reindex.lock")
        lock.acquire(timeout=0)
    except Timeout:
        raise ReindexInProgress("a re-index is already running; try again when it finishes") from None
    except OSError as exc:
        raise DataDirUnusable(f"cannot use the data directory {data_dir}: {_why_unusable(data_dir, exc)}") from None
    try:
        yield
    finally:
        lock.release()


def _why_unusable(data_dir: Path, exc: OSError) -> str:
    """The cause a person can act on: a file in the way, or what the system said and about which path."""
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder" if existing != data_dir else "it is a file, not a folder"
    what = exc.strerror or str(exc)
    return f"{what} ({exc.filename})" if exc.filename and str(exc.filename) != str(data_dir) else what


def current_name(data_dir: Path) -> str | None:
    try:
        name = (data_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    return name if name and (data_dir / "generations" / name / "manifest.json").exists() else None


def sweep_unfinished(data_dir: Path) -> None:
    """Remove what a crashed run left behind. Only call it holding the re-index lock."""
    gens = data_dir / "generations"
    current = current_name(data_dir) or ""
    if gens.is_dir():
        for entry in gens.iterdir():
            # Half-written ones, and complete ones a crash kept from being published.
            if entry.name.endswith(".tmp") or entry.name > current:
                log.info("removing unfinished generation %s", entry.name)
                shutil.rmtree(entry, ignore_errors=True)
    (data_dir / "CURRENT.tmp").unlink(missing_ok=True)


def sweep_superseded(data_dir: Path, keep: int = 2) -> None:
    """Remove old generations, keeping the published one and the one before it.

    The one before stays because another process (a running bot) may still be reading it until it
    notices the switch.
    """
    gens = data_dir / "generations"
    current = current_name(data_dir)
    if current is None or not gens.is_dir():
        return
    done = sorted(e.name for e in gens.iterdir() if not e.name.endswith(".tmp") and e.name <= current)
    for name in done[:-keep]:
        shutil.rmtree(gens / name, ignore_errors=True)


def _write_sentences(directory: Path, docs: list[DocumentChunks], dim: int) -> None:
    rows = [row for d in docs for chunk in d.sentences for row in chunk]
    counts = [len(chunk) for d in docs for chunk in d.sentences]
    spans = np.array(rows, dtype=np.int64).reshape(-1, 3)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    vectors = SentenceVectors.concat([d.sentence_vectors for d in docs], dim)
    if len(vectors) != len(spans):
        raise ValueError(f"{len(vectors)} sentence vectors for {len(spans)} sentences")
    np.save(directory / "sentences.npy", spans)
    np.save(directory / "chunk_sentences.npy", offsets)
    np.save(directory / "sentence_vectors.npy", vectors.codes)
    np.save(directory / "sentence_scales.npy", vectors.scales)


def write_generation(
    data_dir: Path,
    docs: list[DocumentChunks],
    *,
    manifest: dict,
    exact_max: int,
    previous_index: faiss.Index | None = None,
) -> Path:
    """Write a complete generation and publish it; returns its directory."""
    gens = data_dir / "generations"
    gens.mkdir(parents=True, exist_ok=True)
    name = datetime.now(timezone.utc).strftime("gen-%Y%m%dT%H%M%S%f")
    tmp = gens / f"{name}.tmp"
    tmp.mkdir()

    dim = int(manifest["dimension"])
    vectors = (
        np.concatenate([d.vectors for d in docs]).astype(np.float32)
        if docs and any(len(d.spans) for d in docs)
        else np.zeros((0, dim), dtype=np.float32)
    )
    np.save(tmp / "vectors.npy", vectors)
    _write_sentences(tmp, docs, dim)

    con = sqlite3.connect(tmp / "store.sqlite")
    con.executescript(
        """
        CREATE TABLE documents (pos INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
            date TEXT, url TEXT, path TEXT, content_hash TEXT NOT NULL, text TEXT NOT NULL,
            first_chunk INTEGER NOT NULL, n_chunks INTEGER NOT NULL);
        CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_pos INTEGER NOT NULL, ord INTEGER NOT NULL,
            start INTEGER NOT NULL, end INTEGER NOT NULL);
        """
    )
    texts_for_bm25: list[str] = []
    next_chunk = 0
    for pos, item in enumerate(docs):
        doc = item.document
        con.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                pos, doc.doc_id, doc.title, doc.date.isoformat() if doc.date else None, doc.url,
                doc.path, doc.content_hash, doc.text, next_chunk, len(item.spans),
            ),
        )
        con.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?)",
            [(next_chunk + i, pos, i, s, e) for i, (s, e) in enumerate(item.spans)],
        )
        texts_for_bm25.extend(embedded_text(doc.title, doc.text[s:e])[0] for s, e in item.spans)
        next_chunk += len(item.spans)
    con.commit()
    con.close()

    index = vector_index.build(vectors, exact_max=exact_max, previous=previous_index)
    vector_index.save(index, tmp / "index.faiss")
    LexicalIndex.build(texts_for_bm25).save(tmp / "bm25")

    full = Manifest(
        format=FORMAT_VERSION,
        chunker=CHUNKER_VERSION,
        documents=len(docs),
        chunks=int(vectors.shape[0]),
        index_type=vector_index.kind(index),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **manifest,
    )
    (tmp / "manifest.json").write_text(json.dumps(asdict(full), indent=2))
    _fsync_tree(tmp)

    final = gens / name
    tmp.rename(final)
    _fsync_dir(gens)
    pointer = data_dir / "CURRENT.tmp"
    pointer.write_text(name + "\n")
    with open(pointer, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer, data_dir / "CURRENT")
    _fsync_dir(data_dir)
    log.info("published index generation %s (%d documents, %d chunks)", name, len(docs), full.chunks)
    return final


class Generation:
    """A published generation, loaded read-only. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        raw = json.loads((path / "manifest.json").read_text())
        self.manifest = Manifest(**raw)
        if self.manifest.format != FORMAT_VERSION:
            raise IndexNotFound(
                f"{path}: index format {self.manifest.format} is not {FORMAT_VERSION}; re-index"
            )
        self._db_path = path / "store.sqlite"
        self._local = threading.local()
        con = self._connect()
        rows = con.execute(
            "SELECT doc_id, title, date, url, content_hash, first_chunk, n_chunks, path, length(text) "
            "FROM documents ORDER BY pos"
        ).fetchall()
        self.doc_ids: list[str] = [r[0] for r in rows]
        self.titles: list[str] = [r[1] for r in rows]
        self.dates: list[date | None] = [date.fromisoformat(r[2]) if r[2] else None for r in rows]
        self.urls: list[str | None] = [r[3] for r in rows]
        self.hashes: list[str] = [r[4] for r in rows]
        self.first_chunk = np.array([r[5] for r in rows], dtype=np.int64)
        self.n_chunks = np.array([r[6] for r in rows], dtype=np.int64)
        self.paths: list[str | None] = [r[7] for r in rows]
        self.chars: list[int] = [r[8] for r in rows]
        self.doc_pos = {d: i for i, d in enumerate(self.doc_ids)}
        chunks = np.array(
            con.execute("SELECT doc_pos, ord, start, end FROM chunks ORDER BY id").fetchall(),
            dtype=np.int64,
        ).reshape(-1, 4)
        self.chunk_doc, self.chunk_ord = chunks[:, 0], chunks[:, 1]
        self.chunk_start, self.chunk_end = chunks[:, 2], chunks[:, 3]
        self.vectors = np.load(path / "vectors.npy", mmap_mode="r")
        self.sentences = np.load(path / "sentences.npy", mmap_mode="r")
        self.chunk_sentence_offsets = np.load(path / "chunk_sentences.npy")
        self.sentence_codes = np.load(path / "sentence_vectors.npy", mmap_mode="r")
        self.sentence_scales = np.load(path / "sentence_scales.npy", mmap_mode="r")
        self.index = vector_index.load(path / "index.faiss")
        self.lexical = LexicalIndex.load(path / "bm25")
        self.indexed_at = datetime.fromisoformat(self.manifest.created_at)

    @classmethod
    def open_current(cls, data_dir: Path) -> "Generation":
        name = current_name(data_dir)
        if name is None:
            raise IndexNotFound(
                f"no index in {data_dir} yet: run `docbot index` (or `make run`) to build one"
            )
        return cls(data_dir / "generations" / name)

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    @property
    def size(self) -> int:
        return int(self.chunk_doc.shape[0])

    def chunk_text(self, cid: int) -> str:
        return self.doc_text(int(self.chunk_doc[cid]))[self.chunk_start[cid] : self.chunk_end[cid]]

    def sentence_range(self, cid: int) -> tuple[int, int]:
        """Rows ``[lo, hi)`` of the sentence arrays that belong to chunk ``cid``."""
        return int(self.chunk_sentence_offsets[cid]), int(self.chunk_sentence_offsets[cid + 1])

    def doc_sentences(self, pos: int) -> tuple[list[list[tuple[int, int, int]]], SentenceVectors]:
        """A document's per-chunk sentences and their vectors, as ``DocumentChunks`` holds them."""
        first, n = int(self.first_chunk[pos]), int(self.n_chunks[pos])
        lo, hi = self.sentence_range(first)[0], self.sentence_range(first + n - 1)[1] if n else 0
        per_chunk = [
            [tuple(r) for r in self.sentences[a:b].tolist()]
            for a, b in (self.sentence_range(c) for c in range(first, first + n))
        ]
        codes = np.array(self.sentence_codes[lo:hi]) if n else np.zeros((0, self.manifest.dimension), np.int8)
        scales = np.array(self.sentence_scales[lo:hi]) if n else np.zeros(0, np.float32)
        return per_chunk, SentenceVectors(codes, scales)  # type: ignore[arg-type]

    def doc_text(self, pos: int) -> str:
        # One document's text is small; fetching it on demand keeps the corpus out of memory.
        row = self._connect().execute("SELECT text FROM documents WHERE pos=?", (pos,)).fetchone()
        return row[0]

    def document(self, pos: int) -> Document:
        return Document(
            doc_id=self.doc_ids[pos], title=self.titles[pos], text=self.doc_text(pos),
            content_hash=self.hashes[pos], date=self.dates[pos], url=self.urls[pos], path=self.paths[pos],
        )

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

