"""Three ways chunker 12 misread a note (chunker 13):

* A notice whose first line is its title and its date ("Pool closed - 24 December 2025") is titled by that
  line, a heading never quoted, so the date was nowhere: the note was undated, ``docbot sources`` showed no
  date and ``ask --since`` left it out. A title holding one full date now dates a document that has no
  other date (its format's own, then its file name's); a year in passing ("Plans for the 2026 season")
  does not, and a news article keeps its header's date.
* "1. Download version 2.4.1" above its explanation, among a how-to's numbered steps, was read as a
  heading (the minutes' rule for "1. Release 2.4.1"), and so were "2. Stop the service" and the other
  steps: never quoted, so "what is the first step?" had no answer. A numbered line that instructs, or
  sits in a run of steps that do, is a list item.
* A line of code pasted without a fence and ending on ";" ("int total = ...;") was joined into the next
  line of code as one sentence, as a wrapped clause is ("... a byte order mark;" / "upgrade first.").
"""

from __future__ import annotations

from datetime import date

import pytest

from embeddings.chunking import chunked_alike, split_sentences
from embeddings.documents import date_from_title, parse
from embeddings.sentences import Kind, quotable_sentences

from .conftest import indexed_notes
from .test_cli import docbot

CLOSED = """Pool closed - 24 December 2025

The swimming pool stays closed all day for the staff party.
Lane bookings for that day are refunded automatically.
"""

SEASON = """Plans for the 2026 season

We want a second coach for the junior squad and a new timing board.
"""

UPGRADE = """Upgrading Tidepool

1. Download version 2.4.1
The archive is on the project's releases page.

2. Stop the service
Nothing may write to the database while you upgrade.

3. Unpack the archive
Extract it over the old installation directory.
"""

MINUTES = """Maintainers call

1. Release 2.4.1
We shipped it on 2 October with the encoding fix.

2. Plugin API
Ines drafted the hook names.

3. Hosting costs
They went up by a tenth this year.
"""

SNIPPET = """The old importer did this, pasted from its source:

int total = compute_the_total_value(first_value, second);
total = total + offset_from_the_base_address_value;
printf("%d", total);

And the cleanup query we ran afterwards:

SELECT id, name FROM users WHERE last_login < '2024-01-01' ORDER BY id;
delete from sessions where user_id in (select id from users);
"""


def _units(text: str, title: str | None = None) -> list[tuple[str, Kind]]:
    return [(text[s.start : s.end], s.kind) for s in quotable_sentences(text, title=title)]


@pytest.mark.parametrize("title, day", [
    ("Pool closed - 24 December 2025", date(2025, 12, 24)),
    ("Maintainers call - September 18, 2025", date(2025, 9, 18)),
    ("2025-09-18 | Team sync", date(2025, 9, 18)),
    ("Board meeting 18.09.2025", date(2025, 9, 18)),
    ("Plans for the 2026 season", None),  # a year in passing
    ("March 2025 newsletter", None),  # a month, not a day
    ("Release 2.4.1", None),
    ("Sync 09/10/2025", None),  # September or October: slashes say no single day
    ("Camp 1 May 2025 - 3 May 2025", None),  # two days: neither is the document's
    ("Party - 31 February 2025", None),  # no such day
])
def test_a_title_dates_a_document_only_with_one_full_date(title, day):
    assert date_from_title(title) == day


def test_a_notice_titled_by_its_date_is_dated_by_it():
    doc = parse("pool.txt", CLOSED.encode())
    assert (doc.title, doc.date) == ("Pool closed - 24 December 2025", date(2025, 12, 24))
    assert ("Pool closed - 24 December 2025", Kind.HEADING) in _units(doc.text, doc.title)
    assert parse("season.txt", SEASON.encode()).date is None
    # A date of the document's own wins over its title's: its file name's, its front matter's.
    assert parse("pool-2025-12-01.txt", CLOSED.encode()).date == date(2025, 12, 1)
    fronted = "---\ntitle: Pool closed - 24 December 2025\ndate: 2025-12-02\n---\n\nClosed all day.\n"
    assert parse("pool.md", fronted.encode()).date == date(2025, 12, 2)
    # A news article keeps its header's date, whatever its title says.
    article = "Storm closes harbour - 24 December 2021\n20221103\nhttps://example.com/storm\nThe harbour shut.\n"
    assert parse("20221103_storm.txt", article.encode()).date == date(2022, 11, 3)


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("docs21"), {
        "pool.txt": CLOSED, "season.txt": SEASON, "upgrade.txt": UPGRADE,
    }, session_index)


