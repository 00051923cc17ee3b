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
# between renaming the finished generation into place and publishing it.
RUNNER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    marker = Path(sys.argv[1]); stage = sys.argv[2]

    def stall(*a, **k):
        marker.write_text(stage)
        time.sleep(120)

    if stage == "embed":
        import embeddings.encoder as enc
        enc.TorchEncoder.encode_with_sentences = stall
    elif stage == "write":
        import embeddings.lexical as lex
        lex.LexicalIndex.save = stall
    elif stage == "publish":
        import embeddings.store as st
        st.os.replace = stall
    from embeddings.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


@pytest.mark.parametrize("stage", ["embed", "write", "publish"])
def test_killed_reindex_keeps_previous_index(fresh, tmp_path: Path, stage: str):
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    before = (settings.data_dir / "CURRENT").read_text()
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")

    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), stage, "--data-dir", str(settings.data_dir),
         "index", str(settings.docs_dir), "--no-progress"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()

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


# The same on Milvus: `docbot index` against a `milvus-lite server` (the server lives on, as a Milvus server
# does when a re-indexing machine dies), killed while embedding, after writing the new passages but not the
# documents, and just before the alias would switch to the new generation.
MILVUS_RUNNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    marker = Path(sys.argv[1]); stage = sys.argv[2]

    def stall(*a, **k):
        marker.write_text(stage)
        time.sleep(120)

    if stage == "embed":
        import embeddings.encoder as enc
        enc.TorchEncoder.encode_with_sentences = stall
    elif stage == "write":
        import embeddings.milvus_store as ms
        ms.MilvusStore._write_docs = stall
    elif stage == "publish":
        import pymilvus
        pymilvus.MilvusClient.alter_alias = stall
    from embeddings.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


@pytest.mark.parametrize("stage", ["embed", "write", "publish"])
def test_killed_milvus_reindex_keeps_the_published_generation(fresh, tmp_path: Path, milvus_server: str, stage: str):
    settings = fresh(store="milvus", milvus_uri=milvus_server)
    Engine(settings).reindex()
    pointer = Engine(settings).backend.pointer()
    (settings.docs_dir / "tea.md").write_text("# Tea harvest\nDarjeeling growers picked the first flush in March.\n")

    script = tmp_path / "runner.py"
    script.write_text(MILVUS_RUNNER)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "DOCBOT_STORE": "milvus",
           "DOCBOT_MILVUS_URI": milvus_server}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), stage, "--data-dir", str(settings.data_dir),
         "index", str(settings.docs_dir), "--no-progress"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
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
