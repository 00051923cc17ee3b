"""Plain data the engine hands out: answers, hits, sources, reports.

These are pydantic models so that the CLI can print them as JSON and the Discord bot can render them
without knowing how they were made.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_CHUNK_SUFFIX = re.compile(r"#([0-9]+)\Z")


class _Model(BaseModel):
    """The models' base: each builds its validator when first used, not when this module is imported.

    ``docbot ask`` makes an Answer, its excerpts and sources only; building the schema of every other
    model (reports, listings, stats) at import cost a cold question ~15 ms for nothing.
    """

    model_config = ConfigDict(defer_build=True)


@dataclass(frozen=True)
class ChunkRef:
    """A reference to a document (``doc``) or to one of its chunks (``doc#N``), as users type and cite it.

    Document ids are file paths and may contain ``#`` themselves (``notes#1.md``), so a ref is only
    split at its last ``#`` when what follows is a chunk number; given the indexed ids, an exact
    document id wins over that split. Every ref is built with ``str(ChunkRef(...))`` and read with
    :meth:`parse`, so the two can never disagree.
    """

    doc_id: str
    chunk: int | None = None

    def __str__(self) -> str:
        return self.doc_id if self.chunk is None else f"{self.doc_id}#{self.chunk}"

    @classmethod
    def parse(cls, text: str, known: Container[str] | None = None) -> ChunkRef:
        """Read ``doc`` or ``doc#N``; a ref that is one of the ``known`` (indexed) ids names that document.

        So with the index's ids, ``notes#1.md`` is the document and ``notes#1.md#0`` its first chunk.
        Otherwise a trailing ``#digits`` is the chunk number and the rest the document id. Blanks
        around a ref are ignored unless the id itself has them.
        """
        if known is not None:
            for candidate in (text, text.strip()):
                if candidate in known:
                    return cls(candidate)
        text = text.strip()
        match = _CHUNK_SUFFIX.search(text)
        if match:
            return cls(text[: match.start()], int(match.group(1)))
        return cls(text)


def page_label(pages: Iterable[int | None]) -> str:
    """How a citation names its pages: ``p. 17``, ``pp. 3, 17``; empty for unpaged documents.

    The CLI and the Discord bot both cite through this, so a page reads the same everywhere.
    """
    shown = sorted({p for p in pages if p is not None})
    if not shown:
        return ""
    return ("p. " if len(shown) == 1 else "pp. ") + ", ".join(str(p) for p in shown)


def counted(count: int, noun: str) -> str:
    """``1 document``, ``1,342 documents``: a count and its noun, in the singular for one ("intact: 1 documents"
    was said once). Every message that counts things reads through this, CLI and engine alike."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


class Source(_Model):
    """A document as cited: the number is the citation number used in the answer's excerpts."""

    number: int
    doc_id: str
    title: str
    date: dt.date | None = None
    url: str | None = None
    pages: list[int] = Field([], description="Pages (of a PDF) the answer quotes this source from, ascending.")
    ref: str | None = Field(None, description="`DOC#N` of the first passage quoted from it (for `source`).")


class Passage(_Model):
    """A verbatim slice of a document: ``text == document.text[start:end]``."""

    doc_id: str
    chunk: int = Field(description="Ordinal of the chunk within its document (for `source DOC#N`).")
    start: int
    end: int
    text: str
    page: int | None = Field(None, description="The page (of a PDF) the passage starts on; None when unpaged.")

    @property
    def ref(self) -> str:
        return str(ChunkRef(self.doc_id, self.chunk))


class Excerpt(Passage):
    """A quote in an answer; ``number`` points at the source with the same number."""

    number: int = Field(description="Citation number; points at the source with the same number.")
    score: float
    section: str | None = Field(
        None, description="The headings the quote lies under, outermost first, joined by ' › ' (the document's "
        "title left out): '[1.4.2] - 2023-11-30 › Fixed'. None when it lies under none.")


class FollowUp(_Model):
    """How a question asked in a conversation was read (see ``embeddings.conversation``)."""

    kind: Literal["follow-up", "source", "new-topic"] = Field(
        description="follow-up: read with the earlier questions; source: about a source of the last answer; "
        "new-topic: it named a topic of its own and was answered on its own."
    )
    earlier: list[str] = Field([], description="The earlier questions it was read with, most recent first.")
    source: str | None = Field(None, description="The document a reference like 'the second source' pointed at.")


class Answer(_Model):
    """What `ask` returns. When ``answered`` is false there are no excerpts and no sources."""

    question: str
    answered: bool
    message: str = Field(description="One line for the user: what was found or why nothing was.")
    excerpts: list[Excerpt] = []
    sources: list[Source] = []
    evidence: float = Field(description="Relevance of the best passage; compared to min_evidence.")
    elapsed_ms: float = 0.0
    timings_ms: dict[str, float] = Field(
        default_factory=dict,
        description="Where elapsed_ms went, by stage: embed, terms, dense, bm25, fusion, evidence, answer "
        "(when BM25 ran beside the embedding, bm25 is the wait for it after the embedding, terms inside it).",
    )
    follow_up: FollowUp | None = Field(None, description="Set when the question was asked in a conversation.")


class Hit(Passage):
    """A ranked passage from `search`, with its document's metadata."""

    rank: int
    score: float = Field(description="Fused (reciprocal rank) score; higher is better.")
    dense: float | None = Field(None, description="Cosine similarity to the query.")
    title: str
    date: dt.date | None = None
    url: str | None = None


class DocumentInfo(_Model):
    """A document in the index, as `sources` lists it."""

    doc_id: str
    title: str
    date: dt.date | None = None
    url: str | None = None
    chunks: int
    chars: int | None = Field(description="Length of its text; None for a document listed from a damaged index's "
                              "record (see CollectionInfo.damaged), whose text cannot be read.")
    pages: int | None = Field(None, description="Number of pages (PDF); None for unpaged documents.")
    source: str | None = Field(
        None, description="The source (folder or file the index was built from) this document came from."
    )


class SourceInfo(_Model):
    """A source of the index: a folder or file that `index` reads again on every update."""

    path: str = Field(description="Absolute path of the folder or file.")
    kind: Literal["folder", "file"]
    documents: int = Field(description="Documents of the index that came from this source.")
    excluded: list[str] = Field([], description="Paths inside the folder removed with `remove` (kept out).")
    exists: bool = Field(description="Whether the path exists now (an update of a missing source is refused).")


class CollectionInfo(_Model):
    """What `sources` shows: the index's sources and its documents, each naming its source."""

    sources: list[SourceInfo]
    documents: list[DocumentInfo]
    recorded: bool = Field(
        True,
        description="False for an index written before sources were recorded: they are derived from the "
        "documents' paths, and the next update records them.",
    )
    damaged: str | None = Field(
        None,
        description="Set when no generation of the index can be read: why. The sources and documents are then "
        "those the damaged index still records, not in a readable index (nothing is answered from them); "
        "`docbot index` rebuilds the index from these sources.",
    )


class ChunkView(_Model):
    chunk: int
    start: int
    end: int
    text: str
    page: int | None = Field(None, description="The page (of a PDF) the chunk starts on.")


class SourceView(_Model):
    """One document, or one chunk of it with its neighbours, as `source REF` shows it."""

    document: DocumentInfo
    text: str = Field(description="The document's full text, or the focused chunk and its neighbours.")
    focus: int | None = Field(None, description="The chunk asked for, when the ref named one.")
    page: int | None = Field(None, description="The page (of a PDF) the chunk asked for starts on.")
    chunks: list[ChunkView] = []


class IndexStats(_Model):
    documents: int
    chunks: int
    model: str
    dimension: int
    index_type: str
    size_bytes: int
    indexed_at: dt.datetime | None = None
    data_dir: str


class IndexReport(_Model):
    """The summary of one `index` run."""

    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    unchanged: int = 0
    skipped: list[str] = Field([], description="Files that could not be read, with the reason.")
    replaced: list[DocumentInfo] = Field([], description="Documents an upload replaced (asked for with replace).")
    notes: list[str] = Field([], description="What the run decided that a person should know (names given).")
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0
    published: bool = Field(False, description="Whether a new index generation was written.")


class IndexProgress(_Model):
    """Reported while indexing, so a CLI bar or a Discord message can show how far along it is."""

    stage: str  # "scan", "prepare" (loading the model), "embed", "write", "done"
    documents_done: int = 0
    documents_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0
