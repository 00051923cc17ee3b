"""A note's opening is not its answer: a title typed on its first line, and an undated note's preamble.

Plain-text notes have no syntax for a title, yet a reader sees one ("Spring LAN Party 2024 - Schedule"
above a blank line). Read as prose it was quoted as the answer to "where is the LAN party?", and the
note was titled by its file name. And the lead prior (an article states its point first) lifted a
release note's opening sentence over the one that answers: only a dated document has a lead.
"""

from __future__ import annotations

import pytest

from embeddings import store
from embeddings.chunking import chunked_alike
from embeddings.documents import parse
from embeddings.sentences import Kind, quotable_sentences, title_line

from .conftest import indexed_notes

LAN = """Spring LAN Party 2024 - Schedule

The Spring LAN Party takes place on Saturday 18 May and Sunday 19 May 2024 at the Oakwood Community Hall, 42 Mill Lane.
Doors open at 9:00 on Saturday. Tickets are 15 euros for one day or 25 euros for the weekend.

Saturday 18 May
13:00  Lunch: pizza is provided, vegetarian options available
"""

POLICY = """Harbour Food Bank - Volunteer Policy
Version 3, adopted 9 January 2024

1.1 This policy applies to everyone who volunteers at Harbour Food Bank, including one-off helpers.
1.2 Volunteers must be at least 16 years old; younger helpers may come with a parent.
"""

RELEASE = """# Release notes for Orbit 3.2

Orbit 3.2 was released on 3 March 2025. It is a feature release and a recommended upgrade for everyone running 3.0 or 3.1.

## New features

- Shared albums can now be protected with a password.
- The map view shows photos without GPS data in a separate tray.
- New **duplicate finder** under Tools > Duplicates.
- HEIC and AVIF images are now supported on all platforms.
- The mobile app can upload in the background on Android.

## Improvements

- Thumbnail generation is about 40 percent faster on ARM machines.
- Search results now load in pages of 200 photos instead of 50.
- The timeline remembers your scroll position between visits.

## Bug fixes

- Fixed a crash when importing videos longer than 2 hours.
- Fixed wrong dates on photos taken across a daylight saving change.
- Fixed the album cover resetting after a rename.

## Breaking changes

The old REST endpoint /api/v1/photos has been removed. Scripts must use /api/v2/media instead. Support for PostgreSQL 12 has also been dropped, and PostgreSQL 14 or newer is now required.

## Upgrading

1. Back up your database with `orbit backup`.
2. Pull the new image: `docker pull orbitphotos/orbit:3.2`.
3. Restart the stack with `docker compose up -d`.

The database migration runs automatically on first start and takes about five minutes for a library of 100,000 photos.

## Thanks

This release includes work from 37 contributors, 11 of them first-time contributors. Special thanks to Hannah Lindqvist, who wrote the duplicate finder, and to the translation team, who brought Orbit to **28 languages**. The next release, Orbit 3.3, is planned for June 2025.
"""


def _title(text: str) -> str | None:
    at = title_line(text)
    return text[at[0] : at[1]] if at else None


def test_a_first_line_set_apart_in_title_case_or_capitals_is_a_title():
    assert _title(LAN) == "Spring LAN Party 2024 - Schedule"
    assert _title(POLICY) == "Harbour Food Bank - Volunteer Policy"  # a version line below, then a blank
    assert _title("CONTRIBUTING TO ORBIT\n\nThanks for helping out.\n") == "CONTRIBUTING TO ORBIT"
    assert _title("\n\n  Rules for the Spring Picnic\n\nBring a plate to share.\n") == "Rules for the Spring Picnic"
    assert _title("Orbit 3.2 Release Notes\n\nA feature release.\n") == "Orbit 3.2 Release Notes"  # a version
    for title in ("Agenda", "Top 10 Hiking Trails", "Room 101 Booking Rules", "Windows 11 Upgrade Guide",
                  "COVID-19 Visitor Policy", "Hello World Workshop"):  # a number inside a name; one word
        assert _title(f"{title}\n\nThe committee met on Monday.\n") == title


