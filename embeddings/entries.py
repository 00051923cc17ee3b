"""Dated entries: a document written as a series of dated posts is dated by them, each part by its own.

Announcements copied from a channel, a log of notices, a diary or a schedule of dated rows are written as
entries that each open with a full date::

    2026-11-18 - Guest lecture
    On Wednesday November 18, Sofia Lindqvist ...

    2026-11-24 - No office hours this week
    Reminder: there are no office hours during Thanksgiving week. ...

Such a file has no date of its own (no header, none in its name or its title), so it was listed
"undated", ``ask --since`` left it out, and a question about "this week" could not prefer it. Two uses:

* the document is dated by its **newest entry** when nothing else dates it (``documents.parse``), so
  ``--since``/``--until`` and the recency prior find it;
* each **sentence under an entry** carries that entry's date for the recency prior (``dates_at``;
  ``evidence.score``), so "any announcements this week" prefers this week's entry over the older ones of
  the same file. These dates are read from the document's text when a question needs them, never
  stored: an index written before them has them too, on either backend (``store``, ``milvus_store``),
  and the index layout is unchanged.

An entry is a line that opens with a full date (a day, its month and its year: "2026-11-24", "24 November
2026", "Nov 24, 2026", after a Markdown heading's "#", a list's "-" or bold's "**") and goes on with text
on that line or the next one written, or a table row one of whose cells is a full date and nothing else. A document
has entries only when it has at least two (``MIN_ENTRIES``): one dated line is a sentence that mentions a
day. A year alone, a month and a year, or "11/24/2026" (the month or the day first?) are not full dates.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .store_api import IndexView

#: How many dated entries make a document a series of them.
MIN_ENTRIES = 2

#: Month names and their abbreviations by number: the one table of them for reading a written date (``documents``
#: reads a title's date with it too).
MONTHS = {name: number for number, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
    "sep sept september", "oct october", "nov november", "dec december"), 1) for name in names.split()}
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?[ \t]+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
#: A full date: ISO, day month year, or month day, year; optionally after its day of the week.
_DATE = (
    _WEEKDAY
    + r"(?:(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)"
    + r"|(?P<dd>\d{1,2})" + _ORDINAL + r"[ \t]+(?P<dm>" + _MONTH + r"),?[ \t]+(?P<dy>(?:19|20)\d\d)"
    + r"|(?P<mm>" + _MONTH + r")[ \t]+(?P<md>\d{1,2})" + _ORDINAL + r",?[ \t]+(?P<my>(?:19|20)\d\d))"
    + r"(?![\w-]|\.\d|:\d)"
)
#: A line opening with a full date, after a heading's "#", a list's marker, bold or a bracket.
_LINE = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+)?(?:\*\*|__|\[)?" + _DATE + r"(?P<rest>.*)", re.IGNORECASE)
_CELL = re.compile(r"[ \t]*(?:\*\*|__)?" + _DATE + r"(?:\*\*|__)?[ \t]*", re.IGNORECASE)
#: A day and its month, without a year ("Nov 16", "16 November"): a schedule's date cell, whose year its
#: title gives ("CS 214 weekly schedule, Fall 2026").
_MONTH_DAY_CELL = re.compile(
    r"[ \t]*(?:\*\*|__)?" + _WEEKDAY + r"(?:(?P<mm>" + _MONTH + r")[ \t]+(?P<md>\d{1,2})" + _ORDINAL
    + r"|(?P<dd>\d{1,2})" + _ORDINAL + r"[ \t]+(?P<dm>" + _MONTH + r"))(?:\*\*|__)?[ \t]*", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.-])(?:19|20)\d\d(?![\w-]|\.\d)")
_FENCE = re.compile(r"[ \t]*(```|~~~)")
#: A quick test, over the whole text at once, that it may hold entries: two lines opening with a full date,
#: or a table row. Most texts (news articles) hold neither; the line by line reading is ~50 times slower.
#: Each opens on the line's "\n" (the text is read with one before it), which the regular expression engine
#: finds at once, where a "^" is tried at every character.
_MAYBE = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+)?(?:\*\*|__|\[)?" + _DATE, re.IGNORECASE)
_ROW = re.compile(r"\n[ \t]*\|")


_UNREAD = object()


class Entry(NamedTuple):
    """One dated entry: where it starts and ends in the document's text, and its date."""

    start: int
    end: int
    day: date


def _day(m: re.Match[str]) -> date | None:
    """The date ``m`` (of ``_DATE``) writes, or None when there is no such day ("31 February 2026")."""
    try:
        if m.group("iy"):
            return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        if m.group("dy"):
            return date(int(m.group("dy")), MONTHS[m.group("dm").lower().rstrip(".")], int(m.group("dd")))
        return date(int(m.group("my")), MONTHS[m.group("mm").lower().rstrip(".")], int(m.group("md")))
    except ValueError:
        return None


