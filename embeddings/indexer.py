"""Incremental indexing: carry out a plan (``sources.Plan``), embedding only what changed.

The plan names the files to read, the documents to carry over and those that leave. Documents read
are compared with the previous generation by content hash. New and changed documents are chunked and
embedded; unchanged ones keep their chunks and vectors; removed ones are dropped.
The result is written as a new generation and published atomically (see ``store``), so readers
keep using the previous one until the switch and a crash never leaves a broken index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store
from .chunking import approximate_token_counts, chunk_text, chunked_alike, embedded_texts
from .cpu import ThreadBudget
from .documents import Document, read_file, shown
from .encoder import TokenCounter, TorchEncoder, export_current, onnx_dir, resolve_model  # noqa: F401 (onnx_dir: its old home)
from .errors import DocumentRejected, ModelNotInstalled, mark_published
from .formats import supported_list
from .lexical import LEXICAL_VERSION
from .models import IndexProgress, IndexReport
from .ov_forward import ir_path
from .sentences import headings, layout, quotable_sentences
from .settings import EngineSettings
from .sources import Plan, SourceTable
from .store_api import IndexView, StoreBackend, index_family, open_store

log = logging.getLogger(__name__)

ProgressCallback = Callable[[IndexProgress], None]


def _same_title(previous: IndexView | None, doc: Document) -> bool:
    """Whether ``doc`` is titled as the previous generation titled it. The title is embedded with every chunk
    (``chunking.embedded_text``), so a file whose text is unchanged but that a newer reader titles otherwise
    (a web page's ``<title>``, a Word file's header: ``formats.named``) is embedded again."""
    pos = previous.position(doc.doc_id) if previous is not None else None
    return pos is None or previous.title(pos) == doc.title  # type: ignore[union-attr]


def _same_date(previous: IndexView | None, doc: Document) -> bool:
    """Whether ``doc`` is dated as the previous generation dated it. A date is no part of what is embedded, so a
    file whose text is unchanged but that a newer reader dates otherwise (from its name: ``documents.date_from_name``)
    keeps its vectors, and only the new generation records the date (``ask --since`` reads it there)."""
    pos = previous.position(doc.doc_id) if previous is not None else None
    return pos is None or previous.doc_date(pos) == doc.date  # type: ignore[union-attr]


def _reuse(previous: IndexView | None, doc: Document) -> store.DocumentChunks:
    """An unchanged document's chunks and vectors, taken from the previous generation."""
    assert previous is not None
    pos = previous.position(doc.doc_id)
    assert pos is not None
    return previous.document_chunks(pos, doc)


