"""Document engine: ingest, chunk, embed, index, retrieve and answer with cited excerpts.

Knows nothing of Discord; the CLI (`docbot`) and the bot are two front ends on :class:`Engine`.
"""

from . import startup as _startup

_startup.calm_blas_threads()  # before numpy loads OpenBLAS: see its docstring

with _startup.imports_outside_gc():
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

__all__ = [
    "Answer", "ChunkRef", "ChunkView", "CollectionInfo", "DataDirUnusable", "DocumentInfo", "DocumentRejected",
    "DuplicateDocument", "Engine", "EngineError", "EngineSettings", "Excerpt", "FollowUp", "Hit", "IndexDamaged",
    "IndexNotFound", "InvalidRequest", "IndexProgress", "IndexReport", "IndexStats", "ModelMismatch",
    "ModelNotInstalled", "Passage", "PathNotFound", "ReindexInProgress", "RemovalRefused", "Source",
    "SourceInfo", "SourceNotFound", "SourceView", "StoreUnavailable", "Turn",
]
