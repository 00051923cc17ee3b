"""Index generations on disk, published atomically, checked when loaded.

Layout of the data directory::

    CURRENT                 name of the published generation (replaced by rename)
    reindex.lock            held by whoever changes the index or the documents folder
    generations/<name>/     manifest.json, store.sqlite (documents, chunks, pages), vectors.npy, index.faiss, bm25/,
                            sentences.npy, chunk_sentences.npy, sentence_vectors.npy, sentence_scales.npy,
                            sentence_terms.npy, sentence_term_offsets.npy, sentence_numbers.npy,
                            sentence_heading_terms.npy, sentence_heading_offsets.npy (each sentence's BM25
                            term ids, whether it holds a number and its section heading's term ids:
                            ``sentence_terms.py``; absent or partial in generations written before, whose
                            ``docbot index`` derives them into derived/)
                            derived/<name>.json: what is measured on the published generation (not in the
                            manifest: written after it, e.g. the abstention's null profile, ``embeddings.null``,
                            and vectors_checked.json: index.faiss's size and time when its vectors last passed the check)
    onnx/<model>/           the query-time ONNX export of the embedding model

``store.sqlite`` holds the documents and chunks, and the index's sources (``sources.py``): table
``sources`` (each folder or file, by absolute path and by path relative to the data directory, so a data
directory moved together with its documents still finds them; what ``remove`` excluded from it) and
table ``document_sources`` (each document's source and its path there). Generations written before
sources were recorded lack both tables; their sources are derived when read and recorded by the next
update. They are written with the generation, so the sources change atomically with the index.

A new generation is written under ``<name>.tmp``, flushed, renamed to ``<name>`` and only then
named in ``CURRENT`` (write to a temporary file + ``os.replace``). A crash at any moment leaves
``CURRENT`` pointing at the last complete generation; leftovers are swept by the next run.

Damage after the fact (a disk error, a truncated copy, a stray write) is detected, not trusted: the
manifest records every file's size and SHA-256 and the counts the files must agree on. Loading checks
sizes and counts (cheap, every time); ``index`` and ``stats --verify`` also check the checksums. A
damaged published generation is skipped for the previous intact one, and ``index`` rebuilds from the
documents, reusing whatever intact generation it finds. A file or folder this user may not read is not
damage (``denied``): every command refuses in one line, and nothing is skipped, rebuilt or swept.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import faiss
import numpy as np

from . import vector_index
from .arrays import load_mapped
from .chunking import embedded_texts
from .documents import Document, page_at
from .errors import DataDirUnusable, IndexDamaged, IndexNotFound, ModelMismatch, ReindexInProgress
from .lexical import LEXICAL_VERSION, LexicalIndex
from .models import DocumentInfo, Source
from .pervasive import is_pervasive
from .sentence_terms import SentenceMatches, SentenceTerms
from .sentence_terms import build as build_sentence_terms
from .sources import SourceEntry, SourceTable

if TYPE_CHECKING:
    from .retrieval import Filters

log = logging.getLogger(__name__)

# 2: sentence spans, kinds and int8 sentence vectors (late chunking) stored with every chunk.
FORMAT_VERSION = 2
#: What makes a chunk's embedded text (``chunking.embedded_texts``); the next index embeds again every
#: document of a generation made by another (all of them, unless ``chunking.chunked_alike`` says
#: otherwise). 2: a chunk that begins mid-section carries its heading;
#: 3: no chunk crosses a Markdown heading (``indexer.chunk_document``); 4: a sentence goes on across a
#: soft-wrapped line (``chunking.soft_wrap``) and code fences are not quoted; ``chunking.chunked_alike``
#: keeps the vectors of the documents that have neither; 5: tables, underlined headings, rules, code
#: blocks, front matter, task boxes and footnotes read as such (``sentences.layout``); 6: a bold line
#: naming its paragraph, a numbered section's name and a front matter's title are headings
#: (``sentences.relabelled``); 7: a bold line naming a time of day or an amount is a notice, quoted
#: (``sentences.valued_labels``); 8: a note's first line set apart as its title is a heading
#: (``sentences.titles_itself``); 9: HTML comments and front matter metadata records ("tags:",
#: "layout:") are never quoted (``sentences.unshown``); 10: a heading is one sentence ("1. Overview"), and
#: no sentence holds a Markdown image (``sentences.recut``); 11: a short line naming the lines below it is a
#: heading, a front matter date no quote (``sentences.named_lines``); 12: a photo gallery's line of captions
#: is a caption (``sentences.gallery_lines``), a sentence goes on after a semicolon or a pipe in inline code
#: at a wrapped line's end (``chunking.wraps_since_12``), and an agenda's numbered topic with a number in
#: its name and a note's first line naming it and its date are headings (``sentences.regrouped``), and a
#: chunk's embedded text names the sections its section lies in (``sentences.sections_above``: a
#: changelog's release above its "### Fixed"); 13: a long line wraps into a line that opens with an aside in
#: brackets and goes on after it ("... in Beckett Auditorium" / "(B-100), M-Z in Orr Hall 201.":
#: ``chunking.aside_wraps``).
CHUNKER_VERSION = 13

#: Files an update reuses (documents, chunks, their vectors and sentences): embedding them again is
#: what costs time, so they are what must be intact to skip it.
REUSED_FILES = (
    "store.sqlite", "vectors.npy", "sentences.npy", "chunk_sentences.npy", "sentence_vectors.npy",
    "sentence_scales.npy",
)
#: Search indexes rebuilt from the reused files without embedding anything.
DERIVED_FILES = ("index.faiss", "bm25")
#: Each sentence's terms (``SentenceTerms``): written with every generation since they were added;
#: an older generation gets them in ``derived/`` from ``ensure_sentence_terms`` and answers without
#: them (tokenizing its candidates' sentences) until then.
SENTENCE_TERM_FILES = ("sentence_terms.npy", "sentence_term_offsets.npy", "sentence_numbers.npy",
                       "sentence_heading_terms.npy", "sentence_heading_offsets.npy")
#: How many of them a generation written before the headings' terms were stored has.
SENTENCE_TERMS_BEFORE_HEADINGS = 3
DERIVED_DIR = "derived"
_GENERATION_NAME = re.compile(r"gen-\d{8}T\d{12}")


@dataclass(frozen=True)
class BuildSettings:
    """What the indexer decides about a generation it writes; the store adds the counts and checksums."""

    model: str
    dimension: int
    chunk_tokens: int
    chunk_overlap_tokens: int


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
    #: Quotable sentences over all chunks; -1 in generations written before it was recorded.
    sentences: int = -1
    #: The tokenizer that wrote its BM25 index and sentence terms (``lexical.LEXICAL_VERSION``); 1 in
    #: generations written before it was recorded. Another one is written again by ``docbot index``
    #: from the stored chunks (nothing embedded: ``indexer.Indexer._index_outdated``).
    lexical: int = 1
    #: Every file's ``{"bytes": size, "sha256": hex}`` by path relative to the generation; empty in
    #: generations written before checksums were recorded (then only counts are checked).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

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
    from filelock import FileLock, Timeout  # only changes need it: a question does not import it

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


def refuse_a_file_as_data_dir(data_dir: Path) -> None:
    """DataDirUnusable when a file stands where the data directory should be: read as a folder, it looked like
    "no index yet". The one check, made by the engine as it loads and by ``docbot`` before any command."""
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirUnusable(f"the data directory {data_dir} is a file, not a folder: choose another with "
                              "--data-dir or DOCBOT_DATA_DIR")


def _why_unusable(data_dir: Path, exc: OSError) -> str:
    """The cause a person can act on: a file in the way, or what the system said and about which path."""
    existing = data_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder" if existing != data_dir else "it is a file, not a folder"
    what = exc.strerror or str(exc)
    return f"{what} ({exc.filename})" if exc.filename and str(exc.filename) != str(data_dir) else what


# ---------------------------------------------------------------------- which generation is published
def read_pointer(data_dir: Path) -> str | None:
    """What ``CURRENT`` says (stripped), or None when there is no readable ``CURRENT``.

    Cheap enough for every query: it is how a running engine notices a new publication.
    """
    try:
        return (data_dir / "CURRENT").read_bytes().decode("utf-8", "replace").strip()
    except PermissionError as exc:  # unreadable is not missing: read as missing, `index` republished around it
        raise access_denied(exc, data_dir / "CURRENT") from exc
    except OSError:
        return None


def finished_generations(data_dir: Path) -> list[str]:
    """Generations written to the end (renamed from ``.tmp``), oldest first, whatever their state now."""
    try:
        entries = list((data_dir / "generations").iterdir())
    except PermissionError as exc:  # not "no index yet", which `index` would start again from the documents
        raise access_denied(exc, data_dir / "generations") from exc
    except OSError:
        return []
    return sorted(e.name for e in entries if _GENERATION_NAME.fullmatch(e.name) and e.is_dir())


class ChunkInfo(NamedTuple):
    """Where a chunk is: its document's position, its ordinal there and its offsets into the text."""

    doc: int
    ord: int
    start: int
    end: int


