"""`doc#N` references: one type builds and reads them, so a document named `notes#1.md` can be opened.

The ref a user is shown (`docbot source notes#1.md`, `[notes#1.md#0]` in search results, the bot's
`/source` choices) is the ref that opens it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from embeddings import Engine, EngineSettings
from embeddings.models import ChunkRef, Hit

ROOT = Path(__file__).resolve().parent.parent

NOTES = "notes#1.md"
NOTES_TEXT = (
    "# Harbour meeting notes\n\nThe harbour master said the new crane at pier seven arrives in October. "
    "Dredging of the northern channel starts after the crane is installed.\n"
)


def test_format_and_parse() -> None:
    assert str(ChunkRef("volcano.md")) == "volcano.md" and str(ChunkRef("volcano.md", 2)) == "volcano.md#2"
    assert ChunkRef.parse("volcano.md#2") == ChunkRef("volcano.md", 2)
    assert ChunkRef.parse(" volcano.md ") == ChunkRef("volcano.md")
    assert ChunkRef.parse("notes#1.md") == ChunkRef("notes#1.md"), "only a trailing #digits is a chunk"
    assert ChunkRef.parse("notes#1.md#0") == ChunkRef("notes#1.md", 0)
    assert ChunkRef.parse("a.md#x") == ChunkRef("a.md#x") and ChunkRef.parse("a.md#-1") == ChunkRef("a.md#-1")
    for ref in (ChunkRef("notes#1.md", 0), ChunkRef("a#b#c.txt", 12), ChunkRef("x.md")):
        assert ChunkRef.parse(str(ref)) == ref


def test_an_indexed_id_wins_over_a_chunk_suffix() -> None:
    known = {"report#2", "report"}
    assert ChunkRef.parse("report#2", known) == ChunkRef("report#2")
    assert ChunkRef.parse("report#2#0", known) == ChunkRef("report#2", 0)
    assert ChunkRef.parse("report#1", known) == ChunkRef("report", 1)
    assert ChunkRef.parse("report#2") == ChunkRef("report", 2), "without the ids, #digits is a chunk"


def test_passage_ref_is_a_chunk_ref() -> None:
    hit = Hit(doc_id=NOTES, chunk=0, start=0, end=1, text="x", rank=1, score=1.0, title="t")
    assert hit.ref == "notes#1.md#0" and ChunkRef.parse(hit.ref) == ChunkRef(NOTES, 0)


@pytest.fixture(scope="module")
def notes_index(tmp_path_factory: pytest.TempPathFactory, session_index: EngineSettings) -> EngineSettings:
    from embeddings.indexer import onnx_dir

    base = tmp_path_factory.mktemp("notes")
    docs = base / "docs"
    docs.mkdir()
    (docs / NOTES).write_text(NOTES_TEXT)
    (docs / "volcano.md").write_text("# Mount Etna erupts\n\nAsh closed Catania airport for six hours.\n")
    (docs / "-ferry.txt").write_text("The night ferry to Tallinn leaves from terminal D at eleven.\n")
    settings = EngineSettings(data_dir=base / "data", docs_dir=docs, _env_file=None)
    onnx_dir(settings).parent.mkdir(parents=True)
    onnx_dir(settings).symlink_to(onnx_dir(session_index))
    Engine(settings).reindex()
    return settings


def docbot(settings: EngineSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "--data-dir", str(settings.data_dir), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )


def test_a_document_with_a_hash_in_its_name_opens_as_shown(notes_index: EngineSettings) -> None:
    answer = docbot(notes_index, "ask", "When does the new crane arrive at pier seven?")
    assert answer.returncode == 0 and f"docbot source {NOTES}" in answer.stdout

    whole = docbot(notes_index, "source", NOTES)
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout.startswith("Harbour meeting notes") and f"{NOTES}: 1 chunk" in whole.stdout

    hits = docbot(notes_index, "search", "crane pier seven", "-k", "1")
    assert f"[{NOTES}#0]" in hits.stdout
    chunk = json.loads(docbot(notes_index, "source", f"{NOTES}#0", "--json").stdout)
    assert chunk["document"]["doc_id"] == NOTES and chunk["focus"] == 0

    missing = docbot(notes_index, "source", f"{NOTES}#5")
    assert missing.returncode == 1 and f"'{NOTES}' has chunks 0 to 0; there is no chunk '5'" in missing.stderr


def test_a_document_whose_name_starts_with_a_dash_opens_as_shown(notes_index: EngineSettings) -> None:
    answer = docbot(notes_index, "ask", "Which terminal does the night ferry to Tallinn leave from?")
    shown = re.search(r"docbot source (.+)", answer.stdout).group(1)
    assert shown == "-- -ferry.txt#0"
    opened = docbot(notes_index, "source", *shown.split())
    assert opened.returncode == 0 and "terminal D" in opened.stdout, opened.stderr


async def test_bot_source_and_autocomplete_with_a_hash_in_the_name(bot_dirs: Any, start_bot: Any) -> None:
    (bot_dirs.docs_dir / NOTES).write_text(NOTES_TEXT)
    Engine(EngineSettings(data_dir=bot_dirs.data_dir, docs_dir=bot_dirs.docs_dir, _env_file=None)).reindex()
    h = await start_bot()
    iid = await h.fake.push_autocomplete("source", {"document": "harbour"}, "document")
    choices = await h.fake.wait_until(lambda: h.fake.interactions[iid]["autocomplete_choices"])
    assert choices == [{"name": "Harbour meeting notes", "value": NOTES}]

    whole = await h.slash("source", {"document": NOTES})
    assert "crane at pier seven" in whole["original"]["embeds"][0]["description"]
    passage = await h.slash("source", {"document": NOTES, "passage": 0})
    assert "crane at pier seven" in passage["original"]["embeds"][0]["description"]