@dataclass
class _Plan:
    """Documents to embed, chunked: per document its spans and per-chunk sentences; per chunk the
    text to embed and its sentences' offsets into that text."""

    docs: list[Document]
    spans: list[list[tuple[int, int]]] = field(default_factory=list)
    sentences: list[list[list[tuple[int, int, int]]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    sentence_offsets: list[list[tuple[int, int]]] = field(default_factory=list)


def chunk_document(
    doc: Document, settings: EngineSettings, count: Callable[[list[str]], list[int]] = approximate_token_counts
) -> list[tuple[int, int]]:
    """The chunks of ``doc`` as ``(start, end)`` offsets: sentences packed to the settings' token budget.

    No chunk crosses a page break (so ``source DOC#N`` names the page of what it shows) or a Markdown
    heading: a chunk of an FAQ holds one question's answer, not the end of one and the start of the
    next ("Who answers questions in #help?" sharing a chunk with face recognition and library sizes
    made the answer's chunk look unrelated to "Who leads support?"). Only headings the author marked
    up count: the plain-text ones ``sentences.headings`` also finds by their capitals are a guess, and
    in news they are mostly credits and speakers ("USA TODAY", "AP", "PENCE"), where cutting there
    cost news2022 answers (README, Answer quality). A document without them is chunked as before.
    """
    breaks = {start for _, start in doc.pages}.union(_section_starts(doc.text))
    return [(s.start, s.end) for s in chunk_text(
        doc.text, max_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens,
        count_tokens=count, breaks=sorted(breaks),
    )]


def _section_starts(text: str) -> list[int]:
    """Where the sections of ``text`` begin: its headings, except one right below a heading with no text
    of its own ("# Orbit FAQ" then "## Is Orbit free?"), which stays with it (a chunk of a bare heading
    holds nothing to quote)."""
    starts: list[int] = []
    previous_end = -1
    underlined = layout(text).headings
    for start in headings(text, plain=False)[0]:
        if previous_end < 0 or text[previous_end:start].strip():
            starts.append(start)
        line_end = text.find("\n", start)
        if line_end >= 0 and text.rfind("\n", 0, start) + 1 in underlined:  # "Orbit FAQ" and its "====="
            line_end = text.find("\n", line_end + 1)
        previous_end = len(text) if line_end < 0 else line_end
    return starts


def _refuse_unreadable_paths(plan: Plan, held: set[int], report: IndexReport) -> None:
    """Refuse a change whose named paths (``docbot index PATH``) gave no document, because files failed to read.

    ``docbot index junk.docx`` said "skipped" and exited 0, and recorded junk.docx as a source of 0
    documents. Nothing is published: the index stays as it was, without those sources. A folder named
    that holds no document (empty, or what its walk passed over: a symbolic link, a hidden name) is
    still recorded, as before: documents may be put in it later.
    """
    unread = report.skipped[len(plan.skipped):]  # after the walk's own skips: the files that failed to read
    if not plan.named or not unread:
        return
    if held.intersection(plan.named):
        return
    reasons = "; ".join(unread[:3]) + (f"; and {len(unread) - 3} more" if len(unread) > 3 else "")
    raise DocumentRejected(f"nothing readable to index: {reasons}; nothing was changed")


def _unread_files_left_out(plan: Plan, sources: SourceTable, held: set[int]) -> SourceTable:
    """``sources`` without the files named to be added (``docbot index good.md junk.docx``) that gave no
    document: junk.docx, skipped as unreadable, was recorded as a source of 0 documents beside good.md.
    ``held``: the sources (positions) that gave a document."""
    known = {entry.path for entry in plan.before.entries}
    unread = [i for i in plan.named if sources.entries[i].kind == "file" and i not in held
              and sources.entries[i].path not in known]
    return sources.without(unread) if unread else sources


class Indexer:
    """Builds generations. Holds the torch encoder once loaded, so later runs start faster."""

    def __init__(
        self, settings: EngineSettings, *, encoder: TorchEncoder | None = None,
        reserve: Callable[[], int] = lambda: 0, backend: StoreBackend | None = None,
    ) -> None:
        """``encoder`` embeds the chunks (default: sentence-transformers, loaded on first use);
        ``reserve()`` is how many cores to leave free for the next batch (the engine leaves one
        while it answers questions); ``backend`` is where generations are published (default: the one
        ``settings.store`` names)."""
        self.settings = settings
        self.backend = backend if backend is not None else open_store(settings)
        self._encoder: TorchEncoder | None = encoder
        self.threads = ThreadBudget(settings.embed_threads, reserve)

    @property
    def encoder(self) -> TorchEncoder:
        if self._encoder is None:
            self._encoder = TorchEncoder(self.settings.model, precision=self.settings.embed_precision,
                                         backend=self.settings.embed_backend)
        return self._encoder

    def _token_counter(self) -> Callable[[list[str]], list[int]]:
        path = self.encoder.tokenizer_path
        if path is None:
            log.warning("no tokenizer.json for %s; chunk sizes are estimated", self.settings.model)
            return approximate_token_counts
        return TokenCounter(path)

    def run(
        self,
        plan: Plan,
        previous: IndexView | None,
        progress: ProgressCallback | None = None,
        *,
        repair: bool = False,
    ) -> IndexReport:
        """Carry out ``plan`` against ``previous``; publishes a new generation when anything changed.

        The caller holds the re-index lock (``StoreBackend.lock``). Anything changed: a document, or
        the sources (a source added or removed, or recorded for the first time). ``repair`` publishes a
        new generation even when nothing changed: the published one was found damaged. ``previous``
        may lack its FAISS index (it was damaged); it is rebuilt from the vectors.
        """
        started = time.perf_counter()
        emit = progress or (lambda p: None)
        settings = self.settings
        if previous is not None:
            previous.manifest.check_model(settings.model)
        report = IndexReport(skipped=list(plan.skipped), notes=list(plan.notes))
        docs = self._read(plan, previous, report, emit)
        held = {plan.table.members[d.doc_id][0] for d in docs}  # the sources that gave a document
        _refuse_unreadable_paths(plan, held, report)
        to_embed = self._classify(docs, previous, report)
        sources = _unread_files_left_out(plan, plan.table.restricted(d.doc_id for d in docs), held)
        total = len(docs)
        changed = report.added or report.changed or report.removed or sources != plan.before
        relaid = not changed and not repair and self._index_outdated(previous, report)
        export_tried = False  # a failed export is tried (and reported) once per run
        if previous is not None and not (changed or repair or relaid):
            report.chunks_total = previous.size
            previous.ensure_sentence_terms()  # an index written before they were stored
        else:
            if to_embed:
                # Loading the model, and on a data directory's first index exporting it for questions (and
                # converting it for OpenVINO), takes ~15 s with nothing else to report: say what it is.
                emit(IndexProgress(stage="prepare", documents_done=total, documents_total=total))
            chunked = self._chunk(to_embed)
            self._ensure_space(chunked, docs, previous)
            if to_embed and self.settings.embed_backend != "torch":
                # The export questions need anyway is what OpenVINO embeds the chunks with: made first.
                self._ensure_onnx()
                export_tried = True
                self.encoder.use_export(onnx_dir(settings) / "model.onnx")
            embedded = self._embed(chunked, emit, total) if to_embed else {}
            items = [embedded.get(doc.doc_id) or _reuse(previous, doc) for doc in docs]
            report.chunks_embedded = sum(len(item.spans) for item in embedded.values())
            report.chunks_total = sum(len(i.spans) for i in items)
            emit(IndexProgress(stage="write", documents_done=total, documents_total=total,
                               chunks_done=report.chunks_total, chunks_total=report.chunks_total))
            self.backend.publish(
                items,
                build=store.BuildSettings(
                    model=settings.model,
                    dimension=self._dimension(previous, to_embed),
                    chunk_tokens=settings.chunk_tokens,
                    chunk_overlap_tokens=settings.chunk_overlap_tokens,
                ),
                exact_max=settings.exact_search_max_chunks,
                previous=previous,
                sources=sources,
            )
            report.published = True
        try:
            if not export_tried:
                self._ensure_onnx()
            _ensure_word_table(settings.data_dir)
        except BaseException as exc:  # Ctrl-C here stops what follows the change, not the change
            if report.published:
                mark_published(exc)
            raise
        report.seconds = time.perf_counter() - started
        emit(IndexProgress(stage="done", documents_done=total, documents_total=total,
                           chunks_done=report.chunks_total, chunks_total=report.chunks_total))
        return report

    def _index_outdated(self, previous: IndexView | None, report: IndexReport) -> bool:
        """Whether the published generation's search indexes are not what this docbot writes: a vector index
        of another kind than the settings now ask for (``DOCBOT_DENSE_INDEX``, ``DOCBOT_IVF_ENCODING``,
        ``DOCBOT_EXACT_SEARCH_MAX_CHUNKS``, or a new default), or BM25 and sentence terms of another tokenizer
        (``lexical.LEXICAL_VERSION``). Then they are written again from the stored chunks and vectors, nothing
        embedded, and the report says why. Without this a changed setting waited for a document to change,
        and an index made before "2.4.1" and "request_timeout" were read as words kept missing them."""
        if previous is None:
            return False
        outdated = False
        have = index_family(previous.manifest.index_type)
        want = index_family(self.backend.planned_index(previous.size, self.settings.exact_search_max_chunks))
        if have != want:
            log.info("the index is %s, the settings ask for %s: writing it again", have, want)
            report.notes.append(f"the vector index was {have} and the settings ask for {want}: the index is "
                                "written again from its vectors (nothing embedded)")
            outdated = True
        if previous.manifest.lexical != LEXICAL_VERSION:
            log.info("the BM25 index was written by tokenizer %d, this docbot's is %d: writing it again",
                     previous.manifest.lexical, LEXICAL_VERSION)
            report.notes.append("this version of docbot reads words differently (versions such as 2.4.1 and names "
                                "such as request_timeout): the keyword (BM25) index is written again from the stored "
                                "chunks (nothing embedded)")
            outdated = True
        return outdated

    def _dimension(self, previous: IndexView | None, to_embed: list[Document]) -> int:
        """The vectors' dimension, without loading the model when nothing is embedded (a removal, or
        sources recorded for the first time)."""
        if previous is not None and not to_embed:
            return previous.manifest.dimension
        return self.encoder.dimension

    def _read(
        self,
        plan: Plan,
        previous: IndexView | None,
        report: IndexReport,
        emit: ProgressCallback,
    ) -> list[Document]:
        """The plan's files that can be read, and its kept documents; what cannot be read goes to
        ``report.skipped``. Sorted by id, the order of the generation.

        Skipped files are logged at INFO only: the caller shows ``report.skipped`` once (the CLI's
        summary, the bot's reply), so a WARNING as well would say everything twice.
        """
        files = plan.files
        docs: list[Document] = []
        for doc_id in plan.kept:  # documents of sources this change does not touch: not read again
            pos = previous.position(doc_id) if previous is not None else None
            if pos is None:
                raise ValueError(f"the plan keeps {doc_id!r}, which the previous index does not hold")
            docs.append(previous.document(pos))  # type: ignore[union-attr]
        emit(IndexProgress(stage="scan", documents_total=len(files)))
        for n, (doc_id, path) in enumerate(files, 1):
            try:
                docs.append(read_file(doc_id, path, max_chars=self.settings.max_document_chars))
            except DocumentRejected as exc:
                pos = previous.position(doc_id) if previous is not None else None
                if pos is not None:
                    # A document that breaks keeps its last good version in the index.
                    docs.append(previous.document(pos))  # type: ignore[union-attr]
                    reason = f"{exc}; kept the previously indexed version"
                else:
                    reason = str(exc)
                report.skipped.append(reason)
                log.info("skipped %s", reason)
            emit(IndexProgress(stage="scan", documents_done=n, documents_total=len(files)))
        report.documents_total = len(docs)
        if not docs:
            # An index that answers nothing, published without a word, looked like a working one.
            names = ", ".join(shown(e.path) for e in plan.table.entries) or "the sources"
            report.notes.append(f"no documents in {names}" + (f" ({len(report.skipped)} file(s) skipped)"
                                                             if report.skipped else "")
                                + f": the index is empty (docbot reads {supported_list('and')})")
        return sorted(docs, key=lambda d: d.doc_id)

    def _classify(
        self, docs: list[Document], previous: IndexView | None, report: IndexReport
    ) -> list[Document]:
        """Fill in added / changed / removed / unchanged; returns the documents to embed."""
        settings = self.settings
        same_settings = previous is not None and (
            previous.manifest.chunk_tokens == settings.chunk_tokens
            and previous.manifest.chunk_overlap_tokens == settings.chunk_overlap_tokens
        )
        old_chunker = previous.manifest.chunker if previous is not None else store.CHUNKER_VERSION
        old_hashes = previous.content_hashes() if previous is not None else {}
        to_embed: list[Document] = []
        rechunked = redated = 0
        for doc in docs:
            old_hash = old_hashes.get(doc.doc_id)
            if old_hash is None:
                report.added.append(doc.doc_id)
                to_embed.append(doc)
            elif old_hash != doc.content_hash or not (
                    same_settings and chunked_alike(old_chunker, store.CHUNKER_VERSION, doc.text, doc.title)
                    and _same_title(previous, doc)):
                report.changed.append(doc.doc_id)
                to_embed.append(doc)
                rechunked += old_hash == doc.content_hash  # unchanged, but chunked or titled differently now
            elif not _same_date(previous, doc):
                report.changed.append(doc.doc_id)  # published with its vectors (``_reuse``), not embedded
                redated += 1
            else:
                report.unchanged += 1
        if redated:
            report.notes.append(f"this version of docbot dates {redated} unchanged document(s) differently (from "
                                "their file names or titles): their dates are updated, nothing embedded for them")
        if previous is not None and not same_settings:
            log.info("chunking settings changed since the last index: re-embedding everything")
            report.notes.append("the chunking settings changed since the last index: every document is "
                                "embedded again")
        elif rechunked:
            log.info("this version of docbot chunks %d documents differently: re-embedding them", rechunked)
            report.notes.append(f"this version of docbot chunks {rechunked} unchanged document(s) differently "
                                "from the version that made the last index: they are embedded again")
        current = {d.doc_id for d in docs}
        report.removed = sorted(d for d in old_hashes if d not in current)
        return to_embed

    def _chunk(self, docs: list[Document]) -> _Plan:
        """Chunk the documents to embed and find each chunk's quotable sentences."""
        settings = self.settings
        count = self._token_counter() if docs else approximate_token_counts
        plan = _Plan(docs)
        for doc in docs:
            spans = chunk_document(doc, settings, count)
            plan.spans.append(spans)
            per_chunk = []
            for (s, e), (text, at) in zip(spans, embedded_texts(doc.title, doc.text, spans)):
                sents = quotable_sentences(doc.text, s, e, title=doc.title)
                per_chunk.append([(x.start, x.end, int(x.kind)) for x in sents])
                plan.texts.append(text)
                plan.sentence_offsets.append([(x.start - s + at, x.end - s + at) for x in sents])
            plan.sentences.append(per_chunk)
        return plan

    def _ensure_space(self, plan: _Plan, docs: list[Document], previous: IndexView | None) -> None:
        """Refuse before embedding when DATA_DIR cannot hold the new generation (and the ONNX export).

        Without this a full disk showed up only after the whole embedding, as a raw ENOSPC.
        """
        new = {d.doc_id for d in plan.docs}
        chunks = len(plan.texts)
        sentences = sum(len(s) for s in plan.sentence_offsets)
        if previous is not None:
            for doc in docs:
                pos = previous.position(doc.doc_id)
                if doc.doc_id not in new and pos is not None:
                    n_chunks, n_sentences = previous.doc_sizes(pos)
                    chunks += n_chunks
                    sentences += n_sentences
        text_bytes = sum(len(d.text.encode("utf-8", "replace")) for d in docs)
        need = self.backend.space_needed(chunks, sentences, text_bytes, self._dimension(previous, plan.docs))
        export = onnx_dir(self.settings)
        copies = 0  # of the model's weights still to write: the ONNX export, OpenVINO's conversion
        if self.settings.query_backend != "torch":
            copies += not (export / "model.onnx").exists()
            copies += self.settings.embed_backend != "torch" and not ir_path(export).exists()
        if copies:
            weights = Path(resolve_model(self.settings.model))
            size = sum(p.stat().st_size for p in weights.glob("*.safetensors")) if weights.is_dir() else 0
            need += copies * size
        store.ensure_space(self.settings.data_dir, need)

    def _embed(
        self, plan: _Plan, emit: ProgressCallback, documents_total: int
    ) -> dict[str, store.DocumentChunks]:
        """Embed every chunk and, in the same pass, every quotable sentence of it."""
        settings = self.settings
        docs, spans_by_doc, sentences_by_doc = plan.docs, plan.spans, plan.sentences
        texts, sentence_offsets = plan.texts, plan.sentence_offsets
        total = len(texts)
        done = 0

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            emit(IndexProgress(stage="embed", documents_done=0, documents_total=documents_total,
                               chunks_done=done, chunks_total=total))

        emit(IndexProgress(stage="embed", documents_total=documents_total, chunks_total=total))
        vectors, sentence_vectors = self.encoder.encode_with_sentences(
            texts, sentence_offsets, batch_size=settings.embed_batch_size,
            batch_tokens=settings.embed_batch_tokens, progress=on_batch, budget=self.threads,
        )
        out: dict[str, store.DocumentChunks] = {}
        at = 0
        for doc, spans, sentences in zip(docs, spans_by_doc, sentences_by_doc):
            n = len(spans)
            flat = [v for v in sentence_vectors[at : at + n] if len(v)]
            sv = np.concatenate(flat) if flat else np.zeros((0, vectors.shape[1]), np.float32)
            out[doc.doc_id] = store.DocumentChunks(
                doc, spans, vectors[at : at + n], sentences, store.SentenceVectors.quantise(sv)
            )
            at += n
        return out

    def _ensure_onnx(self) -> None:
        """Export the query-time ONNX models once per data directory and model (again when the
        export was made by an older docbot: ``encoder.EXPORT_VERSION``)."""
        if self.settings.query_backend == "torch":
            return
        target = onnx_dir(self.settings)
        if export_current(target):
            return
        try:
            self.encoder.export_onnx(target)
        except ModelNotInstalled:
            raise  # the model itself does not load: indexing cannot embed either, and says so in one line
        except Exception as exc:  # noqa: BLE001 - queries fall back to torch; indexing must not fail for this
            log.warning("ONNX export failed (%s); queries will use sentence-transformers (slower)",
                        store.why_not_written(exc, self.settings.data_dir))
            log.debug("details of the ONNX export failure", exc_info=exc)


def _ensure_word_table(data_dir: Path) -> None:
    """Write the word-frequency table questions read (``rarity``) once per data directory.

    Without it answers are the same, only a cold question starts slower: a failure is a warning, in the words
    of the index's own write failures (a full disk, ``ulimit -f``: ``store.why_not_written``).
    """
    from . import rarity

    try:
        rarity.write_table(data_dir)
    except OSError as exc:
        log.warning("could not write the word-frequency table: %s; the index is kept as it is, questions only "
                    "start slower", store.why_not_written(exc, data_dir))