class ChunkSentences(NamedTuple):
    """A chunk's quotable sentences: ``spans`` (k, 3) start, end, kind (document offsets) and their
    int8 vectors; ``codes[i] * scales[i]`` is sentence i's vector (see ``SentenceVectors``)."""

    spans: np.ndarray
    codes: np.ndarray
    scales: np.ndarray


class _Candidates(NamedTuple):
    pointer: str | None
    names: list[str]  # to try, best first
    problems: list[str]  # what is wrong with the pointer, if anything


def _candidates(data_dir: Path) -> _Candidates:
    """The published generation and those before it, newest first.

    When ``CURRENT`` is missing, empty or names no generation, every finished generation is a
    candidate, newest first: each was complete when renamed into place, so none can be assumed lost.
    """
    pointer = read_pointer(data_dir)
    names = finished_generations(data_dir)
    if pointer in names:
        return _Candidates(pointer, [n for n in reversed(names) if n <= pointer], [])
    if not names:
        return _Candidates(pointer, [], [])
    if pointer is None:
        problem = f"{data_dir / 'CURRENT'} is missing"
    elif not pointer:
        problem = f"{data_dir / 'CURRENT'} is empty"
    else:
        shown = pointer if len(pointer) <= 40 and pointer.isprintable() else repr(pointer[:40]) + "…"
        problem = f"{data_dir / 'CURRENT'} names {shown}, which is not a generation"
    return _Candidates(pointer, list(reversed(names)), [problem])


class Published(NamedTuple):
    """The generation to use, what ``CURRENT`` said when it was chosen, and what was skipped and why."""

    generation: "Generation"
    pointer: str | None
    problems: list[str]


def open_published(data_dir: Path, *, checksums: bool = False) -> Published:
    """The published generation, or the newest intact one before it when it is damaged.

    Raises IndexNotFound when nothing was ever published, IndexDamaged when no generation is intact.
    """
    found = _candidates(data_dir)
    problems = list(found.problems)
    for name in found.names:
        try:
            gen = Generation(data_dir / "generations" / name, checksums=checksums)
        except IndexDamaged as exc:
            problems.append(str(exc))
            continue
        return Published(gen, found.pointer, problems)
    if problems:
        raise wholly_damaged(problems, salvage(data_dir, found.names))
    raise IndexNotFound(f"no index in {data_dir} yet: run `docbot index` (or `make run`) to build one")


def wholly_damaged(problems: list[str], record: "Salvaged | None") -> IndexDamaged:
    """The error of an index (local or Milvus) none of whose generations is intact: its ``problems``, then what
    ``docbot index`` will rebuild it from (``record``, what the newest readable damaged generation still
    records, carried for `sources`): the sources it records (named), or the folders the admin must name."""
    return IndexDamaged("; ".join(problems) + "; no earlier generation is intact: " + _rebuild_hint(record),
                        problems, record=record)


def _rebuild_hint(found: "Salvaged | None") -> str:
    if found is None:
        return "its record of sources cannot be read either: name the folders to rebuild it from (`docbot index PATH ...`)"
    if found.sources is None or not found.sources.entries:
        return "run `docbot index` to rebuild it from the documents"
    shown = ", ".join(str(e.path) for e in found.sources.entries[:3])
    more = f" and {len(found.sources.entries) - 3} more" if len(found.sources.entries) > 3 else ""
    return f"run `docbot index` to rebuild it from its recorded sources ({shown}{more})"


class Update(NamedTuple):
    """What an update builds on: the generation to reuse, what is wrong, which generations are damaged."""

    previous: "Generation | None"
    problems: list[str]  # one line each; any problem means the index must be republished
    damaged: set[str]
    #: When no generation is intact: what the newest damaged one whose store.sqlite still reads records.
    salvaged: "Salvaged | None" = None


class Salvaged(NamedTuple):
    """What a damaged generation's store.sqlite still tells: its documents' ids and paths, its sources
    (None when it was written before sources were recorded). A rebuild starts from these, not from the
    documents folder: a damaged index is not an empty one. ``documents``: each document's (doc_id, title,
    ISO date or None, url, chunks), which `sources` lists as recorded."""

    name: str
    doc_ids: list[str]
    paths: list[str | None]
    sources: SourceTable | None
    documents: list[tuple[str, str, str | None, str | None, int]] = []


def salvage(data_dir: Path, names: Iterable[str]) -> Salvaged | None:
    """The record of the first of ``names`` (newest first) whose store.sqlite can still be read, or None."""
    for name in names:
        db = data_dir / "generations" / name / "store.sqlite"
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                # The columns the documents' metadata index holds: read without the texts' pages.
                rows = con.execute(
                    "SELECT doc_id, path, title, date, url, n_chunks FROM documents ORDER BY pos").fetchall()
                doc_ids = [r[0] for r in rows]
                table = _read_sources(con, data_dir, doc_ids)
            finally:
                con.close()
        except (sqlite3.Error, OSError, ValueError) as exc:
            if (refused := denied(exc, db)) is not None:
                raise refused from exc
            log.info("cannot read the sources of damaged generation %s: %s", name, _first_line(exc))
            continue
        return Salvaged(name, doc_ids, [r[1] for r in rows], table, [(r[0], r[2], r[3], r[4], r[5]) for r in rows])
    return None


def open_for_update(data_dir: Path) -> Update:
    """The newest generation an update can reuse, fully checked, and what was found damaged.

    Its documents, chunks, vectors and sentences must match their checksums; a damaged FAISS or BM25
    index does not matter, as both are rebuilt from them (the generation then has no ``index``).
    """
    found = _candidates(data_dir)
    problems = list(found.problems)
    broken: set[str] = set()
    for name in found.names:
        try:
            gen = Generation(data_dir / "generations" / name, checksums=True, searchable=False)
        except IndexDamaged as exc:
            problems.append(str(exc))
            broken.add(name)
            continue
        try:
            gen.load_search(checksums=True)
        except IndexDamaged as exc:
            problems.append(str(exc))
            broken.add(name)
        return Update(gen, problems, broken)
    return Update(None, problems, broken, salvage(data_dir, found.names))


# ---------------------------------------------------------------------- sweeping
def sweep_unfinished(data_dir: Path) -> None:
    """Remove what a crashed run left half-written: ``*.tmp`` folders and ``CURRENT.tmp``.

    Only these are provably unfinished. A finished generation is never removed here, even one that
    ``CURRENT`` does not name (an emptied or garbled pointer must not cost the intact index).
    Only call it holding the re-index lock.
    """
    gens = data_dir / "generations"
    if gens.is_dir():
        for entry in gens.iterdir():
            if entry.name.endswith(".tmp"):
                log.info("removing unfinished generation %s", entry.name)
                shutil.rmtree(entry, ignore_errors=True)
    (data_dir / "CURRENT.tmp").unlink(missing_ok=True)


def sweep_superseded(data_dir: Path, keep: str | None = None, damaged: Iterable[str] = ()) -> None:
    """Remove old generations, keeping the published one and one other.

    The other is ``keep`` (the generation the new one was built from, which another process, a
    running bot, may still be reading until it notices the switch), or else the newest before the
    published one that is not known to be ``damaged``. Nothing is removed unless ``CURRENT`` names a
    finished generation.
    """
    published = read_pointer(data_dir)
    names = finished_generations(data_dir)
    if published not in names:
        return
    broken = set(damaged)
    if keep is None or keep not in names or keep in broken:
        older = [n for n in names if n < published and n not in broken]  # type: ignore[operator]
        keep = older[-1] if older else None
    for name in names:
        if name not in (published, keep):
            log.info("removing superseded generation %s", name)
            shutil.rmtree(data_dir / "generations" / name, ignore_errors=True)


# ---------------------------------------------------------------------- writing
def estimated_bytes(chunks: int, sentences: int, text_bytes: int, dimension: int) -> int:
    """About how much disk a generation of this size takes (vectors twice: .npy and FAISS)."""
    vectors = chunks * dimension * 4
    return (
        2 * vectors + 16 * chunks  # vectors.npy, index.faiss, chunk spans and offsets
        + 272 * chunks  # an HNSW graph's links (2 x 32 at its base level, 4 bytes each, and their counts)
        + sentences * (dimension + 4 + 24)  # int8 sentence vectors, scales, spans
        + sentences * (4 * 10 + 8 + 1)  # their terms (~10 distinct a sentence in news), offsets, numbers
        + 2 * text_bytes  # the texts in SQLite, and BM25's postings
        + 2**20  # headers, manifest, vocabulary
    )


