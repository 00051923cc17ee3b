"""Document engine: ingest, chunk, embed, index, retrieve and answer with cited excerpts.

Knows nothing of Discord; the CLI (`docbot`) and the bot are two front ends on :class:`Engine`.
"""

from .engine import Engine
from .errors import (
    DocumentRejected, EngineError, IndexNotFound, ModelMismatch, ReindexInProgress, SourceNotFound,
)
from .models import (
    Answer, ChunkView, DocumentInfo, Excerpt, Hit, IndexProgress, IndexReport, IndexStats, Passage,
    Source, SourceView,
)
from .settings import EngineSettings

__all__ = [
    "Answer", "ChunkView", "DocumentInfo", "DocumentRejected", "Engine", "EngineError",
    "EngineSettings", "Excerpt", "Hit", "IndexNotFound", "IndexProgress", "IndexReport",
    "IndexStats", "ModelMismatch", "Passage", "ReindexInProgress", "Source", "SourceNotFound", "SourceView",
]
