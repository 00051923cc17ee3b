"""The engine: one object that answers, searches, lists sources and re-indexes.

It holds the published index generation and swaps it for a new one in a single reference
assignment, so queries running in other threads keep the generation they started with and a
re-index never interrupts them. It also notices a generation published by another process (a
`docbot index` run beside a running bot) and switches to it on the next query.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, get_args

import numpy as np

from . import answer as answer_builder
from . import acronyms, conversation, entries, evidence, null, rarity, recency, retrieval, sources, store, store_api
from .conversation import Turn
from .cpu import available_cores, idle_cores
from .documents import forget_upload, record_upload, safe_filename, save_upload, uploaded_here
from .encoder import Encoder, OnnxEncoder, TorchEncoder, onnx_dir
from .errors import (DuplicateDocument, IndexDamaged, IndexNotFound, InvalidRequest, SourceNotFound, is_text,
                     mark_published, published_before)
from .null_questions import NULL_QUESTIONS
from .pervasive import without_pervasive
from .models import (
    Answer, ChunkRef, ChunkView, CollectionInfo, DocumentInfo, Hit, IndexReport, IndexStats, SourceInfo,
    SourceView,
)
from .retrieval import Filters, Mode
from .settings import EngineSettings
from .sources import SourceTable
from .store_api import IndexView as Generation

if TYPE_CHECKING:  # the indexing side: a question does not import it
    from .indexer import Indexer, ProgressCallback

log = logging.getLogger(__name__)
_NO_VECTOR = np.zeros(0, dtype=np.float32)  # a query's vector until its embedding arrives


def _newest_first(documents: list[DocumentInfo]) -> list[DocumentInfo]:
    """Documents as ``sources`` lists them: newest first (undated last), then by title."""
    documents.sort(key=lambda d: d.title.lower())
    documents.sort(key=lambda d: d.date or date.min, reverse=True)
    return documents


def _collection(table: SourceTable, documents: list[DocumentInfo], damaged: str | None = None) -> CollectionInfo:
    """``table``'s sources, each with its count of ``documents`` and whether it exists now, and the documents."""
    return CollectionInfo(
        sources=[
            SourceInfo(path=str(e.path), kind=e.kind, documents=n, excluded=list(e.excluded), exists=e.path.exists())
            for e, n in zip(table.entries, table.counts())
        ],
        documents=documents,
        recorded=table.recorded,
        damaged=damaged,
    )


def _position(gen: Generation, doc_id: str) -> int:
    """A document's position in ``gen``, by its id or by a name that differs from exactly one id only in
    case ("faq.md" for FAQ.md: people type names as they remember them); SourceNotFound, naming it and the
    names it may mean (``_meant``), when it is neither."""
    pos = gen.position(doc_id)
    if pos is not None:
        return pos
    ids = [gen.doc_id(p) for p in range(gen.documents)]  # only on a miss: ~1 ms for 5,000 documents
    meant = _meant(doc_id, ids)
    if len(meant) == 1 and _folded(meant[0]) == _folded(doc_id):
        return gen.position(meant[0])  # type: ignore[return-value]
    raise SourceNotFound(missing=doc_id, suggestions=meant)


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip()).casefold()


def _meant(typed: str, ids: Sequence[str], most: int = 3) -> list[str]:
    """The ids ``typed`` (no id itself) may mean, best first: those it spells in other letter case, else those
    whose file name or stem it is in any case ("changelog" for docs/CHANGELOG.md), else the closest
    spellings (``difflib``: "CONTRIBUTNG.md")."""
    folded = _folded(typed)
    same = [i for i in ids if _folded(i) == folded]
    if same:
        return same[:most]
    named = [i for i in ids if folded in (_folded(PurePosixPath(i).name), _folded(PurePosixPath(i).stem))]
    if named:
        return named[:most]
    by_fold = {_folded(i): i for i in ids}
    return [by_fold[f] for f in difflib.get_close_matches(folded, list(by_fold), n=most, cutoff=0.75)]


def _no_chunk(doc_id: str, chunks: int, chunk: str) -> SourceNotFound:
    """A ref to a document that is indexed and a chunk it does not have (``DOC#99``, ``DOC#-1``, ``DOC#x``)."""
    return SourceNotFound(f"{doc_id!r} has chunks 0 to {chunks - 1}; there is no chunk {chunk!r}")


def _all_texts(gen: Generation, batch: int = 256) -> Iterator[str]:
    """Every document's text, read a batch at a time (a large collection's texts are not all held at once)."""
    for first in range(0, gen.documents, batch):
        texts = gen.doc_texts(range(first, min(first + batch, gen.documents)), {})
        yield from texts.values()


def _check_dated(gen: Generation, positions: Sequence[int], since: date | None, until: date | None) -> None:
    """InvalidRequest, saying what dates there are, when no document (of ``positions``, when given) is
    dated within [since, until]: "not covered" would wrongly say the documents hold no answer."""
    since, until = (d.date() if isinstance(d, datetime) else d for d in (since, until))
    positions = list(dict.fromkeys(positions))
    within = gen.dated_within(since, until)
    if positions:
        within = np.intersect1d(within, positions)
    if len(within):
        return
    span = _span(since, until)
    pool = positions or range(gen.documents)
    dates = sorted(d for p in pool if (d := gen.doc_date(int(p))) is not None)
    if len(positions) == 1:
        raise InvalidRequest(f"the document asked about is not dated {span}: "
                             + (f"it is dated {dates[0]}" if dates else "it has no date"))
    what, among = ("none of the documents asked about is", "among them") if positions else ("no document is", "")
    # None lies within: each is before ``since`` or after ``until``. Name the nearest on each side.
    before = [d for d in dates if since is not None and d < since]
    after = [d for d in dates if until is not None and d > until]
    if not dates:
        known = "none has a date"
    elif dates[0] == dates[-1]:
        known = f"the only date {among or 'in the index'} is {dates[0]}"
    elif before and after:
        known = f"the nearest are dated {before[-1]} and {after[0]}"
    elif before:
        known = f"the newest {among + ' ' if among else ''}is dated {before[-1]}"
    else:
        known = f"the oldest {among + ' ' if among else ''}is dated {after[0]}"
    if dates and len(pool) > len(dates):
        known += f" ({len(pool) - len(dates)} undated)"
    raise InvalidRequest(f"{what} dated {span}: {known}")


def _span(since: date | None, until: date | None) -> str:
    """The days a date filter allows, as a message says them: "on or after 2025-09-01"."""
    return (f"on {since}" if since and since == until else f"between {since} and {until}" if since and until
            else f"on or after {since}" if since else f"on or before {until}")


