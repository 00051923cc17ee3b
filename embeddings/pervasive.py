"""The collection's own subject: words in more than half of its passages, which tell none of them apart.

A community's notes name their project, club or product in most passages ("Lumenfeed needs Python
3.10", "Orbit is free to self-host", "Blocwerk opens at 10"). A question that names it too ("does
lumenfeed support postgres?") then matches every passage holding the name: its vector leans towards
them, and the word, unknown to English and so weighed as rare (``evidence.rarity``), made the
sentences that merely repeat it cover the question best. "Lumenfeed needs Python 3.10..." was quoted
over "A PostgreSQL backend for large installations", which the same question without the name
finds first. A word in more than half of the passages says as little about which one answers as "the"
does, whatever English thinks of it; it is BM25's own reading (its IDF is below ln 2 there), which
the dense and the sentence scores lacked.

So a question is searched without such words (:func:`without_pervasive`): embedded, looked up and
weighed as if it had not named what the whole collection is about. The question is shown as asked.
Only a collection of :data:`MIN_PASSAGES` passages or more has such words: over fewer, half of the
passages is a couple of them, and a word in two of three says which two. The word must be in more than
half of the documents too (:func:`is_pervasive`). The news2022 collection
(98,459 passages) has none (its most widespread word, "say", is in 46%).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .evidence import COMMON_RARITY, rarity
from .lexical import terms

#: A word in more than this share of the passages is the collection's own subject.
SHARE = 0.5
#: Fewer passages than this have no such words.
MIN_PASSAGES = 8

_WORD = re.compile(r"\w+")

Pervasive = Callable[[Iterable[str]], set[str]]


def is_pervasive(passages_holding: int, passages: int, documents_holding: int, documents: int) -> bool:
    """Whether a word is in more than :data:`SHARE` of the passages and of the documents.

    Both, because a document's title is embedded (and searched) with each of its chunks: the title
    words of one long note ("Release notes for Orbit 3.2") are in most passages of a collection of
    three notes, yet tell that note from the other two ("how many people contributed to the 3.2
    release?"). Over one document, its passages alone decide."""
    return (passages >= MIN_PASSAGES and passages_holding > SHARE * passages
            and documents_holding > SHARE * documents)


def without_pervasive(text: str, pervasive: Pervasive) -> str:
    """``text`` without the words whose stems are all pervasive (``pervasive(stems)`` names those among
    ``stems``: ``IndexView.pervasive_terms``); ``text`` itself when that would leave no word to search.

    Only a word English rates uncommon is dropped (``evidence.rarity`` above ``COMMON_RARITY``: a name,
    "orbit"): that is the weight the collection's own use of it belies. A common word the notes repeat
    ("how many members does the club have?" over a club's notes) is weighed as common already, and
    is what the question asks about: "how many does the have?" was refused."""
    matches = list(_WORD.finditer(text))
    found = [(m, stems) for m, stems in zip(matches, terms([m.group() for m in matches])) if stems]
    uncommon = [(m, stems) for m, stems in found if rarity(m.group().lower()) > COMMON_RARITY]
    common = pervasive({t for _, stems in uncommon for t in stems}) if uncommon else set()
    dropped = [m for m, stems in uncommon if all(t in common for t in stems)]
    if not dropped or len(dropped) == len(found):
        return text
    kept, at = [], 0
    for m in dropped:
        kept.append(text[at:m.start()])
        at = m.end()
    kept.append(text[at:])
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip()
