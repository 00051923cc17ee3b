"""Reading a documents folder: one bad name, byte or rewrite never stops a run, and each says why.

The unit tests call the reading functions; the ones with an index check the summary a user reads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from embeddings import Engine
from embeddings.documents import iter_files, parse, read_file, save_upload
from embeddings.errors import DocumentRejected
from embeddings.models import IndexProgress


def _bad_name(folder: Path) -> Path:
    """docs/latin\\xe9.txt: a Latin-1 name, which is not UTF-8."""
    raw = os.fsencode(folder) + b"/latin\xe9.txt"
    with open(raw, "wb") as fh:
        fh.write(b"Text in a file whose name is Latin-1.")
    return Path(os.fsdecode(raw))


def _deep_file(folder: Path) -> Path:
    """A file whose path is longer than PATH_MAX, made one folder at a time (relative to each)."""
    folder.mkdir(exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    part, depth = "d" * 250, 0
    try:
        while len(os.fsencode(folder)) + depth * (len(part) + 1) < 4200:
            os.mkdir(part, dir_fd=fd)
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, depth = inner, depth + 1
        note = os.open("note.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, b"deep")
        os.close(note)
    finally:
        os.close(fd)
    return folder.joinpath(*[part] * depth, "note.txt")


def test_bad_names_are_skipped_with_a_reason_and_the_walk_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    _bad_name(tmp_path)
    deep = _deep_file(tmp_path / "z")  # sorted after everything else: the walk must go on to it and past
    (tmp_path / "zz.md").write_text("# Last\nstill read")
    (tmp_path / "..notes.md").write_text("looks like a document")
    (tmp_path / ".hidden.md").write_text("hidden on purpose: said nowhere")
    (tmp_path / "image\udce9.png").write_bytes(b"\x89PNG")  # not a document: its name does not matter
    skipped: list[str] = []
    found = iter_files([tmp_path], skipped=skipped)
    assert [doc_id for doc_id, _ in found] == ["a.txt", "zz.md"]
    assert skipped[0] == f"{tmp_path}/..notes.md: the name starts with '..', so it is treated as hidden"
    assert skipped[1] == f"{tmp_path}/latin\\xe9.txt: the file name is not valid UTF-8; rename it"
    assert len(skipped) == 3 and "is longer than the system allows" in skipped[2]
    assert skipped[2].startswith(str(tmp_path / "z" / ("d" * 250)))
    assert len(os.fsencode(deep)) > 4096


def test_without_a_list_the_reasons_are_warnings(tmp_path: Path, caplog) -> None:
    _bad_name(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert iter_files([tmp_path]) == []
    assert "latin\\xe9.txt: the file name is not valid UTF-8" in caplog.text


def test_index_with_a_bad_name_indexes_the_rest(fresh) -> None:
    settings = fresh()
    _bad_name(settings.docs_dir)
    engine = Engine(settings)
    report = engine.reindex()
    assert report.published and len(report.added) == 4
    assert report.skipped == [f"{settings.docs_dir}/latin\\xe9.txt: the file name is not valid UTF-8; "
                              "rename it"]


def test_nul_anywhere_rejects_the_document() -> None:
    data = b"# Notes\n" + b"a line of text\n" * 1000 + b"\x00tail"
    with pytest.raises(DocumentRejected, match=r"notes\.md: looks like a binary file, not text "
                                               r"\(a NUL byte at offset 15,008\)"):
        parse("notes.md", data)


def test_file_rewritten_while_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "live.md"
    doc.write_text("# Old\nfirst version, long enough to be cut")
    real = Path.read_bytes
    reads = []

    def rewritten_during_read(self: Path) -> bytes:
        data = real(self)
        if not reads:  # the writer replaces the file between our read and our second look
            self.write_text("# New\nsecond version")
        reads.append(data)
        return data

    monkeypatch.setattr(Path, "read_bytes", rewritten_during_read)
    assert read_file("live.md", doc).title == "New" and len(reads) == 2


def test_file_that_keeps_changing_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "busy.md"
    doc.write_text("# Busy\n")
    real = Path.read_bytes

    def always_growing(self: Path) -> bytes:
        data = real(self)
        with open(self, "a") as fh:
            fh.write("more ")
        return data

    monkeypatch.setattr(Path, "read_bytes", always_growing)
    with pytest.raises(DocumentRejected, match=r"busy\.md: it changed while being read \(3 tries\)"):
        read_file("busy.md", doc)


@pytest.mark.parametrize("name, safe", [
    ("Budget (2023).md", "Budget_2023.md"),
    ("..md", "document.md"),
    ("...txt", "document.txt"),
])
def test_an_upload_is_written_under_its_safe_name_with_its_extension(tmp_path: Path, name: str, safe: str) -> None:
    # Whether a taken name may be replaced is the engine's decision (tests/test_sources.py): save_upload
    # only writes, whole or not at all.
    docs = tmp_path / "docs"
    assert save_upload(docs, name, b"# One\nfirst", max_bytes=1000) == docs / safe
    assert save_upload(docs, name, b"# Two\nsecond", max_bytes=1000).read_text() == "# Two\nsecond"
    assert sorted(p.name for p in docs.iterdir()) == [safe], "no temporary file is left behind"


def test_skips_are_reported_once_with_what_was_kept(fresh, caplog) -> None:
    settings = fresh()
    engine = Engine(settings)
    engine.reindex()
    (settings.docs_dir / "volcano.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 now binary")
    (settings.docs_dir / "..draft.md").write_text("draft")
    events: list[IndexProgress] = []
    with caplog.at_level(logging.INFO, logger="embeddings"):
        report = engine.reindex(progress=events.append)
    assert report.skipped == [
        f"{settings.docs_dir}/..draft.md: the name starts with '..', so it is treated as hidden",
        "volcano.md: looks like a binary file, not text (a NUL byte at offset 8); "
        "kept the previously indexed version",
    ]
    assert "volcano.md" not in report.removed
    # Logged for -v, but below WARNING: the summary is where a user reads them, once.
    skips = [r for r in caplog.records if "volcano.md: looks like" in r.getMessage() or "..draft" in r.getMessage()]
    assert skips and all(r.levelno == logging.INFO for r in skips)
    # Reading reports every document, not every 200th.
    scans = [(e.documents_done, e.documents_total) for e in events if e.stage == "scan"]
    assert scans == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
