"""Each quotable sentence's terms, whether it holds a number and the terms of its section's heading,
computed when a generation is written so that a question's evidence reads them instead of tokenizing
and stemming its ~60 candidate sentences (~0.7 ms of a 7 ms question on the news index) and finding
the headings of their documents (``sentences.headings``: ~0.3 ms).

A sentence's terms are stored as the ids of the generation's BM25 vocabulary (the same tokenizer
and stemmer: ``lexical.terms``), each distinct term once, sentence after sentence in one flat int32
array with offsets. A term the vocabulary lacks (a sentence's words are all in its chunk's BM25
text, so this should not happen) is stored as ``UNKNOWN``: such a sentence is tokenized at query
time as before. Where the terms live on disk is ``store.Generation``'s business; this module only
computes and reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from .lexical import may_hold_compound, terms, terms_of, tokens
from .sentences import sections_above

#: A term that is not in the vocabulary: its sentence is tokenized at query time.
UNKNOWN = -1

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|once|twice|daily|weekly|monthly|yearly|annually|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday)\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = frozenset(_NUMBER.pattern.split("(", 1)[1].rsplit(")", 1)[0].split("|"))


def holds_number(text: str, words: list[str]) -> bool:
    """``_NUMBER.search(text)``, given the text's words (:func:`lexical.tokens`).

    For ASCII text (most sentences) a number word is a word of the list, found by a set look-up; the
    regular expression took 20 us a sentence, 1.1 ms for the ~55 sentences of a "how many" question.
    Other text keeps the expression (its case-insensitive match folds more than ``lower``).
    """
    if _DIGIT.search(text) is not None:
        return True
    if text.isascii() and not may_hold_compound(text):  # "one_two" holds the word "one", but no number
        return not _NUMBER_WORDS.isdisjoint(words)
    return _NUMBER.search(text) is not None


class SentenceMatches(NamedTuple):
    """What evidence needs of each sentence's terms for one question (see ``SentenceTerms.matches``)."""

    found: list[set[str]]  # the question's terms the sentence holds
    counts: np.ndarray  # its number of distinct terms
    unknown: np.ndarray  # True where it or its heading holds a term without an id: read its text instead
    numbers: np.ndarray  # whether it holds a number
    in_heading: list[set[str]] | None  # the question's terms its section's heading holds (None: not stored)
    # Every sentence's distinct term ids, sentence i's at ``ids[offsets[i]:offsets[i + 1]]`` (``UNKNOWN``
    # for a term without one), and where they are the question's: what ``evidence.focus`` counts.
    ids: np.ndarray
    offsets: np.ndarray
    asked: np.ndarray
    # True where the sentence lies under a heading with words (None: headings not stored): an answer
    # names the sections of only those quotes (``sentences.section_paths``), not reading every document.
    headed: np.ndarray | None = None


class SentenceTerms(NamedTuple):
    """Sentence i's distinct term ids are ``ids[offsets[i]:offsets[i + 1]]`` (int32, ascending);
    ``numbers[i]`` says whether it holds a number (:func:`holds_number`); the distinct term ids of the
    heading of the section it lies in are ``heading_ids[heading_offsets[i]:heading_offsets[i + 1]]``
    (none when it lies above every heading or is the heading itself: ``sentences.sections_above``).
    A table written before the headings were stored has None for those two: evidence then finds the
    headings in the text."""

    ids: np.ndarray
    offsets: np.ndarray
    numbers: np.ndarray
    heading_ids: np.ndarray | None = None
    heading_offsets: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def consistent(self) -> bool:
        """Whether the arrays agree with each other (a truncated or mixed set does not)."""
        n = len(self.numbers)
        headings_ok = (self.heading_ids is None and self.heading_offsets is None) or (
            self.heading_ids is not None and self.heading_offsets is not None
            and _csr_consistent(self.heading_ids, self.heading_offsets, n))
        return self.numbers.ndim == 1 and _csr_consistent(self.ids, self.offsets, n) and headings_ok

    def rows(self, rows: np.ndarray) -> "SentenceTerms":
        """The sentences ``rows``, in that order, as a table of their own (one gather per array)."""
        ids, offsets = _gather(self.ids, self.offsets, rows)
        if self.heading_ids is None or self.heading_offsets is None:
            return SentenceTerms(ids, offsets, np.asarray(self.numbers[rows]))
        return SentenceTerms(ids, offsets, np.asarray(self.numbers[rows]),
                             *_gather(self.heading_ids, self.heading_offsets, rows))

    def matches(self, wanted: dict[int, str]) -> SentenceMatches:
        """For each sentence: the terms of ``wanted`` (id -> term) it holds, its number of distinct
        terms, whether it or its heading holds an ``UNKNOWN`` one (then what it holds must come from
        its text), whether it holds a number, and the terms of ``wanted`` its heading holds."""
        n = len(self)
        unknown = np.zeros(n, dtype=bool)
        lists = [(self.ids, self.offsets)]
        if self.heading_ids is not None and self.heading_offsets is not None:
            lists.append((self.heading_ids, self.heading_offsets))
        for ids, offsets in lists:
            odd = np.flatnonzero(ids == UNKNOWN)
            if len(odd):
                unknown[np.searchsorted(offsets, odd, side="right") - 1] = True
        in_heading = _found(*lists[1], wanted, n) if len(lists) > 1 else None
        hit = _positions_of(self.ids, wanted) if wanted and len(self.ids) else np.zeros(0, dtype=np.intp)
        asked = np.zeros(len(self.ids), dtype=bool)
        asked[hit] = True
        headed = np.diff(self.heading_offsets) > 0 if self.heading_offsets is not None else None
        return SentenceMatches(_found(self.ids, self.offsets, wanted, n, hit), np.diff(self.offsets), unknown,
                               self.numbers, in_heading, self.ids, self.offsets, asked, headed)


