"""A note dated only in its file name ("meeting-notes-2025-09-18.txt") is dated by it, titled readably, and
found by ``ask --since``; a date filter that leaves the answer's undated document out says so.

The tester's note was listed "undated  meeting notes 2025 09 18", and ``ask --since 2025-09-01 "when is
the next maintainers call"`` answered "The documents don't seem to cover this.": the only document
holding the answer was undated, so the date filter left it out, and nothing said so.
"""

from __future__ import annotations

from datetime import date

import pytest

from embeddings.answer import NOT_COVERED
from embeddings.documents import date_from_name, parse

from .test_cli import docbot
from .conftest import indexed_notes

NOTES = {
    "meeting-notes-2025-09-18.txt": "Notes taken by Priya.\n\nPresent: Mira Okonkwo, Jonas Weber\n\n"
    "We agreed to ship 2.4.1 on 2 October with the BOM fix.\n\n"
    "The next maintainers call is on 16 October 2025 at 18:00 UTC on Jitsi.\n",
    "FAQ.md": "# Frequently Asked Questions\n\n## Can my family share one instance?\n\n"
    "Yes. Lumenfeed supports multiple user accounts since version 1.6, each with its own feeds.\n",
    "roadmap.md": "---\ntitle: Roadmap\ndate: 2025-09-25\n---\n\n# Roadmap\n\n"
    "Version 3.0 brings full-text extraction of articles, switched on per feed.\n",
}


@pytest.fixture(scope="module")
def notes_engine(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("name-dates"), NOTES, session_index)


@pytest.mark.parametrize("name, day", [
    ("meeting-notes-2025-09-18.txt", date(2025, 9, 18)),
    ("minutes/board_20250918.md", date(2025, 9, 18)),  # compact ISO, in a folder
    ("2025-09-18-standup.md", date(2025, 9, 18)),
    ("report-2025-09-01-to-2025-09-30.md", None),  # two dates: neither is the document's
    ("ticket-120250918.md", None),  # eight digits inside a longer number
    ("build-20251399.md", None),  # no such day: a number
    ("notes-2025-09.md", None),  # a month, not a day
])
def test_a_date_is_read_from_a_file_name_only_when_unambiguous(name, day):
    assert date_from_name(name) == day


def test_a_title_made_of_a_dated_name_is_readable():
    """"meeting notes 2025 09 18" said the date twice, as words; the date the sources show beside the
    title is left out of it, and a name's date that is not the document's own stays, written as a date."""
    dated = parse("meeting-notes-2025-09-18.txt", b"We met.\n")
    assert (dated.title, dated.date) == ("Meeting notes", date(2025, 9, 18))
    own = parse("minutes-2025-09-18.md", b"---\ndate: 2025-09-19\n---\n\nWe met.\n")
    assert (own.title, own.date) == ("Minutes 2025-09-18", date(2025, 9, 19))  # the note's own date wins
    assert parse("release_checklist.txt", b"Tag it.\n").title == "Release checklist"
    assert parse("iOS-setup.txt", b"Install it.\n").title == "iOS setup"


def test_sources_show_the_name_date_and_since_finds_the_note(notes_engine):
    out = docbot("sources", data_dir=notes_engine.settings.data_dir)
    assert out.returncode == 0 and "2025-09-18  Meeting notes  [meeting-notes-2025-09-18.txt" in out.stdout
    answer = notes_engine.ask("when is the next maintainers call", since=date(2025, 9, 1))
    assert answer.answered and any("16 October 2025 at 18:00 UTC" in e.text for e in answer.excerpts)
    assert answer.sources[0].date == date(2025, 9, 18)


def test_a_date_filter_that_leaves_out_the_undated_answer_says_so(notes_engine):
    out = docbot("ask", "--since", "2025-09-01", "can my family share one instance",
                 data_dir=notes_engine.settings.data_dir)
    assert out.returncode == 0
    assert out.stdout.strip() == (
        "No document dated on or after 2025-09-01 answers this; the undated document FAQ.md may, but a date "
        "filter leaves out undated documents: ask without the dates to see.")
    # What no document answers, dated or not, is still "not covered".
    assert notes_engine.ask("who won the 1998 world cup", since=date(2025, 9, 1)).message == NOT_COVERED
