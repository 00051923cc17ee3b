"""A sentence is quoted whole across a wrapped line (chunker 12).

A project's docs, as a tester found them: a wrapped line holding inline code with a pipe (`ps aux |
grep x`) was read as a table row, so its sentence was quoted up to the line's end ("... such as NFS or
SMB,"); a clause after a semicolon at a line's end was dropped ("... a byte order mark;" without
"upgrade first.").
"""

from __future__ import annotations

import pytest

from embeddings.chunking import chunked_alike, split_sentences
from embeddings.sentences import Kind, quotable_sentences

from .conftest import indexed_notes

TROUBLESHOOTING = """# Troubleshooting

## The server does not start

### `database is locked`

Two Tidepool processes are using the same data directory. Only one `tidepool serve` may run per database.
Check with `ps aux | grep tidepool` and stop the extra process. On network file systems such as NFS or SMB,
SQLite locking is unreliable; keep the data directory on a local disk.

### `not well-formed (invalid token)`

The feed is not valid XML. Before 1.8.2 this also happened with feeds that begin with a byte order mark;
upgrade first. If it persists, check the feed with the W3C Feed Validation Service.
"""


def _units(text: str, title: str | None = None) -> list[tuple[str, Kind]]:
    return [(text[s.start : s.end], s.kind) for s in quotable_sentences(text, title=title)]


def test_a_pipe_in_inline_code_does_not_make_a_line_a_table_row():
    units = _units(TROUBLESHOOTING)
    assert ("On network file systems such as NFS or SMB,\nSQLite locking is unreliable; keep the data directory on "
            "a local disk.", Kind.PROSE) in units
    assert ("Check with `ps aux | grep tidepool` and stop the extra process.", Kind.PROSE) in units
    # A table's row without outer pipes is still one: it does not run into the row below.
    rows = "Name | Port | Default\nserve | 8743 | yes\n"
    assert [rows[s.start : s.end] for s in split_sentences(rows)] == ["Name | Port | Default", "serve | 8743 | yes"]


def test_a_clause_after_a_semicolon_at_a_lines_end_goes_on_below():
    units = _units(TROUBLESHOOTING)
    assert ("Before 1.8.2 this also happened with feeds that begin with a byte order mark;\nupgrade first.",
            Kind.PROSE) in units
    # A short line ending on a semicolon, or one above a line that starts anew, still ends there.
    for text in ("x = 1;\ny = 2;\n", "Bring a towel, shoes and chalk to every session this week;\nOr stay home.\n"):
        assert len(split_sentences(text)) == 2, text


def test_an_index_of_chunker_12_before_these_rules_re_embeds_only_what_they_touch():
    from embeddings import store

    assert store.CHUNKER_VERSION == 12
    for same in ("Plain prose.\n", "Name | Port\nserve | 8743\n", "Run `a | b` now.\nThen go.\n",
                 "x = 1;\ny = 2;\n", "Agenda.\n\n1. Room 204\nBring the keys.\n",
                 "1. Scope\n1.1 This policy applies to all.\n", "Meeting notes\n\nAisha books the minibus.\n"):
        assert chunked_alike(11, 12, same) and chunked_alike(9, 12, same), same
    for text in (TROUBLESHOOTING, "Before 1.8.2 this also happened with feeds that begin with a byte order mark;\nupgrade.\n"):
        assert not chunked_alike(11, 12, text) and not chunked_alike(10, 12, text), text[:40]


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("split"), {
        "troubleshooting.md": TROUBLESHOOTING,
    }, session_index)


def test_the_answer_quotes_the_sentence_whole_across_wrapped_lines(notes):
    answer = notes.ask("can I keep the data directory on NFS?")
    assert answer.answered
    nfs = [e.text for e in answer.excerpts if "NFS" in e.text]
    assert nfs and all("keep the data directory on a local disk." in t for t in nfs), answer.excerpts
    bom = notes.ask("what if a feed begins with a byte order mark?")
    quoted = [e.text for e in bom.excerpts if "byte order mark" in e.text]
    assert quoted and all("upgrade first." in t for t in quoted), bom.excerpts