@pytest.mark.parametrize("text", [
    "Meeting notes\n\nAisha books the minibus.\n",  # sentence case: may be the first thing the note says
    "Doors open at 7pm\n\nBring your own PC.\n",
    "What's New?\n\nA dark mode.\n",  # a question
    "Price List:\n\nTea 2 euros.\n",  # a lead-in
    "# Orbit FAQ\n\nOrbit is free.\n",  # a Markdown heading is its own kind
    "- Buy Milk\n\n- Buy Bread\n",  # a list item
    "Saturday Schedule\n09:00 Doors Open\n10:30 Tournament\n",  # the first line of a block
    "Spring LAN Party 2024 - Schedule\n",  # the whole note
    "A Title Far Too Long To Be One Because It Goes On And On Past The Eighty Characters Allowed\n\nText.\n",
    "Clubhouse Door Code 4711\n\nThe code changes on the first of every month.\n",  # a value, to be quoted
    "Hi Team\n\nThe party moved to Friday.\n",  # a greeting
    "Extension 2231\n\nCall it for the front desk.\n",  # a value at the line's end
    "Yes\n\nThe hall is booked.\n",  # one capitalised word
])
def test_other_first_lines_are_not_titles(text):
    assert title_line(text) is None


def test_a_plain_note_is_titled_by_its_title_line_which_is_never_quoted():
    doc = parse("lan-party-schedule.txt", LAN.encode())
    assert doc.title == "Spring LAN Party 2024 - Schedule"  # not "lan party schedule", from the file name
    kinds = {doc.text[s.start : s.end]: s.kind for s in quotable_sentences(doc.text, title=doc.title)}
    assert kinds["Spring LAN Party 2024 - Schedule"] is Kind.HEADING
    assert quotable_sentences(doc.text)[0].kind is Kind.PROSE  # only as the document's own title
    # A news article's title is in its header; a byline on the body's first line stays what it was.
    news = parse("20220611_x.txt", b"Gas hits $5\n20220611\nhttps://example.com/gas\nChris Chase, USA TODAY Sports\n\n"
                 b"For the first time ever, the average gas price across the U.S. is $5 a gallon.\n")
    assert news.title == "Gas hits $5"
    assert chunked_alike(7, 8, news.text, news.title)


def test_an_index_of_the_chunker_before_re_embeds_only_notes_that_open_with_their_title():
    assert not chunked_alike(7, 8, LAN, "Spring LAN Party 2024 - Schedule")
    assert chunked_alike(7, 8, RELEASE, "Release notes for Orbit 3.2")  # a Markdown title was a heading already
    assert chunked_alike(7, 8, "Meeting notes\n\nAisha books the minibus.\n", "minutes")
    assert store.CHUNKER_VERSION >= 8


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("titles"), {
        "lan-party-schedule.txt": LAN, "volunteer-policy.txt": POLICY, "release-notes.md": RELEASE,
    }, session_index)


def test_the_answer_quotes_what_the_note_says_not_its_title(notes):
    answer = notes.ask("where is the lan party?")
    assert answer.answered
    assert answer.excerpts[0].text.startswith("The Spring LAN Party takes place on Saturday 18 May")
    assert all("Schedule" not in e.text for e in answer.excerpts)
    assert [s.title for s in answer.sources] == ["Spring LAN Party 2024 - Schedule"]
    # The version line under a title is a fact of its own, still quotable.
    version = notes.ask("which version of the volunteer policy is this?")
    assert any("Version 3, adopted 9 January 2024" in e.text for e in version.excerpts), version.excerpts


@pytest.mark.parametrize("question, phrase", [
    ("How many people contributed to the 3.2 release?", "work from 37 contributors"),
    ("What PostgreSQL version do I need after upgrading to 3.2?", "PostgreSQL 14 or newer is now required"),
])
def test_an_undated_notes_preamble_does_not_win_by_standing_first(notes, question, phrase):
    """The release notes' opening ("Orbit 3.2 was released on 3 March 2025...") shares the question's
    words and stood first, so the lead prior quoted it before the sentence that answers."""
    answer = notes.ask(question)
    assert answer.answered and phrase in answer.excerpts[0].text, answer.excerpts
