"""The index's sources: it changes only when asked (issue 8, "Collections that only change when asked").

A mistyped path, a single file, a bare `index` from another folder remove nothing; removal is explicit (by
path or doc id); an update that would remove more than half of the index refuses; `sources` says where each
document came from; two folders with the same file names do not collide; an index written before sources
were recorded is migrated without embedding anything.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest

from embeddings import (
    DocumentRejected, DuplicateDocument, Engine, EngineSettings, PathNotFound, RemovalRefused, SourceNotFound,
)
from embeddings import documents, store
from embeddings.documents import SUPPORTED_SUFFIXES
from embeddings.indexer import Indexer, onnx_dir
from embeddings.encoder import TorchEncoder

from .conftest import ROOT
from .test_incremental import CountingEncoder

#: ``main`` just before sources were recorded: its ``embeddings`` package writes the index format this
#: change migrates (sources derived from the stored document paths).
BEFORE_SOURCES = "6e0dd864744672e59884c7b770a2ee0ba622c9be"

SEED_ID = "000_aa59c3a3474d19f0.txt"
TEA = "# Tea harvest\nDarjeeling growers picked the first flush in March.\n"


def docbot(*args: str, data_dir: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, cwd=cwd,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def copy(session_index: EngineSettings, tmp_path: Path) -> EngineSettings:
    """A private copy of the session's documents and index, side by side (the ONNX export linked).

    The copied index finds its source in the copied folder: sources are also recorded relative to the
    data directory, so a data directory moved together with its documents keeps working.
    """
    docs, data = tmp_path / "docs", tmp_path / "data"
    shutil.copytree(session_index.docs_dir, docs)
    shutil.copytree(session_index.data_dir, data, ignore=shutil.ignore_patterns("onnx", "reindex.lock"))
    (data / "onnx").symlink_to(session_index.data_dir / "onnx", target_is_directory=True)
    return session_index.model_copy(update={"data_dir": data, "docs_dir": docs})


def current(settings: EngineSettings) -> str:
    return (settings.data_dir / "CURRENT").read_text()


def doc_ids(settings: EngineSettings) -> set[str]:
    return {d.doc_id for d in Engine(settings).sources()}


ALL = {SEED_ID, "volcano.md", "grain.txt", "everyone.md"}


# ---------------------------------------------------------------------- nothing is removed by accident
def test_a_copied_index_finds_its_documents_in_the_copied_folder(copy: EngineSettings, session_index) -> None:
    (sources,) = Engine(copy).collection().sources
    assert sources.path == str(copy.docs_dir.resolve()) and sources.documents == 4
    (copy.docs_dir / "tea.md").write_text(TEA)
    report = Engine(copy).index()
    assert report.added == ["tea.md"] and report.removed == [] and report.unchanged == 4
    assert report.notes == [f"the source {session_index.docs_dir.resolve()} is now {copy.docs_dir.resolve()} "
                            "(moved with the data directory); recorded there"]
    again = Engine(copy).index()
    assert not again.published and again.notes == []


def test_a_mistyped_path_is_an_error_and_changes_nothing(copy: EngineSettings) -> None:
    before = current(copy)
    out = docbot("index", str(copy.docs_dir.parent / "doc"), data_dir=copy.data_dir)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "doc: no such file or folder; nothing was changed" in out.stderr
    assert f"the index's sources: {copy.docs_dir.resolve()}" in out.stderr, "says what the sources are"
    assert current(copy) == before and doc_ids(copy) == ALL
    with pytest.raises(PathNotFound, match="no such file or folder"):
        Engine(copy).index([copy.docs_dir, copy.docs_dir / "nope.md"])  # one bad path: none is indexed
    assert current(copy) == before


def test_indexing_a_single_file_adds_it_and_removes_nothing(copy: EngineSettings, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "parking.md").write_text("# Parking\nPark behind the community hall on Fridays.\n")
    (notes / "other.md").write_text("# Other\nNot asked for.\n")
    out = docbot("index", str(notes / "parking.md"), data_dir=copy.data_dir)
    assert out.returncode == 0, out.stderr
    assert "5 documents: 1 added, 0 changed, 0 removed, 4 unchanged; published a new index." in out.stdout
    assert doc_ids(copy) == ALL | {"parking.md"}, "the file alone, not the folder beside it"
    kinds = {(s.path, s.kind) for s in Engine(copy).collection().sources}
    assert kinds == {(str(copy.docs_dir.resolve()), "folder"), (str((notes / "parking.md").resolve()), "file")}
    # A file inside a source folder is part of that source: it updates it, and removes nothing.
    (copy.docs_dir / "tea.md").write_text(TEA)
    report = Engine(copy).index([copy.docs_dir / "tea.md"])
    assert report.added == ["tea.md"] and report.removed == []
    assert len(Engine(copy).collection().sources) == 2


def test_a_bare_index_from_another_folder_updates_the_known_sources(copy: EngineSettings, tmp_path: Path) -> None:
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    (copy.docs_dir / "tea.md").write_text(TEA)
    out = docbot("index", data_dir=copy.data_dir, cwd=elsewhere)  # no ./seeds here
    assert out.returncode == 0, out.stderr
    assert "5 documents: 1 added, 0 changed, 0 removed, 4 unchanged" in out.stdout
    assert doc_ids(copy) == ALL | {"tea.md"}


def test_a_bare_index_with_nothing_to_index_is_a_clear_error(tmp_path: Path) -> None:
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    out = docbot("index", data_dir=tmp_path / "data", cwd=elsewhere)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert ("nothing to index: the index has no sources yet and the documents folder seeds (DOCBOT_DOCS_DIR) "
            "does not exist; name what to index: `docbot index PATH`") in out.stderr
    assert not (tmp_path / "data" / "CURRENT").exists()


def test_a_source_that_is_gone_is_an_error_until_it_is_back_or_removed(copy: EngineSettings) -> None:
    assert Engine(copy).index().published  # records where the copy's source is
    before = current(copy)
    moved = copy.docs_dir.with_name("docs-moved")
    copy.docs_dir.rename(moved)
    out = docbot("index", data_dir=copy.data_dir)
    assert out.returncode == 1 and current(copy) == before
    assert (f"the source {copy.docs_dir.resolve()} does not exist (moved, renamed, or on a drive that is not "
            f"mounted?); put it back, or drop it and its 4 documents with `docbot remove {copy.docs_dir.resolve()}`"
            ) in out.stderr
    assert Engine(copy).collection().sources[0].exists is False
    # Indexing another path is not held up by it.
    (moved / "tea.md").write_text(TEA)
    report = Engine(copy).index([moved / "tea.md"])
    assert report.added == ["tea.md"] and report.removed == []
    # The missing source can be dropped by its path, explicitly.
    out = docbot("remove", str(copy.docs_dir), data_dir=copy.data_dir)
    assert out.returncode == 0, out.stderr
    assert "1 document: 0 added, 0 changed, 4 removed, 1 unchanged" in out.stdout
    assert doc_ids(copy) == {"tea.md"}


# ---------------------------------------------------------------------- explicit removal
def test_remove_by_doc_id_and_by_path(copy: EngineSettings) -> None:
    sub = copy.docs_dir / "archive"
    sub.mkdir()
    (sub / "tea.md").write_text(TEA)
    (sub / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    Engine(copy).index()
    assert doc_ids(copy) == ALL | {"archive/tea.md", "archive/chess.md"}

    out = docbot("remove", "volcano.md", data_dir=copy.data_dir)
    assert out.returncode == 0, out.stderr
    assert "1 removed" in out.stdout and "removed: volcano.md" in out.stdout
    assert (copy.docs_dir / "volcano.md").exists(), "the file itself is left alone"
    out = docbot("remove", str(sub), "--json", data_dir=copy.data_dir)  # a folder inside the source
    assert json.loads(out.stdout)["removed"] == ["archive/chess.md", "archive/tea.md"]
    assert doc_ids(copy) == ALL - {"volcano.md"}

    # Removed means removed: a later update does not bring them back ...
    report = Engine(copy).index()
    assert report.added == [] and report.removed == [] and doc_ids(copy) == ALL - {"volcano.md"}
    (source,) = Engine(copy).collection().sources
    assert source.excluded == ["archive", "volcano.md"]
    # ... naming one again does.
    report = Engine(copy).index([copy.docs_dir / "volcano.md"])
    assert report.added == ["volcano.md"] and doc_ids(copy) == ALL

    # Unknown targets remove nothing, even beside a good one.
    before = current(copy)
    with pytest.raises(SourceNotFound, match="'nope.md' is neither an indexed document nor a source"):
        Engine(copy).remove(["grain.txt", "nope.md"])
    out = docbot("remove", str(copy.docs_dir / "archive" / "tea.md"), data_dir=copy.data_dir)
    assert out.returncode == 1 and "no indexed document is under" in out.stderr
    assert current(copy) == before and "grain.txt" in doc_ids(copy)


def test_an_index_whose_sources_were_all_removed_does_not_fall_back_to_the_documents_folder(
    copy: EngineSettings, tmp_path: Path
) -> None:
    report = Engine(copy).remove([copy.docs_dir])
    assert len(report.removed) == 4 and report.documents_total == 0
    assert Engine(copy).collection().sources == []
    with pytest.raises(PathNotFound, match="every source was removed from the index; name what to index"):
        Engine(copy).index()  # DOCBOT_DOCS_DIR exists, but it was removed on purpose
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DocumentRejected, match=r"photo.png: not a kind of document docbot reads \(it reads "
                                               + ", ".join(SUPPORTED_SUFFIXES)):
        Engine(copy).index([photo])
    assert Engine(copy).index([copy.docs_dir]).added == sorted(ALL)


def test_a_source_inside_another_keeps_its_documents_and_stays_removed(copy: EngineSettings) -> None:
    inner = copy.docs_dir / "team"
    inner.mkdir()
    (inner / "tea.md").write_text(TEA)
    Engine(copy).index([copy.docs_dir / "team" / "tea.md"])  # inside the docs folder: part of that source
    assert Engine(copy).remove(["team/tea.md"]).removed == ["team/tea.md"]
    # Sources may nest: the outer folder, added after the inner file, leaves it its own (and its id).
    outer = copy.docs_dir.parent
    other = copy.docs_dir.parent / "other"
    other.mkdir()
    (other / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    single = Engine(copy).index([other / "chess.md"])
    assert single.added == ["chess.md"]
    report = Engine(copy).index([outer])
    assert report.added == [] and report.removed == [], "the data directory and the inner sources are not read twice"
    assert {(s.path, s.documents) for s in Engine(copy).collection().sources} == {
        (str(copy.docs_dir.resolve()), 4), (str((other / "chess.md").resolve()), 1), (str(outer.resolve()), 0)}
    # Dropping the inner file source keeps it out of the outer folder too.
    assert Engine(copy).remove(["chess.md"]).removed == ["chess.md"]
    assert Engine(copy).index().added == [] and "chess.md" not in doc_ids(copy)


# ---------------------------------------------------------------------- the guard
def test_removing_more_than_half_needs_an_explicit_request(copy: EngineSettings) -> None:
    before = current(copy)
    kept = copy.docs_dir.parent / "kept"
    kept.mkdir()
    for name in (SEED_ID, "volcano.md", "grain.txt"):  # 3 of 4 files gone (an emptied folder, a bad sync...)
        (copy.docs_dir / name).rename(kept / name)
    out = docbot("index", data_dir=copy.data_dir)
    assert out.returncode == 1 and current(copy) == before and doc_ids(copy) == ALL
    assert (f"this update would remove 3 of the index's 4 documents (their files are no longer in "
            f"{copy.docs_dir.resolve()}), so it was refused and nothing was changed. If those files were deleted "
            "on purpose, run `docbot index --prune`") in out.stderr
    with pytest.raises(RemovalRefused) as refused:
        Engine(copy).index([copy.docs_dir])
    assert refused.value.removed == sorted([SEED_ID, "volcano.md", "grain.txt"]) and refused.value.total == 4

    # Half is not more than half: one file deleted out of four goes through as an update.
    (kept / SEED_ID).rename(copy.docs_dir / SEED_ID)
    (kept / "volcano.md").rename(copy.docs_dir / "volcano.md")
    assert Engine(copy).index().removed == ["grain.txt"]

    # An explicit removal of more than half passes ...
    report = Engine(copy).remove([SEED_ID, "volcano.md"])
    assert report.removed == [SEED_ID, "volcano.md"] and doc_ids(copy) == {"everyone.md"}
    # ... and so does --prune, which says what it dropped.
    Engine(copy).index([copy.docs_dir / SEED_ID, copy.docs_dir / "volcano.md"])
    for name in (SEED_ID, "volcano.md"):
        (copy.docs_dir / name).unlink()
    out = docbot("index", "--prune", data_dir=copy.data_dir)
    assert out.returncode == 0, out.stderr
    assert "2 removed" in out.stdout and f"removed: {SEED_ID}, volcano.md" in out.stdout


# ---------------------------------------------------------------------- ids across sources
def test_two_folders_with_the_same_names_do_not_collide(copy: EngineSettings, tmp_path: Path) -> None:
    other = tmp_path / "team-b"
    other.mkdir()
    (other / "volcano.md").write_text("# Team B volcano notes\nOur own notes about Stromboli.\n")
    (other / "tea.md").write_text(TEA)
    before = {d.doc_id: d.title for d in Engine(copy).sources()}
    report = Engine(copy).index([other])
    assert sorted(report.added) == ["tea.md", "team-b/volcano.md"] and report.changed == []
    assert report.notes[-1] == (f"{(other / 'volcano.md').resolve()}: the name volcano.md is taken by a document "
                                "of another source; indexed as team-b/volcano.md")
    after = {d.doc_id: (d.title, d.source) for d in Engine(copy).sources()}
    assert {k: v[0] for k, v in after.items() if k in before} == before, "existing ids keep their documents"
    assert after["team-b/volcano.md"] == ("Team B volcano notes", str(other.resolve()))
    assert after["volcano.md"] == ("Mount Etna erupts again", str(copy.docs_dir.resolve()))
    # Ids are kept from run to run, whichever source is updated first.
    assert Engine(copy).index().unchanged == 6

    listing = docbot("sources", data_dir=copy.data_dir).stdout
    assert listing.startswith("2 sources, 6 documents:\n")
    assert f"\n{copy.docs_dir.resolve()}  (folder, 4 documents)\n" in listing
    assert listing.endswith(f"\n{other.resolve()}  (folder, 2 documents)\n  undated  Tea harvest  [tea.md, 1 chunk]\n"
                            "  undated  Team B volcano notes  [team-b/volcano.md, 1 chunk]\n")


# ---------------------------------------------------------------------- uploads
def test_an_upload_whose_name_is_taken_is_refused_unless_replacing(copy: EngineSettings) -> None:
    engine = Engine(copy)
    before = current(copy)
    old = (copy.docs_dir / "volcano.md").read_bytes()
    with pytest.raises(DuplicateDocument, match="a document named volcano.md is already indexed "
                                                "\\(“Mount Etna erupts again”\\)") as refused:
        engine.add_document("volcano.md", b"# Etna quiet\nNothing happened.\n", max_bytes=10_000)
    assert (refused.value.doc_id, refused.value.title) == ("volcano.md", "Mount Etna erupts again")
    # Names that only become equal once made safe are refused the same way, saying so.
    (copy.docs_dir / "Budget_2023.md").write_text("# Budget\nThe first budget.\n")
    with pytest.raises(DuplicateDocument, match=r"Budget \[2023\].md: would be saved as Budget_2023.md"):
        engine.add_document("Budget [2023].md", b"# Budget\nAnother budget.\n", max_bytes=10_000)
    assert (copy.docs_dir / "volcano.md").read_bytes() == old and current(copy) == before
    assert (copy.docs_dir / "Budget_2023.md").read_text() == "# Budget\nThe first budget.\n"

    report = engine.add_document("volcano.md", b"# Etna quiet\nNothing happened.\n", max_bytes=10_000, replace=True)
    assert report.changed == ["volcano.md"] and report.removed == []
    assert [(d.doc_id, d.title) for d in report.replaced] == [("volcano.md", "Mount Etna erupts again")]
    assert (copy.docs_dir / "volcano.md").read_text() == "# Etna quiet\nNothing happened.\n"


def test_an_upload_replacing_a_document_of_another_source_leaves_its_file_alone(
    copy: EngineSettings, tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    settings = copy.model_copy(update={"uploads_dir": uploads})
    engine = Engine(settings)
    report = engine.add_document("tea.md", TEA.encode(), max_bytes=10_000)
    assert report.added == ["tea.md"] and (uploads / "tea.md").read_text() == TEA
    assert {s.path for s in engine.collection().sources} == {str(copy.docs_dir.resolve()), str(uploads.resolve())}
    with pytest.raises(DuplicateDocument):
        engine.add_document("grain.txt", b"Grain news, corrected.\n", max_bytes=10_000)
    report = engine.add_document("grain.txt", b"Grain news, corrected.\n", max_bytes=10_000, replace=True)
    assert report.changed == ["grain.txt"] and [d.source for d in report.replaced] == [str(copy.docs_dir.resolve())]
    assert (copy.docs_dir / "grain.txt").exists(), "the other source's file is left alone"
    by_id = {d.doc_id: d.source for d in engine.sources()}
    assert by_id["grain.txt"] == str(uploads.resolve())
    # Updating every source keeps the upload, and does not bring the replaced document back.
    report = engine.index()
    assert report.added == report.changed == report.removed == [] and by_id == {
        d.doc_id: d.source for d in engine.sources()}
    # Removing an upload deletes its file from the uploads folder; uploading it again starts afresh.
    assert engine.remove_document("tea.md").removed == ["tea.md"] and not (uploads / "tea.md").exists()
    assert engine.add_document("tea.md", TEA.encode(), max_bytes=10_000).added == ["tea.md"]


# ---------------------------------------------------------------------- migration
def _old_embeddings(target: Path) -> Path:
    """The ``embeddings`` package as it was before sources were recorded, from git."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the code before sources cannot be checked out")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE_SOURCES, "embeddings"],
                             capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"commit {BEFORE_SOURCES[:7]} is not in this clone: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.mark.slow
