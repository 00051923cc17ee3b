"""A damaged index is noticed, named in one line, answered around and repaired by `index`.

Each fault is one that was seen or tried by hand (issue 7): files truncated, deleted or overwritten
inside, the pointer emptied or garbled. The index under test has two generations, as after any
second `index`: the published one (with tea.md) and the one before it (without).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from embeddings import Engine, EngineSettings
from embeddings.errors import IndexDamaged, PathNotFound
from embeddings.indexer import onnx_dir
from embeddings.store import read_pointer

from .cli_run import clean_env, one_line, snapshot, unprivileged
from .conftest import make_docs

ROOT = Path(__file__).resolve().parent.parent
TEA = "# Tea harvest\nDarjeeling growers picked the first flush in March.\n"
TEA_QUESTION = "When did Darjeeling growers pick the first flush?"


@pytest.fixture(scope="module")
def two_generations(tmp_path_factory: pytest.TempPathFactory, session_index: EngineSettings) -> EngineSettings:
    """Built once: the session's documents indexed, then tea.md added and indexed again."""
    base = tmp_path_factory.mktemp("two-generations")
    settings = EngineSettings(data_dir=base / "data", docs_dir=make_docs(base / "docs"), _env_file=None)
    link = onnx_dir(settings)
    link.parent.mkdir(parents=True)
    link.symlink_to(onnx_dir(session_index))
    engine = Engine(settings)
    engine.reindex()
    (settings.docs_dir / "tea.md").write_text(TEA)
    engine.reindex()
    return settings


