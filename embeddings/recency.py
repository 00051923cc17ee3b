"""Recency: a question about recent events prefers the articles of the days it asks about.

A news collection holds several articles on one subject written years apart ("how much does it cost
to raise a child?" in 2017 and in 2022; a decade of heads of state resigning); a question that says
"this week", "recently" or "a new estimate" asks about the ones of the days before it was asked,
which the text alone cannot tell apart. Two things follow from the day asked (``asked_on``: the bot
passes its message's date, the CLI today's; clamped to the collection's newest date by
``counted_from``):

* the documents dated within the question's span before that day (``recent_span``: 7 days for "this
  week") join retrieval as one more ranked list (``PRIOR``; ``engine._recent_days``), so that
  week's article is a candidate even when older ones share more of the question's words;
* every scored sentence loses ``evidence.Params.recency`` times its document's distance from that day
  in the question's span (``ages``), so the nearer of two equal articles ranks first.

Only such a question is touched, and only documents that carry a date: a collection without dates (a
community's notes) ranks exactly as before. Without a day, distances count from the newest candidate.
The weight is chosen by ``benchmarks.quality --cv`` like the other evidence weights.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

# Words that place a question's subject in the recent past or the present. "new" only in lower case:
# "New York" and "New Zealand" say nothing about time. A day of the week is the last one of its name
# ("without power Thursday", as news writes it), unless it names a day of its own ("Super Tuesday",
# "Bloody Sunday": ``_named_day``) or the question names a year ("on Sunday in 1972").
_RECENT = re.compile(
    r"(?i:\b(this (week|month|year|summer|fall|autumn|winter|spring|season|weekend)|recent(ly)?|latest|"
    r"newly|current(ly)?|right now|nowadays|today|tonight|yesterday|last (week|month|night|weekend)|"
    r"upcoming|soon)\b)|\bnew(est)?\b|(?i:\b(mon|tues|wednes|thurs|fri|satur|sun)day\b)"
)
_WEEKDAY = re.compile(r"(?i)(mon|tues|wednes|thurs|fri|satur|sun)day")
_YEAR = re.compile(r"\b(1[5-9]|20)\d\d\b")
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
# The words that make a day of the week a day of its own: "Super Tuesday", "Black Friday", "Good
# Friday", "Bloody Sunday", "Super Bowl Sunday", "Small Business Saturday".
_NAMING = frozenset({"super", "black", "cyber", "good", "holy", "maundy", "ash", "palm", "easter", "fat",
                     "shrove", "bloody", "giving", "travel", "business", "bowl", "election", "primary"})

# How far back a question's words reach from the day it is asked: "this week" means the last seven
# days, "this month" or "recently" the last month, "this year" the last year. A weekly news quiz asks
# "this week" on Friday about the articles of the six days before it.
_SPANS = (
    (re.compile(r"(?i)\b(week|weekend|tonight|last night|[a-z]+day)\b"), 7),  # today, yesterday, Monday...
    (re.compile(r"(?i)\b(year|summer|fall|autumn|winter|spring|season)\b"), 366),
)
_DEFAULT_SPAN = 31

#: The weight of a recent day's documents as one more ranked list in the fusion (1: as much as either
#: retriever); the share of the collection beyond which those days select nothing worth it; and the
#: chunks beyond which reading all their vectors for every question costs more than it is worth (a
#: year of a large archive; ~2 ms for 10,000 of news2022's, which is 1,100 of its ~4,800 articles).
PRIOR = 1.0
MOST = 0.25
MAX_CHUNKS = 10_000


def recent_span(question: str, asked_on: date | None = None) -> int | None:
    """How many days before it is asked a question about recent events reaches back ("this week": 7,
    "this year": 366, "recently" and the rest: 31; the nearest of several: "a new estimate out this
    week" is this week's); None for a question that does not ask about them.

    A day of the week counts unless it is a day of its own ("Super Tuesday") or the question names a
    year other than the one it is asked in ("on Sunday in 1972"; without ``asked_on``, any year)."""
    years = {int(y.group(0)) for y in _YEAR.finditer(question)}
    other_year = bool(years - ({asked_on.year} if asked_on else set()))
    found = [m for m in _RECENT.finditer(question)
             if not (_WEEKDAY.fullmatch(m.group(0)) and (other_year or _named_day(question, m.start())))]
    return min((_span(m.group(0)) for m in found), default=None)


def _named_day(question: str, start: int) -> bool:
    """Whether the day of the week at ``start`` is named by the word before it ("Super Tuesday",
    "Black Friday", "Bloody Sunday"), not the last one of its name ("Biden said Monday")."""
    before = _WORD_BEFORE.search(question[:start])
    return before is not None and before.group(1).lower() in _NAMING


def _span(words: str) -> int:
    for pattern, days in _SPANS:
        if pattern.search(words):
            return days
    return _DEFAULT_SPAN


def counted_from(asked_on: date | datetime | None, latest: date | None, question: str) -> date | None:
    """The day ``question``'s "this week" counts back from: the day it was asked (a datetime's own
    date), or ``latest`` (the collection's newest date, or an ``until`` filter's) when that lies more
    than the question's span (``recent_span``) before it: an archive asked years later reads "this
    week" as its own last week, as a question with no day given does, while a collection a few days
    behind keeps the day asked. None when the day is not known."""
    if isinstance(asked_on, datetime):
        asked_on = asked_on.date()
    span = recent_span(question, asked_on) if asked_on is not None and latest is not None else None
    if span is None:
        return asked_on
    return latest if (asked_on - latest).days > span else asked_on


def window(asked_on: date, span: int) -> tuple[date, date]:
    """The dates a question asked on ``asked_on`` reaching back ``span`` days covers: the ``span`` days
    before it, the day itself ("this week" on a Friday: from the Friday before, whose evening news a
    weekly Friday quiz asks about the week after), and the next day too, because the bot dates a
    question by UTC while a document is dated where it was written, which may already be tomorrow."""
    since = asked_on - timedelta(days=span) if asked_on.toordinal() > span else date.min
    return since, (asked_on + timedelta(days=1) if asked_on < date.max else asked_on)


def ages(dates: Sequence[date | None], asked_on: date | None = None, span: int = _DEFAULT_SPAN) -> np.ndarray:
    """How far each document lies from the day the question was asked, in the question's own span:
    ``ln(1 + days / span)`` ("this week": a day-old article 0.13, a month-old one 1.66, a year-old one
    3.97); 0 for an undated one.

    Logarithmic because a week's article against a month's matters to "this week" as much as a
    month's against a year's: a linear age could not both tell that week's apart and leave a year's
    distance at a weight the rest of the score tolerates. Without ``asked_on``, measured from the
    newest dated document of ``dates``, not from today: only differences between candidates move a
    ranking, and a collection indexed long ago is not older for every question alike. A document
    dated after ``asked_on`` (an old question asked again over a newer collection, as the benchmark
    replays a quiz) is as far from it as one that much before."""
    dated = [d for d in dates if d is not None]
    if not dated:
        return np.zeros(len(dates))
    reference = asked_on or max(dated)
    return np.log1p(np.array([abs((reference - d).days) / span if d is not None else 0.0 for d in dates]))
