"""Loading documents: formats, metadata, and files that must be skipped with a reason."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from embeddings.documents import iter_files, parse, read_file, safe_filename, save_upload
from embeddings.errors import DocumentRejected

from .conftest import SEEDS


def test_news_format_keeps_title_date_url_and_body():
    seed = next(SEEDS.glob("*.txt"))
    doc = read_file(seed.name, seed)
    assert doc.title == "Russia Holds Firm on Opposition to PutinZelenskyy Negotiations"
    assert doc.date == date(2022, 6, 1)
    assert doc.url.startswith("https://nationalinterest.org/")
    assert doc.text.startswith("Russian president Vladimir Putin")  # header lines are not body
    assert "Podolyak" in doc.text


def test_markdown_title_from_first_heading():
    doc = parse("notes/etna.md", b"Intro line\n\n## Mount Etna erupts\n\nAsh everywhere.\n")
    assert doc.title == "Mount Etna erupts"
    assert doc.date is None and doc.url is None


def test_plain_text_title_from_file_name():
    doc = parse("grain_deal-2022.txt", b"Ships left Odesa.\n")
    assert doc.title == "Grain deal 2022"


def test_three_line_lookalike_without_valid_date_is_plain_text():
    doc = parse("x.txt", b"Title\n20221399\nhttps://example.com\nBody text here.\n")
    assert doc.date is None and doc.text.startswith("Title")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait, not UTF-8", "UTF-8"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(DocumentRejected, match=reason):
        parse("bad.txt", data)


def test_folder_scan_ignores_hidden_and_other_suffixes(tmp_path: Path):
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# B\nbeta")
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert [doc_id for doc_id, _ in iter_files([tmp_path])] == ["a.txt", "sub/b.md"]


def test_missing_path_is_reported_not_fatal(tmp_path: Path, caplog):
    with caplog.at_level(logging.WARNING):
        assert iter_files([tmp_path / "nope"]) == []
    assert "nope" in caplog.text


def test_unreadable_file_is_rejected(tmp_path: Path):
    with pytest.raises(DocumentRejected, match="cannot be read"):
        read_file("gone.txt", tmp_path / "gone.txt")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../x.md", "x.md"),
        ("..\\..\\evil.txt", "evil.txt"),
        (".bashrc.md", "bashrc.md"),
        ("my notes (final).MD", "my_notes_final.md"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("...", "document"),
    ],
)
def test_safe_filename_cannot_escape(name, expected):
    assert safe_filename(name) == expected


def test_save_upload_writes_only_valid_files_inside_the_folder(tmp_path: Path):
    docs = tmp_path / "docs"
    saved = save_upload(docs, "../../x.md", b"# X\nhello", max_bytes=1000)
    assert saved == docs / "x.md" and saved.read_text() == "# X\nhello"
    assert not (tmp_path / "x.md").exists()
    for name, data, reason in [
        ("big.txt", b"a" * 1001, "over the limit"),
        ("pic.png", b"hello", "only .txt, .md, .markdown, .pdf, .html, .htm and .docx files"),
        ("bin.txt", b"\x00\x01\x02binary", "binary"),
    ]:
        with pytest.raises(DocumentRejected, match=reason):
            save_upload(docs, name, data, max_bytes=1000)
    assert sorted(p.name for p in docs.iterdir()) == ["x.md"]