class Index:
    """A private copy of ``two_generations`` to damage."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.data = settings.data_dir
        names = sorted(p.name for p in (self.data / "generations").iterdir())
        assert len(names) == 2 and read_pointer(self.data) == names[1]
        self.older, self.published = names
        self.gen = self.data / "generations" / self.published

    def generations(self) -> list[str]:
        return sorted(p.name for p in (self.data / "generations").iterdir())


@pytest.fixture
def index(two_generations: EngineSettings, tmp_path: Path) -> Index:
    docs, data = tmp_path / "docs", tmp_path / "data"
    shutil.copytree(two_generations.docs_dir, docs)
    shutil.copytree(two_generations.data_dir, data, symlinks=True, ignore=shutil.ignore_patterns("reindex.lock"))
    return Index(two_generations.model_copy(update={"data_dir": data, "docs_dir": docs}))


# ---------------------------------------------------------------------- faults
def truncate(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def garbage(offset: int | Callable[[int], int], length: int = 4096) -> Callable[[Path], None]:
    """Overwrite ``length`` bytes at ``offset`` (the size stays the same): only checksums see it."""

    def damage(path: Path) -> None:
        data = bytearray(path.read_bytes())
        at = offset(len(data)) if callable(offset) else offset
        data[at : at + length] = np.random.default_rng(7).bytes(len(data[at : at + length]))
        path.write_bytes(bytes(data))

    return damage


def delete(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() else path.unlink()


FAULTS = {
    # name: (file, fault, seen when loading (cheap checks) rather than only by checksums)
    "faiss-truncated": ("index.faiss", truncate, True),
    "faiss-4k-garbage-inside": ("index.faiss", garbage(lambda n: n // 2 - 2048), True),
    "vectors-deleted": ("vectors.npy", delete, True),
    "vectors-truncated": ("vectors.npy", truncate, True),
    "sqlite-header-garbage": ("store.sqlite", garbage(0, 100), True),
    "sqlite-page-garbage": ("store.sqlite", garbage(2 * 4096), False),  # the texts' page: only checksums
    "bm25-deleted": ("bm25", delete, True),
    "sentences-deleted": ("sentences.npy", delete, True),
    "sentence-vectors-truncated": ("sentence_vectors.npy", truncate, True),
    "sentence-scales-deleted": ("sentence_scales.npy", delete, True),
    "chunk-sentences-truncated": ("chunk_sentences.npy", truncate, True),
}


def names(engine: Engine) -> set[str]:
    return {d.doc_id for d in engine.sources()}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_damage_is_named_answered_around_and_repaired(index: Index, fault: str, caplog) -> None:
    file, damage, cheap = FAULTS[fault]
    damage(index.gen / file)

    # stats --verify names the damaged file of the published generation; the one before is intact.
    check = Engine(index.settings).verify()
    assert not check.intact
    published, older = check.generations
    assert published.published and file.rstrip("/") in published.problem
    assert older.problem is None and check.serving.name == index.older

    # Questions: the cheap checks on loading skip the damaged generation for the one before it, and
    # say so once, in one line naming the file.
    if cheap:
        with caplog.at_level(logging.WARNING, logger="embeddings.engine"):
            engine = Engine(index.settings)
            assert "tea.md" not in names(engine)
            assert engine.ask("What closed Catania airport?").answered
            engine.ask("What closed Catania airport?")
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and file in warnings[0] and index.older in warnings[0]
        assert "\n" not in warnings[0]

    # `index` rebuilds: vectors come from the intact files, so only what no intact generation holds
    # is embedded again (nothing when only the FAISS or BM25 index was damaged).
    report = Engine(index.settings).reindex()
    assert report.published and report.documents_total == 5
    assert report.chunks_embedded == (0 if file in ("index.faiss", "bm25") else 1)
    repaired = Engine(index.settings)
    ans = repaired.ask(TEA_QUESTION)
    assert ans.answered and ans.sources[0].doc_id == "tea.md"
    assert repaired.verify().intact
    # The damaged generation is gone, the intact one before it kept.
    assert index.published not in index.generations() and index.older in index.generations()


@pytest.mark.parametrize("command", [("stats",), ("sources", "--json"), ("index", "--no-progress")])
@pytest.mark.parametrize("target", ["store.sqlite", "bm25", "the generation", "CURRENT"])
def test_an_index_this_user_may_not_read_is_refused_not_repaired(index: Index, target: str,
                                                                 command: tuple[str, ...]) -> None:
    """A file or folder of the index that this user may not read (another user's, or its mode changed) was read
    as damage: questions came from the generation before, and `index` rebuilt around it and swept it away.
    Now every command says so in one line and changes nothing."""
    locked = {"the generation": index.gen, "CURRENT": index.data / "CURRENT"}.get(target, index.gen / target)
    mode = locked.stat().st_mode
    before = snapshot(index.data)
    locked.chmod(0)
    try:
        out = subprocess.run([*unprivileged(), sys.executable, "-m", "embeddings.cli", "--data-dir",
                              str(index.data), *command], capture_output=True, text=True, cwd=ROOT, env=clean_env())
    finally:
        locked.chmod(mode)
    assert out.returncode == 1
    line = one_line(out.stderr)
    assert line.startswith(f"docbot: cannot read {locked if target != 'the generation' else index.gen}")
    assert "permission denied; the index is left as it is" in line
    assert snapshot(index.data) == before and index.generations() == [index.older, index.published]


def test_only_generation_damaged_says_so_and_index_rebuilds_it(index: Index) -> None:
    shutil.rmtree(index.data / "generations" / index.older)
    truncate(index.gen / "vectors.npy")
    with pytest.raises(IndexDamaged, match=r"vectors\.npy is .* bytes, .* expected.*run `docbot index`"):
        Engine(index.settings).ask(TEA_QUESTION)
    report = Engine(index.settings).reindex()
    assert report.published and report.chunks_embedded == report.chunks_total == 11
    assert Engine(index.settings).ask(TEA_QUESTION).sources[0].doc_id == "tea.md"


def _elsewhere(index: Index, tmp_path: Path) -> EngineSettings:
    """The index's settings with DOCBOT_DOCS_DIR naming another folder than the index's source."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "seed.md").write_text("# Seed\nA lone seed document, not one of the index's.\n")
    return index.settings.model_copy(update={"docs_dir": seeds})


def test_a_rebuild_of_a_wholly_damaged_index_keeps_its_recorded_sources(index: Index, tmp_path: Path) -> None:
    """Every generation damaged, store.sqlite readable: rebuilt from the sources it records, not from
    DOCBOT_DOCS_DIR (which once turned a 121-document index into the 1-document seeds one)."""
    settings = _elsewhere(index, tmp_path)
    truncate(index.gen / "sentence_vectors.npy")
    truncate(index.data / "generations" / index.older / "vectors.npy")
    source = index.settings.docs_dir.resolve()
    with pytest.raises(IndexDamaged, match=rf"rebuild it from its recorded sources \({source}\)$"):
        Engine(settings).sources()  # a damaged index still tells what it was built from
    report = Engine(settings).reindex()
    assert report.published and report.chunks_embedded == report.chunks_total == 11
    engine = Engine(settings)
    assert "tea.md" in names(engine) and "seed.md" not in names(engine)
    assert [s.path for s in engine.collection().sources] == [str(index.settings.docs_dir.resolve())]
    assert index.published not in index.generations()  # swept only once rebuilt


@pytest.mark.parametrize("as_json", [False, True])
def test_sources_of_a_wholly_damaged_index_lists_its_recorded_documents(index: Index, capsys, as_json: bool) -> None:
    """`sources` on an index whose every generation is damaged named the source folders (in its error) but not
    the documents, which the damaged record still lists: they are listed, said to be recorded, not readable."""
    from embeddings.cli import main

    truncate(index.gen / "sentence_vectors.npy")
    truncate(index.data / "generations" / index.older / "vectors.npy")
    before = snapshot(index.data)
    assert main(["sources", *(["--json"] if as_json else [])], settings=index.settings) == 1
    out, err = capsys.readouterr()
    assert one_line(err).startswith(f"docbot: index generation {index.gen} is damaged: sentence_vectors.npy is ")
    source = str(index.settings.docs_dir.resolve())
    if as_json:
        listed = json.loads(out)
        assert listed["damaged"] == err.strip().removeprefix("docbot: ")
        assert [s["path"] for s in listed["sources"]] == [source] and listed["sources"][0]["documents"] == 5
        seeds = {p.name for p in (ROOT / "seeds").glob("*.txt")}
        assert {d["doc_id"] for d in listed["documents"]} == {"tea.md", "volcano.md", "grain.txt", "everyone.md", *seeds}
        assert all(d["chars"] is None for d in listed["documents"])  # their texts are not read
    else:
        lines = out.splitlines()
        assert lines[0] == ("The index is damaged: 1 source, 5 documents recorded, not in a readable index (nothing is "
                            "answered from them until `docbot index` rebuilds the index from these sources):")
        assert any(line.startswith("  undated  Tea harvest  [tea.md, 1 chunk]") for line in lines)
    assert snapshot(index.data) == before


def test_a_damaged_index_whose_sources_cannot_be_read_asks_for_them(index: Index, tmp_path: Path) -> None:
    settings = _elsewhere(index, tmp_path)
    shutil.rmtree(index.data / "generations" / index.older)
    garbage(0, 100)(index.gen / "store.sqlite")
    with pytest.raises(IndexDamaged, match=r"record of sources cannot be read either: name the folders"):
        Engine(settings).sources()
    with pytest.raises(PathNotFound, match=r"record of sources cannot be read.*`docbot index PATH \.\.\.`"):
        Engine(settings).reindex()
    assert index.generations() == [index.published]  # nothing swept, nothing indexed from DOCBOT_DOCS_DIR
    report = Engine(settings).reindex([index.settings.docs_dir])  # named, it is rebuilt
    assert report.published and "seed.md" not in names(Engine(settings))


@pytest.mark.parametrize("pointer", [b"", b"\xff\xfe garbled \x00\n", b"gen-20990101T000000000000\n"])
def test_emptied_or_garbled_pointer_keeps_the_intact_generation(index: Index, pointer: bytes) -> None:
    (index.data / "CURRENT").write_bytes(pointer)
    engine = Engine(index.settings)
    assert "tea.md" in names(engine)  # the newest finished generation answers
    report = engine.reindex()
    # Nothing embedded again, nothing intact deleted; a new pointer is published.
    assert report.published and report.chunks_embedded == 0 and report.unchanged == 5
    assert index.published in index.generations()
    assert read_pointer(index.data) not in (index.published, index.older)
    assert Engine(index.settings).verify().intact


def test_missing_pointer_with_generations_is_not_a_fresh_index(index: Index) -> None:
    (index.data / "CURRENT").unlink()
    report = Engine(index.settings).reindex()
    assert report.chunks_embedded == 0 and index.published in index.generations()


def test_damaged_generation_never_stops_a_reindex_that_adds_documents(index: Index) -> None:
    garbage(0, 100)(index.gen / "store.sqlite")
    (index.settings.docs_dir / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    engine = Engine(index.settings)
    report = engine.reindex()
    # Built on the intact generation before: tea.md is new to it again, and so is chess.md.
    assert sorted(report.added) == ["chess.md", "tea.md"] and report.chunks_embedded == 2
    assert {"chess.md", "tea.md"} <= names(engine)


def test_counts_are_checked_against_the_manifest(index: Index) -> None:
    manifest = json.loads((index.gen / "manifest.json").read_text())
    manifest["chunks"] += 1
    (index.gen / "manifest.json").write_text(json.dumps(manifest))
    problem = Engine(index.settings).verify().generations[0].problem
    assert "holds 11 chunks, the manifest 12" in problem


def test_non_finite_vectors_are_never_written(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    from embeddings.encoder import TorchEncoder

    real = TorchEncoder.encode_with_sentences

    def poisoned(self, *args, **kwargs):
        vectors, sentences = real(self, *args, **kwargs)
        vectors[0, 0] = np.inf
        return vectors, sentences

    monkeypatch.setattr(TorchEncoder, "encode_with_sentences", poisoned)
    (index.settings.docs_dir / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    with pytest.raises(ValueError, match="non-finite"):
        Engine(index.settings).reindex()
    assert read_pointer(index.data) == index.published and index.generations() == [index.older, index.published]


def _set(i: int, value: float) -> Callable[[np.ndarray], np.ndarray]:
    def damage(row: np.ndarray) -> np.ndarray:
        row[i] = value
        return row
    return damage


@pytest.mark.parametrize("damage", [
    pytest.param(_set(5, 1.01), id="a component past 1"),
    pytest.param(_set(5, -1.01), id="a component past -1"),
    pytest.param(_set(0, np.nan), id="nan"),
    pytest.param(_set(1, -np.inf), id="inf"),
    pytest.param(lambda row: row * 1.5, id="a vector longer than a unit vector"),
])
def test_damaged_vectors_are_told_from_unit_vectors(damage: Callable[[np.ndarray], np.ndarray]) -> None:
    """The check a generation's open makes on every FAISS vector (a flat index, IVF lists, an HNSW
    graph's vectors), here on an index whose bytes were changed where one vector is stored, as damage
    on disk would."""
    import faiss

    from embeddings.store import _vectors_sane

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(256, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[2] = 0.0
    vectors[4] = np.eye(16, dtype=np.float32)[0]  # a component of exactly 1
    for index in (faiss.IndexFlatIP(16), faiss.IndexIVFFlat(faiss.IndexFlatIP(16), 16, 4),
                  faiss.IndexHNSWFlat(16, 8, faiss.METRIC_INNER_PRODUCT)):
        index.train(vectors)
        index.add(vectors)
        assert _vectors_sane(index)
        data = faiss.serialize_index(index).tobytes()
        row = vectors[9].tobytes()
        assert data.count(row) == 1
        broken = data.replace(row, damage(vectors[9].copy()).tobytes())
        assert not _vectors_sane(faiss.deserialize_index(np.frombuffer(broken, dtype=np.uint8)))



@pytest.mark.parametrize("value", [np.nan, np.inf, 40.0])
def test_damaged_ranges_of_an_8bit_ivf_index_are_found(value: float) -> None:
    """An 8-bit IVF index (``DOCBOT_IVF_ENCODING=sq8``) holds bytes, which cannot be non-finite; its
    trained ranges can, and the same check finds them changed on disk."""
    import faiss

    from embeddings import vector_index
    from embeddings.store import _vectors_sane

    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(2000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = vector_index.build(vectors, exact_max=100, encoding="sq8")
    assert _vectors_sane(index)
    data = faiss.serialize_index(index).tobytes()
    trained = faiss.vector_to_array(index.sq.trained)
    assert data.count(trained.tobytes()) == 1
    broken = trained.copy()
    broken[3] = value
    damaged = data.replace(trained.tobytes(), broken.tobytes())
    assert not _vectors_sane(faiss.deserialize_index(np.frombuffer(damaged, dtype=np.uint8)))

# ---------------------------------------------------------------------- what a user sees
def docbot(index: Index, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "embeddings.cli", "--data-dir", str(index.data), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**env, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)},
    )


def test_cli_damage_verify_ask_and_repair(index: Index) -> None:
    garbage(lambda n: n // 2 - 2048)(index.gen / "index.faiss")

    out = docbot(index, "stats", "--verify")
    assert out.returncode == 1
    assert f"{index.published} (published)  DAMAGED: index.faiss does not match its checksum" in out.stdout
    assert f"{index.older}  intact: " in out.stdout
    assert out.stdout.rstrip().endswith(
        f"the index is damaged: run `docbot index` to repair it (answers come from {index.older} meanwhile)."
    )

    out = docbot(index, "ask", "What closed Catania airport?")
    assert out.returncode == 0 and "Catania" in out.stdout
    warning = out.stderr.strip().splitlines()
    assert len(warning) == 1 and "index.faiss holds vectors that are not finite unit vectors" in warning[0]

    out = docbot(index, "index", str(index.settings.docs_dir))
    assert out.returncode == 0 and "Traceback" not in out.stderr
    assert "0 chunks embedded" in out.stdout and "published a new index" in out.stdout
    # One line says what is damaged and that answers come from the generation before; one what `index` does.
    loaded, repairing = out.stderr.strip().splitlines()
    assert loaded.endswith(f"answering from {index.older} until `docbot index` repairs it")
    assert repairing.startswith(f"WARNING embeddings.engine: index generation {index.gen} is damaged: "
                                "index.faiss does not match its checksum")
    assert repairing.endswith("repairing the index: rebuilding it from the documents "
                              f"(reusing the intact vectors of {index.published})")

    out = docbot(index, "stats", "--verify", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["intact"] is True
    assert docbot(index, "stats", "--verify").stdout.rstrip().endswith("the index is intact.")


def test_cli_nothing_intact_is_one_line(index: Index) -> None:
    shutil.rmtree(index.data / "generations" / index.older)
    delete(index.gen / "bm25")
    for args in (("ask", "What closed Catania airport?"), ("stats",), ("sources",)):
        out = docbot(index, *args)
        assert out.returncode == 1
        # `sources` lists what the damaged index records (test_sources_of_a_wholly_damaged_index_lists_...)
        assert out.stdout.startswith("The index is damaged: ") if args == ("sources",) else out.stdout == ""
        [line] = out.stderr.strip().splitlines()
        assert "bm25/ is missing" in line and "run `docbot index`" in line


# ---------------------------------------------------------------------- a full disk
def leftovers(index: Index) -> list[str]:
    return sorted(p.name for p in index.data.rglob("*.tmp"))


def test_too_little_space_is_refused_before_embedding(index: Index, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import embeddings.store
    from embeddings.cli import main
    from embeddings.encoder import TorchEncoder

    def no_embedding(*args, **kwargs):
        raise AssertionError("embedded although the disk cannot hold the result")

    monkeypatch.setattr(TorchEncoder, "encode_with_sentences", no_embedding)
    monkeypatch.setattr(embeddings.store.shutil, "disk_usage",
                        lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 50_000, 50_000))
    (index.settings.docs_dir / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    assert main(["index", str(index.settings.docs_dir)], settings=index.settings) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"docbot: no space left in {index.data} (need ~")
    assert " MB, 0.0 MB free); free some space or choose another --data-dir" in err[0]
    assert read_pointer(index.data) == index.published and not leftovers(index)
    assert Engine(index.settings).ask(TEA_QUESTION).sources[0].doc_id == "tea.md"


def _enospc(*args, **kwargs):
    raise OSError(28, "No space left on device")


def _faiss_full(*args, **kwargs):
    raise RuntimeError("Error in faiss::write_index at impl/io.cpp:97: Error: 'ret == (n)' failed: "
                       "write error in index.faiss: 0 != 1 (No space left on device)")


def _full_after_rename(path: Path) -> None:
    if path.name == "generations":  # the finished generation was just renamed into place
        _enospc()


def _numpy_short_write(*args, **kwargs):
    raise OSError("885888 requested and 25568 written")  # np.save's tofile on a full disk: no errno


def _file_too_large(*args, **kwargs):
    import errno

    raise OSError(errno.EFBIG, "File too large")  # ulimit -f


def _sqlite_full(*args, **kwargs):
    import sqlite3

    raise sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize("target, failure", [
    ("embeddings.lexical.LexicalIndex.save", _enospc),
    ("embeddings.vector_index.save", _faiss_full),
    ("embeddings.store._file_records", _sqlite_full),
    ("embeddings.store._fsync_dir", _full_after_rename),  # before CURRENT names it
    ("embeddings.store._write_sentences", _numpy_short_write),
    ("embeddings.store._write_sentences", _file_too_large),
])
def test_disk_full_while_writing_keeps_the_previous_index(index: Index, monkeypatch: pytest.MonkeyPatch,
                                                          target: str, failure) -> None:
    from embeddings.errors import DataDirUnusable

    monkeypatch.setattr(target, failure)
    (index.settings.docs_dir / "chess.md").write_text("# Chess\nThe Sicilian Defence begins 1.e4 c5.\n")
    engine = Engine(index.settings)
    # A file size limit is told apart: freeing space would not help there.
    said = (r"a file in .* reached the file size limit \(ulimit -f\)" if failure is _file_too_large
            else r"no space left in .*")
    with pytest.raises(DataDirUnusable, match=rf"^{said} \(need ~.* MB\) while writing the index; "
                                              r"the previous index is unchanged$"):
        engine.reindex()
    assert read_pointer(index.data) == index.published and not leftovers(index)
    assert index.generations() == [index.older, index.published]
    assert "chess.md" not in names(engine) and engine.ask(TEA_QUESTION).sources[0].doc_id == "tea.md"
    monkeypatch.undo()
    assert "chess.md" in engine.reindex().added  # and the next run, with space, goes through


def test_failed_onnx_export_leaves_no_temporary_folder(fresh, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    import torch

    settings = fresh()
    (settings.data_dir / "onnx").rename(settings.data_dir / "onnx-linked")  # no export yet

    def half_written(model, args, path, **kwargs):
        Path(path).write_bytes(b"\0" * 100_000)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch.onnx, "export", half_written)
    with caplog.at_level(logging.WARNING, logger="embeddings.indexer"):
        report = Engine(settings).reindex()
    assert report.published
    assert list((settings.data_dir / "onnx").iterdir()) == []
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning == (f"ONNX export failed (no space left in {settings.data_dir}); "
                       "queries will use sentence-transformers (slower)")


def test_the_vector_check_is_remembered_until_the_file_changes(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generation whose vectors passed the check once is not read through again (the pass is half a cold
    question's index open), also in a copy made with the files' times; damage written into the file since,
    even at its size, is checked and found."""
    from embeddings import store

    calls: list[int] = []
    real = store._vectors_sane
    monkeypatch.setattr(store, "_vectors_sane", lambda ix: calls.append(1) or real(ix))
    store.Generation(index.gen)
    store.Generation(index.gen)
    assert len(calls) <= 1 and (index.gen / "derived" / "vectors_checked.json").exists()
    checked = len(calls)

    copy = index.data.parent / "copy"
    shutil.copytree(index.data, copy, symlinks=True)
    store.Generation(copy / "generations" / index.published)
    assert len(calls) == checked

    target = index.gen / "index.faiss"
    data = target.read_bytes()
    row = np.load(index.gen / "vectors.npy")[1].astype(np.float32).tobytes()  # a vector the index stores
    assert data.count(row) == 1
    target.write_bytes(data.replace(row, np.full(len(row) // 4, np.nan, dtype=np.float32).tobytes()))
    with pytest.raises(IndexDamaged, match="not finite unit vectors"):
        store.Generation(index.gen)
    assert len(calls) == checked + 1
