"""Errors the engine raises on purpose. Each carries a message meant for the person who caused it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EngineError(Exception):
    """Base class: anything the CLI or the bot can show to a user as it is."""


class IndexNotFound(EngineError):
    """No published index in the data directory yet (run `docbot index`)."""


class IndexDamaged(IndexNotFound):
    """The published index is damaged and no earlier generation is intact.

    A kind of IndexNotFound, because everything that handles "no index" (refuse questions, let
    `index` build one) is right for it too; its message names what is damaged, and ``problems``
    lists each damaged part on its own. ``record`` is what the damaged index still records of its
    sources and documents (``store.Salvaged``), when some of it can be read: `sources` lists it.
    """

    def __init__(self, message: str, problems: list[str] | None = None, *, record: Any = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]
        self.record = record


class InvalidRequest(EngineError, ValueError):
    """A question or search that makes no sense as asked (blank text, ``k < 1``): say so, answer nothing.

    Also a ValueError, as callers of ``ask``/``search`` would expect for a bad argument.
    """


class ModelMismatch(EngineError):
    """The index was built with another embedding model than the one configured."""


class ReindexInProgress(EngineError):
    """A re-index is already running; only one runs at a time."""


class SourceNotFound(EngineError):
    """A document or chunk reference that is not in the index.

    ``missing`` names a document that is not indexed: the message is then built here, pointing to where the
    documents there are are listed, which each surface names its own way (:meth:`pointing_to`); the
    command line's `sources` by default.
    """

    def __init__(self, message: str = "", *, missing: str | None = None, suggestions: Sequence[str] = ()) -> None:
        """``suggestions``: the indexed names ``missing`` may have meant ("FAQ.md" for "faq.md"), best first."""
        self.missing = missing
        self.suggestions = list(suggestions)
        super().__init__(self.pointing_to("`sources`") if missing is not None else message)

    def pointing_to(self, listing: str) -> str:
        """The message with ``listing`` (the bot's /sources) as where the documents are listed; as it is
        when it names no missing document. A name that is nearly an indexed one asks whether that was meant:
        "no document 'faq.md'" beside FAQ.md left the user to find the difference."""
        if self.missing is None:
            return str(self)
        meant = f"; did you mean {' or '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        return f"no document {self.missing!r} in the index{meant} (see {listing})"


class DocumentRejected(EngineError):
    """An uploaded or added document that cannot be indexed (wrong type, too large, binary, unsafe name)."""


class DataDirUnusable(EngineError):
    """The data directory is a file, or cannot be created or written where a command must write."""


class ModelNotInstalled(EngineError):
    """The configured embedding model is not on this machine, and nothing is downloaded at run time."""


class PathNotFound(EngineError):
    """A path given to ``index``, or a source the index was built from, does not exist; nothing was changed."""


class RemovalRefused(EngineError):
    """An update would remove more than half of the index without anyone asking for removals.

    A folder emptied by mistake or a drive that came up empty looks like a folder whose files were all
    deleted; the guard refuses rather than dropping the index. ``removed`` lists the documents it would drop
    out of the ``total`` indexed.
    """

    def __init__(self, message: str, removed: list[str], total: int) -> None:
        super().__init__(message)
        self.removed, self.total = removed, total


class DuplicateDocument(DocumentRejected):
    """An upload whose name is already taken (by a file in the uploads folder or an indexed document).

    Refused unless the caller asks to replace it; ``doc_id`` and ``title`` name the document it would replace
    (None when the name is taken by a file that is not indexed), ``name`` is the name the upload is saved as.
    """

    def __init__(self, message: str, *, name: str, doc_id: str | None = None, title: str | None = None) -> None:
        super().__init__(message)
        self.name, self.doc_id, self.title = name, doc_id, title


class StoreUnavailable(EngineError):
    """The index's store cannot be used: its client library is not installed, or its server cannot be reached."""


#: The attribute :func:`mark_published` sets on an exception raised after an index change was published.
_PUBLISHED = "docbot_published"


def mark_published(exc: BaseException) -> None:
    """Say on ``exc`` (Ctrl-C, or an error) that it stopped an index change after the new index was
    published: the change is made, and only the work after it (loading the new index, measuring its
    null profile) was cut short. A caller reporting "interrupted: the index is as it was" would be wrong."""
    setattr(exc, _PUBLISHED, True)
    exc.add_note("the new index had been published: the change is made")


def published_before(exc: BaseException) -> bool:
    """Whether ``exc`` stopped an index change after its new index was published (:func:`mark_published`)."""
    return bool(getattr(exc, _PUBLISHED, False))


def is_text(value: str) -> bool:
    """Whether ``value`` is text: no lone surrogates, which is what Python makes of bytes that are not
    UTF-8 in a command line or a pipe ("caf\\xe9" typed in a Latin-1 terminal)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