def ensure_space(data_dir: Path, need: int) -> None:
    """Refuse, before any work, to start what the disk cannot hold (DataDirUnusable, one line)."""
    probe = data_dir if data_dir.exists() else data_dir.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # cannot tell: let the write itself report a full disk
    if free < need:
        raise DataDirUnusable(
            f"no space left in {data_dir} (need ~{_mb(need)} MB, {_mb(free)} MB free); "
            "free some space or choose another --data-dir"
        )


def _mb(n: int) -> str:
    return f"{max(n, 0) / 2**20:,.0f}" if n >= 2**20 else f"{n / 2**20:.1f}"


_SHORT_WRITE = re.compile(r"\b\d+ requested and \d+ written\b")


def disk_full(exc: BaseException | None) -> bool:
    """Whether a failure (or what caused it) was the disk filling up, however the library said it.

    EFBIG (a file size limit, ``ulimit -f``) stops a write the same way. numpy's ``tofile`` (inside
    ``np.save``) says only "885888 requested and 25568 written", with no errno: a short write.
    """
    for cause in _causes(exc):
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return True
        text = str(cause)
        if ("No space left on device" in text or "database or disk is full" in text
                or _SHORT_WRITE.search(text)):
            return True
    return False


def no_room(exc: BaseException, where: Path) -> str:
    """How a write that ``disk_full`` recognises failed, in the words an admin acts on: the disk (or a
    quota) is full, or a file reached the process's file size limit (EFBIG: ``ulimit -f``), which freeing
    space would not fix."""
    if any(isinstance(cause, OSError) and cause.errno == errno.EFBIG for cause in _causes(exc)) or (
            any(_SHORT_WRITE.search(str(cause)) for cause in _causes(exc)) and _size_limited(where)):
        return f"a file in {where} reached the file size limit (ulimit -f)"
    return f"no space left in {where}"


def _size_limited(where: Path) -> bool:
    """Whether a short write into ``where`` (numpy's, which keeps no errno) was the file size limit rather
    than a full disk: the process has a limit, and the disk has room left (at least 1 MiB)."""
    try:
        import resource
    except ImportError:  # not on this system: no such limit
        return False
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return False
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free >= 2**20
    except OSError:
        return False


def why_not_written(exc: BaseException, where: Path) -> str:
    """Why a write into ``where`` failed, in the one line an admin acts on: :func:`no_room` for a full disk or a
    file size limit (numpy's bare "310127 requested and 78764 written" among them), else what the system said
    and about which file, else the error's first line."""
    if disk_full(exc):
        return no_room(exc, where)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or while handling, in turn: a library wraps the OSError that
    says what happened (SQLite, FAISS, numpy)."""
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def denied(exc: BaseException, path: Path) -> DataDirUnusable | None:
    """The error to raise when reading ``path`` failed because the system refused access, else None.

    An index file or folder this user may not read (owned by another user, its mode changed) is not
    damage: reported as damage, ``index`` rebuilt around it and swept the generation away, and a question
    answered from an older one. SQLite says only "unable to open database file", never why: ``path`` is
    then opened to find out.
    """
    for cause in _causes(exc):
        if isinstance(cause, PermissionError):
            return access_denied(cause, path)
    if isinstance(exc, sqlite3.Error):
        try:
            with open(path, "rb"):
                pass
        except PermissionError as probe:
            return access_denied(probe, path)
        except OSError:
            pass
    return None


def access_denied(exc: PermissionError, path: Path) -> DataDirUnusable:
    """One line naming what may not be read: the path the system refused (``exc.filename``), else ``path``."""
    where = exc.filename or path
    return DataDirUnusable(f"cannot read {where}: permission denied; the index is left as it is (run docbot as "
                           "the user that owns the data directory, or let this user read it)")


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _file_records(directory: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(directory).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _write_sentences(directory: Path, docs: list[DocumentChunks], dim: int) -> int:
    rows = [row for d in docs for chunk in d.sentences for row in chunk]
    counts = [len(chunk) for d in docs for chunk in d.sentences]
    spans = np.array(rows, dtype=np.int64).reshape(-1, 3)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    vectors = SentenceVectors.concat([d.sentence_vectors for d in docs], dim)
    if len(vectors) != len(spans):
        raise ValueError(f"{len(vectors)} sentence vectors for {len(spans)} sentences")
    if not np.isfinite(vectors.scales).all():
        raise ValueError("the encoder produced non-finite sentence vectors; nothing was written")
    np.save(directory / "sentences.npy", spans)
    np.save(directory / "chunk_sentences.npy", offsets)
    np.save(directory / "sentence_vectors.npy", vectors.codes)
    np.save(directory / "sentence_scales.npy", vectors.scales)
    return len(spans)


def _write_sources(con: sqlite3.Connection, data_dir: Path, table: SourceTable, docs: list[DocumentChunks]) -> None:
    """The sources and each document's source, beside the documents (see the module docstring)."""
    con.executescript(
        """
        CREATE TABLE sources (pos INTEGER PRIMARY KEY, path TEXT NOT NULL, relative TEXT, kind TEXT NOT NULL,
            excluded TEXT NOT NULL);
        CREATE TABLE document_sources (doc_pos INTEGER PRIMARY KEY, source INTEGER NOT NULL, rel TEXT NOT NULL);
        """
    )
    base = data_dir.resolve()
    for pos, entry in enumerate(table.entries):
        try:
            relative: str | None = os.path.relpath(entry.path, base)
        except ValueError:  # another drive (Windows): only the absolute path means anything
            relative = None
        con.execute("INSERT INTO sources VALUES (?,?,?,?,?)",
                    (pos, str(entry.path), relative, entry.kind, json.dumps(list(entry.excluded))))
    rows = []
    for pos, item in enumerate(docs):
        member = table.members.get(item.document.doc_id)
        if member is None:
            raise ValueError(f"document {item.document.doc_id!r} has no source; nothing was written")
        rows.append((pos, *member))
    con.executemany("INSERT INTO document_sources VALUES (?,?,?)", rows)


def _read_sources(con: sqlite3.Connection, data_dir: Path, doc_ids: list[str]) -> SourceTable | None:
    """The recorded sources, each at its path relative to the data directory when that exists (the data
    directory was moved with its documents), else at its absolute path; None when none were recorded."""
    if con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='sources'").fetchone() is None:
        return None
    base = data_dir.resolve()
    entries, moved = [], []
    for path, relative, kind, excluded in con.execute(
        "SELECT path, relative, kind, excluded FROM sources ORDER BY pos"
    ):
        where = Path(path)
        if relative is not None:
            beside = Path(os.path.normpath(base / relative))
            if beside != where and beside.exists():
                moved.append((where, beside))
                where = beside
        entries.append(SourceEntry(where, kind, tuple(json.loads(excluded))))
    members = {doc_ids[pos]: (source, rel) for pos, source, rel in
               con.execute("SELECT doc_pos, source, rel FROM document_sources ORDER BY doc_pos")
               if 0 <= pos < len(doc_ids) and 0 <= source < len(entries)}  # the counts check the rest
    return SourceTable(tuple(entries), members, moved=tuple(moved))


