"""Document engine: ingest, chunk, embed, index, retrieve and answer with cited excerpts.

Knows nothing of Discord; the CLI (`docbot`) and the bot are two front ends on :class:`Engine`.
"""

from .conversation import Turn
from .engine import Engine
from .errors import (
    DataDirUnusable, DocumentRejected, EngineError, IndexDamaged, IndexNotFound, InvalidRequest,
    ModelMismatch,
    ModelNotInstalled, ReindexInProgress, SourceNotFound,
)
from .models import (
    Answer, ChunkRef, ChunkView, DocumentInfo, Excerpt, FollowUp, Hit, IndexProgress, IndexReport, IndexStats,
    Passage, Source, SourceView,
)
from .settings import EngineSettings

__all__ = [
    "Answer", "ChunkRef", "ChunkView", "DataDirUnusable", "DocumentInfo", "DocumentRejected", "Engine",
    "EngineError", "EngineSettings", "Excerpt", "FollowUp", "Hit", "IndexDamaged", "IndexNotFound", "InvalidRequest", "IndexProgress",
    "IndexReport", "IndexStats", "ModelMismatch", "ModelNotInstalled", "Passage", "ReindexInProgress",
    "Source", "SourceNotFound", "SourceView", "Turn",
]