def test_an_index_written_before_sources_is_migrated_without_embedding(
    session_index: EngineSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(session_index.docs_dir, project / "docs")
    (project / "docs" / "sub").mkdir()
    (project / "docs" / "sub" / "tea.md").write_text(TEA)
    old = _old_embeddings(tmp_path / "old")
    settings = EngineSettings(data_dir=project / "data", docs_dir=project / "docs", _env_file=None)
    export = onnx_dir(settings)
    export.parent.mkdir(parents=True)
    export.symlink_to(onnx_dir(session_index), target_is_directory=True)
    # The old code, run the usual way: from the project folder, with relative paths.
    build = subprocess.run(
        [sys.executable, "-c", "import embeddings, sys; from embeddings import Engine, EngineSettings; "
         "print(embeddings.__file__); "
         "Engine(EngineSettings(data_dir='data', docs_dir='docs', _env_file=None)).reindex()"],
        cwd=project, capture_output=True, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(old)},
    )
    assert build.returncode == 0, build.stderr
    assert build.stdout.startswith(str(old)), "the old code built it"
    gen_dir = project / "data" / "generations" / current(settings).strip()
    with sqlite3.connect(gen_dir / "store.sqlite") as db:
        assert db.execute("SELECT path FROM documents WHERE doc_id='sub/tea.md'").fetchone() == ("docs/sub/tea.md",)
        assert db.execute("SELECT name FROM sqlite_master WHERE name='sources'").fetchone() is None
    old_vectors = np.load(gen_dir / "vectors.npy")

    monkeypatch.chdir(tmp_path)  # elsewhere: the stored paths are relative to the project folder
    derived = Engine(settings).collection()  # on first open: derived, not yet recorded
    assert not derived.recorded and [(s.path, s.kind, s.documents) for s in derived.sources] == [
        (str((project / "docs").resolve()), "folder", 5)]
    assert {d.source for d in derived.documents} == {str((project / "docs").resolve())}
    out = docbot("sources", data_dir=settings.data_dir, cwd=tmp_path)
    assert "(sources derived from an older index; `docbot index` records them)" in out.stdout

    counter = CountingEncoder(TorchEncoder(settings.model, precision=settings.embed_precision))
    engine = Engine(settings, indexer=Indexer(settings, encoder=counter))  # type: ignore[arg-type]
    ids = {d.doc_id for d in derived.documents}
    # The chunking has changed since that code, and a change of it embeds every document again once
    # (tests/test_incremental.py); this test is about the sources, so the old chunking is taken as today's.
    monkeypatch.setattr(store, "CHUNKER_VERSION", engine.load().generation.manifest.chunker)
    # So is the title a file's name gives a note without one (that code's "grain", today's "Grain").
    monkeypatch.setattr(documents, "_title_from_name", lambda name, dated=None: PurePosixPath(name).stem)
    report = engine.index()  # the first update records the sources
    assert report.published and report.unchanged == 5 and not (report.added or report.changed or report.removed)
    assert report.chunks_embedded == 0 and counter.texts == [], "nothing embedded again"
    assert np.array_equal(np.asarray(engine.generation.vectors), old_vectors), "the same vectors, reused"
    migrated = engine.collection()
    assert migrated.recorded and {d.doc_id for d in migrated.documents} == ids, "ids stay the same"
    assert [(s.path, s.documents) for s in migrated.sources] == [(str((project / "docs").resolve()), 5)]
    assert not engine.index().published, "recorded once"
    (project / "docs" / "sub" / "chai.md").write_text("# Chai\nMasala chai is brewed with spices.\n")
    assert engine.index().added == ["sub/chai.md"]
