"""The Milvus backend (``DOCBOT_STORE=milvus``): every generation in new Milvus collections, published by an alias.

Everything needed to answer lives in Milvus, so any number of processes on any number of machines answer
from the same state with no local index files:

``<alias>_g<stamp>_chunks``, one row per chunk
    ``id`` (the chunk id, 0..n-1, a document's chunks one after another), ``doc_pos``, ``ord``, ``start``/``end``
    (offsets into the document's text: a quote is ``text[start:end]``), ``date`` (YYYYMMDD, 0 when undated: the
    date filter is a Milvus expression), ``vector`` (the chunk's embedding, inner product), ``terms`` (the chunk's
    stemmed words, the local BM25's tokens, so both backends match the same words) with ``sparse``, the output
    of a Milvus BM25 function over it (full-text search), and ``sents`` (the chunk's quotable sentences: spans
    and int8 vectors with their scales, base64, what evidence scoring reads).
``<alias>_g<stamp>_docs``, the documents
    each document's text in pieces (``doc_pos``, ``part``, ``text``; VARCHAR holds 64 KB) and, on part 0, its
    metadata (``meta``: id, title, date, URL, path, content hash, chunks, pages, source); rows with a reserved
    negative ``doc_pos`` hold what is not a document:

    * ``-1``: the manifest (model, dimension, chunking, counts), the sources and how many vocabulary rows
      there are, written last;
    * ``-2``: the BM25 vocabulary (every stemmed term some chunk's ``terms`` holds), sorted, one term a line,
      zlib and base64 in ``text`` pieces (``part`` 0, 1, ...), written before the manifest: what
      ``corpus_terms`` answers from (Milvus does not tell which words its BM25 index holds);
    * ``-3``: records measured on the published generation (``write_derived``: the abstention's null profile),
      one row a name in ``meta``, written (upserted) after publishing by whichever process measured it.

    A generation written before the vocabulary rows existed has no ``vocabulary`` in its manifest row:
    it is read as before, ``corpus_terms`` answering None (the same schema; nothing to re-index).

Publishing writes both collections, flushes them, writes the manifest row, and only then points the alias
``<alias>`` at the docs collection (``alter_alias``): readers see the old generation or the new one, never half
of one, and a re-index killed at any point leaves the alias on the old one. Collections no alias reaches are
dropped by the next re-index (``sweep_unfinished``). Other processes compare the alias's target before each
question (``pointer``), as local ones read ``CURRENT``.

The re-index lock (one change at a time): a file lock beside a Milvus Lite file (every process using that file
is on this machine); with a server, a PostgreSQL advisory lock when the deployment's ``DOCBOT_DATABASE_URL`` is
a PostgreSQL server (held by a session: released when the process dies, exclusive across machines); else a file
lock in ``DOCBOT_DATA_DIR``, which is only exclusive between processes that share that folder (said in the log).
Milvus itself has no lock or compare-and-set, so a lease row in Milvus could be taken twice by two processes
racing between its read and its write: it is not used.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import functools
import itertools
import logging
import os
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import store
from .chunking import embedded_texts
from .documents import Document
from .errors import DataDirUnusable, IndexDamaged, IndexNotFound, ReindexInProgress, StoreUnavailable
from .lexical import LEXICAL_VERSION, terms as stem_terms
from .models import counted
from .pervasive import is_pervasive
from .retrieval import Filters
from .settings import EngineSettings, is_milvus_lite, masked_url, without_password
from .sources import SourceEntry, SourceTable
from .store import (
    BuildSettings,
    ChunkSentences,
    DocumentChunks,
    DocumentTable,
    Manifest,
    Published,
    SentenceVectors,
    Update,
)

log = logging.getLogger(__name__)

#: Layout of the collections; a generation written with another one is not read.
SCHEMA_VERSION = 1
_VARCHAR = 65_535  # bytes a Milvus VARCHAR holds
_TEXT_PIECE = 16_000  # characters per text row: at most 4 bytes each in UTF-8, so always under _VARCHAR
_INSERT_ROWS = 512  # rows per insert call (a chunk row is ~3 KB with its sentences)
_READ_DOCS = 256  # documents per read when an update copies unchanged ones
_QUERY_MAX = 16_384  # Milvus's limit on rows per query
# Reserved ``doc_pos`` values of the docs collection (documents are 0, 1, ...) and the first row id of each
# kind of row (documents' rows count up from 0; these count down from here, far apart).
_MANIFEST, _VOCABULARY, _DERIVED = -1, -2, -3
_VOCABULARY_IDS = -(2 << 32)
_DERIVED_IDS = -(3 << 32)
_VOCABULARY_PIECE = 65_000  # base64 characters per vocabulary row (ASCII: one byte each, under _VARCHAR)


def _pack_vocabulary(vocabulary: Iterable[str]) -> list[str]:
    """The terms, sorted, one a line, zlib and base64, in pieces a VARCHAR holds (at least one)."""
    packed = base64.b64encode(zlib.compress("\n".join(sorted(vocabulary)).encode("utf-8"), 6)).decode("ascii")
    return [packed[i:i + _VOCABULARY_PIECE] for i in range(0, len(packed), _VOCABULARY_PIECE)] or [""]


def _unpack_vocabulary(pieces: list[str]) -> frozenset[str]:
    text = zlib.decompress(base64.b64decode("".join(pieces))).decode("utf-8")
    return frozenset(text.split("\n")) - {""}


def _derived_id(name: str) -> int:
    """The row id of the derived record ``name``: one row a name, replaced by each write (an upsert)."""
    return _DERIVED_IDS - zlib.crc32(name.encode("utf-8"))


def _pymilvus() -> Any:
    # gRPC's C core prints INFO lines of its own on stderr ("skipping fork() handlers" when the indexer
    # starts a process); a user who did not set its verbosity sees only its errors.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    try:
        import pymilvus
    except ImportError:
        raise StoreUnavailable(
            "DOCBOT_STORE=milvus needs pymilvus and milvus-lite: pip install -e '.[milvus]' in docbot's checkout"
        ) from None
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # pymilvus logs every failed call at ERROR with its traceback, through a handler of its own (~20
        # lines for a missing database) before the error reaches us; we say it in one line.
        logging.getLogger("pymilvus.decorators").setLevel(logging.CRITICAL)
    return pymilvus


def _day(when: date | None) -> int:
    return when.year * 10_000 + when.month * 100 + when.day if when else 0


def _pack_sentences(spans: list[tuple[int, int, int]], codes: np.ndarray, scales: np.ndarray) -> str:
    """A chunk's sentences as one VARCHAR: spans (int64), int8 codes and float32 scales, zlib, base64."""
    raw = (np.asarray(spans, dtype=np.int64).reshape(-1, 3).tobytes() + np.asarray(codes, np.int8).tobytes()
           + np.asarray(scales, np.float32).tobytes())
    packed = base64.b64encode(zlib.compress(raw, 1)).decode("ascii")
    if len(packed) > _VARCHAR:
        raise ValueError(f"a chunk's {len(spans)} sentences take {len(packed)} bytes, over Milvus's {_VARCHAR}")
    return packed


