"""Document engine: ingest, chunk, embed, index, retrieve and answer with cited excerpts.

Knows nothing of Discord; the CLI (`docbot`) and the bot are two front ends on :class:`Engine`.

The public names are loaded when first used (PEP 562), not when the package is imported: the
``docbot`` command's entry point (``embeddings.console``) is inside this package, and importing numpy,
pydantic and the engine before it runs left a Ctrl-C in the first ~0.3 s as a traceback.
"""

from __future__ import annotations

# First: in the ``docbot`` script, a Ctrl-C from here on is one line, not a traceback (``embeddings.console``,
# which imports nothing else). Neither ``typing`` nor ``importlib`` is imported here, to keep short what
# comes before.
from . import console as _console  # noqa: F401
from . import startup as _startup

TYPE_CHECKING = False

_startup.calm_blas_threads()  # before numpy loads OpenBLAS: see its docstring

_HOMES = {
    "Turn": "conversation",
    "Engine": "engine",
    "EngineSettings": "settings",
    **dict.fromkeys((
        "DataDirUnusable", "DocumentRejected", "DuplicateDocument", "EngineError", "IndexDamaged", "IndexNotFound",
        "InvalidRequest", "ModelMismatch", "ModelNotInstalled", "PathNotFound", "ReindexInProgress", "RemovalRefused",
        "SourceNotFound", "StoreUnavailable"), "errors"),
    **dict.fromkeys((
        "Answer", "ChunkRef", "ChunkView", "CollectionInfo", "DocumentInfo", "Excerpt", "FollowUp", "Hit",
        "IndexProgress", "IndexReport", "IndexStats", "Passage", "Source", "SourceInfo", "SourceView"), "models"),
}

__all__ = [
    "Answer", "ChunkRef", "ChunkView", "CollectionInfo", "DataDirUnusable", "DocumentInfo", "DocumentRejected",
    "DuplicateDocument", "Engine", "EngineError", "EngineSettings", "Excerpt", "FollowUp", "Hit", "IndexDamaged",
    "IndexNotFound", "InvalidRequest", "IndexProgress", "IndexReport", "IndexStats", "ModelMismatch",
    "ModelNotInstalled", "Passage", "PathNotFound", "ReindexInProgress", "RemovalRefused", "Source",
    "SourceInfo", "SourceNotFound", "SourceView", "StoreUnavailable", "Turn",
]
assert set(__all__) == set(_HOMES)


def __getattr__(name: str) -> Any:
    """``embeddings.Engine`` and the other public names, imported on first use (then kept); a submodule
    (``embeddings.store``) is imported as ``import embeddings.store`` would."""
    import importlib

    home = _HOMES.get(name)
    try:
        with _startup.imports_outside_gc():
            module = importlib.import_module(f".{home or name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{home or name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(module, name) if home else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from typing import Any

    from .conversation import Turn
    from .engine import Engine
    from .errors import (
        DataDirUnusable, DocumentRejected, DuplicateDocument, EngineError, IndexDamaged, IndexNotFound,
        InvalidRequest, ModelMismatch, ModelNotInstalled, PathNotFound, ReindexInProgress, RemovalRefused,
        SourceNotFound, StoreUnavailable,
    )
    from .models import (
        Answer, ChunkRef, ChunkView, CollectionInfo, DocumentInfo, Excerpt, FollowUp, Hit, IndexProgress,
        IndexReport, IndexStats, Passage, Source, SourceInfo, SourceView,
    )
    from .settings import EngineSettings
