"""A document written as a series of dated entries (announcements copied from a channel, a log of notices,
a table of dated rows) is dated by them.

Before, such a file had no date of its own: ``docbot sources`` listed it "undated", ``ask --since`` left
it out, and "any new notices this week" quoted its title line, not this week's entry. Now it is dated by
its newest entry when nothing else dates it, and each sentence under an entry is as old as that entry for
a question about recent days.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from embeddings import Engine, entries
from embeddings.documents import parse

from .conftest import indexed_notes
from .test_cli import docbot
from .test_store_contract import backend_settings  # noqa: F401,F811 (the fixture: both backends)

NOTICES = """HARBOUR ROWING CLUB NOTICES (copied from the members' group chat)

2026-09-02 - Welcome back
The boathouse opens for the autumn season. Sign the safety sheet before you take out a boat.

2026-10-07 - Slipway repairs
The slipway is closed for repairs for two weeks. Launch from the beach ramp meanwhile.

2026-11-04 - New coxes
Three members passed the coxing test and may now take crews out on their own.

2026-11-23 - Boathouse closed on Saturday
The boathouse is closed on Saturday for the electrical inspection. No outings that day.
"""

# The newest entry first, written as a post's day ("24 November 2026", "Nov 3, 2026").
DIARY = """Lighthouse keeper's log

## 24 November 2026
The foghorn compressor failed at dawn and was replaced by noon.

## Nov 3, 2026
Painted the gallery railings on the seaward side.
"""

BOARD = """# Pottery studio kiln firings

| Firing | Date | Kind | Bring by |
|--------|------|------|----------|
| 1 | 2026-10-05 | Bisque | Friday before |
| 2 | 2026-11-02 | Glaze | the Thursday before |
| 3 | 2026-11-23 | Raku | Sunday 22 November, glazed pots only |

Pots not collected within a month go to the shelf by the door.
"""

ONE_DATE = """Boat storage

2026-11-20 is the last day to move your boat into winter storage.
Ask the captain for a rack number.
"""


@pytest.mark.parametrize("text, newest", [
    (NOTICES, date(2026, 11, 23)),
    (DIARY, date(2026, 11, 24)),
    (BOARD, date(2026, 11, 23)),
    (ONE_DATE, None),  # one dated line is a sentence that names a day, not a series of entries
    ("Plans\n\n2026 season\nNew boats.\n\n2027 season\nNew shed.\n", None),  # years alone are no days
    ("Log\n\n11/02/2026 - Rigging\nDone.\n\n11/09/2026 - Oars\nDone.\n", None),  # month or day first?
    ("Log\n\n2026-02-30 - Rigging\nDone.\n\n2026-02-31 - Oars\nDone.\n", None),  # no such days
    ("Example\n\n```\n2026-01-01 - one\n2026-01-02 - two\n```\n", None),  # code, not entries
])
def test_a_series_of_dated_entries_is_as_new_as_its_newest(text, newest):
    assert entries.newest(text) == newest


def test_a_document_of_entries_is_dated_only_when_nothing_else_dates_it():
    assert parse("notices.txt", NOTICES.encode()).date == date(2026, 11, 23)
    assert parse("board.md", BOARD.encode()).date == date(2026, 11, 23)
    assert parse("storage.txt", ONE_DATE.encode()).date is None
    # Its file name's date, or its front matter's, is its own and wins.
    assert parse("notices-2026-12-01.txt", NOTICES.encode()).date == date(2026, 12, 1)
    fronted = "---\ntitle: Notices\ndate: 2026-12-02\n---\n\n" + NOTICES.split("\n", 2)[2]
    assert parse("notices.md", fronted.encode()).date == date(2026, 12, 2)
    # A news article keeps its header's date, whatever dated lines it holds (a timeline of a century).
    article = ("Cubs history\n20140423\nhttps://example.com/cubs\n\nOct. 3, 1915\n\nThe Whales won the title.\n\n"
               "April 20, 1916\n\nThe Cubs played at the ballpark.\n")
    assert parse("20140423_cubs.txt", article.encode()).date == date(2014, 4, 23)


SCHEDULE = """# Evening pottery course, Autumn 2026

| Week | Date | Topic | Bring |
|------|------|-------|-------|
| 1 | Oct 26 | Centering clay | Apron |
| 2 | Nov 2 | Pulling walls | Towel |
| 3 | Dec 28 | Trimming | Tools |
| 4 | Jan 4 | Glazing | Bisqueware |

Classes start at 7 pm.
"""

EVENTS = """# Club events 2026

- **7 November 2026, 10:00**: Head of the river race
- **21 November 2026, 18:00**: Annual dinner at the boathouse

## Annual dinner

Tickets are sold at the bar until the 14th.
"""


def test_a_schedules_day_and_month_take_its_titles_year():
    days = [e.day for e in entries.entries(SCHEDULE)]
    # The year turns between December and January.
    assert days == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 12, 28), date(2027, 1, 4)]
    assert parse("course.md", SCHEDULE.encode()).date == date(2027, 1, 4)
    # Without one year in its title, a day and a month say no date.
    assert entries.entries(SCHEDULE.replace("Autumn 2026", "Autumn")) == ()
    assert entries.entries(SCHEDULE.replace("Autumn 2026", "2026-2027")) == ()


def test_an_entry_covers_its_item_or_section_not_what_follows():
    found = entries.entries(EVENTS)
    assert [e.day for e in found] == [date(2026, 11, 7), date(2026, 11, 21)]
    assert EVENTS[found[1].start:found[1].end] == "- **21 November 2026, 18:00**: Annual dinner at the boathouse"
    # The section below the list lies under no entry: undated.
    assert entries.dates_at(found, [EVENTS.index("Tickets")]) == [None]


def test_each_entry_covers_its_text_and_a_preamble_is_undated():
    found = entries.entries(NOTICES)
    assert [e.day for e in found] == [date(2026, 9, 2), date(2026, 10, 7), date(2026, 11, 4), date(2026, 11, 23)]
    at = [NOTICES.index(s) for s in ("HARBOUR", "Launch from", "No outings")]
    assert entries.dates_at(found, at) == [None, date(2026, 10, 7), date(2026, 11, 23)]
    rows = entries.entries(BOARD)
    after = BOARD.index("Pots not")  # below the table: under no row
    assert entries.dates_at(rows, [BOARD.index("Raku"), after]) == [date(2026, 11, 23), None]


@pytest.fixture(scope="module")
def club(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("entries"), {
        "notices.txt": NOTICES, "log.md": DIARY, "kiln.md": BOARD, "storage.txt": ONE_DATE,
        "rules.txt": "Club rules\n\nEvery crew wears life jackets on the water. The captain decides whether "
                     "it is safe to row. Members book boats in the booking sheet.\n",
    }, session_index)


def test_sources_lists_the_entries_date_and_since_finds_the_document(club):
    out = docbot("sources", data_dir=club.settings.data_dir)
    assert out.returncode == 0, out.stderr
    assert "2026-11-23  Notices  [notices.txt" in out.stdout, out.stdout
    assert "2026-11-23  Pottery studio kiln firings  [kiln.md" in out.stdout, out.stdout
    assert "undated  Storage  [storage.txt" in out.stdout, out.stdout
    answer = club.ask("is the boathouse open on Saturday", since=date(2026, 11, 1))
    assert answer.answered and answer.sources[0].doc_id == "notices.txt", answer.sources
    assert any("boathouse is closed on Saturday" in e.text for e in answer.excerpts), answer.excerpts


def _first(answer) -> str:
    assert answer.answered, answer.message
    return answer.excerpts[0].text


def _first_entry(answer, text: str) -> str:
    """The first quote that lies under an entry of ``text`` (a title line above them lies under none)."""
    assert answer.answered, answer.message
    found = entries.entries(text)
    return next(e.text for e in answer.excerpts if entries.dates_at(found, [e.start]) != [None])


def test_this_week_prefers_this_weeks_entry_over_the_older_ones(club):
    # Asked on the 25th: the entry of the 23rd, not an older one.
    first = _first_entry(club.ask("any new notices this week", asked_on=date(2026, 11, 25)), NOTICES)
    assert "Boathouse closed on Saturday" in first or "electrical inspection" in first, first
    # Asked on the 5th, before the newest entry: that week's entry (the coxes), not the newest.
    first = _first_entry(club.ask("any new notices this week", asked_on=date(2026, 11, 5)), NOTICES)
    assert "coxes" in first.lower() or "coxing" in first, first


COURSE = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "course"


@pytest.fixture(scope="module")
def course(tmp_path_factory, session_index):
    from .conftest import indexed_engine

    return indexed_engine(tmp_path_factory.mktemp("course"), COURSE, session_index)


def test_the_course_announcements_and_schedule_answer_for_the_week_asked(course):
    """The tester's three findings on the course set (CS 214)."""
    dated = {d.doc_id: d.date for d in course.sources()}
    assert dated["announcements.txt"] == date(2026, 11, 24)
    answer = course.ask("any announcements about office hours", since=date(2026, 11, 1))
    assert "announcements.txt" in {s.doc_id for s in answer.sources}, answer.sources
    first = _first(course.ask("any new announcements this week", asked_on=date(2026, 11, 25)))
    assert first.startswith("2026-11-24 - No office hours this week") or "Thanksgiving week" in first, first
    answer = course.ask("whats due this week", asked_on=date(2026, 11, 18))
    assert answer.answered, answer.message
    quoted = [e.text for e in answer.excerpts]
    assert any("PA6 (Nov" in q for q in quoted) and not any("Fall Break" in q for q in quoted), quoted


def test_a_dated_table_row_is_as_old_as_its_date(club):
    first = _first(club.ask("which kiln firing is this week and when do I bring my pots", asked_on=date(2026, 11, 3)))
    assert "Glaze" in first, first
    first = _first(club.ask("which kiln firing is this week and when do I bring my pots", asked_on=date(2026, 11, 24)))
    assert "Raku" in first, first


def test_without_a_time_word_the_entries_rank_as_an_undated_notes(club):
    # No lead for a file of entries: its title line is a preamble, not an article's point.
    answer = club.ask("where do we launch while the slipway is closed")
    assert "beach ramp" in _first(answer), answer.excerpts


def test_both_backends_date_the_entries_and_keep_what_they_found_with_the_generation(backend_settings, tmp_path):  # noqa: F811
    """The entries are read from the documents' texts, not from the index's layout: any generation has
    them, on either backend, and what was found is kept with it (``write_derived``) for other processes.
    A record of other rules (another ``entries.VERSION``) is measured again."""
    docs = tmp_path / "club"
    docs.mkdir()
    (docs / "notices.txt").write_text(NOTICES)
    (docs / "storage.txt").write_text(ONE_DATE)
    engine = Engine(backend_settings(docs=docs))
    engine.index()
    first = _first_entry(engine.ask("any new notices this week", asked_on=date(2026, 11, 25)), NOTICES)
    assert "Boathouse closed on Saturday" in first or "electrical inspection" in first, first
    gen = engine.generation
    assert gen.read_derived(entries.STORED_AS) == {"version": entries.VERSION, "docs": ["notices.txt"]}
    # Another process over the same generation reads the record; one of older rules is measured again.
    entries._BY_GENERATION.clear()
    assert list(entries.dated_by_entries(gen)) == [gen.position("notices.txt")]
    gen.write_derived(entries.STORED_AS, {"version": entries.VERSION - 1, "docs": []})
    entries._BY_GENERATION.clear()
    assert list(entries.dated_by_entries(gen)) == [gen.position("notices.txt")]
    assert gen.read_derived(entries.STORED_AS)["version"] == entries.VERSION
    # An index written before (no record of these rules) gets it from the next `docbot index`, which finds
    # nothing else to do: the first question after it does not wait for every dated text to be read.
    gen.write_derived(entries.STORED_AS, {"version": entries.VERSION - 1, "docs": []})
    entries._BY_GENERATION.clear()
    engine.index()
    reader = Engine(engine.settings).generation  # another process, reading what the index keeps
    assert reader.name == gen.name
    assert reader.read_derived(entries.STORED_AS) == {"version": entries.VERSION, "docs": ["notices.txt"]}


class _Read(tuple):
    """Entries that count how many of them a function reads (one by one, in slices or by iterating): the
    work it does, which a busy machine cannot make look larger, as it can a time."""

    reads = 0

    def __getitem__(self, at):
        got = super().__getitem__(at)
        _Read.reads += len(got) if isinstance(at, slice) else 1
        return got

    def __iter__(self):
        for e in super().__iter__():
            _Read.reads += 1
            yield e


def test_a_long_log_of_dated_lines_is_read_in_linear_time(monkeypatch):
    """A server log of 60,000 dated lines is read line by line: each dated line's next line of text was found
    by copying the rest of the file (quadratic: ~4.5 s, ~25 s at 150,000 lines). Here each entry's text is on
    the line below its date, so every one looks below it, and all of them together look at each line once."""
    log_text = "\n".join(f"2026-11-{i % 28 + 1:02d} 12:00\nrequest {i} served" for i in range(60_000))
    looked = []
    real = entries._next_text

    def next_text(lines: list[str], n: int) -> str:
        found = real(lines, n)
        looked.append(next((k for k in range(n + 1, len(lines)) if lines[k] == found), len(lines)) - n)
        return found

    monkeypatch.setattr(entries, "_next_text", next_text)
    found = entries.entries(log_text)
    assert len(found) == 60_000 and len(looked) == 60_000
    assert sum(looked) <= 2 * log_text.count("\n")


def test_a_chunk_of_a_long_log_is_checked_against_only_its_own_entries():
    """"What happened this week" checks each chunk of a document of entries against the week: a log of
    40,000 dated lines in 4,000 chunks took 11 s a question, reading every entry for every chunk. A chunk
    reads the entries it touches (~10) and a bisection's (~2 x 16), never the log's 40,000."""
    log_text = "\n".join(f"2026-{i // 3000 % 12 + 1:02d}-{i % 28 + 1:02d} 12:00 INFO event {i}" for i in range(40_000))
    found = entries.entries(log_text)
    step = len(log_text) // 4000
    chunks = [(at, min(at + step, len(log_text))) for at in range(0, len(log_text), step)]
    week = date(2026, 11, 1), date(2026, 11, 7)
    counted = _Read(found)
    _Read.reads = 0
    inside = [entries.within(counted, *week, a, b) for a, b in chunks]
    assert _Read.reads <= 100 * len(chunks)
    # The same answer as reading every entry of the log for each chunk.
    assert inside == [any(e.start < b and a < e.end and week[0] <= e.day <= week[1] for e in found) for a, b in chunks]
    assert entries.within(found, *week) and not entries.within(found, date(2025, 1, 1), date(2025, 1, 7))
    assert entries.within(found, None, None, 0, 1) and not entries.within(found, None, None, len(log_text), len(log_text) + 5)


def test_each_sentence_of_a_long_log_is_dated_by_its_own_entry_quickly():
    """Each sentence's entry is found by bisection (~2 x 16 reads), not by reading every entry of the log."""
    log_text = "\n".join(f"2026-{i // 3000 % 12 + 1:02d}-{i % 28 + 1:02d} 12:00 INFO event {i}" for i in range(40_000))
    found = entries.entries(log_text)
    offsets = list(range(0, len(log_text), len(log_text) // 600))
    counted = _Read(found)
    _Read.reads = 0
    days = entries.dates_at(counted, offsets)
    assert _Read.reads <= 40 * len(offsets)
    assert days == [next((e.day for e in found if e.start <= o < e.end), None) for o in offsets]
    assert entries.dates_at(found, [len(log_text) + 10]) == [None]


LONG_NOTICES = "Harbour rowing club notices\n\n" + "\n\n".join(
    f"2026-{month:02d}-{day:02d} - Notice {n}\nThe committee met on the slipway and agreed on the plan for the "
    f"boathouse, the rowing machines and the safety launch. Every member should read the booking sheet before "
    f"taking out a boat, and the captain decides whether it is safe to row that day."
    for n, (month, day) in enumerate([(9, 2), (9, 16), (10, 7), (10, 21), (11, 4), (11, 18), (11, 23)], 1))


@pytest.fixture(scope="module")
def long_club(tmp_path_factory, session_index):
    notes = {"notices.txt": LONG_NOTICES}
    notes.update({f"rule{n}.txt": f"Rule {n}\n\nMembers keep the boathouse tidy; rule {n} of the club.\n"
                  for n in range(8)})
    return indexed_notes(tmp_path_factory.mktemp("long_entries"), notes, session_index)


def test_this_weeks_chunks_are_read_a_document_at_a_time(long_club, monkeypatch):
    """A question about "this week" keeps, of a document of entries, the chunks under this week's entries: their
    spans were read one chunk at a time (a SQLite read, or a Milvus query, for each of up to 10,000 chunks)."""
    from embeddings import engine as engine_module
    from embeddings.evidence import Query

    gen = long_club.generation
    query = Query.make("any new notices this week", np.zeros(gen.manifest.dimension, dtype=np.float32),
                       asked_on=date(2026, 11, 25))
    expected = engine_module._recent_days(gen, query)
    assert expected is not None
    notices = gen.position("notices.txt")
    kept = {int(c) for c in expected.chunks.tolist()} & set(gen.chunk_ids(notices).tolist())
    assert kept and kept < set(gen.chunk_ids(notices).tolist())  # this week's entry, not the older ones

    def one_at_a_time(cid):
        raise AssertionError("a chunk's span read on its own")

    monkeypatch.setattr(type(gen), "chunk", lambda self, cid: one_at_a_time(cid))
    again = engine_module._recent_days(gen, query)
    assert again is not None and again.chunks.tolist() == expected.chunks.tolist()