def _write_files(
    directory: Path,
    docs: list[DocumentChunks],
    build: BuildSettings,
    exact_max: int,
    previous_index: faiss.Index | None,
    sources: SourceTable | None = None,
    ivf_encoding: str = "flat",
    dense_index: str = "ivf",
) -> Manifest:
    """Every file of a generation into ``directory``, the manifest (with checksums) last."""
    dim = build.dimension
    vectors = (
        np.concatenate([d.vectors for d in docs]).astype(np.float32)
        if docs and any(len(d.spans) for d in docs)
        else np.zeros((0, dim), dtype=np.float32)
    )
    if not np.isfinite(vectors).all():
        # Never publish what would rank first for every query (seen with a damaged FAISS file).
        raise ValueError("the encoder produced non-finite vectors; nothing was written")
    np.save(directory / "vectors.npy", vectors)
    sentences = _write_sentences(directory, docs, dim)

    con = sqlite3.connect(directory / "store.sqlite")
    try:
        con.executescript(
            """
            CREATE TABLE documents (pos INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
                date TEXT, url TEXT, path TEXT, content_hash TEXT NOT NULL, text TEXT NOT NULL,
                first_chunk INTEGER NOT NULL, n_chunks INTEGER NOT NULL);
            CREATE TABLE chunks (id INTEGER PRIMARY KEY, doc_pos INTEGER NOT NULL, ord INTEGER NOT NULL,
                start INTEGER NOT NULL, end INTEGER NOT NULL);
            CREATE TABLE pages (doc_pos INTEGER NOT NULL, page INTEGER NOT NULL, start INTEGER NOT NULL,
                PRIMARY KEY (doc_pos, page));
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
            con.executemany("INSERT INTO pages VALUES (?,?,?)", [(pos, n, at) for n, at in doc.pages])
            texts_for_bm25.extend(text for text, _ in embedded_texts(doc.title, doc.text, item.spans))
            next_chunk += len(item.spans)
        if sources is not None:
            _write_sources(con, directory.parent.parent, sources, docs)
        # Loading reads every document's metadata; in the table it sits after the text, so that read
        # walked every text's pages (50 MB for news2022). This index holds the metadata alone.
        con.execute(
            "CREATE INDEX documents_meta ON documents "
            "(pos, doc_id, title, date, url, content_hash, first_chunk, n_chunks, path)"
        )
        con.commit()
    finally:
        con.close()

    index = vector_index.build(vectors, exact_max=exact_max, previous=previous_index, encoding=ivf_encoding,
                               method=dense_index)
    vector_index.save(index, directory / "index.faiss")
    lexical = LexicalIndex.build(texts_for_bm25)
    lexical.save(directory / "bm25")
    _save_sentence_terms(directory, build_sentence_terms(
        ((d.document.text, [(a, b) for chunk in d.sentences for a, b, _ in chunk]) for d in docs),
        lexical.vocabulary.get,
    ))

    full = Manifest(
        format=FORMAT_VERSION,
        chunker=CHUNKER_VERSION,
        documents=len(docs),
        chunks=int(vectors.shape[0]),
        index_type=vector_index.kind(index),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        sentences=sentences,
        lexical=LEXICAL_VERSION,
        files=_file_records(directory),
        **asdict(build),
    )
    (directory / "manifest.json").write_text(json.dumps(asdict(full), indent=2))
    return full


def _save_sentence_terms(directory: Path, table: SentenceTerms) -> None:
    """``table``'s arrays as ``SENTENCE_TERM_FILES`` in ``directory``, each replaced atomically."""
    for name, array in zip(SENTENCE_TERM_FILES, table, strict=True):
        tmp = directory / f"{name}.tmp"
        with open(tmp, "wb") as fh:
            np.save(fh, array)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / name)


def _load_sentence_terms(directory: Path) -> SentenceTerms | None:
    """The table in ``directory`` (memory-mapped), or None when absent, unreadable or inconsistent.

    A table written before the headings' terms were stored (the first three files alone) is read
    without them (``SentenceTerms.heading_ids`` None): its sentences' terms still serve.
    """
    names = next((names for names in (SENTENCE_TERM_FILES, SENTENCE_TERM_FILES[:SENTENCE_TERMS_BEFORE_HEADINGS])
                  if all((directory / name).is_file() for name in names)), None)
    if names is None:
        return None
    try:
        table = SentenceTerms(*(load_mapped(directory / name) for name in names))
    except (OSError, ValueError) as exc:
        if (refused := denied(exc, directory)) is not None:
            raise refused from exc
        log.warning("ignoring the sentence terms in %s (%s); questions tokenize their sentences", directory, exc)
        return None
    return table if table.consistent() else None


