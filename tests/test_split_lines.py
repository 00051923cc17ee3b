"""A sentence is quoted whole across a wrapped line, and a note's names are never quoted (chunker 12).

A project's docs and a maintainers' call notes, as a tester found them: a wrapped line holding inline
code with a pipe (`ps aux | grep x`) was read as a table row, so its sentence was quoted up to the line's
end ("... such as NFS or SMB,"); a clause after a semicolon at a line's end was dropped ("... a byte
order mark;" without "upgrade first."); in the call notes, the topic "1. Release 2.4.1" was read as a
list item and quoted alone while "2. Full-text extraction" was a heading, and the notes' first line
("Maintainers call - 18 September 2025") was quoted first for "when is the next maintainers call".
"""

from __future__ import annotations

import pytest

from embeddings.chunking import chunked_alike, split_sentences
from embeddings.documents import parse
from embeddings.sentences import Kind, quotable_sentences, section_paths

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

CALL = """Maintainers call - 4 March 2025

Present: Ines Laurent, Kofi Mensah, Rui Costa
Notes taken by Kofi.

1. Release 1.8.2
We agreed to ship 1.8.2 on 11 March with the encoding fix.
Rui will write the announcement for the mailing list.

2. Plugin API
Ines drafted the hook names. We will freeze them before 2.0.

3. Next call
The next call is on 1 April 2025 at 17:00 UTC on Jitsi.
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


def test_a_numbered_topic_with_a_version_in_its_name_heads_its_paragraph_as_its_neighbours_do():
    doc = parse("maintainers-call-2025-03-04.txt", CALL.encode())
    units = _units(doc.text, doc.title)
    assert ("Release 1.8.2", Kind.HEADING) in units and ("Plugin API", Kind.HEADING) in units
    shipped = doc.text.index("We agreed to ship")
    assert section_paths(doc.text, [shipped], doc.title) == [("Release 1.8.2",)]
    # Alone, a number in a numbered line's name still says it is a record, to be quoted.
    assert ("Room 204", Kind.LIST) in _units("Agenda.\n\n1. Room 204\nBring the keys.\n")


def test_a_notes_first_line_naming_it_and_its_date_is_its_title():
    doc = parse("maintainers-call-2025-03-04.txt", CALL.encode())
    assert doc.title == "Maintainers call - 4 March 2025"  # not the file name's "maintainers call 2025 03 04"
    assert ("Maintainers call - 4 March 2025", Kind.HEADING) in _units(doc.text, doc.title)
    # A notice with a date stays one: a statement, a time of day.
    for text in ("Entry is free - 5 May 2025\n\nBring a plate.\n", "Doors at 7pm - 5 May 2025\n\nBring a plate.\n"):
        assert parse("n.txt", text.encode()).title == "N", text  # the file's name (capitalised), not the line


def test_an_index_of_chunker_12_before_these_rules_re_embeds_only_what_they_touch():
    from embeddings import store

    assert store.CHUNKER_VERSION >= 12
    for same in ("Plain prose.\n", "Name | Port\nserve | 8743\n", "Run `a | b` now.\nThen go.\n",
                 "x = 1;\ny = 2;\n", "Agenda.\n\n1. Room 204\nBring the keys.\n",
                 "1. Scope\n1.1 This policy applies to all.\n", "Meeting notes\n\nAisha books the minibus.\n"):
        assert chunked_alike(11, 12, same) and chunked_alike(9, 12, same), same
    for text in (TROUBLESHOOTING, "Before 1.8.2 this also happened with feeds that begin with a byte order mark;\nupgrade.\n"):
        assert not chunked_alike(11, 12, text) and not chunked_alike(10, 12, text), text[:40]


def test_an_index_of_chunker_12_before_re_embeds_minutes_with_a_numbered_topic_holding_a_number():
    assert not chunked_alike(11, 12, CALL, "maintainers call 2025 03 04") and not chunked_alike(10, 12, CALL, "x")
    # An agenda whose topics were all headings for chunker 11 is read alike.
    assert chunked_alike(11, 12, "Minutes.\n\n1. New mats\nThe mats are old.\n\n2. Noise\nTwo neighbours complained.\n")


def test_an_index_of_chunker_12_before_re_embeds_notes_titled_by_a_name_and_a_date():
    doc = parse("maintainers-call-2025-03-04.txt", CALL.encode())
    assert not chunked_alike(11, 12, doc.text, doc.title) and not chunked_alike(10, 12, doc.text, doc.title)
    note = "Maintainers call - 4 March 2025\n\nWe met.\n"
    assert not chunked_alike(11, 12, note, "Maintainers call - 4 March 2025") and chunked_alike(11, 12, note, "call")


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("split"), {
        "troubleshooting.md": TROUBLESHOOTING, "maintainers-call-2025-03-04.txt": CALL,
    }, session_index)


def test_the_answer_quotes_the_sentence_whole_across_wrapped_lines(notes):
    answer = notes.ask("can I keep the data directory on NFS?")
    assert answer.answered
    nfs = [e.text for e in answer.excerpts if "NFS" in e.text]
    assert nfs and all("keep the data directory on a local disk." in t for t in nfs), answer.excerpts
    bom = notes.ask("what if a feed begins with a byte order mark?")
    quoted = [e.text for e in bom.excerpts if "byte order mark" in e.text]
    assert quoted and all("upgrade first." in t for t in quoted), bom.excerpts


def test_the_answer_never_quotes_a_numbered_topic_and_names_its_section(notes):
    release = notes.ask("when will 1.8.2 be released")
    assert release.answered and all(e.text != "Release 1.8.2" for e in release.excerpts), release.excerpts
    shipped = [e for e in release.excerpts if e.text.startswith("We agreed to ship 1.8.2")]
    assert shipped and shipped[0].section == "Release 1.8.2", release.excerpts


def test_the_answer_never_quotes_the_notes_title_line(notes):
    answer = notes.ask("when is the next maintainers call")
    assert answer.answered
    assert "1 April 2025" in answer.excerpts[0].text, answer.excerpts
    assert all(e.text != "Maintainers call - 4 March 2025" for e in answer.excerpts)
    assert [s.title for s in answer.sources][0] == "Maintainers call - 4 March 2025"