def test_sources_and_the_answer_show_the_titles_date_and_since_finds_the_notice(notes):
    out = docbot("sources", data_dir=notes.settings.data_dir)
    assert out.returncode == 0 and "2025-12-24  Pool closed - 24 December 2025  [pool.txt" in out.stdout, out.stdout
    answer = notes.ask("is the pool open for lane bookings", since=date(2025, 12, 1))
    assert answer.answered and any("Lane bookings" in e.text for e in answer.excerpts), answer.excerpts
    assert answer.sources[0].date == date(2025, 12, 24)


def test_a_numbered_step_is_a_list_item_and_a_minutes_topic_a_heading():
    units = _units(UPGRADE, "Upgrading Tidepool")
    for step in ("Download version 2.4.1", "Stop the service", "Unpack the archive"):
        assert (step, Kind.LIST) in units, units
    minutes = _units(MINUTES, "Maintainers call")
    for topic in ("Release 2.4.1", "Plugin API", "Hosting costs"):
        assert (topic, Kind.HEADING) in minutes, minutes
    # A numbered line that instructs is one alone too ("Open the settings"), not a topic ("Open issues").
    assert ("Open the settings", Kind.LIST) in _units("Notes\n\n1. Open the settings\nIt is in the menu.\n")
    for topic in ("Open issues", "Run club", "Back to school"):
        assert (topic, Kind.HEADING) in _units(f"Notes\n\n1. {topic}\nThere are four.\n\n2. Budget\nIt is spent.\n")


def test_the_answer_quotes_the_step_that_names_the_version(notes):
    answer = notes.ask("which version should I download to upgrade Tidepool?")
    assert answer.answered
    assert any("Download version 2.4.1" in e.text for e in answer.excerpts), answer.excerpts


def test_lines_of_code_ending_on_a_semicolon_are_not_joined():
    units = [text for text, _ in _units(SNIPPET)]
    for line in ("int total = compute_the_total_value(first_value, second);",
                 "total = total + offset_from_the_base_address_value;",
                 "SELECT id, name FROM users WHERE last_login < '2024-01-01' ORDER BY id;",
                 "delete from sessions where user_id in (select id from users);"):
        assert line in units, units
    # Nor are two lines of code without semicolons (Python), which an editor's wrap rule joined before.
    python = "total = total + 1\ncount = count + 1\n"
    assert [python[s.start : s.end] for s in split_sentences(python)] == ["total = total + 1", "count = count + 1"]
    # A wrapped clause after a semicolon still goes on, and so does one naming code in backticks.
    for prose in ("Before 1.8.2 this also happened with feeds that begin with a byte order mark;\nupgrade first.",
                  "Set `retries = 3` in the configuration file of every node of the cluster;\nthen restart it."):
        assert [prose[s.start : s.end] for s in split_sentences(prose)] == [prose]


def test_an_index_of_chunker_12_or_13_re_embeds_only_what_these_rules_touch():
    from embeddings import store

    assert store.CHUNKER_VERSION >= 14
    for changed in (UPGRADE, SNIPPET, "total = total + 1\ncount = count + 1\n"):
        assert not any(chunked_alike(old, 14, changed) for old in (11, 12, 13)), changed[:30]
    for same in (MINUTES, CLOSED, SEASON, "Plain prose.\n", "x = 1;\ny = 2;\n",
                 "Before 1.8.2 this also happened with feeds that begin with a byte order mark;\nupgrade.\n"):
        assert chunked_alike(12, 14, same) and chunked_alike(13, 14, same), same[:30]