def _csr_consistent(ids: np.ndarray, offsets: np.ndarray, n: int) -> bool:
    return (ids.ndim == 1 and offsets.ndim == 1 and len(offsets) == n + 1 and int(offsets[0]) == 0
            and int(offsets[-1]) == len(ids) and bool((offsets[1:] >= offsets[:-1]).all()))


def _gather(ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The id lists of ``rows``, in that order, as flat ids and offsets of their own."""
    lo, hi = offsets[rows], offsets[rows + 1]
    counts = hi - lo
    out = _offsets(counts)
    at = np.repeat(lo - out[:-1], counts) + np.arange(int(out[-1]))
    return np.asarray(ids[at]), out


def _found(ids: np.ndarray, offsets: np.ndarray, wanted: dict[int, str], n: int,
           hit: np.ndarray | None = None) -> list[set[str]]:
    """For each of the ``n`` id lists: the terms of ``wanted`` among its ids (``hit``: their positions in
    ``ids`` when already found)."""
    found: list[set[str]] = [set() for _ in range(n)]
    if wanted and len(ids):
        if hit is None:
            hit = _positions_of(ids, wanted)
        if len(hit):
            where = np.searchsorted(offsets, hit, side="right") - 1
            for s, i in zip(where.tolist(), ids[hit].tolist()):
                found[s].add(wanted[i])
    return found


def _positions_of(ids: np.ndarray, wanted: dict[int, str]) -> np.ndarray:
    """The positions in ``ids`` of the ids of ``wanted`` (``np.isin``'s, ascending).

    Read from a small table marking the wanted ids (one gather of ~600 ids, ~10 of them wanted): 0.3x
    the time of ``np.isin``, whose set-up dominates at this size. Ids are shifted by one so that
    ``UNKNOWN`` (-1) reads the table's unmarked first cell, and ids above every wanted one are clipped
    to its unmarked last cell.
    """
    keys = np.fromiter(wanted, dtype=np.int64, count=len(wanted))
    table = np.zeros(int(keys.max()) + 3, dtype=bool)
    table[keys + 1] = True
    return np.flatnonzero(table.take(ids.astype(np.int64) + 1, mode="clip"))


def build(docs: Iterable[tuple[str, Sequence[tuple[int, int]]]], lookup: Callable[[str], int | None]) -> SentenceTerms:
    """The terms of every sentence of ``docs`` (each a text and its sentences' ``(start, end)``) and of
    its section's heading, in that order; ``lookup`` gives a term's vocabulary id (None when it has none)."""
    ids: dict[str, int] = {}

    def id_of(stem: str) -> int:
        at = ids.get(stem)
        if at is None:
            found = lookup(stem)
            at = ids[stem] = UNKNOWN if found is None else int(found)
        return at

    flat: list[int] = []
    counts: list[int] = []
    numbers: list[bool] = []
    heading_flat: list[int] = []
    heading_counts: list[int] = []
    for text, spans in docs:
        texts = [text[a:b] for a, b in spans]
        words_of = tokens(texts)
        for sentence, words, stems in zip(texts, words_of, terms_of(words_of)):
            own = sorted({id_of(stem) for stem in stems})
            flat.extend(own)
            counts.append(len(own))
            numbers.append(holds_number(sentence, words))
        heading_ids: dict[frozenset[str], list[int]] = {}  # a section's sentences share its heading's set
        for heading in section_terms(text, [a for a, _ in spans]):
            own = heading_ids.get(heading)
            if own is None:
                own = heading_ids[heading] = sorted({id_of(stem) for stem in heading})
            heading_flat.extend(own)
            heading_counts.append(len(own))
    return SentenceTerms(np.array(flat, dtype=np.int32), _offsets(counts), np.array(numbers, dtype=bool),
                         np.array(heading_flat, dtype=np.int32), _offsets(heading_counts))


def section_terms(text: str, starts: Sequence[int]) -> list[frozenset[str]]:
    """For each sentence of ``text`` starting at one of ``starts``, the terms of the heading of the
    section it lies in (``sentences.sections_above``; empty where there is none): context a reader
    sees, which evidence counts at a discount."""
    sections = sections_above(text, starts)
    titles = sorted(set(sections) - {""})
    known = dict(zip(titles, map(frozenset, terms(titles))))
    known[""] = frozenset()
    return [known[h] for h in sections]


def _offsets(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets
