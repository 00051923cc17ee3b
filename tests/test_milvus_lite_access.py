"""A Milvus Lite database (``DOCBOT_MILVUS_URI=./x.db``) this user may not read and write is refused in one
line, as the local index's files are (``store.denied``): not a traceback, not "cannot reach Milvus", not
damage to rebuild around. Milvus Lite is a folder; it takes a lock and makes folders in it even to answer a
question, so reading it needs writing it too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from embeddings import EngineSettings
from embeddings.indexer import onnx_dir

from .cli_run import ROOT, clean_env, one_line, unprivileged
from .milvus_fixtures import require_milvus

NOTES = {"port.md": "# Port\n\nThe server listens on port 8743 by default.\n",
         "tea.md": "# Tea\n\nDarjeeling growers picked the first flush in March.\n"}


def _docbot(uri: Path, data: Path, *args: str, as_user: bool = True) -> subprocess.CompletedProcess[str]:
    """``docbot ARGS`` on the Milvus Lite database ``uri``; ``as_user``: with file permissions applying."""
    return subprocess.run([*(unprivileged() if as_user else []), sys.executable, "-m", "embeddings.cli",
                           "--data-dir", str(data), *args], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=clean_env(DOCBOT_STORE="milvus", DOCBOT_MILVUS_URI=str(uri)))


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory, session_index: EngineSettings) -> tuple[Path, Path, Path]:
    """A Milvus Lite database indexed by `docbot index` (the session's ONNX export linked in): its URI, the
    data directory and the notes."""
    require_milvus()
    base = tmp_path_factory.mktemp("lite")
    docs, data = base / "docs", base / "data"
    docs.mkdir()
    for name, text in NOTES.items():
        (docs / name).write_text(text)
    onnx = onnx_dir(session_index.model_copy(update={"data_dir": data}))
    onnx.parent.mkdir(parents=True)
    onnx.symlink_to(onnx_dir(session_index))
    uri = base / "milvus" / "index.db"
    out = _docbot(uri, data, "index", str(docs), "--no-progress", as_user=False)
    assert out.returncode == 0, out.stderr
    return uri, data, docs


def _collection(uri: Path) -> Path:
    return next((uri / "collections").glob("*_chunks"))


def _generations(uri: Path) -> tuple[list[str], str]:
    """The database's collections and aliases: what a rebuild or a sweep changes. Not every file: Milvus Lite
    writes a segment's index files when it first loads the collection, whoever asks."""
    return sorted(p.name for p in (uri / "collections").iterdir()), (uri / "aliases.json").read_text()


@pytest.mark.parametrize("command", [("ask", "what port does the server use?"), ("index", "--no-progress")])
@pytest.mark.parametrize("target", ["the database", "a collection's folder", "its lock"])
def test_a_milvus_lite_database_this_user_may_not_use_is_refused_in_one_line(lite, target: str,
                                                                            command: tuple[str, ...]) -> None:
    """The database's folder: a traceback from Milvus Lite, then "cannot reach Milvus at ...: Open local milvus
    failed". A collection's folder: no collection to Milvus Lite, so the index read as damaged, and `index`
    rebuilt it. Now both say which file may not be used, and change nothing."""
    uri, data, docs = lite
    locked = {"the database": uri, "a collection's folder": _collection(uri), "its lock": uri / "LOCK"}[target]
    mode = locked.stat().st_mode
    before = _generations(uri)
    locked.chmod(0)
    try:
        out = _docbot(uri, data, *command, *([str(docs)] if command[0] == "index" else []))
    finally:
        locked.chmod(mode)
    assert out.returncode == 1, out.stderr
    line = one_line(out.stderr)
    assert line.startswith(f"docbot: cannot open the Milvus Lite database {uri} (DOCBOT_MILVUS_URI): permission "
                           f"denied on {uri if target == 'the database' else locked}"), line
    assert "the index is left as it is" in line
    assert _generations(uri) == before  # nothing rebuilt, nothing dropped


def test_a_new_milvus_lite_database_in_a_folder_this_user_may_not_write_is_refused(lite, tmp_path: Path) -> None:
    _, data, docs = lite
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        out = _docbot(folder / "new.db", data, "index", str(docs), "--no-progress")
        below = _docbot(folder / "sub" / "new.db", data, "index", str(docs), "--no-progress")
    finally:
        folder.chmod(0o755)
    assert out.returncode == below.returncode == 1
    assert one_line(out.stderr).startswith(f"docbot: cannot open the Milvus Lite database {folder / 'new.db'} "
                                           f"(DOCBOT_MILVUS_URI): permission denied on {folder}")
    assert one_line(below.stderr).startswith(f"docbot: cannot open the Milvus Lite database "
                                             f"{folder / 'sub' / 'new.db'} (DOCBOT_MILVUS_URI): permission denied")
    assert list(folder.iterdir()) == []
