"""One lock, a file lock in the data directory, guards every change: re-index, add and remove.

It is taken before anything is touched, so a refused change leaves the documents folder as it was,
and it holds across threads and processes alike.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from embeddings import Engine, ReindexInProgress
from embeddings.errors import DataDirUnusable

ROOT = Path(__file__).resolve().parent.parent

HOLDER = """
import sys
from pathlib import Path
from embeddings.store import reindex_lock
with reindex_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_lock_held_by_another_process_refuses_every_change_before_it_is_made(fresh) -> None:
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    docs = settings.docs_dir
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.data_dir)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(ReindexInProgress, match="already running"):
            engine.reindex()
        with pytest.raises(ReindexInProgress):
            engine.remove_document("grain.txt")
        assert (docs / "grain.txt").exists() and "grain.txt" in {d.doc_id for d in engine.sources()}
        with pytest.raises(ReindexInProgress):
            engine.add_document("tea.md", b"# Tea\nDarjeeling.", max_bytes=1000)
        assert not (docs / "tea.md").exists()
    finally:
        holder.communicate("", timeout=30)
    report = engine.remove_document("grain.txt")  # free again once the other process is done
    assert report.removed == ["grain.txt"] and (docs / "grain.txt").exists()  # not an upload: the file stays


def test_a_change_from_another_thread_is_refused_while_one_runs(fresh) -> None:
    settings = fresh()
    engine = Engine(settings)
    seen: dict[str, object] = {}

    def during_reindex(progress) -> None:
        if progress.stage != "scan" or "busy" in seen:
            return
        seen["busy"] = engine.reindexing

        def other() -> None:
            try:
                engine.remove_document("grain.txt")
            except Exception as exc:  # noqa: BLE001 - the test looks at what was raised
                seen["error"] = exc

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(30)

    assert engine.reindex(progress=during_reindex).published
    assert seen["busy"] is True and isinstance(seen["error"], ReindexInProgress)
    assert (settings.docs_dir / "grain.txt").exists() and not engine.reindexing


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_data_dir_that_cannot_hold_the_lock_is_one_clear_error(fresh, tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    data_dir = blocker if where == "a file" else blocker / "data"
    engine = Engine(fresh().model_copy(update={"data_dir": data_dir}))
    with pytest.raises(DataDirUnusable) as caught:
        engine.reindex()
    assert str(caught.value) == f"cannot use the data directory {data_dir}: " + (
        "it is a file, not a folder" if where == "a file" else f"{blocker} is a file, not a folder")
