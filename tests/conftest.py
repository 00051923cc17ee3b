"""Shared fixtures: small document folders and indexes built once per session with the real model.

Building an index loads the packaged model and exports it to ONNX once; tests that need their own
index get a fresh data directory that reuses the session's ONNX export instead of exporting again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings import Engine, EngineSettings  # noqa: E402
from embeddings.indexer import onnx_dir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = Path(os.environ.get("DOCBOT_SHARED_DIR", ROOT.parent / "shared"))

EXTRA_DOCS = {
    "volcano.md": "# Mount Etna erupts again\n\nMount Etna, the volcano on Sicily, erupted on Tuesday. "
    "Ash closed Catania airport for six hours, the airport operator said.\n\n"
    "Vulcanologist Giuseppe Salerno said the lava flow posed no threat to villages.\n",
    "grain.txt": "Grain exports from Odesa resumed in August under a deal brokered by Turkey and the UN. "
    "The first ship, the Razoni, carried 26,000 tonnes of corn to Lebanon. "
    "Officials said dozens more vessels were waiting to leave the ports.\n",
    "everyone.md": "# Server etiquette notice\n\nThe moderators wrote: @everyone please read the rules "
    "about the annual picnic before posting. The picnic takes place at Lake Harriet on Saturday, "
    "and <@&123456789> members bring the lemonade.\n",
}


def make_docs(folder: Path, *, extra: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, folder / seed.name)
    for name, text in (EXTRA_DOCS if extra is None else extra).items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="session")
def session_index(tmp_path_factory: pytest.TempPathFactory) -> EngineSettings:
    """An index of seeds/ + three small documents, built once; treat it as read-only."""
    base = tmp_path_factory.mktemp("session-index")
    settings = EngineSettings(data_dir=base / "data", docs_dir=make_docs(base / "docs"), _env_file=None)
    Engine(settings).reindex()
    return settings


@pytest.fixture
def engine(session_index: EngineSettings) -> Engine:
    return Engine(session_index).load()


@pytest.fixture
def fresh(tmp_path: Path, session_index: EngineSettings):
    """Settings for an empty data dir of the test's own, with the session's ONNX export linked in."""

    def _make(docs: Path | None = None, **overrides) -> EngineSettings:
        data = tmp_path / "data"
        target = onnx_dir(session_index.model_copy(update={"data_dir": data}))
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(onnx_dir(session_index))
        return EngineSettings(
            data_dir=data, docs_dir=docs or make_docs(tmp_path / "docs"), _env_file=None, **overrides
        )

    return _make

def indexed_engine(base: Path, docs: Path, session_index: EngineSettings) -> Engine:
    """An engine over ``docs`` alone, indexed as `make run` would into ``base``, the session's ONNX
    export linked in (module-scoped fixtures of one-corpus tests: seeds/ alone, one short note)."""
    settings = EngineSettings(data_dir=base / "data", docs_dir=docs, _env_file=None)
    onnx = onnx_dir(settings)
    onnx.parent.mkdir(parents=True)
    onnx.symlink_to(onnx_dir(session_index))
    engine = Engine(settings)
    engine.reindex()
    return engine


def indexed_notes(base: Path, notes: dict[str, str], session_index: EngineSettings) -> Engine:
    """:func:`indexed_engine` over ``notes`` (file name -> text), written to ``base / "docs"``."""
    (base / "docs").mkdir()
    for name, text in notes.items():
        (base / "docs" / name).write_text(text)
    return indexed_engine(base, base / "docs", session_index)


from tests.bot_fixtures import *  # noqa: E402,F401,F403  (the Discord bot's fixtures)
from tests.db_fixtures import *  # noqa: E402,F401,F403  (the bot's database: SQLite and PostgreSQL)
from tests.milvus_fixtures import *  # noqa: E402,F401,F403  (Milvus Lite in-process and as a server)