def _left_out_undated(unfiltered: Answer, since: date | None, until: date | None) -> str | None:
    """Why a question a date filter left unanswered is not "not covered": ``unfiltered`` (the same question
    without the dates) quotes an undated document, which every date filter leaves out. One line naming
    the documents, or None when no undated document answers."""
    undated = [s.doc_id for s in unfiltered.sources if s.date is None] if unfiltered.answered else []
    if not undated:
        return None
    names = ", ".join(undated[:3]) + (f" and {len(undated) - 3} more" if len(undated) > 3 else "")
    return (f"No document dated {_span(since, until)} answers this; the undated "
            f"{'document' if len(undated) == 1 else 'documents'} {names} may, but a date filter leaves out "
            "undated documents: ask without the dates to see.")


def _asked_day(gen: Generation, text: str, asked_on: date | datetime | None, until: date | None = None) -> date | None:
    """The day ``text``'s "this week" counts back from (``recency.counted_from``): the day asked, or the
    newest date the question can see (the collection's, or its ``until`` filter's) when that is older."""
    latest = min((d for d in (gen.newest_date, until) if d is not None), default=None)
    return recency.counted_from(asked_on, latest, text)


def _recent_days(gen: Generation, q: evidence.Query) -> retrieval.Prior | None:
    """The documents of the days a question about recent events reaches back to from the day it was
    asked (``recency.window``: "this week", the seven days before it and the day), each at
    ``recency.PRIOR``: one more ranked list for the fusion.

    Their passages, ranked by cosine, join the fusion as one more list: a weekly quiz's "which head of
    state announced his resignation this week?" finds that week's article among a decade of
    resignations, which neither retriever can tell apart by words. None when the day is not known,
    when no document is dated in those days, or when more than ``recency.MOST`` of the collection or
    ``recency.MAX_CHUNKS`` chunks are (the days then select little, at a cost). Their chunks are found
    once here (``retrieval.Prior``); beside the question's embedding, their vectors are read too."""
    if q.asked_on is None or q.recent_days is None:
        return None
    since, until = recency.window(q.asked_on, q.recent_days)
    recent = gen.dated_within(since, until)
    # A document of dated entries is dated by its newest: it has these days' news when one of its entries
    # is of these days (asked on the 19th, the entry of the 18th of a file whose newest is the 24th), and
    # of its chunks only those under such an entry are (the file's older posts are not this week's news).
    by_entries = entries.dated_by_entries(gen)
    entered = {p for p, found in by_entries.items() if entries.within(found, since, until)}
    if entered - set(recent.tolist()):
        recent = np.array(sorted(set(recent.tolist()) | entered), dtype=recent.dtype)
    if not len(recent) or len(recent) > recency.MOST * gen.documents:
        return None
    chunks = gen.chunks_of(recent)
    entry_docs = [int(p) for p in recent.tolist() if int(p) in by_entries]
    if len(chunks) <= recency.MAX_CHUNKS and entry_docs:
        # Their spans read document by document (``doc_chunks``: one read each), never chunk by chunk: ``chunk``
        # is a read of SQLite (0.1 ms) or a Milvus query each, and a week's chunks may be 10,000.
        outside = {int(c) for p in entry_docs
                   for c, info in zip(gen.chunk_ids(p).tolist(), gen.doc_chunks(p))
                   if not entries.within(by_entries[p], since, until, info.start, info.end)}
        if outside:
            chunks = np.array([c for c in chunks.tolist() if c not in outside], dtype=chunks.dtype)
    if len(chunks) > recency.MAX_CHUNKS:
        return None
    return retrieval.Prior(dict.fromkeys(recent.tolist(), recency.PRIOR), chunks)


class _Stopwatch:
    """Milliseconds per stage of one question, for ``Answer.timings_ms`` and the speed benchmark.

    ``clock`` is wall time; ``benchmarks.query_compare`` swaps in the asking thread's CPU time."""

    clock = staticmethod(time.perf_counter)

    def __init__(self) -> None:
        self.started = self._last = self.clock()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = self.clock()
        self.stages[stage] = self.stages.get(stage, 0.0) + (now - self._last) * 1000
        self._last = now

    @property
    def total_ms(self) -> float:
        return (self.clock() - self.started) * 1000


@dataclasses.dataclass(frozen=True, eq=False)
class _Beside:
    """What another thread found for a question while the asking one embedded it
    (``Engine._first_query``): its BM25 ranking, and the documents of its recent days with their
    chunks' vectors gathered (None for a question not about recent events)."""

    bm25: np.ndarray
    recent: retrieval.Prior | None


class _VectorCache:
    """Question vectors by their text, the least recently asked dropped first (``query_cache_size``;
    0 keeps none). Unlike ``functools.lru_cache`` it can say whether a text is in it without
    embedding it: a cached question has no embedding to overlap BM25 with (``Engine._first_query``)."""

    def __init__(self, size: int, embed: Callable[[str], np.ndarray]) -> None:
        self._size = size
        self._embed = embed
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the bot asks from several worker threads

    def __contains__(self, text: str) -> bool:
        return text in self._vectors

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = self._embed(text)  # outside the lock: two questions embed side by side
        if self._size:
            with self._lock:
                self._vectors[text] = vector
                self._vectors.move_to_end(text)
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