def _unpack_sentences(packed: str, dim: int) -> ChunkSentences:
    raw = zlib.decompress(base64.b64decode(packed))
    k = len(raw) // (24 + dim + 4)
    spans = np.frombuffer(raw, np.int64, 3 * k).reshape(k, 3)
    codes = np.frombuffer(raw, np.int8, k * dim, offset=24 * k).reshape(k, dim)
    scales = np.frombuffer(raw, np.float32, k, offset=24 * k + k * dim)
    return ChunkSentences(spans, codes, scales)


#: The logger Milvus Lite reports a database it could not open on (``logger.exception``).
_LITE_LOGGER = "milvus_lite.server_manager"


class _LiteFailures(logging.Filter):
    """What Milvus Lite raised opening its database, kept rather than printed: pymilvus says only "Open local
    milvus failed", and Milvus Lite logs the reason (a PermissionError on one of its files) as a traceback on
    stderr. Only this thread's records, while it connects (:meth:`kept`)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = []
        self._thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or record.thread != self._thread:
            return True
        self.errors.append(error)
        return False

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        logger = logging.getLogger(_LITE_LOGGER)
        logger.addFilter(self)
        try:
            yield
        finally:
            logger.removeFilter(self)


def _lite_refused(uri: str, errors: Iterable[BaseException]) -> DataDirUnusable | None:
    """Why the Milvus Lite database ``uri`` could not be opened or read when this user may not use its
    files, else None: the PermissionError behind ``errors``, or failing that, the first of its files and
    folders this user may not read and write (Milvus Lite takes a lock and makes folders even to answer a
    question). Asked only once something failed: a collection folder it may not read is no collection to
    Milvus Lite ("does not exist"), which read as damage, and `index` rebuilt around it."""
    for error in errors:
        for cause in store._causes(error):
            if isinstance(cause, PermissionError):
                return _lite_denied(uri, cause)
    root = Path(uri)
    if not root.exists():
        return None
    for target in (root, *(Path(folder, name) for folder, dirs, files in os.walk(root) for name in dirs + files)):
        if not os.access(target, os.R_OK | os.W_OK | (os.X_OK if target.is_dir() else 0)):
            return _lite_denied(uri, PermissionError(errno.EACCES, "Permission denied", str(target)))
    return None


def _lite_denied(uri: str, exc: PermissionError) -> DataDirUnusable:
    """One line naming the Milvus Lite file or folder this user may not use (``exc.filename``, else ``uri``);
    nothing of the index was read, so nothing is repaired or dropped (as ``store.denied`` locally)."""
    where = exc.filename or uri
    return DataDirUnusable(
        f"cannot open the Milvus Lite database {uri} (DOCBOT_MILVUS_URI): permission denied on {where}; the index "
        "is left as it is (run docbot as the user that owns it, or let this user read and write it: Milvus Lite "
        "writes to its folder even to answer a question)")


# pymilvus pings the server every 10 s even with no call under way; Milvus Lite's gRPC server allows
# that once in 5 minutes, so an idle bot's connection got a GOAWAY after a minute or two (84 and 134 s
# measured), which gRPC printed to stderr ("too_many_pings"). Pings during a call still find a dead
# server; between calls the next call does.
_GRPC_OPTIONS = {"grpc.keepalive_permit_without_calls": False}


class MilvusStore:
    """The ``StoreBackend`` on Milvus: Milvus Lite (a file path) or a server (``http://host:19530``)."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.uri = settings.milvus_address
        self.alias = settings.milvus_collection
        self.lite = is_milvus_lite(self.uri)
        self.location = f"milvus:{masked_url(self.uri)} (alias {self.alias})"
        self._client: Any = None
        self._connecting = threading.Lock()
        self._warned_lock = False

    # ------------------------------------------------------------------ connection
    @property
    def client(self) -> Any:
        """The MilvusClient, connected on first use (StoreUnavailable, in one line, when it cannot be)."""
        if self._client is None:
            with self._connecting:
                if self._client is None:
                    pymilvus = _pymilvus()
                    if self.lite:
                        try:
                            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
                        except PermissionError as exc:
                            raise _lite_denied(self.uri, exc) from None
                        # Milvus Lite's in-process gRPC server logs a traceback for each AllocTimestamp call
                        # pymilvus makes and falls back from: noise, not an error of ours.
                        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
                    token = self.settings.milvus_token.get_secret_value() if self.settings.milvus_token else ""
                    failures = _LiteFailures()
                    try:
                        with failures.kept():
                            self._client = pymilvus.MilvusClient(
                                uri=self.uri, token=token, db_name=self.settings.milvus_db or "", timeout=30,
                                grpc_options=_GRPC_OPTIONS)
                    except Exception as exc:
                        if self.lite and (refused := _lite_refused(self.uri, failures.errors)) is not None:
                            raise refused from None
                        for error in failures.errors:  # the one line says what failed; -v shows why
                            log.info("Milvus Lite could not open %s", self.uri, exc_info=error)
                        raise self._unavailable(exc) from exc
        return self._client

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        """What a failed call says: Milvus out of reach, or (reached) no database of DOCBOT_MILVUS_DB's name."""
        text = str(exc).lower()
        if self.settings.milvus_db and "database" in text and ("not exist" in text or "not found" in text):
            return StoreUnavailable(
                f"Milvus at {masked_url(self.uri)} has no database {self.settings.milvus_db!r} (DOCBOT_MILVUS_DB): "
                "create it there, or leave DOCBOT_MILVUS_DB empty for the server's default database")
        return StoreUnavailable(f"cannot reach Milvus at {masked_url(self.uri)}: {_first_line(exc)}")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ what is published
    def _docs(self, name: str) -> str:
        return f"{name}_docs"

    def _chunks(self, name: str) -> str:
        return f"{name}_chunks"

    def _not_created(self) -> bool:
        """Whether this is a Milvus Lite file that does not exist yet: nothing is published there, and
        opening it would create it (and its folder), so a question with a mistyped ``--data-dir``
        would leave a new database behind."""
        return self.lite and self._client is None and not Path(self.uri).exists()

    def pointer(self) -> str | None:
        """The generation the alias points at (its docs collection's name without ``_docs``), or None."""
        if self._not_created():
            return None
        client = self.client
        try:
            if self.alias not in client.list_aliases().get("aliases", []):
                return None
            target = client.describe_alias(self.alias)["collection_name"]
        except _pymilvus().MilvusException as exc:  # the server went away since connecting, or has no such database
            raise self._unavailable(exc) from exc
        return target.removesuffix("_docs")

    def generations(self) -> list[str]:
        """Every generation of this alias with a collection in Milvus, finished or not, oldest first."""
        if self._not_created():
            return []
        prefix = f"{self.alias}_g"
        names = {c.removesuffix("_docs").removesuffix("_chunks") for c in self.client.list_collections()
                 if c.startswith(prefix) and c.endswith(("_docs", "_chunks"))}
        return sorted(names)

    def open_published(self) -> Published:
        name = self.pointer()
        if name is None:
            raise IndexNotFound(f"no index in {self.location} yet: run `docbot index` (or `make run`) to build one")
        problems: list[str] = []
        # The published generation, or (as locally) the newest one before it that can be read, when it cannot.
        candidates = [name, *reversed([n for n in self.generations() if n < name])]
        for candidate in candidates:
            try:
                return Published(MilvusGeneration(self, candidate), name, problems)
            except IndexDamaged as exc:
                if self.lite and (refused := _lite_refused(self.uri, [exc])) is not None:
                    raise refused from None  # not damage: nothing is skipped, rebuilt or dropped
                problems.append(str(exc))
        raise store.wholly_damaged(problems, self.salvage(candidates))

    def salvage(self, names: Iterable[str]) -> store.Salvaged | None:
        """What the first of ``names`` (newest first) whose documents can still be read records: its sources (the
        manifest row's) and documents (their metadata rows), as ``store.salvage`` reads a local generation's
        store.sqlite. A rebuild starts from these, not from the documents folder; None when none can be read."""
        for name in names:
            try:
                head, metas = self._recorded(name)
            except Exception as exc:  # noqa: BLE001 - whatever a damaged collection raises: try the one before
                log.info("cannot read the sources of damaged generation %s: %s", name, _first_line(exc))
                continue
            if head is None and not metas:
                continue
            table = _source_table(head.get("sources") if head else None, metas)
            return store.Salvaged(name, [m["doc_id"] for m in metas], [m.get("path") for m in metas], table,
                                  [(m["doc_id"], m["title"], m.get("date"), m.get("url"), int(m.get("n_chunks", 0)))
                                   for m in metas])
        return None

    def _recorded(self, name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """A generation's manifest row (None when missing) and its documents' metadata, in order (positions are
        contiguous from 0: read window by window up to the first empty one)."""
        client, docs = self.client, self._docs(name)
        if str(client.get_load_state(docs).get("state")) != "Loaded":
            client.load_collection(docs)
        head = client.query(docs, filter=f"doc_pos == {_MANIFEST}", output_fields=["meta"])
        rows: list[dict[str, Any]] = []
        step = _QUERY_MAX // 2
        for at in itertools.count(0, step):
            found = client.query(docs, filter=f"doc_pos >= {at} and doc_pos < {at + step} and part == 0",
                                 output_fields=["meta", "doc_pos"], limit=_QUERY_MAX)
            if not found:
                break
            rows.extend(found)
        return (head[0]["meta"] if head else None), [r["meta"] for r in sorted(rows, key=lambda r: r["doc_pos"])]

    def open_for_update(self) -> Update:
        try:
            published = self.open_published()
        except IndexDamaged as exc:
            return Update(None, [str(exc)], set(self.generations()), exc.record)
        except IndexNotFound:
            return Update(None, [], set())
        damaged = set() if published.generation.name == published.pointer else {published.pointer or ""}
        return Update(published.generation, published.problems, damaged)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ the lock
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        url = self.settings.database_url.get_secret_value() if self.settings.database_url else None
        if self.lite:
            with contextlib.ExitStack() as held:
                try:
                    held.enter_context(store.reindex_lock(Path(self.uri).resolve().parent))
                except DataDirUnusable as exc:  # its folder: said as the Milvus Lite database's when denied
                    raise _lite_refused(self.uri, [exc]) or exc from None
                yield
        elif url:
            with _advisory_lock(str(url), f"docbot-reindex:{self.uri}:{self.settings.milvus_db or ''}:{self.alias}"):
                yield
        else:
            if not self._warned_lock:
                self._warned_lock = True
                log.warning("the re-index lock is a file in %s: only processes sharing that folder are kept to one "
                            "re-index at a time; set DOCBOT_DATABASE_URL to a PostgreSQL server for a lock across "
                            "machines", self.settings.data_dir)
            with store.reindex_lock(self.settings.data_dir):
                yield

    def space_needed(self, chunks: int, sentences: int, text_bytes: int, dimension: int) -> int:
        return 0  # nothing of the index is written to the data directory

    # ------------------------------------------------------------------ writing
    def _create(self, name: str, dimension: int, exact_max: int, chunks: int) -> None:
        pymilvus = _pymilvus()
        DataType, Function, FunctionType = pymilvus.DataType, pymilvus.Function, pymilvus.FunctionType
        client = self.client
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc_pos", DataType.INT64)
        schema.add_field("ord", DataType.INT32)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("date", DataType.INT32)
        schema.add_field("terms", DataType.VARCHAR, max_length=_VARCHAR, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sents", DataType.VARCHAR, max_length=_VARCHAR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        index = client.prepare_index_params()
        if self.planned_index(chunks, exact_max) == "FLAT":
            index.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            from .vector_index import _nlist_for

            index.add_index("vector", index_type="IVF_FLAT", metric_type="IP", params={"nlist": _nlist_for(chunks)})
        # bm25s' defaults (Lucene's BM25, k1 1.5, b 0.75), which the local index uses, rather than Milvus's k1 1.2.
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": 1.5, "bm25_b": 0.75})
        index.add_index("doc_pos", index_type="INVERTED")  # a document's rows (an update's copy) without a scan
        client.create_collection(self._chunks(name), schema=schema, index_params=index, consistency_level="Strong")

        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc_pos", DataType.INT64)
        schema.add_field("part", DataType.INT32)
        schema.add_field("meta", DataType.JSON)
        schema.add_field("text", DataType.VARCHAR, max_length=_VARCHAR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field; unused
        index = client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="L2")
        index.add_index("doc_pos", index_type="INVERTED")  # a document's text rows without a scan
        client.create_collection(self._docs(name), schema=schema, index_params=index, consistency_level="Strong")

    def planned_index(self, chunks: int, exact_max: int) -> str:
        return "FLAT" if chunks <= exact_max else "IVF_FLAT"

    def publish(
        self, docs: list[DocumentChunks], *, build: BuildSettings, exact_max: int, previous: Any,
        sources: SourceTable | None,
    ) -> str:
        """Write both collections of a new generation, its manifest row last, then switch the alias to it."""
        name = f"{self.alias}_g{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        client = self.client
        chunks = sum(len(d.spans) for d in docs)
        try:
            self._create(name, build.dimension, exact_max, chunks)
            sentences, vocabulary, pervasive = self._write_chunks(name, docs)
            self._write_docs(name, docs, sources)
            pieces = _pack_vocabulary(vocabulary)
            client.insert(self._docs(name), [
                {"id": _VOCABULARY_IDS - part, "doc_pos": _VOCABULARY, "part": part, "text": piece,
                 "vector": [0.0, 0.0], "meta": {}} for part, piece in enumerate(pieces)])
            client.flush(self._chunks(name))
            manifest = Manifest(
                format=store.FORMAT_VERSION, chunker=store.CHUNKER_VERSION, documents=len(docs), chunks=chunks,
                index_type=self.planned_index(chunks, exact_max),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"), sentences=sentences,
                lexical=LEXICAL_VERSION, **asdict(build),
            )
            entries = ([[str(e.path), e.kind, list(e.excluded)] for e in sources.entries]
                       if sources is not None else None)
            client.insert(self._docs(name), [{
                "id": -1, "doc_pos": _MANIFEST, "part": 0, "text": "", "vector": [0.0, 0.0],
                "meta": {"schema": SCHEMA_VERSION, "manifest": asdict(manifest), "sources": entries,
                         "vocabulary": {"rows": len(pieces), "terms": len(vocabulary)}, "pervasive": pervasive},
            }])
            client.flush(self._docs(name))
            if self.alias in client.list_aliases().get("aliases", []):
                client.alter_alias(self._docs(name), self.alias)
            else:
                client.create_alias(self._docs(name), self.alias)
        except BaseException:
            if self.pointer() != name:
                self._drop(name)
            raise
        log.info("published index generation %s in %s (%d documents, %d chunks)", name, self.location,
                 len(docs), chunks)
        return name

    def _write_chunks(self, name: str, docs: list[DocumentChunks]) -> tuple[int, set[str], list[str]]:
        """Every chunk row; returns the number of sentences, the vocabulary (every chunk's terms: an
        update writes the copied documents' chunks here too, so it is always the new generation's own)
        and the pervasive terms among it (``pervasive.is_pervasive``: Milvus keeps no postings to count)."""
        client, collection = self.client, self._chunks(name)
        rows: list[dict[str, Any]] = []
        vocabulary: set[str] = set()
        passages_holding: Counter[str] = Counter()
        documents_holding: Counter[str] = Counter()
        cid = sentences = 0
        for pos, item in enumerate(docs):
            doc, at = item.document, 0
            doc_terms: set[str] = set()
            vectors = np.asarray(item.vectors, dtype=np.float32)
            if not np.isfinite(vectors).all():
                raise ValueError("the encoder produced non-finite vectors; nothing was published")
            embedded = embedded_texts(doc.title, doc.text, item.spans)
            for ord_, ((start, end), (text, _)) in enumerate(zip(item.spans, embedded)):
                spans = item.sentences[ord_]
                k = len(spans)
                chunk_terms = stem_terms([text])[0]
                vocabulary.update(chunk_terms)
                passages_holding.update(set(chunk_terms))
                doc_terms.update(chunk_terms)
                rows.append({
                    "id": cid, "doc_pos": pos, "ord": ord_, "start": start, "end": end, "date": _day(doc.date),
                    "terms": " ".join(chunk_terms),
                    "vector": vectors[ord_].tolist(),
                    "sents": _pack_sentences(spans, item.sentence_vectors.codes[at:at + k],
                                             item.sentence_vectors.scales[at:at + k]),
                })
                at, cid, sentences = at + k, cid + 1, sentences + k
                if len(rows) >= _INSERT_ROWS:
                    client.insert(collection, rows)
                    rows = []
            documents_holding.update(doc_terms)
        if rows:
            client.insert(collection, rows)
        return sentences, vocabulary, sorted(t for t, n in passages_holding.items()
                                             if is_pervasive(n, cid, documents_holding[t], len(docs)))

    def _write_docs(self, name: str, docs: list[DocumentChunks], sources: SourceTable | None) -> None:
        client, collection = self.client, self._docs(name)
        rows: list[dict[str, Any]] = []
        row_id, first = 0, 0
        for pos, item in enumerate(docs):
            doc = item.document
            member = sources.members.get(doc.doc_id) if sources is not None else None
            meta = {
                "doc_id": doc.doc_id, "title": doc.title, "date": doc.date.isoformat() if doc.date else None,
                "url": doc.url, "path": doc.path, "hash": doc.content_hash, "first_chunk": first,
                "n_chunks": len(item.spans), "pages": [list(p) for p in doc.pages], "chars": len(doc.text),
                "sentences": sum(len(s) for s in item.sentences), "source": list(member) if member else None,
            }
            first += len(item.spans)
            pieces = [doc.text[i:i + _TEXT_PIECE] for i in range(0, len(doc.text), _TEXT_PIECE)] or [""]
            for part, piece in enumerate(pieces):
                rows.append({"id": row_id, "doc_pos": pos, "part": part, "text": piece, "vector": [0.0, 0.0],
                             "meta": meta if part == 0 else {}})
                row_id += 1
                if len(rows) >= _INSERT_ROWS:
                    client.insert(collection, rows)
                    rows = []
        if rows:
            client.insert(collection, rows)

    # ------------------------------------------------------------------ sweeping
    def _drop(self, name: str) -> None:
        for collection in (self._docs(name), self._chunks(name)):
            try:
                if self.client.has_collection(collection):
                    self.client.drop_collection(collection)
            except Exception as exc:  # noqa: BLE001 - left for the next sweep
                log.warning("could not drop %s (%s); the next re-index drops it", collection, _first_line(exc))

    def sweep_unfinished(self) -> None:
        """Drop generations newer than the published one: they were never published (a crashed run)."""
        published = self.pointer()
        for name in self.generations():
            if published is None or name > published:
                log.info("removing unfinished generation %s", name)
                self._drop(name)

    def sweep_superseded(self, keep: str | None, damaged: Iterable[str] = ()) -> None:
        """Drop old generations but the published one and ``keep`` (which other processes may still read
        until their next question), or else the newest older one that is not ``damaged``."""
        published = self.pointer()
        if published is None:
            return
        names = self.generations()
        broken = set(damaged)
        if keep is None or keep not in names or keep in broken:
            older = [n for n in names if n < published and n not in broken]
            keep = older[-1] if older else None
        for name in names:
            if name not in (published, keep):
                log.info("removing superseded generation %s", name)
                self._drop(name)

    def verify(self) -> store.Verification:
        """Every generation opened and its rows counted against its manifest."""
        published = self.pointer()
        checks = []
        for name in reversed(self.generations()):
            problem = checked = None
            try:
                gen = MilvusGeneration(self, name)
                vocabulary = gen.read_vocabulary()
                checked = (f"{counted(gen.documents, 'document')} and {counted(gen.size, 'passage')} in Milvus"
                           + (f" and {counted(len(vocabulary), 'BM25 term')}" if vocabulary is not None else "")
                           + ", as its manifest says")
            except (IndexDamaged, IndexNotFound) as exc:
                problem = str(exc)
            checks.append(store.GenerationCheck(name, name == published, problem, 0, 0, checked))
        problem = None if published is not None else "it does not exist"
        return store.Verification(self.location, problem, checks, pointer_name=f"alias {self.alias}")


@contextlib.contextmanager
def _advisory_lock(url: str, key: str) -> Iterator[None]:
    """A PostgreSQL session advisory lock: exclusive across machines, released if this process dies."""
    import psycopg

    try:
        con = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:  # its words may quote the URL, password and all (without_password)
        reason = without_password(_first_line(exc), url)
        raise StoreUnavailable(f"cannot reach the database for the re-index lock (DOCBOT_DATABASE_URL): {reason}"
                               ) from None
    try:
        got = con.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()
        if not (got and got[0]):
            raise ReindexInProgress("a re-index is already running; try again when it finishes")
        try:
            yield
        finally:
            con.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= 160 else text[:157] + "…"


def _source_table(recorded: list[list[Any]] | None, metas: list[dict[str, Any]]) -> SourceTable | None:
    """The sources a manifest row records (``recorded``: path, kind, exclusions each) and each document's (its
    metadata's ``source``); None for a generation written before sources were recorded."""
    if recorded is None:
        return None
    entries = tuple(SourceEntry(Path(p), kind, tuple(excluded)) for p, kind, excluded in recorded)
    members = {m["doc_id"]: (int(m["source"][0]), m["source"][1]) for m in metas if m.get("source")}
    return SourceTable(entries, members)


class MilvusGeneration(DocumentTable):
    """A published generation read from Milvus: the documents' metadata in memory, the rest queried."""

    def __init__(self, backend: MilvusStore, name: str) -> None:
        self.backend, self.client, self.name = backend, backend.client, name
        self.path = Path(name)  # for messages; nothing of it is on disk
        self.docs_collection, self.chunks_collection = backend._docs(name), backend._chunks(name)
        self.index = self.lexical = None  # searched in Milvus (dense_search, lexical_search)
        try:
            for collection in (self.docs_collection, self.chunks_collection):
                # A collection is searchable once loaded: after a restart of Milvus (or a Milvus Lite file
                # opened by a new process) the published one is released until someone loads it.
                if str(self.client.get_load_state(collection).get("state")) != "Loaded":
                    self.client.load_collection(collection)
            head = self.client.query(self.docs_collection, filter=f"doc_pos == {_MANIFEST}", output_fields=["meta"])
        except Exception as exc:
            raise IndexDamaged(f"index generation {name} cannot be read ({_first_line(exc)})", [str(exc)]) from exc
        if not head:
            raise IndexDamaged(f"index generation {name} has no manifest (it was never finished)", ["no manifest"])
        meta = head[0]["meta"]
        if meta.get("schema") != SCHEMA_VERSION or meta["manifest"].get("format") != store.FORMAT_VERSION:
            raise IndexNotFound(f"{name}: written by another version of docbot; re-index")
        self.manifest = Manifest(**meta["manifest"])
        self.indexed_at = datetime.fromisoformat(self.manifest.created_at)
        metas = [r["meta"] for r in sorted(
            self._query_range(self.docs_collection, "doc_pos", 0, self.manifest.documents, ["meta", "doc_pos"],
                              where="part == 0"),
            key=lambda r: r["doc_pos"])]
        pages = {pos: tuple((int(n), int(at)) for n, at in m["pages"]) for pos, m in enumerate(metas) if m["pages"]}
        self._set_documents([(m["doc_id"], m["title"], m["date"], m["url"], m["hash"], m["first_chunk"],
                              m["n_chunks"], m["path"]) for m in metas], pages)
        self._meta = metas
        self.source_table: SourceTable | None = _source_table(meta.get("sources"), metas)
        rows = self.client.query(self.chunks_collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
        if len(metas) != self.manifest.documents or rows != self.manifest.chunks or self.size != rows:
            raise IndexDamaged(
                f"index generation {name} is damaged: {len(metas)} documents and {rows} chunks in Milvus, the "
                f"manifest says {self.manifest.documents} and {self.manifest.chunks}", ["counts"])
        self._text = functools.lru_cache(maxsize=256)(self._read_text)
        self._copied: dict[int, list[dict[str, Any]]] = {}  # chunk rows read ahead for an update
        # The BM25 vocabulary's rows and terms as the manifest counts them; None: written before it was kept.
        self._vocabulary_size: dict[str, int] | None = meta.get("vocabulary")
        self._vocabulary: frozenset[str] | None = None  # read by the first question that needs it
        self._vocabulary_read = False
        self._reading = threading.Lock()
        # The terms more than half of the chunks hold, counted when written (none: written before they were).
        self._pervasive = frozenset(meta.get("pervasive") or ())

    def _query_range(
        self, collection: str, field: str, lo: int, hi: int, fields: list[str], per_value: int = 1,
        where: str = "",
    ) -> list[dict[str, Any]]:
        """Every row with ``lo <= field < hi``, in windows small enough for one query each (Milvus returns at
        most 16,384 rows a query); ``per_value`` is about how many rows one value of ``field`` has."""
        rows: list[dict[str, Any]] = []
        step = max(1, _QUERY_MAX // (2 * max(per_value, 1)))
        for at in range(lo, hi, step):
            expr = f"{field} >= {at} and {field} < {min(hi, at + step)}" + (f" and {where}" if where else "")
            found = self.client.query(collection, filter=expr, output_fields=fields, limit=_QUERY_MAX)
            if len(found) >= _QUERY_MAX:
                raise store.damaged(self.path, [f"more than {_QUERY_MAX} rows for {expr}"])
            rows.extend(found)
        return rows

    def _by_id(self, ids: list[int], fields: list[str]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for at in range(0, len(ids), _QUERY_MAX):
            part = ids[at:at + _QUERY_MAX]
            for row in self.client.query(self.chunks_collection, filter=f"id in {part}", output_fields=fields):
                found[int(row["id"])] = row
        if len(found) != len(set(ids)):
            raise store.damaged(self.path, [f"Milvus lacks {len(set(ids)) - len(found)} of the chunks asked for"])
        return found

    # ------------------------------------------------------------------ what DocumentTable leaves to each kind
    def _chunk_spans(self, first: int, n: int) -> list[tuple[int, int]]:
        rows = self._by_id(list(range(first, first + n)), ["start", "end"])
        return [(int(rows[c]["start"]), int(rows[c]["end"])) for c in range(first, first + n)]

    def _doc_chars(self) -> list[int]:
        return [int(m["chars"]) for m in self._meta]

    def _read_text(self, pos: int) -> str:
        rows = self.client.query(self.docs_collection, filter=f"doc_pos == {int(pos)}",
                                 output_fields=["part", "text"])
        if not rows:
            raise ValueError(f"no text for document {pos}")
        return "".join(r["text"] for r in sorted(rows, key=lambda r: r["part"]))

    def doc_text(self, pos: int) -> str:
        return self._text(pos)

    def chunk_vectors(self, cids: np.ndarray) -> np.ndarray:
        ids = [int(c) for c in np.asarray(cids).ravel()]
        rows = self._by_id(ids, ["vector"])
        if not ids:
            return np.zeros((0, self.manifest.dimension), np.float32)
        return np.array([rows[c]["vector"] for c in ids], dtype=np.float32)

    def sentences_of(self, cids: Iterable[int]) -> tuple[ChunkSentences, np.ndarray]:
        ids = [int(c) for c in cids]
        rows = self._by_id(ids, ["sents"])
        parts = [_unpack_sentences(rows[c]["sents"], self.manifest.dimension) for c in ids]
        bounds = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([len(p.spans) for p in parts], out=bounds[1:])
        dim = self.manifest.dimension
        return ChunkSentences(
            np.concatenate([p.spans for p in parts]) if parts else np.zeros((0, 3), np.int64),
            np.concatenate([p.codes for p in parts]) if parts else np.zeros((0, dim), np.int8),
            np.concatenate([p.scales for p in parts]) if parts else np.zeros(0, np.float32),
        ), bounds

    def doc_sizes(self, pos: int) -> tuple[int, int]:
        return int(self.n_chunks[pos]), int(self._meta[pos]["sentences"])

    def document_chunks(self, pos: int, document: Document) -> DocumentChunks:
        """Document ``pos``'s chunks with their vectors and sentences, copied into a new generation by an
        update (read ``_READ_DOCS`` documents at a time: an update walks them in order)."""
        if pos not in self._copied:
            self._copied.clear()
            rows = self._query_range(self.chunks_collection, "doc_pos", int(pos), int(pos) + _READ_DOCS,
                                     ["id", "doc_pos", "start", "end", "vector", "sents"],
                                     per_value=int(self.n_chunks[pos:pos + _READ_DOCS].max(initial=1)))
            for p in range(pos, min(pos + _READ_DOCS, self.documents)):
                self._copied[p] = []
            for row in rows:
                self._copied[int(row["doc_pos"])].append(row)
        rows = sorted(self._copied.pop(pos), key=lambda r: r["id"])
        if len(rows) != int(self.n_chunks[pos]):
            problem = f"Milvus holds {len(rows)} chunks of {self.doc_ids[pos]}, {int(self.n_chunks[pos])} expected"
            raise store.damaged(self.path, [problem])
        dim = self.manifest.dimension
        sents = [_unpack_sentences(r["sents"], dim) for r in rows]
        vectors = np.array([r["vector"] for r in rows], dtype=np.float32).reshape(len(rows), dim)
        return DocumentChunks(
            document, [(int(r["start"]), int(r["end"])) for r in rows], vectors,
            [[tuple(int(x) for x in span) for span in s.spans] for s in sents],  # type: ignore[misc]
            SentenceVectors.concat([SentenceVectors(s.codes, s.scales) for s in sents], dim),
        )

    def size_bytes(self) -> int:
        """Milvus Lite: its file's size on disk (every generation in it); a server: the rows' own size."""
        if self.backend.lite:
            path = Path(self.backend.uri)
            if path.is_dir():
                return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            return path.stat().st_size if path.exists() else 0
        return self.size * (self.manifest.dimension * 4 + 2048) + sum(int(m["chars"]) for m in self._meta)

    # ------------------------------------------------------------------ searching
    def _expression(self, filters: Filters) -> str:
        """``filters`` as a Milvus filter expression over the chunk rows ("" when none)."""
        parts = []
        if filters.doc_ids:
            positions = sorted({p for d in filters.doc_ids if (p := self.position(d)) is not None})
            parts.append(f"doc_pos in {positions}")
        if filters.since or filters.until:
            parts.append("date > 0")  # undated documents are outside every date range
            if filters.since:
                parts.append(f"date >= {_day(filters.since)}")
            if filters.until:
                parts.append(f"date <= {_day(filters.until)}")
        return " and ".join(parts)

    def dense_search(
        self, vector: np.ndarray, k: int, *, nprobe: int, filters: Filters, mask: np.ndarray | None = None
    ) -> np.ndarray:
        result = self.client.search(
            self.chunks_collection, [np.asarray(vector, np.float32).tolist()], anns_field="vector",
            limit=min(k, _QUERY_MAX), filter=self._expression(filters), output_fields=[],
            search_params={"metric_type": "IP", "params": {"nprobe": nprobe}},
        )
        return np.array([hit["id"] for hit in result[0]], dtype=np.int64)

    def lexical_search(
        self, terms: list[str], k: int, *, term_weights: Mapping[str, float] | None = None,
        filters: Filters, mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Milvus BM25 over the stemmed terms; with ``term_weights``, one search per weight and the scores
        added with their weights (the local index weighs terms the same way)."""
        groups: dict[float, list[str]] = {}
        for term in terms:
            groups.setdefault(float((term_weights or {}).get(term, 1.0)), []).append(term)
        groups = {w: g for w, g in groups.items() if w > 0}
        scores: dict[int, float] = {}
        for weight, group in groups.items():
            result = self.client.search(
                self.chunks_collection, [" ".join(group)], anns_field="sparse", limit=min(k, _QUERY_MAX),
                filter=self._expression(filters), output_fields=[], search_params={"metric_type": "BM25"},
            )
            if len(groups) == 1:
                return np.array([hit["id"] for hit in result[0]], dtype=np.int64)
            for hit in result[0]:
                scores[hit["id"]] = scores.get(hit["id"], 0.0) + weight * abs(float(hit["distance"]))
        best = sorted(scores, key=lambda c: (-scores[c], c))[:k]
        return np.array(best, dtype=np.int64)

    def corpus_terms(self, terms: Iterable[str]) -> set[str] | None:
        """The stemmed ``terms`` some chunk of this generation holds, from the vocabulary rows; None for a
        generation written without them (or whose rows cannot be read: said once in the log)."""
        vocabulary = self.vocabulary()
        if vocabulary is None:
            return None
        return {t for t in terms if t in vocabulary}

    def pervasive_terms(self, terms: Iterable[str]) -> set[str]:
        """The stemmed ``terms`` more than half of this generation's chunks hold, as counted when it was written
        (none for a generation written before they were)."""
        return self._pervasive.intersection(terms)

    def terms_starting(self, prefix: str, limit: int) -> list[str] | None:
        """Up to ``limit`` stemmed terms of the vocabulary rows that begin with ``prefix`` and are longer; None
        without them (a scan: asked only for a question's word that no document holds)."""
        vocabulary = self.vocabulary()
        if vocabulary is None:
            return None
        return sorted(t for t in vocabulary if t.startswith(prefix) and t != prefix)[:limit]

    def vocabulary(self) -> frozenset[str] | None:
        """Every stemmed term this generation's chunks hold (read from Milvus once, by the first caller)."""
        if not self._vocabulary_read:
            with self._reading:
                if not self._vocabulary_read:
                    try:
                        self._vocabulary = self.read_vocabulary()
                    except IndexDamaged as exc:
                        log.warning("%s; the question's words that no document holds are not charged until the "
                                    "next re-index", exc)
                    else:
                        if self._vocabulary is None:
                            log.info("%s was written before Milvus generations kept their BM25 vocabulary: the "
                                     "question's words that no document holds are not charged until a re-index "
                                     "publishes a new generation", self.name)
                    self._vocabulary_read = True
        return self._vocabulary

    def read_vocabulary(self) -> frozenset[str] | None:
        """The vocabulary rows, checked against the manifest's counts (IndexDamaged when they disagree);
        None when the manifest counts none (a generation written before they were kept). Milvus failing to
        answer raises as any query does (the next caller tries again)."""
        size = self._vocabulary_size
        if size is None:
            return None
        rows = self.client.query(self.docs_collection, filter=f"doc_pos == {_VOCABULARY}",
                                 output_fields=["part", "text"], limit=_QUERY_MAX)
        try:
            if len(rows) != int(size["rows"]):
                raise ValueError(f"{len(rows)} vocabulary rows, the manifest says {size['rows']}")
            vocabulary = _unpack_vocabulary([r["text"] for r in sorted(rows, key=lambda r: r["part"])])
            if len(vocabulary) != int(size["terms"]):
                raise ValueError(f"{len(vocabulary)} terms in the vocabulary, the manifest says {size['terms']}")
        except (ValueError, TypeError, KeyError, zlib.error) as exc:  # a row missing or garbled (base64, UTF-8)
            raise store.damaged(self.path, [f"its BM25 vocabulary cannot be read ({_first_line(exc)})"]) from exc
        return vocabulary

    # ------------------------------------------------------------------ records measured on it
    def read_derived(self, name: str) -> dict | None:
        """The record in memory, else its row in Milvus (written by whichever process measured it first),
        None when there is none or it cannot be read (it is measured again)."""
        found = super().read_derived(name)
        if found is not None:
            return found
        try:
            rows = self.client.query(self.docs_collection, filter=f"id == {_derived_id(name)}", output_fields=["meta"])
        except Exception as exc:  # noqa: BLE001 - a record only saves time
            log.warning("could not read %s of %s from Milvus (%s): it is measured again", name, self.name,
                        _first_line(exc))
            return None
        found = next((r["meta"].get("data") for r in rows if r["meta"].get("name") == name), None)
        if isinstance(found, dict):
            super().write_derived(name, found)
            return found
        return None

    def write_derived(self, name: str, data: dict, *, quiet: bool = False) -> None:
        """Keep the record in memory and in its row of the docs collection, so that every process answering
        from this generation reads it instead of measuring it again. Milvus refusing the write keeps it in
        memory only (the next process measures it again)."""
        super().write_derived(name, data)
        try:
            self.client.upsert(self.docs_collection, [{
                "id": _derived_id(name), "doc_pos": _DERIVED, "part": 0, "text": "", "vector": [0.0, 0.0],
                "meta": {"name": name, "data": data}}])
        except Exception as exc:  # noqa: BLE001 - a record only saves time
            log.log(logging.DEBUG if quiet else logging.WARNING,
                    "could not keep %s with %s in Milvus (%s): it is measured again by the next process",
                    name, self.name, _first_line(exc))

