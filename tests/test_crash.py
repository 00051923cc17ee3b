"""A re-index killed at any stage leaves the previous index loadable and answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from embeddings import Engine

ROOT = Path(__file__).resolve().parent.parent

# Runs `docbot index` with one step patched to announce itself and stall, so the test can kill the
# process with SIGKILL at exactly that point: while embedding, while writing the new generation, and
# between writing the finished generation and publishing it (locally: renaming it into place; on Milvus,
# where the server lives on as a Milvus server does when the re-indexing machine dies: after writing the
# passages but not the documents, and just before the alias switch).
RUNNER = textwrap.dedent(
    """
    import importlib, sys, time
    from pathlib import Path
    marker = Path(sys.argv[1]); stage = sys.argv[2]

    def stall(*a, **k):
        marker.write_text(stage)
        time.sleep(120)

    module, owner, name = {
        "embed": ("embeddings.encoder", "TorchEncoder", "encode_with_sentences"),
        "write": ("embeddings.lexical", "LexicalIndex", "save"),
        "publish": ("embeddings.store", "os", "replace"),
        "milvus-write": ("embeddings.milvus_store", "MilvusStore", "_write_docs"),
        "milvus-publish": ("pymilvus", "MilvusClient", "alter_alias"),
    }[stage]
    setattr(getattr(importlib.import_module(module), owner), name, stall)
    from embeddings.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


def index_killed_at(stage: str, settings, tmp_path: Path, env: dict[str, str] | None = None) -> None:
    """Run `docbot index` of ``settings``' folders in another process and SIGKILL it at ``stage``."""
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), stage, "--data-dir", str(settings.data_dir),
         "index", str(settings.docs_dir), "--no-progress"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)  # polling a file the child writes: it has no other way to signal
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("stage", ["embed", "write", "publish"])
def test_killed_reindex_keeps_previous_index(fresh, tmp_path: Path, stage: str):
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    before = (settings.data_dir / "CURRENT").read_text()
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")

    index_killed_at(stage, settings, tmp_path)

    # The previous generation is still the published one, loads, and answers.
    assert (settings.data_dir / "CURRENT").read_text() == before
    survivor = Engine(settings).load()
    ans = survivor.ask("what did Peskov say about a meeting?")
    assert ans.answered and ans.sources[0].doc_id == "000_aa59c3a3474d19f0.txt"
    assert "tea.md" not in {d.doc_id for d in survivor.sources()}

    # The next run cleans up what the crash left and finishes the job.
    report = survivor.reindex()
    assert report.added == ["tea.md"] and report.published
    assert not list((settings.data_dir / "generations").glob("*.tmp"))
    assert survivor.search("Darjeeling first flush", k=1)[0].doc_id == "tea.md"


@pytest.mark.parametrize("stage", ["embed", "milvus-write", "milvus-publish"])
def test_killed_milvus_reindex_keeps_the_published_generation(fresh, tmp_path: Path, milvus_server: str, stage: str):
    settings = fresh(store="milvus", milvus_uri=milvus_server)
    Engine(settings).reindex()
    pointer = Engine(settings).backend.pointer()
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")

    index_killed_at(stage, settings, tmp_path, {"DOCBOT_STORE": "milvus", "DOCBOT_MILVUS_URI": milvus_server})

    # The alias still names the generation published before, which loads and answers.
    survivor = Engine(settings)
    assert survivor.backend.pointer() == pointer
    ans = survivor.ask("what did Peskov say about a meeting?")
    assert ans.answered and ans.sources[0].doc_id == "000_aa59c3a3474d19f0.txt"
    assert "tea.md" not in {d.doc_id for d in survivor.sources()}

    # The next run drops what the killed one left and publishes the new document.
    report = survivor.reindex()
    assert report.added == ["tea.md"] and report.published
    assert survivor.search("Darjeeling first flush", k=1)[0].doc_id == "tea.md"
    left = [c for c in survivor.backend.client.list_collections() if survivor.backend.pointer() not in c]
    assert len(left) <= 2, left  # the generation before the published one (a docs and a chunks collection)