class Engine:
    """The document engine. Thread-safe: the bot calls it from worker threads."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        evidence_params: evidence.Params | None = None,
        indexer: Indexer | None = None,
        query_encoder: Encoder | None = None,
    ) -> None:
        """``indexer`` builds the generations (default: one made from ``settings`` on the first
        re-index); ``query_encoder`` embeds questions (default: the ONNX export, or
        sentence-transformers without one). Both are for tests and measurements that need their own."""
        self.settings = settings
        #: Weights of sentence scoring and abstention; the defaults were fitted by the benchmark.
        self.evidence_params = evidence_params or evidence.DEFAULT_PARAMS
        self._gen: Generation | None = None
        self._pointer: str | None = None  # what CURRENT said when _gen was chosen
        self._encoder: Encoder | None = query_encoder
        self._load_lock = threading.Lock()
        self._encoder_lock = threading.Lock()  # not the load lock: the encoder is made while the index opens
        self._changing = False  # this engine holds the re-index lock
        self._warned: set[str] = set()
        self._indexer: Indexer | None = indexer
        self._last_question = -math.inf
        # Questions asked again (the same FAQ in a server, a retried command) skip the embedding.
        self._vectors = _VectorCache(settings.query_cache_size, self._embed_uncached)
        self._derived: dict[str, SourceTable] = {}  # sources of a generation that did not record them
        self._beside: ThreadPoolExecutor | None = None  # searches BM25 while the asking thread embeds
        # The current generation's null profile (``embeddings.null``), by generation name.
        self._nulls: dict[str, null.NullProfile | None] = {}
        self._null_lock = threading.Lock()
        self._acronyms: dict[str, acronyms.AcronymTable | None] = {}  # the current generation's (``acronym_table``)
        self._acronym_lock = threading.Lock()
        #: Where the generations live (``DOCBOT_STORE``): local folders or Milvus collections.
        self.backend: store_api.StoreBackend = store_api.open_store(settings)

    # ------------------------------------------------------------------ loading
    def load(self) -> "Engine":
        """Load the published index; raises IndexNotFound, IndexDamaged, ModelMismatch or DataDirUnusable (a
        file of it this user may not read), each in one line.

        A damaged published generation is skipped for the newest intact one before it, with a warning
        saying what is damaged; ``reindex`` repairs it.
        """
        with self._load_lock:
            if self._gen is None:  # a file in its place is not "no index yet"
                store.refuse_a_file_as_data_dir(self.settings.data_dir)
            pointer = self.backend.pointer()
            if self._gen is None or pointer != self._pointer:
                published = self.backend.open_published()
                gen = published.generation
                gen.manifest.check_model(self.settings.model)
                if published.problems:
                    self._warn(published.problems, f"answering from {gen.name} until `docbot index` repairs it")
                self._gen, self._pointer = gen, published.pointer
                rarity.use_table(self.settings.data_dir)
                log.info("loaded index %s: %d documents, %d chunks", gen.name, gen.documents, gen.size)
        return self

    def _warn(self, problems: list[str], action: str) -> None:
        """One warning line: the damage not reported yet by this engine, then what is done about it."""
        new = [p for p in problems if p not in self._warned]
        self._warned.update(new)
        log.warning("%s", "; ".join([*new, action]) if new else action)

    @property
    def is_loaded(self) -> bool:
        return self._gen is not None

    def _generation(self) -> Generation:
        """The current generation, switching to a newer one another process published."""
        if self._gen is None or self.backend.pointer() != self._pointer:
            self.load()
        assert self._gen is not None
        return self._gen

    @property
    def uses_onnx_export(self) -> bool:
        """Whether questions are embedded by the ONNX export in the data directory (no model download,
        no torch), rather than by sentence-transformers."""
        return self.settings.query_backend != "torch" and (onnx_dir(self.settings) / "model.onnx").exists()

    def _query_encoder(self) -> Encoder:
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    onnx = onnx_dir(self.settings)
                    if self.uses_onnx_export:
                        self._encoder = OnnxEncoder(
                            onnx, threads=self.settings.query_threads, precision=self.settings.query_precision
                        )
                    else:
                        if self.settings.query_backend == "onnx":
                            log.warning("no ONNX export in %s; using sentence-transformers", onnx)
                        self._encoder = TorchEncoder(self.settings.model, precision="fp32")
        return self._encoder

    def warm_up(self, question: str | None = None) -> threading.Thread | None:
        """Start making the query encoder on another thread, then embed ``question`` with it (its vector
        lands in the question cache, and the session's first run, ~10 ms slower than the next, is done).

        A process that asks one question (``docbot ask``) spends ~0.1 s making the ONNX session and
        ~0.07 s opening the index; much of both happens outside the GIL (ONNX Runtime's session set-up
        and first run, SQLite, numpy's pass over the vectors), so on a second core they overlap. Join
        the returned thread before asking. Nothing is started (None) without the ONNX export: loading
        sentence-transformers may need the checks :func:`embeddings.cli.check_model` makes first. A
        failure here is left for the question itself to raise, in the caller's thread.
        """
        if self._encoder is not None or not self.uses_onnx_export:
            return None

        def work() -> None:
            try:
                if question and question.strip():
                    self.embed_query(question)
                else:
                    self._query_encoder()
            except Exception:  # noqa: BLE001 - the question raises it again where it is reported
                log.debug("warming up the query encoder failed", exc_info=True)

        thread = threading.Thread(target=work, name="docbot-warm-up")
        thread.start()
        return thread

    #: A re-index leaves a core free while questions came in during the last this many seconds.
    QUESTION_WINDOW = 5.0

    def _cores_for_questions(self) -> int:
        """Cores a re-index leaves to questions: one while they are being asked (the bot's event loop
        and its worker threads answer them), none otherwise."""
        return int(time.monotonic() - self._last_question < self.QUESTION_WINDOW)

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector (read-only), from the cache when the same text was asked before."""
        return self._vectors(text)

    def forget_questions(self) -> None:
        """Drop the cached question vectors, so that a benchmark asking the same questions again times
        the embedding too."""
        self._vectors.clear()

    def _embed_uncached(self, text: str) -> np.ndarray:
        vector = self._query_encoder().encode([text])[0]
        vector.setflags(write=False)  # shared by every caller of the cache
        return vector

    # ------------------------------------------------------------------ queries
    def _checked_request(
        self, text: str, doc_ids: list[str] | None, since: date | None = None, until: date | None = None,
        mode: object = "hybrid", history: Sequence[object] = (),
    ) -> tuple[Generation, list[str]]:
        """The generation to answer from, once the request is known to make sense, and the ids of the
        documents ``doc_ids`` name (``_position``: "faq.md" is FAQ.md).

        A blank question would be answered "not covered", and an unknown document filter or dates no
        document is dated within would silently match nothing, all misleading: say what is wrong
        instead (InvalidRequest for the text, the arguments' shapes and the dates, SourceNotFound naming
        the document).
        """
        _check_arguments(doc_ids, since, until, mode, history)
        if not text or not text.strip():
            raise InvalidRequest("the question is empty: ask something")
        if not is_text(text):
            raise InvalidRequest("the question holds bytes that are not UTF-8 text: is the terminal's "
                                 "encoding UTF-8?")
        if since and until and since > until:
            raise InvalidRequest(f"no day is both on or after {since} and on or before {until}: swap them")
        gen = self._generation()
        positions = [_position(gen, doc_id) for doc_id in doc_ids or ()]
        if (since or until) and gen.size:
            _check_dated(gen, positions, since, until)
        return gen, [gen.doc_id(p) for p in positions]

    def _query(
        self, gen: Generation, text: str, clock: "_Stopwatch | None" = None, asked_on: date | None = None,
        expands: dict[str, tuple[str, ...]] | None = None,
    ) -> evidence.Query:
        clock = clock or _Stopwatch()
        vector = self.embed_query(text)
        clock.lap("embed")
        query = evidence.Query.make(text, vector, held=gen.corpus_terms, asked_on=asked_on,
                                    extends=gen.terms_starting, expands=expands)
        clock.lap("terms")
        return query

    def _embedder(self) -> ThreadPoolExecutor | None:
        """Threads that search BM25 for questions while the asking thread embeds them; None when the
        process may use one core only, or ``query_overlap`` is off."""
        if self._beside is None and self.settings.query_overlap and available_cores() > 1:
            with self._load_lock:
                if self._beside is None:
                    self._beside = ThreadPoolExecutor(available_cores(), thread_name_prefix="docbot-question")
        return self._beside

    def _first_query(
        self, gen: Generation, text: str, k: int, filters: Filters, mode: Mode, clock: "_Stopwatch",
        asked_on: date | None = None,
    ) -> tuple[evidence.Query, "_Beside | None"]:
        """A question's query and, when another thread searched BM25 for it meanwhile, what it found.

        The embedding (~2.5 ms, in ONNX Runtime, which lets go of the GIL) and BM25 (~1 ms of numpy,
        its terms ~0.2 ms of Python) need nothing of each other, so when a second core is idle they
        run side by side; the results are the same as one after the other (tested). The asking
        thread embeds and another searches BM25, not the other way round: measured in one process,
        question by question (README, Speed), ONNX Runtime's pass took ~15% longer on a thread that
        had just been woken on the other core, which ate the overlap (1.056x one thread's time); the
        other way round it took 0.887x. ``clock`` then times "bm25" as the wait for BM25 after the
        embedding. A question whose vector is cached has nothing to overlap. The other thread also
        gathers the vectors of a recent question's days (``_recent_days``), for their ranking.
        """
        text = without_pervasive(text, gen.pervasive_terms)  # searched without the collection's own subject
        reading = self._read_acronyms(gen, text)  # "CLA" searched as "Contributor License Agreement"
        text, expands = reading.text, reading.expands
        embedder = self._embedder()
        if (embedder is None or mode == "dense" or filters.active or not gen.size or text in self._vectors
                or idle_cores() < 2):
            # Nothing to overlap, or no core to do it on: a thread handing work to another that must
            # wait for a core was 1.17x slower than one thread alone with 7 runnable threads on 2 cores.
            # A filtered question is not overlapped either: its chunk mask would be built here for BM25
            # and again by ``retrieval.search`` for the dense search, which costs what overlapping saves.
            return self._query(gen, text, clock, asked_on, expands), None
        candidates = max(self.settings.candidates, k)

        def lexical() -> tuple[evidence.Query, _Beside]:
            query = evidence.Query.make(text, _NO_VECTOR, held=gen.corpus_terms, asked_on=asked_on,
                                        extends=gen.terms_starting, expands=expands)
            ranking = gen.lexical_search(query.terms, candidates, term_weights=query.term_weights or None,
                                         filters=filters)
            recent = _recent_days(gen, query)
            return query, _Beside(ranking, recent.gathered(gen) if recent is not None else None)

        pending = embedder.submit(lexical)
        vector = self.embed_query(text)
        clock.lap("embed")
        query, found = pending.result()
        clock.lap("bm25")
        return replace(query, vector=vector), found

    def _passages(
        self, gen: Generation, q: evidence.Query, k: int, filters: Filters, mode: Mode,
        prior: dict[int, float] | None = None, clock: "_Stopwatch | None" = None, beside: "_Beside | None" = None,
        *, measuring_null: bool = False,
    ) -> tuple[list[evidence.Passage], list[retrieval.Candidate], dict[int, str]]:
        """Retrieve, score the sentences of the best candidates and re-rank them by that evidence.

        Returns every scored passage, best first (an answer quotes from all of them: the sentence
        that answers may sit in a document's third chunk), the fused candidates below the scoring
        depth (only a result list of more than ``top_k`` passages shows them: see :meth:`_ranked`)
        and the document texts read. ``prior`` weighs documents a conversation already cited (see
        ``retrieval.search``); ``clock`` records how long each stage took; ``beside`` is what
        :meth:`_first_query` found while the question was embedded. ``measuring_null``: for the null profile
        itself, whose raw features do not depend on it (the probabilities are then meaningless).
        """
        s = self.settings
        self._last_question = time.monotonic()
        clock = clock or _Stopwatch()
        recent = beside.recent if beside is not None else _recent_days(gen, q)
        priors = [p for p in (prior, recent) if p]
        fused = retrieval.search(
            gen, q.vector, q.terms, candidates=max(s.candidates, k), rrf_k=s.rrf_k,
            nprobe=s.ivf_nprobe, filters=filters, mode=mode, term_weights=q.term_weights or None, priors=priors,
            lap=clock.lap, bm25=beside.bm25 if beside is not None else None,
        )
        depth = max(s.top_k, k)
        texts = evidence.DocTexts(gen)
        embed = self._query_encoder().encode if s.sentence_vectors == "query" else None
        profile = None if measuring_null else self.null_profile(gen)
        to_score, rest = retrieval.scoring_set(
            fused, lambda c: gen.doc_of(c.chunk), depth=depth, min_docs=s.scored_docs)
        scored = evidence.rerank(
            evidence.score(gen, q, to_score, texts, params=self.evidence_params, embed=embed, null=profile),
            self.evidence_params,
        )
        clock.lap("evidence")
        return scored, rest, texts

    def null_profile(self, gen: Generation) -> null.NullProfile | None:
        """What ``gen``'s best evidence looks like for questions it cannot answer (``embeddings.null``).

        Read from the generation when it was kept there, else measured (139 questions: ~1 s on 98,000
        news passages, ~0.3 s on a few notes) and kept with it. None for an empty index."""
        if gen.name in self._nulls:
            return self._nulls[gen.name]
        with self._null_lock:
            if gen.name in self._nulls:
                return self._nulls[gen.name]
            profile = null.NullProfile.from_dict(gen.read_derived(null.STORED_AS))
            if profile is None and gen.size:
                started = time.perf_counter()
                profile = self._measure_null(gen)
                log.info("measured the null profile of %s in %.2f s: %s", gen.name, time.perf_counter() - started,
                         profile)
                if profile is not None:
                    gen.write_derived(null.STORED_AS, profile.to_dict())
            self._nulls = {gen.name: profile}  # only the current generation's
            return profile

    def acronym_table(self, gen: Generation, *, build: bool = False) -> acronyms.AcronymTable | None:
        """``gen``'s acronyms and the phrases they stand for (``embeddings.acronyms``), read from the record
        kept with it. ``build``: collect it from the documents' texts when it is missing (when an index is
        written: one pass over every text, never at question time); otherwise a generation without it
        reads questions without acronyms."""
        if gen.name in self._acronyms and (self._acronyms[gen.name] is not None or not build):
            return self._acronyms[gen.name]
        with self._acronym_lock:
            table = acronyms.AcronymTable.from_dict(gen.read_derived(acronyms.STORED_AS))
            if table is None and build and gen.size:
                started = time.perf_counter()
                record = acronyms.collect(_all_texts(gen))
                log.info("collected %d acronyms of %s in %.2f s", len(record["phrases"]), gen.name,
                         time.perf_counter() - started)
                gen.write_derived(acronyms.STORED_AS, record)
                table = acronyms.AcronymTable(record)
            self._acronyms = {gen.name: table}  # only the current generation's
            return table

    def _read_acronyms(self, gen: Generation, text: str) -> acronyms.Reading:
        """``text`` as searched with its acronyms read (``acronyms.AcronymTable.reading``); as it is when
        the generation has no acronym table."""
        table = self.acronym_table(gen)
        return table.reading(text, gen.corpus_terms) if table is not None else acronyms.Reading(text)

    def _measure_null(self, gen: Generation) -> null.NullProfile | None:
        """Ask ``gen`` the null questions; the profile of their best sentences' cosine and surprise."""
        vectors = self._query_encoder().encode(list(NULL_QUESTIONS))
        cos: list[float] = []
        surprise: list[float] = []
        for text, vector in zip(NULL_QUESTIONS, vectors):
            q = evidence.Query.make(text, vector, held=gen.corpus_terms, extends=gen.terms_starting)
            scored, _, _ = self._passages(gen, q, self.settings.top_k, Filters(), "hybrid", measuring_null=True)
            best = evidence.best_sentence(scored)
            if best is not None:
                passage, i = best
                cos.append(float(passage.cos[i]))
                surprise.append(passage.surprise)
        return null.NullProfile.of(cos, surprise)

    def _ranked(
        self, gen: Generation, scored: list[evidence.Passage], tail: list[retrieval.Candidate], k: int
    ) -> list[evidence.Passage]:
        """The ``k`` best passages for a result list: the scored ones by their evidence, then the
        unscored tail in fused order, at most ``max_chunks_per_doc`` of a document while others exist."""
        unscored = [evidence.Passage.unscored(c, gen.doc_of(c.chunk)) for c in tail]
        return retrieval.diversify(scored + unscored, lambda p: p.doc, k=k, max_per_doc=self.settings.max_chunks_per_doc)

    @property
    def generation(self) -> Generation:
        """The published index generation, loaded (or switched to a newer one) as needed."""
        return self._generation()

    def passages(self, query: str, *, asked_on: date | datetime | None = None) -> tuple[list[evidence.Passage], dict[int, str]]:
        """The scored passages an answer to ``query`` is built from, best first (every sentence's
        cosine, coverage, score and answer probability), and the document texts they point into.
        For inspection and for measuring (``benchmarks.quality`` re-weighs them with
        ``evidence.apply`` and builds answers with ``answer.build``)."""
        gen, clock = self._generation(), _Stopwatch()
        asked_on = _asked_day(gen, query, asked_on)
        q, beside = self._first_query(gen, query, self.settings.top_k, Filters(), "hybrid", clock, asked_on)
        scored, _, texts = self._passages(gen, q, self.settings.top_k, Filters(), "hybrid", clock=clock, beside=beside)
        return scored, texts

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        doc_ids: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        mode: Mode = "hybrid",
        asked_on: date | datetime | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages, ranked by their best sentence's evidence.

        ``asked_on``: the day the query is asked, which "this week" or "recently" counts back from
        (see :meth:`ask`). Raises InvalidRequest (a ValueError) for a blank query, ``k < 1`` or dates no
        document (of ``doc_ids``) is dated within, and SourceNotFound for an unknown ``doc_ids`` entry,
        rather than returning arbitrary passages or none; :meth:`ask` raises the same.
        """
        if k < 1:
            raise InvalidRequest(f"k must be at least 1, not {k}")
        gen, doc_ids = self._checked_request(query, doc_ids, since, until, mode)
        filters = Filters(tuple(doc_ids or ()), since, until)
        clock = _Stopwatch()
        asked_on = _asked_day(gen, query, asked_on, until)
        q, beside = self._first_query(gen, query, k, filters, mode, clock, asked_on)
        scored, tail, texts = self._passages(gen, q, k, filters, mode, clock=clock, beside=beside)
        passages = self._ranked(gen, scored, tail, k)
        gen.doc_texts([p.doc for p in passages], texts)  # one read for every document shown
        hits = []
        for rank, p in enumerate(passages, 1):
            c, doc, chunk = p.cand, gen.source(p.doc, rank), gen.chunk(p.cand.chunk)
            text = texts[p.doc]
            hits.append(Hit(
                rank=rank, score=round(p.passage_score, 6), dense=round(c.dense, 4), doc_id=doc.doc_id,
                chunk=chunk.ord, start=chunk.start, end=chunk.end, text=text[chunk.start:chunk.end],
                title=doc.title, date=doc.date, url=doc.url, page=gen.page(p.doc, chunk.start),
            ))
        return hits

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        doc_ids: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        mode: Mode = "hybrid",
        asked_on: date | datetime | None = None,
    ) -> Answer:
        """Quoted, cited excerpts that answer ``question``, or a plain "not covered".

        ``history`` holds the earlier turns of the conversation the question is asked in, oldest first
        (``Turn.of(answer)`` for each earlier answer): a follow-up such as "and what did Lavrov say?" is
        then read with them, and a question on a new topic on its own (see ``embeddings.conversation``).
        ``asked_on`` is the day (or the time) the question is asked (the bot passes its message's): a
        question about "this week" or "recently" prefers the documents dated in those days before it,
        or before the newest date it can see (the collection's, ``until``) when that is older than
        those days (``embeddings.recency``); None reads them back from the newest candidate.
        ``answer.follow_up`` says how it was read; ``answer.timings_ms`` where the time went. A question that
        ``since``/``until`` leave unanswered and an undated document answers says so in its message (a date
        filter leaves undated documents out: "not covered" sent the asker away from the answer).
        """
        clock = _Stopwatch()
        history = tuple(history or ())  # None is no history; a generator is read once, here
        gen, doc_ids = self._checked_request(question, doc_ids, since, until, mode, history)
        filters = Filters(tuple(doc_ids or ()), since, until)
        asked_on = _asked_day(gen, question, asked_on, until)
        reading = conversation.resolve(question, history)
        result: Answer | None = None
        if not reading.uses_context:
            q, beside = self._first_query(gen, question, self.settings.top_k, filters, mode, clock, asked_on)
            scored, _, texts = self._passages(gen, q, self.settings.top_k, filters, mode, clock=clock, beside=beside)
            result = self._build(question, gen, scored, texts)
            if reading.kind == "open" and (not result.answered or reading.touches(
                gen.doc_id(p.doc) for p in scored if p.p.size and p.p.max() >= self.settings.min_evidence
            )):
                reading, result = reading.continuing(), None  # it goes on with the conversation
        if result is None:
            result = self._follow_up(gen, reading, filters, mode, clock, asked_on)
        if not result.answered and (since or until) and len(gen.dated_within(None, None)) < gen.documents:
            unfiltered = self.ask(question, history=history, doc_ids=doc_ids, mode=mode, asked_on=asked_on)
            result.message = _left_out_undated(unfiltered, since, until) or result.message
        clock.lap("answer")
        result.follow_up = reading.described()
        result.elapsed_ms = round(clock.total_ms, 2)
        result.timings_ms = {stage: round(ms, 3) for stage, ms in clock.stages.items()}
        return result

    def _build(
        self, question: str, gen: Generation, scored: list[evidence.Passage], texts: dict[int, str],
        min_evidence: float | None = None,
    ) -> Answer:
        return answer_builder.build(
            question, gen, scored, texts,
            min_evidence=self.settings.min_evidence if min_evidence is None else min_evidence,
            max_excerpts=self.settings.max_excerpts, params=self.evidence_params,
        )

    def _follow_up(
        self, gen: Generation, reading: conversation.Resolution, filters: Filters, mode: Mode,
        clock: "_Stopwatch | None" = None, asked_on: date | None = None,
    ) -> Answer:
        """Answer a question read with its conversation: its topic's questions and cited documents
        weigh in, a source it names is the one quoted, and a request for more quotes something new."""
        clock = clock or _Stopwatch()
        if reading.focus is not None and not filters.doc_ids and (focus := gen.position(reading.focus)) is not None:
            filters = replace(filters, doc_ids=(reading.focus,))
            if filters.since or filters.until:  # the source named may lie outside the dates asked about
                _check_dated(gen, [focus], filters.since, filters.until)
        # Each text through the cache: the topic's earlier questions were embedded when they were asked.
        query = conversation.blended_query(
            reading, lambda texts: np.stack([self.embed_query(t) for t in texts]), held=gen.corpus_terms,
            extends=gen.terms_starting, asked_on=asked_on,
            searched=lambda t: self._read_acronyms(gen, without_pervasive(t, gen.pervasive_terms)).text)
        clock.lap("embed")
        prior = {pos: conversation.DECAY for d in reading.cited if (pos := gen.position(d)) is not None}
        scored, _, texts = self._passages(gen, query, self.settings.top_k, filters, mode, prior=prior, clock=clock)
        conversation.forget_quoted(scored, gen.doc_id, reading.quoted, self.evidence_params)
        reads_on = reading.reads_on and filters.doc_ids == (reading.focus,)
        return self._build(reading.question, gen, evidence.rerank(scored, self.evidence_params), texts,
                           0.0 if reads_on else None)

    # ------------------------------------------------------------------ sources
    def sources(self) -> list[DocumentInfo]:
        """Every indexed document, newest first (undated last), then by title, each naming its source."""
        gen = self._generation()
        return self._listing(gen, self._source_table(gen))

    def _listing(self, gen: Generation, table: SourceTable) -> list[DocumentInfo]:
        """Every document of ``gen``, newest first (undated last), then by title."""
        return _newest_first(self._documents(gen, table, range(gen.documents)))

    def collection(self, *, recorded_if_damaged: bool = False) -> CollectionInfo:
        """The folders and files the index is built from (its sources), and its documents (as ``sources``).

        ``recorded_if_damaged``: when no generation can be read (IndexDamaged), what the damaged index still
        records instead, with ``damaged`` saying why (`docbot sources`: what a rebuild starts from)."""
        try:
            gen = self._generation()
        except IndexDamaged as exc:
            if not recorded_if_damaged or exc.record is None:
                raise
            return self._recorded_collection(exc.record, str(exc))
        table = self._source_table(gen)
        return _collection(table, self._listing(gen, table))

    def _recorded_collection(self, found: store.Salvaged, why: str) -> CollectionInfo:
        """What a wholly damaged index's record (``found``) lists: its sources and documents, none readable."""
        table = self._recorded_table(found)
        documents = []
        for doc_id, title, day, url, chunks in found.documents:
            entry = table.source_of(doc_id)
            documents.append(DocumentInfo(doc_id=doc_id, title=title, date=date.fromisoformat(day) if day else None,
                                          url=url, chunks=chunks, chars=None,
                                          source=str(entry.path) if entry is not None else None))
        return _collection(table, _newest_first(documents), damaged=why)

    @staticmethod
    def _documents(gen: Generation, table: SourceTable, positions: Iterable[int]) -> list[DocumentInfo]:
        """The documents at these positions as ``sources`` lists them, each naming its source."""
        infos = []
        for pos in positions:
            info = gen.doc_info(pos)
            entry = table.source_of(info.doc_id)
            info.source = str(entry.path) if entry is not None else None
            infos.append(info)
        return infos

    def source(self, ref: str | ChunkRef, *, context: int = 1) -> SourceView:
        """A document in full (``doc_id``), or one chunk with ``context`` neighbours (``doc_id#N``).

        A ``ChunkRef`` is taken as it is; a string is parsed against the indexed ids, so a document
        whose name contains ``#`` (``notes#1.md``) is found as itself.
        """
        gen = self._generation()
        if not isinstance(ref, ChunkRef):
            typed, ref = ref, ChunkRef.parse(ref, gen)
            head, hash_, tail = typed.strip().rpartition("#")
            if ref.doc_id not in gen and hash_ and head in gen:
                # DOC#-1, DOC#x: a document that exists, a chunk that does not. "no document 'DOC#-1'" sent
                # the user looking for the document, as DOC#99 ("there is no chunk '99'") did not.
                raise _no_chunk(head, len(gen.doc_chunks(_position(gen, head))), tail)
        pos = _position(gen, ref.doc_id)
        ref = ChunkRef(gen.doc_id(pos), ref.chunk)  # "faq.md" typed, FAQ.md indexed
        text = gen.doc_text(pos)
        views = [ChunkView(chunk=c.ord, start=c.start, end=c.end, text=text[c.start : c.end],
                           page=gen.page(pos, c.start)) for c in gen.doc_chunks(pos)]
        n = len(views)
        document = self._documents(gen, self._source_table(gen), [pos])[0]  # naming its source, as `sources` does
        if ref.chunk is None:
            return SourceView(document=document, text=text, chunks=views)
        if not 0 <= ref.chunk < n:
            raise _no_chunk(ref.doc_id, n, str(ref.chunk))
        focus = ref.chunk
        lo, hi = max(0, focus - context), min(n - 1, focus + context)
        return SourceView(
            document=document,
            text=text[views[lo].start : views[hi].end],
            focus=focus,
            page=views[focus].page,
            chunks=views[lo : hi + 1],
        )

    def stats(self) -> IndexStats:
        gen = self._generation()
        return IndexStats(
            documents=gen.documents, chunks=gen.size, model=gen.manifest.model,
            dimension=gen.manifest.dimension, index_type=gen.manifest.index_type,
            size_bytes=gen.size_bytes(), indexed_at=gen.indexed_at, data_dir=self.backend.location,
        )

    def verify(self) -> store.Verification:
        """Check every generation on disk in full (sizes, SHA-256 of every file, counts), and CURRENT.

        Reads every byte of the index, so it is for ``stats --verify`` and diagnosis, not every query.
        """
        return self.backend.verify()

    # ------------------------------------------------------------------ indexing
    @contextmanager
    def _change(self) -> Iterator[None]:
        """Hold the backend's re-index lock for one change (ReindexInProgress when it is taken).

        Every change to the index or the documents folder goes through here first, so a refused
        request has touched nothing. The backend's lock holds across threads and processes (a file lock,
        or for Milvus a PostgreSQL advisory lock: see ``StoreBackend.lock``).
        """
        with self.backend.lock():
            self._changing = True
            try:
                yield
            finally:
                self._changing = False

    def index(
        self, paths: Sequence[Path] | None = None, *, prune: bool = False, progress: ProgressCallback | None = None
    ) -> IndexReport:
        """Add ``paths`` (folders or files) to the index's sources and update them; without paths, update
        every source (an index without sources starts from the documents folder). Swaps atomically when done.

        Files deleted from a source folder leave the index, but an update that would remove more than half
        of it raises RemovalRefused unless ``prune``. A path or source that does not exist raises
        PathNotFound. Either way nothing was changed. The rules are in ``embeddings.sources``.
        """
        paths = _named(paths, "path")
        with self._change():
            return self._apply(lambda table, previous: sources.plan_update(table, paths, self.settings, prune=prune),
                               progress)

    def reindex(
        self, paths: Sequence[Path] | None = None, progress: ProgressCallback | None = None, *, prune: bool = False
    ) -> IndexReport:
        """The same as :meth:`index` (the name the bot's ``/reindex`` goes by)."""
        return self.index(paths, prune=prune, progress=progress)

    def remove(self, targets: Sequence[str | Path], *, progress: ProgressCallback | None = None) -> IndexReport:
        """Remove from the index: documents (by id), sources (by path, with their documents), or a file or
        folder inside a folder source (by path), which stays out of later updates. Files are not touched.

        All or nothing: a target that is none of these raises SourceNotFound and nothing is removed.
        """
        targets = _named(targets, "target") or []
        with self._change():
            return self._apply(lambda table, previous: sources.plan_removal(table, targets), progress,
                               need_index=True)

    def _apply(
        self,
        make_plan: Callable[[SourceTable, Generation | None], sources.Plan],
        progress: ProgressCallback | None,
        *,
        need_index: bool = False,
    ) -> IndexReport:
        """Plan one change against the current index and carry it out; the caller holds the lock.

        The plan is made first, so a refused change (a missing path, the removal guard, an unknown
        target) has touched nothing. The generation to build on is checked in full (checksums). A damaged
        one never stops the run: the newest intact generation is reused instead, or everything is
        embedded again, and a new generation is published even when nothing changed, which repairs it.
        """
        self.backend.sweep_unfinished()
        try:
            update = self.backend.open_for_update()
        except IndexNotFound:  # written by another version of docbot: start over
            update = store.Update(None, [], set())
        previous, problems, damaged = update.previous, update.problems, update.damaged
        if previous is None and need_index:
            raise IndexNotFound(f"no index in {self.backend.location} yet: nothing to remove")
        table = self._source_table(previous) if previous is not None else self._salvaged_table(update)
        plan = make_plan(table, previous)
        if problems:
            reuse = (f"reusing the intact vectors of {previous.name}" if previous is not None
                     else "no generation is intact: embedding everything again"
                     + (f" from the sources recorded in {update.salvaged.name}" if update.salvaged else ""))
            self._warn(problems, f"repairing the index: rebuilding it from the documents ({reuse})")
        if self._indexer is None:
            from .indexer import Indexer

            self._indexer = Indexer(self.settings, reserve=self._cores_for_questions, backend=self.backend)
        report = self._indexer.run(plan, previous, progress, repair=bool(problems))
        if report.published:
            try:
                self.backend.sweep_superseded(previous.name if previous is not None else None, damaged)
                self._gen = None  # load the new generation, even if CURRENT reads as before
                self.load()
                if self._gen is not None:
                    self.null_profile(self._gen)  # measured now, so the first question does not wait for it
                    self.acronym_table(self._gen, build=True)
                    entries.dated_by_entries(self._gen)  # likewise (every dated document's text read: ~0.6 s on news)
            except BaseException as exc:  # Ctrl-C here stops what follows the change, not the change
                mark_published(exc)
                raise
        elif previous is not None:
            self.acronym_table(previous, build=True)  # an index written before acronyms were collected
            entries.dated_by_entries(previous)  # or before documents were dated by their entries
        return report

    def _salvaged_table(self, update: store.Update) -> SourceTable:
        """The sources to rebuild from when no generation is intact.

        A damaged index is not an empty one: its sources are read from the newest damaged generation
        that still records them (before the rebuild sweeps it). Only an index that never was starts
        from the documents folder; one whose record is lost entirely is ``lost`` (name the folders).
        """
        if update.salvaged is not None:
            return self._recorded_table(update.salvaged)
        return SourceTable(recorded=False, lost=bool(update.damaged))

    def _recorded_table(self, found: store.Salvaged) -> SourceTable:
        """The sources a damaged generation's record holds: as recorded, or derived from its documents' paths."""
        if found.sources is not None:
            return found.sources
        return sources.derive(found.doc_ids, found.paths, self.settings)

    def _source_table(self, gen: Generation) -> SourceTable:
        """The generation's sources: as recorded, or derived from its documents' paths (older indexes)."""
        if gen.source_table is not None:
            return gen.source_table
        derived = self._derived.get(gen.name)
        if derived is None:
            derived = sources.derive([gen.doc_id(i) for i in range(gen.documents)],
                                     [gen.doc_path(i) for i in range(gen.documents)], self.settings)
            self._derived = {gen.name: derived}
        return derived

    @property
    def reindexing(self) -> bool:
        """Whether this engine is changing the index now (another process's run shows as ReindexInProgress)."""
        return self._changing

    def add_document(
        self,
        filename: str,
        data: bytes,
        *,
        max_bytes: int,
        replace: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Validate an upload, save it into the uploads folder (a source of the index) and index it.

        A name that is taken (a file of that name in the uploads folder, or an indexed document that has
        the id the upload would get) raises DuplicateDocument unless ``replace``; then the report's
        ``replaced`` names the document replaced. A document of another source replaced this way is
        removed from that source (its file is left alone). The file keeps its extension.
        """
        uploads = self.settings.uploads_folder
        replaced: list[DocumentInfo] = []
        saved: list[tuple[Path, bytes | None]] = []  # the file written, and what it held before (None: new)

        def plan(table: SourceTable, previous: Generation | None) -> sources.Plan:
            name = safe_filename(filename)
            target = uploads.resolve() / name
            doc_id = sources.upload_conflict(table, uploads, name)
            existing = None
            if previous is not None and doc_id is not None:
                existing = self._documents(previous, table, [_position(previous, doc_id)])[0]
            if (existing is not None or target.exists()) and not replace:
                raise DuplicateDocument(_duplicate(filename, name, existing), name=name, doc_id=doc_id,
                                        title=existing.title if existing else None)
            start = table
            if existing is not None and table.members[existing.doc_id] != table.owner(target):
                table = sources.plan_removal(table, [existing.doc_id]).table  # another file: it leaves its source
            if uploads.exists():  # the guard and a missing source refuse before anything is written
                sources.plan_update(table, [uploads], self.settings)
            before = target.read_bytes() if replace and target.is_file() else None
            save_upload(uploads, filename, data, max_bytes=max_bytes, max_chars=self.settings.max_document_chars)
            saved.append((target, before))
            replaced.extend([existing] if existing is not None else [])
            update = sources.plan_update(table, [uploads, target], self.settings)
            update.before = start
            return update

        with self._change():
            indexed = False  # whether the new index, which holds the upload, was published
            try:
                report = self._apply(plan, progress)
                indexed = True
            except BaseException as exc:
                # Not indexed (a full disk, a crash, Ctrl-C): the folder is put back as it was, so that the
                # same upload can be tried again and no later re-index picks up a file nobody was told of.
                # Once the new index is published the file is in it, and stays.
                indexed = published_before(exc)
                if not indexed:
                    for file, before in saved:
                        _put_back(file, before)
                raise
            finally:
                if indexed:
                    for file, _ in saved:
                        record_upload(file.parent, file.name, data)
        report.replaced = replaced
        return report

    def remove_document(self, doc_id: str, *, progress: ProgressCallback | None = None) -> IndexReport:
        """Remove one document (see :meth:`remove`). An uploaded one is deleted from the uploads folder
        too, once the index without it is published, so that uploading it again starts afresh."""
        uploads = self.settings.uploads_folder.resolve()
        # Uploads kept apart from the documents folder are all uploads (those of versions that kept no record too).
        apart = uploads != self.settings.docs_dir.resolve()
        uploaded: list[Path] = []
        kept: list[Path] = []

        def plan(table: SourceTable, previous: Generation | None) -> sources.Plan:
            if doc_id not in table.members:
                # Removal deletes an uploaded file: a name it may mean is asked about, never taken for it.
                raise SourceNotFound(missing=doc_id, suggestions=_meant(doc_id, list(table.members)))
            i, rel = table.members[doc_id]
            entry = table.entries[i]
            removal = sources.plan_removal(table, [doc_id])
            file = entry.path / rel if entry.kind == "folder" else entry.path
            if uploads in file.parents:
                if apart or uploaded_here(uploads, file):
                    uploaded.append(file)
                    if entry.kind == "folder":  # the file goes: nothing needs keeping out of the folder
                        entries = list(removal.table.entries)
                        entries[i] = entries[i].including(rel)[0]
                        removal.table = dataclasses.replace(removal.table, entries=tuple(entries))
                else:
                    kept.append(file)  # the operator's own file in the documents folder: left alone
            return removal

        with self._change():
            report = self._apply(plan, progress, need_index=True)
            for file in uploaded:
                file.unlink(missing_ok=True)
                forget_upload(uploads, file.name)
        report.notes.extend(f"{file.name} was not uploaded with /add-document, so its file stays on disk; "
                            "the index leaves it out" for file in kept)
        return report


def _put_back(file: Path, before: bytes | None) -> None:
    """Undo an upload's save: the file's earlier bytes written back, or the new file deleted."""
    try:
        if before is None:
            file.unlink(missing_ok=True)
        else:
            file.write_bytes(before)
    except OSError:
        log.exception("could not put back %s after a failed upload", file)


def _named(items: Sequence[str | Path] | str | Path | None, what: str) -> list[Path | str] | None:
    """``items`` (paths to index, or targets to remove: ``what`` says which) as a list, each a Path or a
    target string, refusing what names nothing (InvalidRequest).

    One path or target given alone (``index("notes")``, ``remove("faq.md")``) is a list of one, not of its
    letters; a path given as a string is a path. A blank string is refused: ``Path("")`` is the current
    folder, so ``index([""])`` (an unset shell variable) would make it a source and ``remove([""])`` drop
    the source it is in. (A ``Path("")`` is ``Path(".")`` already and cannot be told from it.)
    """
    if items is None:
        return None
    if isinstance(items, (str, Path)):
        items = [items]
    out: list[Path | str] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            raise InvalidRequest(f"{what}s takes paths or names, not {type(item).__name__} ({item!r})")
        if isinstance(item, str) and not item.strip():
            raise InvalidRequest(f"an empty {what} names nothing: name a folder, a file or a document")
        out.append(Path(item) if what == "path" and isinstance(item, str) else item)
    return out


_MODES = get_args(Mode)  # "hybrid", "dense", "bm25"


def _check_arguments(doc_ids: object, since: object, until: object, mode: object, history: object = ()) -> None:
    """Refuse a library call's misshapen arguments in words (InvalidRequest), not with an AttributeError
    from deep inside or a silent "not covered": ``doc_ids="faq.md"`` filtered by its letters, a date
    given as a string, ``mode="Dense"`` searched nothing, an ``Answer`` in ``history`` instead of a Turn."""
    if isinstance(doc_ids, str):
        raise InvalidRequest(f"doc_ids takes a list of document ids, not one string: doc_ids=[{doc_ids!r}]")
    for name, day in (("since", since), ("until", until)):
        if day is not None and not isinstance(day, date):
            raise InvalidRequest(f"{name} takes a datetime.date, not {day!r} ({type(day).__name__})")
    if mode not in _MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if isinstance(history, (str, bytes)) or any(not isinstance(t, Turn) for t in history):  # type: ignore[attr-defined]
        raise InvalidRequest("history takes the earlier turns as Turn objects, oldest first: Turn.of(answer)")


def _duplicate(filename: str, name: str, existing: DocumentInfo | None) -> str:
    """Why an upload's name is refused, and what to do instead."""
    saved = (f"would be saved as {name} (letters, digits, '.', '_' and '-' are kept as they are), but "
             if name != filename else "")
    if existing is not None:
        return (f"{filename}: {saved}a document named {existing.doc_id} is already indexed (“{existing.title}”); "
                "add it with replace to replace that document, or rename the file")
    return (f"{filename}: {saved}a file named {name} is already in the uploads folder; add it with replace to "
            "overwrite it, or rename the file")
