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