def write_generation(
    data_dir: Path,
    docs: list[DocumentChunks],
    *,
    build: BuildSettings,
    exact_max: int,
    previous_index: faiss.Index | None = None,
    sources: SourceTable | None = None,
    ivf_encoding: str = "flat",
    dense_index: str = "ivf",
) -> Path:
    """Write a complete generation and publish it; returns its directory.

    ``sources`` (every document's source) is recorded with it; a generation written without it has its
    sources derived when read.

    On any failure nothing of it stays behind and the previous generation stays published; a full
    disk is reported as DataDirUnusable in one line.
    """
    gens = data_dir / "generations"
    name = datetime.now(timezone.utc).strftime("gen-%Y%m%dT%H%M%S%f")
    tmp, final = gens / f"{name}.tmp", gens / name
    try:
        gens.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        full = _write_files(tmp, docs, build, exact_max, previous_index, sources, ivf_encoding, dense_index)
        _fsync_tree(tmp)
        tmp.rename(final)
        _fsync_dir(gens)
        pointer = data_dir / "CURRENT.tmp"
        pointer.write_text(name + "\n")
        with open(pointer, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer, data_dir / "CURRENT")
        _fsync_dir(data_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if read_pointer(data_dir) != name:
            shutil.rmtree(final, ignore_errors=True)
        (data_dir / "CURRENT.tmp").unlink(missing_ok=True)
        if isinstance(exc, Exception) and disk_full(exc):
            sentences = sum(len(c) for d in docs for c in d.sentences)
            need = estimated_bytes(
                sum(len(d.spans) for d in docs), sentences,
                sum(len(d.document.text.encode("utf-8", "replace")) for d in docs), build.dimension,
            )
            raise DataDirUnusable(
                f"{no_room(exc, data_dir)} (need ~{_mb(need)} MB) while writing the index; "
                "the previous index is unchanged"
            ) from exc
        raise
    log.info("published index generation %s (%d documents, %d chunks)", name, len(docs), full.chunks)
    return final


# ---------------------------------------------------------------------- checking
def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 160 else text[:157] + "…"


def damaged(path: Path, problems: list[str]) -> IndexDamaged:
    """One line naming the generation and at most three of its problems."""
    shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return IndexDamaged(f"index generation {path} is damaged: {shown}", problems)


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Turn whatever a damaged file makes a reader raise into IndexDamaged naming the file."""
    try:
        yield
    except IndexDamaged:
        raise
    except (OSError, ValueError, EOFError, KeyError, TypeError, RuntimeError, sqlite3.Error) as exc:
        if (refused := denied(exc, path / what.rstrip("/"))) is not None:
            raise refused from exc
        raise damaged(path, [f"{what} cannot be read ({_first_line(exc)})"]) from exc


def _check_files(path: Path, manifest: Manifest, parts: Iterable[str], *, checksums: bool) -> list[str]:
    """Sizes (and with ``checksums`` the SHA-256) of the files under ``parts`` against the manifest."""
    parts = tuple(parts)
    problems: list[str] = []
    missing_dirs: set[str] = set()
    if not manifest.files:  # written before checksums: at least every file must be there
        for part in parts:
            if not (path / part).exists():
                problems.append(f"{part} is missing")
        return problems
    for rel, record in manifest.files.items():
        top = rel.split("/", 1)[0]
        if top not in parts or top in missing_dirs:
            continue
        file = path / rel
        if "/" in rel and not (path / top).is_dir():
            missing_dirs.add(top)
            problems.append(f"{top}/ is missing")
            continue
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            problems.append(f"{rel} is missing")
            continue
        except PermissionError as exc:
            raise access_denied(exc, file) from exc
        except OSError as exc:
            problems.append(f"{rel} cannot be read ({exc.strerror})")
            continue
        if size != record["bytes"]:
            problems.append(f"{rel} is {size:,} bytes, {record['bytes']:,} expected")
        elif checksums:
            try:
                if _sha256(file) != record["sha256"]:
                    problems.append(f"{rel} does not match its checksum (changed since it was written)")
            except PermissionError as exc:
                raise access_denied(exc, file) from exc
            except OSError as exc:
                problems.append(f"{rel} cannot be read ({exc.strerror})")
    return problems


def _vector_blocks(index: faiss.Index) -> Iterator[np.ndarray]:
    """The float vectors a FAISS index holds, as views (no copy): flat rows (an HNSW graph's too), IVF
    centroids and lists (an 8-bit IVF index's lists are bytes, whose decoded range is checked by
    ``_vectors_sane``)."""
    if isinstance(index, faiss.IndexFlat):
        if index.ntotal:
            yield faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d)
    elif isinstance(index, faiss.IndexIVFFlat):
        yield from _vector_blocks(faiss.downcast_index(index.quantizer))
        lists = index.invlists
        for i in range(index.nlist):
            n = lists.list_size(i)
            if n:
                codes = faiss.rev_swig_ptr(lists.get_codes(i), n * lists.code_size)
                yield np.frombuffer(codes, dtype=np.float32)
    elif isinstance(index, faiss.IndexIVFScalarQuantizer):
        yield from _vector_blocks(faiss.downcast_index(index.quantizer))
    elif isinstance(index, faiss.IndexHNSW):
        yield from _vector_blocks(faiss.downcast_index(index.storage))


def _vectors_sane(index: faiss.Index) -> bool:
    """Whether every stored vector is finite and no longer than a unit vector.

    Embeddings are normalised, so a longer vector (a component outside [-1, 1] makes one), inf or NaN
    can only be damage; a few such vectors would otherwise rank first for every query. Each block's
    squared lengths come from one pass of FAISS's own loop (a NaN stays NaN and fails the comparison):
    a cold question reads all of the index's vectors here, and numpy's ``min()`` then ``max()`` read
    them twice (33 against 20 ms on the news2022 index).
    """
    d = index.d
    if isinstance(index, faiss.IndexIVFScalarQuantizer):
        # Each component decodes to the trained minimum + code/255 x the trained range of residuals of
        # unit vectors to their centroids (each component within [-2, 2], so a range of at most 4): a
        # damaged table would move every vector. The 8-bit codes cannot hold anything non-finite.
        ranges = faiss.vector_to_array(index.sq.trained)
        if not (np.isfinite(ranges).all() and np.abs(ranges).max(initial=0.0) <= 4.0):
            return False
    for block in _vector_blocks(index):
        rows = block.size // d
        if rows:
            norms = np.empty(rows, dtype=np.float32)
            faiss.fvec_norms_L2sqr(faiss.swig_ptr(norms), faiss.swig_ptr(block), d, rows)
            if not norms.max() <= 1.002:
                return False
    return True


#: The derived record saying that ``index.faiss``, as stamped, passed ``_vectors_sane``.
_VECTORS_CHECKED = "vectors_checked"


def _file_stamp(path: Path) -> list[int] | None:
    """What changes whenever a file is written: its size and modification time in nanoseconds (None
    when it cannot be read)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def read_manifest(path: Path) -> Manifest:
    with _reading(path, "manifest.json"):
        raw = json.loads((path / "manifest.json").read_text())
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        manifest = Manifest(**raw)
    if manifest.format != FORMAT_VERSION:
        raise IndexNotFound(f"{path}: index format {manifest.format} is not {FORMAT_VERSION}; re-index")
    return manifest


#: How much of a generation's SQLite file reads may map (address space only: pages load when read).
_SQLITE_MMAP_BYTES = 1 << 32


@dataclass
class GenerationCheck:
    """One generation as ``stats --verify`` found it."""

    name: str
    published: bool
    problem: str | None  # None when intact
    files: int  # files whose checksum was compared (0 for generations written without checksums)
    bytes: int
    #: What was checked, when it was not files (a Milvus generation: its rows against its manifest).
    checked: str | None = None


@dataclass
class Verification:
    """Every finished generation checked in full, newest first, and what is wrong with ``CURRENT``."""

    data_dir: str
    pointer_problem: str | None
    generations: list[GenerationCheck]
    #: What names the published generation (the ``CURRENT`` file, or a Milvus alias).
    pointer_name: str = "CURRENT"

    @property
    def serving(self) -> GenerationCheck | None:
        """The generation queries are answered from: the published one, or the newest intact before it."""
        found = [g for g in self.generations if g.problem is None]
        published = next((g for g in self.generations if g.published), None)
        if published is not None:
            found = [g for g in found if g.name <= published.name]
        return found[0] if found else None

    @property
    def intact(self) -> bool:
        return self.pointer_problem is None and any(g.published and g.problem is None for g in self.generations)


def verify(data_dir: Path) -> Verification:
    """Check every finished generation in full: sizes, checksums and counts (reads every byte)."""
    found = _candidates(data_dir)
    checks = []
    for name in reversed(finished_generations(data_dir)):
        path = data_dir / "generations" / name
        problem = None
        files = size = 0
        try:
            gen = Generation(path, checksums=True)
            files = len(gen.manifest.files)
            size = sum(int(r["bytes"]) for r in gen.manifest.files.values())
        except IndexDamaged as exc:
            problem = "; ".join(exc.problems)
        except IndexNotFound as exc:  # another format
            problem = str(exc)
        checks.append(GenerationCheck(name, name == found.pointer, problem, files, size))
    return Verification(str(data_dir), found.problems[0] if found.problems else None, checks)


#: ``DocumentTable._day_numbers`` of an undated document.
_UNDATED = -1


class DocumentTable:
    """The documents' metadata and the chunk layout in memory, and what is read from them alone.

    Every kind of generation (local files, Milvus collections) holds this table: every question needs it,
    so it is read once when the generation is opened. What lives elsewhere (texts, chunk offsets, vectors,
    sentences) each kind reads its own way through ``_chunk_spans``, ``doc_text`` and ``_doc_chars``.
    """

    def _set_documents(self, rows: list[tuple[Any, ...]], pages: dict[int, tuple[tuple[int, int], ...]]) -> None:
        """``rows``: (doc_id, title, ISO date or None, url, content_hash, first_chunk, n_chunks, path) by position."""
        self._pages = pages
        self._derived: dict[str, dict] = {}  # records measured on this generation (``write_derived``)
        self.doc_ids: list[str] = [r[0] for r in rows]
        self.titles: list[str] = [r[1] for r in rows]
        self.dates: list[date | None] = [date.fromisoformat(r[2]) if r[2] else None for r in rows]
        self.urls: list[str | None] = [r[3] for r in rows]
        self.hashes: list[str] = [r[4] for r in rows]
        self.first_chunk = np.array([r[5] for r in rows], dtype=np.int64)
        self.n_chunks = np.array([r[6] for r in rows], dtype=np.int64)
        self.paths: list[str | None] = [r[7] for r in rows]
        self.doc_pos = {d: i for i, d in enumerate(self.doc_ids)}
        total = int(self.n_chunks.sum())
        self.chunk_doc = np.repeat(np.arange(len(rows), dtype=np.int64), self.n_chunks)
        self.chunk_ord = np.arange(total, dtype=np.int64) - np.repeat(self.first_chunk, self.n_chunks)

    def _chunk_spans(self, first: int, n: int) -> list[tuple[int, int]]:
        raise NotImplementedError

    def sentence_matches(self, cids: Iterable[int], terms: Iterable[str]) -> SentenceMatches | None:
        """Which of ``terms`` each sentence of chunks ``cids`` holds, in ``sentences_of``'s order, from
        the terms stored at index time; None where none are stored (then evidence tokenizes them)."""
        return None

    def ensure_sentence_terms(self) -> None:
        """Store the sentences' terms if this generation lacks them (a no-op where none are stored)."""

    def _doc_chars(self) -> list[int]:
        raise NotImplementedError

    def read_derived(self, name: str) -> dict | None:
        """A small record measured on this generation (``write_derived``), or None.

        Kept in memory here; a local generation also keeps it in its folder, so the next process reads it.
        """
        return self._derived.get(name)

    def write_derived(self, name: str, data: dict, *, quiet: bool = False) -> None:
        """Keep a record measured on this generation (it describes the generation, so it goes with it).
        ``quiet``: a record that only saves time, whose loss is not worth a warning."""
        self._derived[name] = data

    def doc_text(self, pos: int) -> str:
        raise NotImplementedError

    def doc_texts(self, positions: Iterable[int], into: dict[int, str]) -> dict[int, str]:
        """The texts of documents ``positions`` not in ``into`` yet, added to it (a kind of generation
        that can read several at once overrides this)."""
        for pos in {int(p) for p in positions} - into.keys():
            into[pos] = self.doc_text(pos)
        return into

    @property
    def size(self) -> int:
        """Chunks in the generation."""
        return int(self.chunk_doc.shape[0])

    @property
    def documents(self) -> int:
        return len(self.doc_ids)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document with this id is in the generation (so it serves as ``ChunkRef.parse``'s ``known``)."""
        return doc_id in self.doc_pos

    def position(self, doc_id: str) -> int | None:
        """A document's position, or None when it is not in this generation."""
        return self.doc_pos.get(doc_id)

    def doc_id(self, pos: int) -> str:
        return self.doc_ids[pos]

    def title(self, pos: int) -> str:
        return self.titles[pos]

    def doc_date(self, pos: int) -> date | None:
        return self.dates[pos]

    def doc_path(self, pos: int) -> str | None:
        """The path the document was read from, as it was given when indexed."""
        return self.paths[pos]

    def content_hashes(self) -> dict[str, str]:
        """Every document's content hash by id (what an update compares the folder with)."""
        return dict(zip(self.doc_ids, self.hashes))

    def doc_info(self, pos: int) -> DocumentInfo:
        return DocumentInfo(
            doc_id=self.doc_ids[pos], title=self.titles[pos], date=self.dates[pos], url=self.urls[pos],
            chunks=int(self.n_chunks[pos]), chars=self._doc_chars()[pos], pages=self.page_count(pos),
        )

    def source(self, pos: int, number: int) -> Source:
        """A document as an answer cites it, under citation ``number``."""
        return Source(number=number, doc_id=self.doc_ids[pos], title=self.titles[pos], date=self.dates[pos],
                      url=self.urls[pos])

    def doc_of(self, cid: int) -> int:
        """The position of the document chunk ``cid`` belongs to."""
        return int(self.chunk_doc[cid])

    def chunk_number(self, cid: int) -> int:
        """Chunk ``cid``'s number within its document (the N of ``doc#N``), from memory: an answer
        needs no more of a quoted chunk, and ``chunk`` reads its span from SQLite (0.1 ms a call
        beside the other reads of a question)."""
        if not 0 <= cid < self.size:
            raise IndexError(f"no chunk {cid} in {self.name}")
        return int(self.chunk_ord[cid])

    def chunk(self, cid: int) -> ChunkInfo:
        if not 0 <= cid < self.size:
            raise IndexError(f"no chunk {cid} in {self.name}")
        (start, end), = self._chunk_spans(cid, 1)
        return ChunkInfo(int(self.chunk_doc[cid]), int(self.chunk_ord[cid]), start, end)

    def page(self, pos: int, offset: int) -> int | None:
        """The page of document ``pos`` that its text's ``offset`` is on; None for unpaged documents
        (and in generations written before pages were stored)."""
        return page_at(self._pages.get(pos, ()), offset)

    def page_count(self, pos: int) -> int | None:
        """How many pages document ``pos`` has, or None when it has none."""
        pages = self._pages.get(pos)
        return max(n for n, _ in pages) if pages else None

    def doc_chunks(self, pos: int) -> list[ChunkInfo]:
        """A document's chunks, in order (``ord`` 0 to n-1)."""
        first, n = int(self.first_chunk[pos]), int(self.n_chunks[pos])
        return [ChunkInfo(pos, i, start, end) for i, (start, end) in enumerate(self._chunk_spans(first, n))]

    def chunk_ids(self, pos: int) -> np.ndarray:
        """The ids of a document's chunks, in order."""
        first = int(self.first_chunk[pos])
        return np.arange(first, first + int(self.n_chunks[pos]), dtype=np.int64)

    def chunks_of(self, positions: np.ndarray) -> np.ndarray:
        """The ids of the chunks of documents ``positions``, document by document, each in order: a
        week's hundred documents without a hundred calls of :meth:`chunk_ids` (~0.2 ms)."""
        positions = np.asarray(positions, dtype=np.int64)
        counts = self.n_chunks[positions]
        starts = np.cumsum(counts) - counts  # where each document's run begins in the result
        return np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(self.first_chunk[positions] - starts, counts)

    def chunk_mask(
        self, doc_ids: Iterable[str] = (), since: date | None = None, until: date | None = None
    ) -> np.ndarray:
        """Boolean mask over chunks: those of ``doc_ids`` (all when empty) dated within [since, until]."""
        keep_doc = np.ones(len(self.doc_ids), dtype=bool)
        doc_ids = tuple(doc_ids)
        if doc_ids:
            wanted = np.zeros(len(self.doc_ids), dtype=bool)
            for d in doc_ids:
                pos = self.doc_pos.get(d)
                if pos is not None:
                    wanted[pos] = True
            keep_doc &= wanted
        if since or until:
            dated = np.zeros(len(self.doc_ids), dtype=bool)
            dated[self.dated_within(since, until)] = True
            keep_doc &= dated
        return keep_doc[self.chunk_doc] if self.size else np.zeros(0, dtype=bool)

    def dated_within(self, since: date | None, until: date | None) -> np.ndarray:
        """The positions of the documents dated within [since, until] (either end open when None)."""
        days = self._day_numbers
        keep = days != _UNDATED
        if since:
            keep &= days >= since.toordinal()
        if until:
            keep &= days <= until.toordinal()
        return np.flatnonzero(keep)

    @functools.cached_property
    def newest_date(self) -> date | None:
        """The date of the newest dated document, None when none is dated."""
        days = self._day_numbers
        return date.fromordinal(int(days.max())) if len(days) and days.max() != _UNDATED else None

    @functools.cached_property
    def _day_numbers(self) -> np.ndarray:
        """Each document's date as a day number (``date.toordinal``), ``_UNDATED`` for none: a date
        filter or a question's recent days read them all at once."""
        return np.array([d.toordinal() if d else _UNDATED for d in self.dates], dtype=np.int64)

    def chunk_text(self, cid: int) -> str:
        info = self.chunk(cid)
        return self.doc_text(info.doc)[info.start : info.end]

    def document(self, pos: int) -> Document:
        return Document(
            doc_id=self.doc_ids[pos], title=self.titles[pos], text=self.doc_text(pos),
            content_hash=self.hashes[pos], date=self.dates[pos], url=self.urls[pos], path=self.paths[pos],
            pages=self._pages.get(pos, ()),
        )


class Generation(DocumentTable):
    """A finished generation, loaded read-only and checked. Safe to share between threads.

    Loading compares every file's size and the counts the files must agree on (documents, chunks,
    vectors, sentences, FAISS and BM25 entries) with the manifest, and the FAISS vectors' range;
    ``checksums`` also compares every byte (SHA-256). Any mismatch raises IndexDamaged naming it.
    ``searchable=False`` skips the FAISS and BM25 indexes, for an update that rebuilds them.
    """

    def __init__(self, path: Path, *, checksums: bool = False, searchable: bool = True) -> None:
        self.path = path
        self.name = path.name
        self.manifest = read_manifest(path)
        self.index: faiss.Index | None = None
        self.lexical: LexicalIndex | None = None
        problems = _check_files(path, self.manifest, REUSED_FILES, checksums=checksums)
        if problems:
            raise damaged(path, problems)
        self._db_path = path / "store.sqlite"
        self._local = threading.local()
        self._load_tables()
        self._check_counts()
        self.indexed_at = datetime.fromisoformat(self.manifest.created_at)
        if searchable:
            self.load_search(checksums=checksums)

    def _load_tables(self) -> None:
        """What every question needs, read once: the documents' metadata and the chunk layout.

        The chunk layout follows from the documents table (chunks are written document by document:
        ids ``first_chunk`` to ``first_chunk + n_chunks - 1``, ordinals 0 to n-1); a chunk's offsets
        are read when it is shown. Texts and their lengths stay on disk until asked for. A cold
        question on the news index read all 98k chunk rows and every text's length before (0.5 s).
        """
        path = self.path
        with _reading(path, "store.sqlite"):
            con = self._connect()
            rows = con.execute(
                "SELECT doc_id, title, date, url, content_hash, first_chunk, n_chunks, path "
                "FROM documents ORDER BY pos"
            ).fetchall()
            self._chunk_rows = int(con.execute("SELECT count(*) FROM chunks").fetchone()[0])
            #: The sources recorded with this generation; None when it was written before they were.
            self.source_table: SourceTable | None = _read_sources(con, path.parent.parent, [r[0] for r in rows])
            # Generations written before pages were stored have no such table: no page is known there.
            has_pages = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='pages'").fetchone()
            pages: dict[int, tuple[tuple[int, int], ...]] = {}
            if has_pages:
                for doc, group in itertools.groupby(
                    con.execute("SELECT doc_pos, page, start FROM pages ORDER BY doc_pos, start, page"),
                    key=lambda row: row[0],
                ):
                    pages[doc] = tuple((page, start) for _, page, start in group)
        self._set_documents(rows, pages)
        self._chars: list[int] | None = None
        with _reading(path, "vectors.npy"):
            self.vectors = load_mapped(path / "vectors.npy")
        with _reading(path, "sentences.npy"):
            self.sentences = load_mapped(path / "sentences.npy")
        with _reading(path, "chunk_sentences.npy"):
            self.chunk_sentence_offsets = np.load(path / "chunk_sentences.npy")
        with _reading(path, "sentence_vectors.npy"):
            self.sentence_codes = load_mapped(path / "sentence_vectors.npy")
        with _reading(path, "sentence_scales.npy"):
            self.sentence_scales = load_mapped(path / "sentence_scales.npy")
        self._sentence_terms: SentenceTerms | None = None  # read with the search indexes

    def _check_counts(self) -> None:
        """The files must agree with each other and with the manifest; each disagreement is damage."""
        m, n = self.manifest, self.size
        n_sent = int(self.sentences.shape[0]) if self.sentences.ndim else -1
        offsets = self.chunk_sentence_offsets
        contiguous = np.array_equal(self.first_chunk, np.cumsum(self.n_chunks) - self.n_chunks)
        checks = [
            (len(self.doc_ids) == m.documents, f"store.sqlite holds {len(self.doc_ids)} documents, the manifest {m.documents}"),
            (self._chunk_rows == m.chunks, f"store.sqlite holds {self._chunk_rows} chunks, the manifest {m.chunks}"),
            (n == self._chunk_rows, f"store.sqlite's documents count {n} chunks, not {self._chunk_rows}"),
            (contiguous, "store.sqlite's documents do not list their chunks one after another"),
            (self.vectors.shape == (m.chunks, m.dimension),
             f"vectors.npy holds {self.vectors.shape}, ({m.chunks}, {m.dimension}) expected"),
            (offsets.shape == (m.chunks + 1,) and (not len(offsets) or int(offsets[-1]) == n_sent),
             f"chunk_sentences.npy does not match {m.chunks} chunks and {n_sent} sentences"),
            (self.sentences.ndim == 2 and self.sentences.shape[1] == 3, f"sentences.npy holds {self.sentences.shape}"),
            (m.sentences in (-1, n_sent), f"sentences.npy holds {n_sent} sentences, the manifest {m.sentences}"),
            (self.source_table is None or len(self.source_table.members) == len(self.doc_ids),
             f"store.sqlite names the source of {len(self.source_table.members) if self.source_table else 0} "
             f"of {len(self.doc_ids)} documents"),
            (self.sentence_codes.shape == (n_sent, m.dimension),
             f"sentence_vectors.npy holds {self.sentence_codes.shape}, ({n_sent}, {m.dimension}) expected"),
            (self.sentence_scales.shape == (n_sent,),
             f"sentence_scales.npy holds {self.sentence_scales.shape}, ({n_sent},) expected"),
            (all(0 <= pos < len(self.doc_ids) for pos in self._pages),
             "store.sqlite holds pages of documents it does not have"),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise damaged(self.path, problems)

    def load_search(self, *, checksums: bool = False) -> None:
        """Load and check the FAISS and BM25 indexes (IndexDamaged when either is damaged)."""
        path, m = self.path, self.manifest
        # The sentences' terms are derived from the texts like the search indexes: damaged, they are
        # rebuilt without embedding anything.
        # (Generations written before checksums or before the terms were stored do not list them.)
        parts = DERIVED_FILES + (SENTENCE_TERM_FILES if m.files else ())
        problems = _check_files(path, m, parts, checksums=checksums)
        if problems:
            raise damaged(path, problems)
        table = self._stored_sentence_terms()
        with _reading(path, "index.faiss"):
            index = vector_index.load(path / "index.faiss")
        if index.ntotal != m.chunks or index.d != m.dimension:
            raise damaged(path, [f"index.faiss holds {index.ntotal} vectors of {index.d}, "
                                 f"{m.chunks} of {m.dimension} expected"])
        if not self._vectors_checked(index):
            raise damaged(path, ["index.faiss holds vectors that are not finite unit vectors"])
        with _reading(path, "bm25/"):
            lexical = LexicalIndex.load(path / "bm25")
        if lexical.size != max(m.chunks, 1):  # an empty generation holds one placeholder
            raise damaged(path, [f"bm25/ holds {lexical.size} chunks, the manifest {m.chunks}"])
        self.index, self.lexical, self._sentence_terms = index, lexical, table

    def _vectors_checked(self, index: faiss.Index) -> bool:
        """:func:`_vectors_sane` of ``index``, remembered for this very file.

        The check reads every vector (153 MB for news2022: ~25 ms, half of a cold question's index
        open). Once it passed, a record in ``derived/`` holds the file's size and modification time
        (what Python's own bytecode cache trusts a source file by); a later open finds the same and
        skips the pass. A write to the file changes its modification time, so damage written since is
        still found; bytes a failing disk corrupts underneath are left to ``stats --verify``, which
        checks every file's checksum. A copy made with its times (``cp -a``, ``copytree``) keeps the
        record valid, so copying a data directory changes nothing in it.
        """
        stamp = _file_stamp(self.path / "index.faiss")
        record = self.read_derived(_VECTORS_CHECKED)
        if stamp is not None and record is not None and record.get("stamp") == stamp:
            return True
        if not _vectors_sane(index):
            return False
        if stamp is not None:
            self.write_derived(_VECTORS_CHECKED, {"stamp": stamp}, quiet=True)
        return True

    @classmethod
    def open_current(cls, data_dir: Path) -> "Generation":
        """The published generation, or the newest intact one before it (see ``open_published``)."""
        return open_published(data_dir).generation

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False)
            # Read through a memory mapping instead of copying each page into SQLite's cache: a
            # question's ~10 document texts came 0.8x as fast. A generation's file is never written
            # once published (a new index is a new folder), so the mapping cannot see it change.
            con.execute(f"PRAGMA mmap_size={_SQLITE_MMAP_BYTES}")
            self._local.con = con
        return con

    # ------------------------------------------------------------------ reading the layout
    # Everything outside this module reads a generation through these methods: the parallel arrays
    # they index are this class's business alone.
    def _doc_chars(self) -> list[int]:
        """Every document's length in characters, read on first use (it reads every text's pages)."""
        if self._chars is None:
            with _reading(self.path, "store.sqlite"):
                self._chars = [r[0] for r in self._connect().execute(
                    "SELECT length(text) FROM documents ORDER BY pos")]
        return self._chars

    def _chunk_spans(self, first: int, n: int) -> list[tuple[int, int]]:
        """``(start, end)`` of chunks ``first`` to ``first + n - 1``, read from the chunks table."""
        with _reading(self.path, "store.sqlite"):
            rows = self._connect().execute(
                "SELECT start, end FROM chunks WHERE id >= ? AND id < ? ORDER BY id", (first, first + n)
            ).fetchall()
        if len(rows) != n:
            raise damaged(self.path, [f"store.sqlite lacks chunks {first} to {first + n - 1}"])
        return rows

    def read_derived(self, name: str) -> dict | None:
        """The record in memory, else the one in ``derived/<name>.json`` (None if absent or unreadable)."""
        found = super().read_derived(name)
        if found is not None:
            return found
        try:
            found = json.loads((self.path / DERIVED_DIR / f"{name}.json").read_text())
        except (OSError, ValueError):
            return None
        super().write_derived(name, found)
        return found

    def write_derived(self, name: str, data: dict, *, quiet: bool = False) -> None:
        """Keep the record in memory and in ``derived/<name>.json`` (replaced atomically).

        The generation's files are immutable and checked against the manifest; this folder is not in
        the manifest: a record lost or damaged is measured again. A data directory that cannot be
        written keeps it in memory only (the next process measures it again)."""
        super().write_derived(name, data)
        folder = self.path / DERIVED_DIR
        tmp = folder / f"{name}.json.tmp"
        try:
            folder.mkdir(exist_ok=True)
            tmp.write_text(json.dumps(data))
            os.replace(tmp, folder / f"{name}.json")
        except OSError as exc:
            log.log(logging.DEBUG if quiet else logging.WARNING,
                    "could not keep %s with %s (%s): it is measured again by the next process",
                    name, self.name, why_not_written(exc, folder))

    def chunk_vectors(self, cids: np.ndarray) -> np.ndarray:
        """The float vectors of chunks ``cids``, in that order."""
        return np.asarray(self.vectors[cids])

    def sentence_range(self, cid: int) -> tuple[int, int]:
        """Rows ``[lo, hi)`` of the sentence arrays that belong to chunk ``cid``."""
        return int(self.chunk_sentence_offsets[cid]), int(self.chunk_sentence_offsets[cid + 1])

    def chunk_sentences(self, cid: int) -> ChunkSentences:
        """Chunk ``cid``'s quotable sentences: spans and kinds, and their int8 vectors with scales."""
        lo, hi = self.sentence_range(cid)
        return ChunkSentences(np.asarray(self.sentences[lo:hi]), self.sentence_codes[lo:hi], self.sentence_scales[lo:hi])

    def _sentence_rows(self, cids: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """The sentence rows of chunks ``cids`` in that order, and where each chunk's rows begin."""
        ids = np.fromiter(cids, dtype=np.int64)
        lo, hi = self.chunk_sentence_offsets[ids], self.chunk_sentence_offsets[ids + 1]
        bounds = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=bounds[1:])
        return np.repeat(lo - bounds[:-1], hi - lo) + np.arange(int(bounds[-1])), bounds

    def sentences_of(self, cids: Iterable[int]) -> tuple[ChunkSentences, np.ndarray]:
        """The quotable sentences of chunks ``cids`` concatenated in that order (one read of each
        array, not one per chunk), and the offsets where each chunk's rows begin (``len(cids) + 1``)."""
        rows, bounds = self._sentence_rows(cids)
        return ChunkSentences(np.asarray(self.sentences[rows]), np.asarray(self.sentence_codes[rows]),
                              np.asarray(self.sentence_scales[rows])), bounds

    def sentence_matches(self, cids: Iterable[int], terms: Iterable[str]) -> SentenceMatches | None:
        table = self._sentence_terms
        if table is None or self.lexical is None:
            return None
        get = self.lexical.vocabulary.get
        wanted = {i: t for t in terms if (i := get(t)) is not None}
        return table.rows(self._sentence_rows(cids)[0]).matches(wanted)

    def _stored_sentence_terms(self) -> SentenceTerms | None:
        """The most complete table of the sentences' terms: the one written with this generation
        (IndexDamaged if it disagrees with its sentences) when it has the headings' terms, else one
        derived into ``derived/`` with them (ignored if it disagrees: not checksummed), else whichever
        of the two has the sentences' terms alone."""
        n = len(self.sentences)
        with _reading(self.path, "sentence_terms.npy"):
            own = _load_sentence_terms(self.path)
            if own is not None and len(own) != n:
                raise damaged(self.path, [f"the sentence terms cover {len(own)} sentences, not {n}"])
            if own is not None and own.heading_ids is not None:
                return own
            derived = _load_sentence_terms(self.path / DERIVED_DIR)
        if derived is not None and len(derived) != n:
            derived = None
        if derived is not None and derived.heading_ids is not None:
            return derived
        return own if own is not None else derived

    def ensure_sentence_terms(self) -> None:
        """Derive the sentences' terms and their headings' into ``derived/`` for a generation written
        before they were stored (once; 17 s for the 486,890 sentences of news2022). A failure is a
        warning: questions tokenize the sentences (or find their headings) instead, with the same answers."""
        table = self._sentence_terms if self._sentence_terms is not None else self._stored_sentence_terms()
        if table is not None and table.heading_ids is not None:
            return
        lexical = self.lexical or LexicalIndex.load(self.path / "bm25")
        log.info("storing the sentences' terms of index generation %s (once)", self.name)
        texts: dict[int, str] = {}
        starts = np.asarray(self.sentences[:, :2])
        offsets = self.chunk_sentence_offsets

        def docs() -> Iterator[tuple[str, list[tuple[int, int]]]]:
            for pos in range(self.documents):
                first, n = int(self.first_chunk[pos]), int(self.n_chunks[pos])
                lo, hi = int(offsets[first]), int(offsets[first + n])
                yield self.doc_texts([pos], texts).pop(pos), [tuple(r) for r in starts[lo:hi].tolist()]

        table = build_sentence_terms(docs(), lexical.vocabulary.get)
        folder = self.path / DERIVED_DIR
        try:
            folder.mkdir(exist_ok=True)
            _save_sentence_terms(folder, table)
        except OSError as exc:
            log.warning("could not store the sentences' terms in %s (%s); questions tokenize them instead",
                        folder, why_not_written(exc, folder))
        if table.consistent() and len(table) == len(self.sentences):
            self._sentence_terms = table

    def doc_sizes(self, pos: int) -> tuple[int, int]:
        """A document's number of chunks and of quotable sentences."""
        first, n = int(self.first_chunk[pos]), int(self.n_chunks[pos])
        if not n:
            return 0, 0
        return n, self.sentence_range(first + n - 1)[1] - self.sentence_range(first)[0]

    def document_chunks(self, pos: int, document: Document) -> DocumentChunks:
        """Document ``pos``'s chunks, vectors and sentences, ready to be written again as ``document``
        (an unchanged document an update reuses without embedding it)."""
        first, n = int(self.first_chunk[pos]), int(self.n_chunks[pos])
        spans = self._chunk_spans(first, n)
        lo, hi = self.sentence_range(first)[0], self.sentence_range(first + n - 1)[1] if n else 0
        per_chunk = [
            [tuple(r) for r in self.sentences[a:b].tolist()]
            for a, b in (self.sentence_range(c) for c in range(first, first + n))
        ]
        codes = np.array(self.sentence_codes[lo:hi]) if n else np.zeros((0, self.manifest.dimension), np.int8)
        scales = np.array(self.sentence_scales[lo:hi]) if n else np.zeros(0, np.float32)
        return DocumentChunks(
            document, spans, np.asarray(self.vectors[first : first + n]), per_chunk,  # type: ignore[arg-type]
            SentenceVectors(codes, scales),
        )

    def doc_text(self, pos: int) -> str:
        # One document's text is small; fetching it on demand keeps the corpus out of memory. A page
        # damaged after loading surfaces here, as IndexDamaged rather than an SQLite traceback.
        with _reading(self.path, "store.sqlite"):
            row = self._connect().execute("SELECT text FROM documents WHERE pos=?", (pos,)).fetchone()
            if row is None:
                raise ValueError(f"no text for document {pos}")
            return row[0]

    def doc_texts(self, positions: Iterable[int], into: dict[int, str]) -> dict[int, str]:
        """The texts of documents ``positions`` not in ``into`` yet, added to it in one read (a
        question's candidates come from a handful of documents: one query, not one each)."""
        missing = sorted({int(p) for p in positions} - into.keys())
        if missing:
            with _reading(self.path, "store.sqlite"):
                marks = ",".join("?" * len(missing))
                rows = self._connect().execute(
                    f"SELECT pos, text FROM documents WHERE pos IN ({marks})", missing).fetchall()
            into.update(rows)
            if len(rows) != len(missing):
                raise ValueError(f"no text for document {min(set(missing) - into.keys())}")
        return into

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    # ------------------------------------------------------------------ searching (the IndexView protocol)
    def dense_search(
        self, vector: np.ndarray, k: int, *, nprobe: int, filters: Filters, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """The ``k`` chunk ids nearest ``vector`` (FAISS), among those ``mask`` allows (it holds ``filters``).

        A filter that allows few chunks (``vector_index.EXACT_FILTER_MAX``) is searched exactly over their
        stored vectors: an approximate index follows its lists or graph from the query and keeps the
        allowed ids it meets, so for 100 allowed chunks of news2022 it found a third of the nearest (HNSW;
        IVF 0.43) and often none at all, and `ask --doc` lost its dense half.
        """
        allowed = np.flatnonzero(mask) if mask is not None else None
        if allowed is not None and len(allowed) <= vector_index.EXACT_FILTER_MAX:
            return vector_index.exact_among(self.chunk_vectors(allowed), allowed, vector, k)
        ids, _ = vector_index.search(self.index, vector, k, nprobe=nprobe, allowed=allowed)
        return ids

    def lexical_search(
        self, terms: list[str], k: int, *, term_weights: Mapping[str, float] | None = None,
        filters: Filters, mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """The ``k`` best BM25 chunk ids for ``terms`` (bm25s' score matrix), among those ``mask`` allows."""
        assert self.lexical is not None
        weights = mask.astype(np.float32) if mask is not None else None
        ids, _ = self.lexical.search(terms, k, weights, term_weights)
        return ids

    def terms_starting(self, prefix: str, limit: int) -> list[str] | None:
        """Up to ``limit`` stemmed terms of the BM25 vocabulary that begin with ``prefix`` and are longer."""
        assert self.lexical is not None
        return self.lexical.terms_starting(prefix, limit)

    def corpus_terms(self, terms: Iterable[str]) -> set[str] | None:
        """The stemmed ``terms`` in the BM25 vocabulary: those some chunk of this generation holds."""
        assert self.lexical is not None
        get = self.lexical.vocabulary.get
        return {t for t in terms if get(t) is not None}

    def pervasive_terms(self, terms: Iterable[str]) -> set[str]:
        """The stemmed ``terms`` more than half of this generation's chunks and documents hold
        (``pervasive.is_pervasive``), read from their BM25 postings."""
        assert self.lexical is not None
        lexical, found = self.lexical, set()
        for t in terms:
            held = lexical.postings(t)
            # The passages first (their documents at most all): a term's documents are counted only then.
            if is_pervasive(len(held), lexical.size, self.documents, self.documents) and is_pervasive(
                    len(held), lexical.size, len(np.unique(self.chunk_doc[held])), self.documents):
                found.add(t)
        return found



class LocalStore:
    """The local backend (``DOCBOT_STORE=local``): generation folders under the data directory.

    The ``StoreBackend`` protocol over this module's functions; the layout is in the module docstring.
    """

    def __init__(self, data_dir: Path, *, ivf_encoding: str = "flat", dense_index: str = "ivf") -> None:
        self.data_dir = data_dir
        self.location = str(data_dir)
        self.ivf_encoding = ivf_encoding  # how a new IVF index stores its lists (``vector_index.ENCODINGS``)
        self.dense_index = dense_index  # a new generation's approximate index (``vector_index.planned_kind``)

    def pointer(self) -> str | None:
        return read_pointer(self.data_dir)

    def open_published(self) -> Published:
        return open_published(self.data_dir)

    def open_for_update(self) -> Update:
        return open_for_update(self.data_dir)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return reindex_lock(self.data_dir)

    def space_needed(self, chunks: int, sentences: int, text_bytes: int, dimension: int) -> int:
        return estimated_bytes(chunks, sentences, text_bytes, dimension)

    def planned_index(self, chunks: int, exact_max: int) -> str:
        return vector_index.planned_kind(chunks, exact_max=exact_max, method=self.dense_index,
                                         encoding=self.ivf_encoding)

    def publish(
        self, docs: list[DocumentChunks], *, build: BuildSettings, exact_max: int, previous: Any,
        sources: SourceTable | None,
    ) -> str:
        previous_index = previous.index if isinstance(previous, Generation) else None
        return write_generation(self.data_dir, docs, build=build, exact_max=exact_max,
                                previous_index=previous_index, sources=sources,
                                ivf_encoding=self.ivf_encoding, dense_index=self.dense_index).name

    def sweep_unfinished(self) -> None:
        sweep_unfinished(self.data_dir)

    def sweep_superseded(self, keep: str | None, damaged: Iterable[str] = ()) -> None:
        sweep_superseded(self.data_dir, keep=keep, damaged=damaged)

    def verify(self) -> Verification:
        return verify(self.data_dir)
