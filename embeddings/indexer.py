"""Incremental indexing: make the index mirror a folder, embedding only what changed.

Documents are compared with the published generation by content hash. New and changed documents
are chunked and embedded; unchanged ones keep their chunks and vectors; removed ones are dropped.
The result is written as a new generation and published atomically (see ``store``), so readers
keep using the previous one until the switch and a crash never leaves a broken index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import store
from .chunking import approximate_token_counts, chunk_text, embedded_text
from .documents import Document, iter_files, read_file
from .encoder import TokenCounter, TorchEncoder
from .errors import DocumentRejected
from .models import IndexProgress, IndexReport
from .sentences import quotable_sentences
from .settings import EngineSettings

log = logging.getLogger(__name__)

ProgressCallback = Callable[[IndexProgress], None]


def onnx_dir(settings: EngineSettings) -> Path:
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.model)
    return settings.data_dir / "onnx" / slug


def _reuse(previous: store.Generation | None, doc: Document) -> store.DocumentChunks:
    """An unchanged document's chunks and vectors, taken from the previous generation."""
    assert previous is not None
    pos = previous.doc_pos[doc.doc_id]
    first, n = int(previous.first_chunk[pos]), int(previous.n_chunks[pos])
    spans = list(zip(previous.chunk_start[first : first + n].tolist(),
                     previous.chunk_end[first : first + n].tolist()))
    sentences, sentence_vectors = previous.doc_sentences(pos)
    return store.DocumentChunks(
        doc, spans, np.asarray(previous.vectors[first : first + n]), sentences, sentence_vectors
    )


