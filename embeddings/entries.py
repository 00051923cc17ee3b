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

import re
import threading
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .store_api import IndexView

#: How many dated entries make a document a series of them.
MIN_ENTRIES = 2

_MONTHS = {name: number for number, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
    "sep sept september", "oct october", "nov november", "dec december"), 1) for name in names.split()}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
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
_FENCE = re.compile(r"[ \t]*(```|~~~)")


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
            return date(int(m.group("dy")), _MONTHS[m.group("dm").lower().rstrip(".")], int(m.group("dd")))
        return date(int(m.group("my")), _MONTHS[m.group("mm").lower().rstrip(".")], int(m.group("md")))
    except ValueError:
        return None


def _row_day(line: str) -> date | None:
    """The date of a table row ("| 12 | 2026-11-16 | Hash tables | PA6 |"): its first cell that is a full
    date and nothing else; None for a row without one, or a separator ("|---|---|")."""
    for cell in line.strip().strip("|").split("|"):
        m = _CELL.fullmatch(cell)
        if m is not None:
            return _day(m)
    return None


def entries(text: str) -> tuple[Entry, ...]:
    """The dated entries of ``text``, in the text's order (newest first or oldest first, as written); empty
    unless there are at least ``MIN_ENTRIES``. A line entry reaches to the next entry (its text is what it
    announces); a table row is an entry of its own row. Lines in a fenced code block are never entries."""
    found: list[tuple[int, int, date, bool]] = []  # start, end of its line, day, is a row
    pos = 0
    fenced = False
    lines = text.split("\n")
    for n, line in enumerate(lines):
        start, pos = pos, pos + len(line) + 1
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or not line or not any(ch.isdigit() for ch in line):
            continue
        if line.lstrip().startswith("|"):
            day = _row_day(line)
            if day is not None:
                found.append((start, start + len(line), day, True))
            continue
        m = _LINE.match(line)
        if m is None or (day := _day(m)) is None:
            continue
        below = next((nxt for nxt in lines[n + 1:] if nxt.strip()), "")  # the next line of text
        if any(ch.isalpha() for ch in m.group("rest")) or any(ch.isalpha() for ch in below):
            found.append((start, start + len(line), day, False))
    if len(found) < MIN_ENTRIES:
        return ()
    out = []
    for i, (start, line_end, day, row) in enumerate(found):
        end = line_end if row else (found[i + 1][0] if i + 1 < len(found) else len(text))
        out.append(Entry(start, max(end, line_end), day))
    return tuple(out)


def newest(text: str) -> date | None:
    """The date of ``text``'s newest entry (``entries``), which dates a document nothing else dates; None
    for a text that is not a series of dated entries."""
    found = entries(text)
    return max(e.day for e in found) if found else None


def dates_at(found: Sequence[Entry], offsets: Sequence[int]) -> list[date]:
    """The date each of ``offsets`` (a sentence's start in the text) lies under: its entry's, else (a
    preamble above the entries, "CS 214 ANNOUNCEMENTS", or a paragraph below a dated table) the oldest
    entry's, since it is no news of any day the entries announce. ``found`` is ``entries(text)``, not empty."""
    oldest = min(e.day for e in found)
    out = []
    for offset in offsets:
        day = oldest
        for e in found:
            if e.start <= offset < e.end:
                day = e.day
                break
        out.append(day)
    return out


def within(found: Sequence[Entry], since: date | None, until: date | None, start: int = 0,
           end: int | None = None) -> bool:
    """Whether the text ``[start, end)`` (a chunk; by default the whole document) holds or lies under an
    entry of ``found`` dated in [since, until]."""
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
