"""Errors the engine raises on purpose. Each carries a message meant for the person who caused it."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: anything the CLI or the bot can show to a user as it is."""


class IndexNotFound(EngineError):
    """No published index in the data directory yet (run `docbot index`)."""


class IndexDamaged(IndexNotFound):
    """The published index is damaged and no earlier generation is intact.

    A kind of IndexNotFound, because everything that handles "no index" (refuse questions, let
    `index` build one) is right for it too; its message names what is damaged, and ``problems``
    lists each damaged part on its own.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class InvalidRequest(EngineError, ValueError):
    """A question or search that makes no sense as asked (blank text, ``k < 1``): say so, answer nothing.

    Also a ValueError, as callers of ``ask``/``search`` would expect for a bad argument.
    """


class ModelMismatch(EngineError):
    """The index was built with another embedding model than the one configured."""


class ReindexInProgress(EngineError):
    """A re-index is already running; only one runs at a time."""


class SourceNotFound(EngineError):
    """A document or chunk reference that is not in the index."""


class DocumentRejected(EngineError):
    """An uploaded or added document that cannot be indexed (wrong type, too large, binary, unsafe name)."""


class DataDirUnusable(EngineError):
    """The data directory is a file, or cannot be created or written where a command must write."""


class ModelNotInstalled(EngineError):
    """The configured embedding model is not on this machine, and nothing is downloaded at run time."""