class Indexer:
    """Builds generations. Holds the torch encoder once loaded, so later runs start faster."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._encoder: TorchEncoder | None = None

    @property
    def encoder(self) -> TorchEncoder:
        if self._encoder is None:
            self._encoder = TorchEncoder(self.settings.model, precision=self.settings.embed_precision)
        return self._encoder

    def _token_counter(self) -> Callable[[list[str]], list[int]]:
        path = self.encoder.tokenizer_path
        if path is None:
            log.warning("no tokenizer.json for %s; chunk sizes are estimated", self.settings.model)
            return approximate_token_counts
        return TokenCounter(path)

    def run(
        self,
        paths: list[Path],
        previous: store.Generation | None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index ``paths`` against ``previous``; publishes a new generation when anything changed.

        The caller holds the re-index lock (``store.reindex_lock``).
        """
        started = time.perf_counter()
        emit = progress or (lambda p: None)
        settings = self.settings
        store.sweep_unfinished(settings.data_dir)
        if previous is not None:
            previous.manifest.check_model(settings.model)
        report = IndexReport()
        docs = self._read(paths, previous, report, emit)
        to_embed = self._classify(docs, previous, report)
        total = len(docs)
        if previous is not None and not (report.added or report.changed or report.removed):
            report.chunks_total = previous.size
        else:
            embedded = self._embed(to_embed, emit, total) if to_embed else {}
            items = [embedded.get(doc.doc_id) or _reuse(previous, doc) for doc in docs]
            report.chunks_embedded = sum(len(item.spans) for item in embedded.values())
            report.chunks_total = sum(len(i.spans) for i in items)
            emit(IndexProgress(stage="write", documents_done=total, documents_total=total,
                               chunks_done=report.chunks_total, chunks_total=report.chunks_total))
            store.write_generation(
                settings.data_dir,
                items,
                manifest={
                    "model": settings.model,
                    "dimension": self.encoder.dimension,
                    "chunk_tokens": settings.chunk_tokens,
                    "chunk_overlap_tokens": settings.chunk_overlap_tokens,
                },
                exact_max=settings.exact_search_max_chunks,
                previous_index=previous.index if previous is not None else None,
            )
            store.sweep_superseded(settings.data_dir)
            report.published = True
        self._ensure_onnx()
        report.seconds = time.perf_counter() - started
        emit(IndexProgress(stage="done", documents_done=total, documents_total=total,
                           chunks_done=report.chunks_total, chunks_total=report.chunks_total))
        return report

    def _read(
        self,
        paths: list[Path],
        previous: store.Generation | None,
        report: IndexReport,
        emit: ProgressCallback,
    ) -> list[Document]:
        """Every readable document under ``paths``; what cannot be read goes to ``report.skipped``.

        Skipped files are logged at INFO only: the caller shows ``report.skipped`` once (the CLI's
        summary, the bot's reply), so a WARNING as well would say everything twice.
        """
        files = iter_files(paths, skipped=report.skipped)
        docs: list[Document] = []
        emit(IndexProgress(stage="scan", documents_total=len(files)))
        for n, (doc_id, path) in enumerate(files, 1):
            try:
                docs.append(read_file(doc_id, path))
            except DocumentRejected as exc:
                pos = previous.doc_pos.get(doc_id) if previous is not None else None
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
        return docs

    def _classify(
        self, docs: list[Document], previous: store.Generation | None, report: IndexReport
    ) -> list[Document]:
        """Fill in added / changed / removed / unchanged; returns the documents to embed."""
        settings = self.settings
        reuse = previous is not None and (
            previous.manifest.chunk_tokens == settings.chunk_tokens
            and previous.manifest.chunk_overlap_tokens == settings.chunk_overlap_tokens
            and previous.manifest.chunker == store.CHUNKER_VERSION
        )
        if previous is not None and not reuse:
            log.info("chunking settings changed since the last index: re-embedding everything")
        old_hashes = dict(zip(previous.doc_ids, previous.hashes)) if previous is not None else {}
        to_embed: list[Document] = []
        for doc in docs:
            old_hash = old_hashes.get(doc.doc_id)
            if old_hash is None:
                report.added.append(doc.doc_id)
                to_embed.append(doc)
            elif not reuse or old_hash != doc.content_hash:
                report.changed.append(doc.doc_id)
                to_embed.append(doc)
            else:
                report.unchanged += 1
        current = {d.doc_id for d in docs}
        report.removed = sorted(d for d in old_hashes if d not in current)
        return to_embed

    def _embed(
        self, docs: list[Document], emit: ProgressCallback, documents_total: int
    ) -> dict[str, store.DocumentChunks]:
        """Chunk, then embed every chunk and, in the same pass, every quotable sentence of it."""
        settings = self.settings
        count = self._token_counter()
        spans_by_doc: list[list[tuple[int, int]]] = []
        sentences_by_doc: list[list[list[tuple[int, int, int]]]] = []
        texts: list[str] = []
        sentence_offsets: list[list[tuple[int, int]]] = []  # into the embedded text, per chunk
        for doc in docs:
            spans = [
                (s.start, s.end)
                for s in chunk_text(
                    doc.text,
                    max_tokens=settings.chunk_tokens,
                    overlap_tokens=settings.chunk_overlap_tokens,
                    count_tokens=count,
                )
            ]
            spans_by_doc.append(spans)
            per_chunk = []
            for s, e in spans:
                text, at = embedded_text(doc.title, doc.text[s:e])
                sents = quotable_sentences(doc.text, s, e)
                per_chunk.append([(x.start, x.end, int(x.kind)) for x in sents])
                texts.append(text)
                sentence_offsets.append([(x.start - s + at, x.end - s + at) for x in sents])
            sentences_by_doc.append(per_chunk)
        total = len(texts)
        done = 0

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            emit(IndexProgress(stage="embed", documents_done=0, documents_total=documents_total,
                               chunks_done=done, chunks_total=total))

        emit(IndexProgress(stage="embed", documents_total=documents_total, chunks_total=total))
        vectors, sentence_vectors = self.encoder.encode_with_sentences(
            texts, sentence_offsets, batch_size=settings.embed_batch_size, progress=on_batch
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
        """Export the query-time ONNX model once per data directory and model."""
        if self.settings.query_backend == "torch":
            return
        target = onnx_dir(self.settings)
        if (target / "model.onnx").exists():
            return
        try:
            self.encoder.export_onnx(target)
        except Exception:  # noqa: BLE001 - queries fall back to torch; indexing must not fail for this
            log.exception("ONNX export failed; queries will use sentence-transformers (slower start)")
