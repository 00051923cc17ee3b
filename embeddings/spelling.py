"""A question's words in the spelling the documents use: British and American English.

"Who is organizing the Berlin meetup?" asks about a note saying "organised by Felix Brandt". The
stemmer keeps the two spellings apart ("organiz" and "organis"), so BM25 would not find the note by
that word, the sentence's coverage of the question would miss it and the abstention would charge the
question for a word "no document holds". A reader sees one word.

:func:`corpus_stems` is the one place a question's words are matched to the corpus's spelling. It is
applied to the question (``evidence.Query``), so BM25's query terms, the sentences' coverage and the
absent words all read the same stems, and nothing in the index changes. A word is respelled only when
its own stem is in no document and the other spelling's is: a corpus holding both spellings, or
neither, reads the question as written. The rules are the regular British/American pairs
(-ize/-ise, -yze/-yse, -or/-our, -er/-re, -l-/-ll-, -ense/-ence, -og/-ogue); a candidate spelling
only counts when the corpus's vocabulary holds it, so a rule that makes a non-word costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: Which stems of a list some document holds (``IndexView.corpus_terms``); None: the backend can't tell.
Held = Callable[[Iterable[str]], "set[str] | None"]

# (pattern, replacement) both ways: American -> British and British -> American. Each is tried on the
# whole word; suffixes after the varying part are kept ("organizing" -> "organising").
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"iz(e|es|ed|ing|ation|ations|er|ers)$", r"is\1"),
        (r"is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"),
        (r"yz(e|es|ed|ing|er|ers)$", r"ys\1"),
        (r"ys(e|es|ed|ing|er|ers)$", r"yz\1"),
        (r"([^aeiou])or(s|ed|ing|ite|ites|able|ful|less)?$", r"\1our\2"),
        (r"our(s|ed|ing|ite|ites|able|ful|less)?$", r"or\1"),
        (r"([^aeiou])er(s)?$", r"\1re\2"),
        (r"([^aeiou])re(s)?$", r"\1er\2"),
        (r"([aeiou])l(ed|ing|er|ers)$", r"\1ll\2"),
        (r"([aeiou])ll(ed|ing|er|ers)$", r"\1l\2"),
        (r"ense(s|d)?$", r"ence\1"),
        (r"ence(s|d)?$", r"ense\1"),
        (r"og(s)?$", r"ogue\1"),
        (r"ogue(s)?$", r"og\1"),
    )
)


def respellings(word: str) -> list[str]:
    """The other regular spellings of a lower-cased ``word`` (none for most words)."""
    out = []
    for pattern, replacement in _RULES:
        other = pattern.sub(replacement, word, count=1)
        if other != word and other not in out:
            out.append(other)
    return out


def corpus_stems(
    words: list[str], stems: list[str], held: Held | None, stem: Callable[[list[str]], list[str]]
) -> list[str]:
    """``stems`` (of ``words``, one each) with each stem the corpus lacks replaced by the stem of another
    spelling of its word that the corpus holds; unchanged when ``held`` is None or says nothing.

    One vocabulary look-up for the question's stems; a second only when one is missing and its word has
    another spelling (rare), so a question costs a few microseconds more."""
    if held is None or not stems:
        return stems
    present = held(set(stems))
    if present is None:
        return stems
    missing = {i: respellings(w) for i, (w, s) in enumerate(zip(words, stems)) if s not in present}
    candidates = {i: [s for s in stem(alts) if s != stems[i]] for i, alts in missing.items() if alts}
    wanted = {s for alts in candidates.values() for s in alts}
    if not wanted:
        return stems
    found = held(wanted) or set()
    out = list(stems)
    for i, alts in candidates.items():
        for s in alts:
            if s in found:
                out[i] = s
                break
    return out
