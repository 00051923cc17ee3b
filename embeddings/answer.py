"""From scored passages to an answer made only of verbatim, cited quotes.

Nothing is generated. The sentences that ``evidence`` scored best are quoted, best first, each a
slice of its source: near-duplicates (the same sentence in two overlapping chunks, or a reprint in
another article) are quoted once, and a sentence shorter than a useful quote grows by its
neighbours (never into a heading, a caption or a link line); a question or a lead-in takes in what
follows, as a quote never ends on one (``leads_in``). A sentence is quoted only when it
scores close to the best one; a sentence from a source not yet cited must also be evidence by
itself (its own answer probability clears ``min_evidence``), so a loosely related second source is
left out rather than cited. Citation numbers are given to documents in the order they are first
quoted, so they run 1..n and every one points at a listed source. When the best sentence is not
evidence, the answer says so and cites nothing.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from .evidence import DEFAULT_PARAMS, HELD_BY_SCOPE, NAMED_IN_SCOPE, OUT_OF_SCOPE, Params, Passage
from .lexical import words
from .models import Answer, Excerpt
from .sentences import Kind, column_names, holds_image, item_number_start, section_paths
from .store_api import IndexView as Generation

NOT_COVERED = "The documents don't seem to cover this."

# An excerpt grows by neighbouring sentences while it is shorter than this (a lone "He said so."
# is no evidence), and never past the longer cap.
MIN_EXCERPT_CHARS = 90
MAX_EXCERPT_CHARS = 420
# Quotes whose words overlap this much (Jaccard) say the same thing: one is enough.
DUPLICATE_OVERLAP = 0.8
_GROWABLE = (Kind.PROSE, Kind.LIST)
# What a sentence that states nothing by itself ends with: a question ("A luxury condiment?"), a lead-in
# to what follows ("Here are the highest prices per gallon:") or a dateline ("New York CNN Business —"),
# before any closing quote marks, brackets or emphasis.
_LEADS_IN = ("?", "?!", ":", "\u2014", "\u2013", " -", "--")
_CLOSERS = "\"'\u201d\u2019)]*_ \t\r\n"
# How a sentence (not a line that merely stops) ends, before its closers: ``_ends_sentence``.
_SENTENCE_ENDS = (".", "!", ";", "\u2026", *_LEADS_IN)
# What a table cell holds when it says "none" ("-", "\u2014"): the row ends on a cell, not on a dash.
_EMPTY_CELL = " \t-\u2013\u2014"


def leads_in(sentence: str) -> bool:
    """Whether ``sentence`` asks or announces rather than states: it ends with ``_LEADS_IN``.

    Such a sentence is no answer on its own, whatever words it shares with the question (a news
    article's rhetorical "So why don't New Jersey and Oregon let you pump your own gas?" echoes the
    question it then answers). A quote never ends on one: it takes in what follows (``_grow``), or,
    when nothing in its paragraph follows, it is not quoted.
    """
    body = sentence.rstrip(_CLOSERS)
    if "|" in body and not body.rsplit("|", 1)[1].strip(_EMPTY_CELL):
        return False  # a table row whose last cell is empty ("Littering | 10 euro fine | -"): a statement
    return body.endswith(_LEADS_IN)


@dataclass(frozen=True)
class _Quote:
    passage: Passage
    index: int  # the sentence within the passage
    start: int
    end: int

    @property
    def score(self) -> float:
        return float(self.passage.score[self.index])

    @property
    def doc(self) -> int:
        return self.passage.doc


def _grow(passage: Passage, i: int, text: str) -> tuple[int, int] | None:
    """Sentence ``i`` of ``passage``, grown by its better-scoring neighbours while too short, and by
    the sentences that follow while it ends on a question or a lead-in (``leads_in``); None when
    that cannot be done, as the quote would state nothing.

    A quote grows only within its paragraph, and a list item not at all past its own line: the
    next item or paragraph is another statement, and headings, captions and link lines are never
    grown into, nor is an image (``sentences.holds_image``) grown across. A lead-in's list is what it announces, so a prose line ending in a colon grows
    into the item on the next line.
    """
    spans, scores = passage.spans, passage.score
    lo = hi = i
    own_kind = Kind(int(spans[i, 2]))

    def joins(a: int, b: int, kind: Kind = own_kind) -> bool:  # may sentences a < b be quoted as one?
        if not (0 <= a and b < len(spans)) or Kind(int(spans[a, 2])) not in _GROWABLE:
            return False
        if Kind(int(spans[b, 2])) not in _GROWABLE:
            return False
        gap = text[int(spans[a, 1]) : int(spans[b, 0])]
        if holds_image(gap):
            return False  # a picture between them: its Markdown is no quote ("The board ![logo](logo.png) meets")
        if "\n" not in gap:
            return True
        if "\n\n" in gap or kind is Kind.LIST:
            return False
        # Across a line break: a list item is a line of its own ("1. New mats" above the item's text), and
        # so is a line that stops without ending a sentence ("Mon-Fri 10-23" above "Sat, Sun 9-22").
        return (Kind(int(spans[a, 2])) is Kind.PROSE and Kind(int(spans[b, 2])) is Kind.PROSE
                and _ends_sentence(text[int(spans[a, 0]) : int(spans[a, 1])]))

    while spans[hi, 1] - spans[lo, 0] < MIN_EXCERPT_CHARS:
        left = scores[lo - 1] if joins(lo - 1, lo) else None
        right = scores[hi + 1] if joins(hi, hi + 1) else None
        if left is None and right is None:
            break
        if right is not None and (left is None or right >= left):
            if spans[hi + 1, 1] - spans[lo, 0] > MAX_EXCERPT_CHARS:
                break
            hi += 1
        else:
            if spans[hi, 1] - spans[lo - 1, 0] > MAX_EXCERPT_CHARS:
                break
            lo -= 1
    def open_at(k: int) -> bool:  # does sentence k ask or announce (``leads_in``)?
        return leads_in(text[int(spans[k, 0]) : int(spans[k, 1])])

    grown_to = hi
    while open_at(hi):
        # What follows: the next sentence of its paragraph (of its line, for a list item), or the list
        # a prose line ending in a colon announces.
        follows = joins(hi, hi + 1, Kind(int(spans[hi, 2]))) or _announces(text, spans, hi)
        if follows and lo < i and spans[hi + 1, 1] - spans[lo, 0] > MAX_EXCERPT_CHARS:
            lo = i  # what the lead-in announces matters more than the context the quote grew by on its left
        if not follows or spans[hi + 1, 1] - spans[lo, 0] > MAX_EXCERPT_CHARS:
            # A short quote may have grown into a lead-in ("... in June. Why?"): it ends before it.
            hi = grown_to
            while hi > i and open_at(hi):
                hi -= 1
            if open_at(hi):
                return None
            break
        hi += 1
    return int(spans[lo, 0]), int(spans[hi, 1])


def _ends_sentence(sentence: str) -> bool:
    """Whether ``sentence`` stops as a sentence does (a full stop, a question or a lead-in's colon), before
    any closing quote marks or brackets: a line that does not is a record of its own (a timetable's
    "Mon-Fri 10-23", a label), which a quote never runs into the next line."""
    return sentence.rstrip(_CLOSERS).endswith(_SENTENCE_ENDS)


def _announces(text: str, spans: np.ndarray, i: int) -> bool:
    """Whether sentence ``i``, a prose line that leads in (``leads_in``) with a colon, has a list below
    it, at most a blank line down: the list is what it announces (Markdown wants the blank line)."""
    if i + 1 >= len(spans) or Kind(int(spans[i, 2])) is not Kind.PROSE or Kind(int(spans[i + 1, 2])) is not Kind.LIST:
        return False
    gap = text[int(spans[i, 1]) : int(spans[i + 1, 0])]
    return text[int(spans[i, 0]) : int(spans[i, 1])].rstrip(_CLOSERS).endswith(":") and gap.count("\n") <= 2


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _ranked(passages: list[Passage]) -> list[tuple[Passage, int]]:
    """Every quotable sentence as (passage, index), best score first; ties keep passage order.

    One stable sort of all the scores at once (a question has ~60 sentences; sorting them one numpy
    scalar at a time cost more than the rest of the answer)."""
    if not passages:
        return []
    scores = np.concatenate([p.score for p in passages])
    owner = np.repeat(np.arange(len(passages)), [len(p.score) for p in passages])
    first = np.cumsum([0] + [len(p.score) for p in passages])
    order = np.argsort(-scores, kind="stable")
    order = order[np.isfinite(scores[order])]
    return [(passages[o], r - int(first[o])) for o, r in zip(owner[order].tolist(), order.tolist())]


def _select(
    pool: list[tuple[Passage, int]], texts: dict[int, str], *, min_evidence: float, max_excerpts: int,
    diversity: float,
) -> list[_Quote]:
    """The quotes of an answer from the sentences within the margin (``pool``, best score first).

    Maximal marginal relevance: each next quote is the sentence whose score, less ``diversity`` x its
    word overlap (Jaccard) with the most similar quote already chosen, is highest. Four quotes that
    restate one sentence tell the reader less than the best one and three that add to it; with
    ``diversity`` 0 the quotes are taken best first. Whatever the order, a near-duplicate (overlap
    >= ``DUPLICATE_OVERLAP``), words already quoted from the same document, and a new source whose
    own sentence is not evidence (its probability below ``min_evidence``) are never quoted.
    """
    chosen: list[_Quote] = []
    bags: list[set[str]] = []
    # By position in pool, computed when first needed; None: the sentence states nothing by itself (``_grow``).
    grown: dict[int, tuple[int, int, set[str]] | None] = {}
    joins: dict[int, int] = {}  # by position in pool: the chosen quote the sentence would extend

    def quote(at: int) -> tuple[int, int, set[str]] | None:
        if at not in grown:
            passage, i = pool[at]
            span = _grow(passage, i, texts[passage.doc])
            grown[at] = (*span, set(words(texts[passage.doc][span[0] : span[1]]))) if span else None
        return grown[at]

    left = list(range(len(pool)))
    # Sentences passed over because they overlapped a quote without touching it: a quote that grows may
    # reach them. "A: 93 and above." lay two sentences before the quote "B: 83 to 86.99. ... Scores are not
    # rounded up.", which then grew by "A-: ..." and "B+: ..." but never by it: the grade asked for was cut.
    waiting: set[int] = set()
    while left and len(chosen) < max_excerpts:
        best_at, best_value = -1, -float("inf")
        passed: list[int] = []  # sentences passed over are not considered again (as when taken best first)
        for at in left:
            passage, i = pool[at]
            if float(passage.score[i]) <= best_value:
                break  # the pool is sorted by score and MMR only subtracts: nothing further can win
            if passage.p[i] < min_evidence and all(c.doc != passage.doc for c in chosen):
                passed.append(at)
                continue  # not evidence by itself: a new source is cited only on its own evidence
            quoted = quote(at)
            if quoted is None:
                passed.append(at)
                continue  # a question or a lead-in with nothing after it in its paragraph
            start, end, bag = quoted
            if any(c.doc == passage.doc and c.start < end and start < c.end for c in chosen):
                joined = _joining(chosen, passage, i, texts[passage.doc])
                if joined is None:
                    passed.append(at)
                    waiting.add(at)  # it may touch the quote once the quote has grown by its neighbours
                    continue  # overlapping chunks of one document quote the same words once
                start, end = joined[1], joined[2]
                bag = set(words(texts[passage.doc][start:end]))
                grown[at] = (start, end, bag)
                joins[at] = joined[0]
            similar = max((_jaccard(bag, other) for j, other in enumerate(bags) if j != joins.get(at)), default=0.0)
            if similar >= DUPLICATE_OVERLAP:
                passed.append(at)
                continue  # the same sentence elsewhere (a reprint, a repeated summary)
            value = float(passage.score[i]) - diversity * similar
            if value > best_value:
                best_at, best_value = at, value
        left = [at for at in left if at != best_at and at not in passed]
        if best_at < 0:
            break
        passage, i = pool[best_at]
        start, end, bag = grown[best_at]
        if best_at in joins:  # the sentence extends a quote of its paragraph: one excerpt, no new slot
            j = joins[best_at]
            chosen[j] = _Quote(chosen[j].passage, chosen[j].index, start, end)
            bags[j] = bag
            grown.clear()  # other sentences' spans were judged against the quote before it grew
            joins.clear()
            left = sorted(set(left) | waiting)  # pool positions: best score first, as before
            waiting.clear()
            continue
        chosen.append(_Quote(passage, i, start, end))
        bags.append(bag)
    return chosen


def _joining(chosen: list[_Quote], passage: Passage, i: int, text: str) -> tuple[int, int, int] | None:
    """Sentence ``i`` of ``passage`` joined to the quote of its paragraph it touches, as (that quote's
    position in ``chosen``, start, end); None when it is already quoted, or would not read as one
    excerpt with it.

    A sentence too short to stand alone grows by its neighbours (``_grow``), and when a neighbour is
    already quoted, the grown quote overlaps it. Dropping the sentence then loses what is often the
    answer itself ("By contributing you agree that your work is released under the AGPL-3.0
    license." beside the quoted "Orbit does not require a contributor license agreement, ..."):
    the quote is extended to take it in instead.
    """
    s, e = int(passage.spans[i, 0]), int(passage.spans[i, 1])
    if Kind(int(passage.spans[i, 2])) not in _GROWABLE:
        return None
    for j, c in enumerate(chosen):
        if c.doc != passage.doc:
            continue
        if c.start <= s and e <= c.end:
            return None  # already quoted
        gap = text[e : c.start] if e <= c.start else text[c.end : s] if c.end <= s else ""
        if gap.strip() or "\n\n" in gap or (s < c.start < e) or (s < c.end < e):
            continue  # not next to this quote (or straddling it)
        start, end = min(s, c.start), max(e, c.end)
        if end - start > MAX_EXCERPT_CHARS or (c.end < e and leads_in(text[s:e])):
            return None  # too long, or it would end the quote on a question or a lead-in
        if any(k != j and o.doc == passage.doc and o.start < end and start < o.end for k, o in enumerate(chosen)):
            return None
        return j, start, end
    return None


#: What separates the headings of a quote's section: "[1.4.2] - 2023-11-30 › Fixed".
SECTION_SEPARATOR = " › "
# A line of a chunk that may be or underline a heading, or be a table's row: ``Passage.headed`` says only
# whether the heading above a sentence has words ("## 3.1.1", "### Why?" have none the index keeps).
_MARKED = re.compile(r"^[ \t]{0,3}(?:#|\*\*|__|={3}|-{3}|\|)", re.MULTILINE)


def _passage_lines(passage: Passage, text: str) -> tuple[int, int]:
    """Where the lines of ``passage``'s sentences (its headings among them) start and end in ``text``."""
    return text.rfind("\n", 0, int(passage.spans[0, 0])) + 1, int(passage.spans[-1, 1])


def _sections(gen: Generation, chosen: list[_Quote], texts: dict[int, str]) -> list[str | None]:
    """The headings each quote lies under (``sentences.section_paths``), outermost first, without the
    document's title (shown with the source already); None where there are none.

    Only the documents of quotes known to lie under a heading are read for them (``Passage.headed``,
    from the terms stored with the index): most news articles have none, and finding a 9 kB
    article's headings costs ~0.16 ms.
    """
    out: list[str | None] = [None] * len(chosen)
    wanted: dict[int, list[int]] = {}
    for at, q in enumerate(chosen):
        headed = q.passage.headed
        if headed is None or bool(headed[q.index]) or _MARKED.search(texts[q.doc], *_passage_lines(q.passage, texts[q.doc])):
            wanted.setdefault(q.doc, []).append(at)
    for doc, ats in wanted.items():
        title = gen.title(doc)
        text = texts[doc]
        # A quoted heading (``Passage.answering``) lies in the sections above it, not in its own: read from
        # its line's start, where its marks ("## ") begin.
        starts = [text.rfind("\n", 0, chosen[at].start) + 1
                  if Kind(int(chosen[at].passage.spans[chosen[at].index, 2])) is Kind.HEADING else chosen[at].start
                  for at in ats]
        paths = section_paths(text, starts, title)
        title = title.strip().casefold()
        for at, path in zip(ats, paths):
            shown = [h for h in path if h.strip().casefold() != title]
            # A table's row is read under its column names ("Day pass | 12 | 8" under "Ticket | Regular | Reduced*").
            if (columns := column_names(text, chosen[at].start)) is not None:
                shown.append(columns)
            out[at] = SECTION_SEPARATOR.join(shown) or None
    return out


def _in_scope(ranked: list[tuple[Passage, int]], min_evidence: float) -> list[tuple[Passage, int]]:
    """``ranked`` without the sentences outside what a heading naming the question's version heads
    (``Passage.scoped``), when one inside is evidence on its own (``min_evidence``); and of those, only the
    parts of it (``evidence.HELD_BY_SCOPE``) when one of them is.

    "What changed in 2.4.1?" is answered by the entries under a changelog's "## [2.4.1] - 2025-10-02",
    which never repeat the version, not by a troubleshooting note's "Before 2.4.1 this also happened ...",
    which names it and so matches the question's words better, nor by the minutes' "We agreed to ship
    2.4.1 ..." under their agenda item "1. Release 2.4.1". Only which sentences are quoted changes: the
    passages keep their rank (``search`` lists the same). Where no sentence in scope is evidence the
    heading may be no release's at all, and the answer is built as before."""
    if not any(p.scoped is not None and p.scoped.any() for p, _ in ranked):
        return ranked
    levels = [int(p.scoped[i]) if p.scoped is not None else OUT_OF_SCOPE for p, i in ranked]
    for level in (HELD_BY_SCOPE, NAMED_IN_SCOPE):
        inside = [pi for pi, at in zip(ranked, levels) if at >= level]
        if any(p.p[i] >= min_evidence for p, i in inside):
            return inside
    return ranked


def build(
    question: str,
    gen: Generation,
    passages: list[Passage],
    texts: dict[int, str],
    *,
    min_evidence: float,
    max_excerpts: int,
    params: Params = DEFAULT_PARAMS,
) -> Answer:
    """Quote the sentences that answer ``question`` from ``passages`` (best first), or abstain."""
    # The best sentence that can be quoted leads, and its probability decides: a question or a lead-in
    # with nothing after it in its paragraph states nothing (``_grow``), however well it scores.
    ranked = _in_scope(_ranked(passages), min_evidence)
    first = next((at for at, (p, i) in enumerate(ranked) if _grow(p, i, texts[p.doc]) is not None), None)
    if first is None:
        return Answer(question=question, answered=False, message=NOT_COVERED, evidence=0.0)
    ranked = ranked[first:]
    top, top_i = ranked[0]
    evidence = float(top.p[top_i])
    if evidence < min_evidence:
        return Answer(question=question, answered=False, message=NOT_COVERED, evidence=round(evidence, 4))
    floor = float(top.score[top_i]) - params.margin

    pool = list(itertools.takewhile(lambda pi: pi[0].score[pi[1]] >= floor, ranked))
    # The leading sentence is quotable and evidence, so it is always chosen first.
    chosen = _select(pool, texts, min_evidence=min_evidence, max_excerpts=max_excerpts, diversity=params.diversity)

    numbers: dict[int, int] = {}
    excerpts: list[Excerpt] = []
    sections = _sections(gen, chosen, texts)
    for q, section in zip(chosen, sections):
        number = numbers.setdefault(q.doc, len(numbers) + 1)
        cid = q.passage.cand.chunk
        start = item_number_start(texts[q.doc], q.start)  # "3. Tag the commit": the step's number is shown
        excerpts.append(
            Excerpt(
                number=number,
                doc_id=gen.doc_id(q.doc),
                chunk=gen.chunk_number(cid),
                start=start,
                end=q.end,
                text=texts[q.doc][start : q.end],
                score=round(q.score, 4),
                page=gen.page(q.doc, start),
                section=section,
            )
        )
    sources = []
    for d, n in numbers.items():
        quoted = [e for e in excerpts if e.number == n]
        source = gen.source(d, number=n)
        # A quote's last page too: a sentence that goes on across a page break cites both pages.
        source.pages = sorted({p for e in quoted for p in (e.page, gen.page(d, e.end - 1)) if p is not None})
        source.ref = quoted[0].ref
        sources.append(source)
    plural = "s" if len(sources) > 1 else ""
    return Answer(
        question=question,
        answered=True,
        message=f"{len(excerpts)} excerpt{'s' if len(excerpts) > 1 else ''} from {len(sources)} source{plural}:",
        excerpts=excerpts,
        sources=sources,
        evidence=round(evidence, 4),
    )