def _row_day(line: str, year: int | None, last: date | None) -> date | None:
    """The date of a table row ("| 12 | 2026-11-16 | Hash tables | PA6 |"): its first cell that is a full
    date and nothing else, or, when the document's title names its ``year``, a day and its month ("| 12 |
    Nov 16 | ..."; a row whose month is half a year before the ``last`` row's is of the next year: "Dec
    14" then "Jan 4"; half a year after, of the year before, as a table of the newest first is). None
    for a row without one, or a separator ("|---|---|")."""
    for cell in line.strip().strip("|").split("|"):
        m = _CELL.fullmatch(cell)
        if m is not None:
            return _day(m)
        m = _MONTH_DAY_CELL.fullmatch(cell) if year is not None else None
        if m is not None:
            month = MONTHS[(m.group("mm") or m.group("dm")).lower().rstrip(".")]
            if last is not None:
                year = last.year + (month < last.month - 6) - (month > last.month + 6)
            try:
                return date(year, month, int(m.group("md") or m.group("dd")))
            except ValueError:
                return None
    return None


def _title_year(lines: list[str]) -> int | None:
    """The one year the text's first line (its title: "# CS 214 weekly schedule, Fall 2026") names, or None
    (none, or two: "2026-2027 season")."""
    first = next((line for line in lines if line.strip()), "")
    years = {int(y) for y in _YEAR.findall(first)}
    return years.pop() if len(years) == 1 else None


def entries(text: str) -> tuple[Entry, ...]:
    """The dated entries of ``text``, in the text's order (newest first or oldest first, as written); empty
    unless there are at least ``MIN_ENTRIES``. Lines in a fenced code block are never entries.

    An entry covers what it announces, and no further than the next entry: a table row its row; a list
    item ("- **14 June 2025**: meetup in Berlin") its item, to the next blank line; a heading ("## 24
    November 2026") its section, to the next heading of its level or above; a plain line ("2026-11-24 -
    No office hours") the lines below it, to the next heading. Text under no entry (a title, a section
    after a list of events) is undated (``dates_at``)."""
    lined = "\n" + text
    if _ROW.search(lined) is None and sum(1 for _ in zip(range(MIN_ENTRIES), _MAYBE.finditer(lined))) < MIN_ENTRIES:
        return ()
    found: list[tuple[int, date, str]] = []  # line number, day, kind: "row", "item", "#"*level, ""
    fenced = False
    lines = text.split("\n")
    year: int | None | object = _UNREAD  # the title's year, read at the first table row
    last_row: date | None = None
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or not line or not any(ch.isdigit() for ch in line):
            continue
        if line.lstrip().startswith("|"):
            if year is _UNREAD:
                year = _title_year(lines)
            day = _row_day(line, year, last_row)
            last_row = day or last_row
            if day is not None:
                found.append((n, day, "row"))
            continue
        m = _LINE.match(line)
        if m is None or (day := _day(m)) is None:
            continue
        if any(ch.isalpha() for ch in m.group("rest")) or any(ch.isalpha() for ch in _next_text(lines, n)):
            opener = line.lstrip()
            kind = ("item" if opener[:1] in "-*+" and opener[1:2] in " \t"
                    else opener[:len(opener) - len(opener.lstrip("#"))] if opener.startswith("#") else "")
            found.append((n, day, kind))
    if len(found) < MIN_ENTRIES:
        return ()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    out = []
    for i, (n, day, kind) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(lines)
        last = n + 1
        if kind != "row":
            while last < stop and not _ends(kind, lines[last]):
                last += 1
        out.append(Entry(starts[n], min(starts[last] - 1, len(text)), day))
    return tuple(out)


def _next_text(lines: list[str], n: int) -> str:
    """The first line below ``lines[n]`` that holds text, or "". Read by index, never by slicing
    ``lines[n + 1:]``: a log of 40,000 dated lines copied its rest at each one (2 s, quadratic)."""
    for k in range(n + 1, len(lines)):
        if lines[k].strip():
            return lines[k]
    return ""


def _ends(kind: str, line: str) -> bool:
    """Whether ``line`` ends the entry of ``kind`` above it ("item": a blank line or the next item; "##": a
    heading of level 2 or above; "": any heading)."""
    opener = line.lstrip()
    level = len(opener) - len(opener.lstrip("#")) if opener.startswith("#") and opener.lstrip("#")[:1] in (" ", "\t", "") \
        else 0
    if kind == "item":
        return not opener or (opener[:1] in "-*+" and opener[1:2] in " \t") or level > 0
    return level > 0 and (not kind or level <= len(kind))


def newest(text: str) -> date | None:
    """The date of ``text``'s newest entry (``entries``), which dates a document nothing else dates; None
    for a text that is not a series of dated entries."""
    found = entries(text)
    return max(e.day for e in found) if found else None


def dates_at(found: Sequence[Entry], offsets: Sequence[int]) -> list[date | None]:
    """The date each of ``offsets`` (a sentence's start in the text) lies under: its entry's, else None (a
    title or a preamble above the entries, a note below a dated table, a section after a list of events),
    which ``evidence.score`` reads as the document's own date: such text speaks for the whole document.
    ``found`` is ``entries(text)``.

    Not the oldest entry's: "All dates are the Monday of the week. ... due on Fridays" above a schedule
    answers "whats due this week" with its week's row; made as old as the first week, it fell below the
    row, whose own answer probability is low, and the question was refused."""
    out: list[date | None] = []
    for offset in offsets:
        # The one entry that may hold it: the first ending after it (``found`` is in order, never overlapping;
        # a 40,000-line log's entries were read for each sentence of its passages, ~0.4 s a question).
        at = bisect.bisect_right(found, offset, key=lambda e: e.end)
        out.append(found[at].day if at < len(found) and found[at].start <= offset else None)
    return out


def within(found: Sequence[Entry], since: date | None, until: date | None, start: int = 0,
           end: int | None = None) -> bool:
    """Whether the text ``[start, end)`` (a chunk; by default the whole document) holds or lies under an
    entry of ``found`` dated in [since, until].

    ``found`` is in the text's order and its entries never overlap (``entries``: each ends where the next
    begins at the latest), so the entries a chunk touches are found by bisection: a question about "this
    week" reads every chunk of a document of entries (``engine._recent_days``), and reading all of a
    40,000-line log's entries for each of its 4,000 chunks took 11 s."""
    if end is not None or start:
        lo = bisect.bisect_right(found, start, key=lambda e: e.end)  # the first entry ending after start
        hi = len(found) if end is None else bisect.bisect_left(found, end, key=lambda e: e.start)
        found = found[lo:hi]
    return any((end is None or e.start < end) and start < e.end and (since is None or e.day >= since)
               and (until is None or e.day <= until) for e in found)


#: The generation's stored record of its documents dated by their entries (``dated_by_entries``); its
#: version changes with the rules above, so a record of older rules is measured again.
STORED_AS = "entry_dated"
VERSION = 1
_BATCH = 256
#: Per generation name: the positions of its documents dated by their entries, and their entries.
_BY_GENERATION: dict[str, dict[int, tuple[Entry, ...]]] = {}
_lock = threading.Lock()


def dated_by_entries(gen: IndexView) -> dict[int, tuple[Entry, ...]]:
    """The documents of ``gen`` whose date is their newest entry's (``entries``), by position, with their
    entries. A news article dated by its header keeps one date for all its sentences, whatever timeline
    it holds (its header's date is not its newest entry's).

    Read from the documents' texts, never from the index's own layout: any index, of any version and
    either backend, has them. Measured once per generation (every dated document's text read once; ~1 s
    for 5,000 news articles) and kept with it (``write_derived``: a local generation's ``derived/``, a
    Milvus generation's docs collection), so a question reads no text to know them."""
    known = _BY_GENERATION.get(gen.name)
    if known is not None:
        return known
    with _lock:
        known = _BY_GENERATION.get(gen.name)
        if known is not None:
            return known
        record = gen.read_derived(STORED_AS)
        ids = record.get("docs") if isinstance(record, dict) and record.get("version") == VERSION else None
        if isinstance(ids, list):
            positions = [p for d in ids if isinstance(d, str) and (p := gen.position(d)) is not None]
        else:
            positions = [p for p in range(gen.documents) if gen.doc_date(p) is not None]
        found: dict[int, tuple[Entry, ...]] = {}
        for at in range(0, len(positions), _BATCH):
            texts = gen.doc_texts(positions[at:at + _BATCH], {})
            for pos, text in texts.items():
                day = gen.doc_date(pos)
                these = entries(text)
                if these and day is not None and max(e.day for e in these) == day:
                    found[pos] = these
        if not isinstance(ids, list):
            gen.write_derived(STORED_AS, {"version": VERSION, "docs": [gen.doc_id(p) for p in sorted(found)]},
                              quiet=True)
        if len(_BY_GENERATION) > 16:  # generations superseded by re-indexing
            _BY_GENERATION.clear()
        _BY_GENERATION[gen.name] = found
        return found


def of_document(gen: IndexView, pos: int) -> tuple[Entry, ...]:
    """The entries of document ``pos`` of ``gen`` when they are what dates it, else ()."""
    return dated_by_entries(gen).get(pos, ())
