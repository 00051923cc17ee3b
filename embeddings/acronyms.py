"""Acronyms and the phrases they stand for, read both ways: "do I need a CLA?" over "We do not require a
Contributor License Agreement", and "when is the annual general meeting?" over notes that write "the AGM".

A reader sees at once that the two are one thing; BM25 does not (no term is shared), the embedding model
seldom does for a project's own acronyms, and the abstention charged the question for a word no document
holds. So a question is read with the other form added where the documents hold it:

* **spelt out** (:meth:`AcronymTable.reading`): a question word no document holds ("cla"), no common word
  of its own ("art", "cat" are words, not acronyms), that is the initials of a phrase the documents hold
  ("Contributor License Agreement") is replaced by that phrase: its words are searched by BM25, embedded
  and covered, and the word is no longer charged as absent.
* **abbreviated**: a run of the question's words whose initials are an acronym the documents write in
  capitals ("annual general meeting" -> "AGM"), where the documents never name that phrase themselves,
  gets the acronym beside it: searched and embedded, and a sentence holding the acronym covers the
  phrase's words (``evidence.Query.expands``), which are not charged as absent either.

Where the phrases come from: the documents' text is read once per index generation, when it is
written (``Engine._apply``), never at question time. The table (:func:`collect`) keeps the phrases
written in capitals ("Contributor License Agreement", "Developer Certificate of Origin": runs of
capitalised words, with "of", "and", "for", "the" between them) and those defined with their acronym in
brackets ("annual general meeting (AGM)", in any case), and the acronyms written in capitals ("AGM",
"DCO", "CoC"). It is a derived record of the generation (``IndexView.write_derived``): a JSON file in
the local generation's ``derived/`` folder, a row of the docs collection in Milvus. A generation without
it reads questions as before.

Two letters are too few to be sure: "PR" is read only when typed in capitals and the documents define
exactly one phrase for it in brackets (two capitalised words are as often a name: "Priya Raman"); abbreviating a two-word phrase needs the acronym written at
least twice. An ambiguous acronym (two phrases, neither clearly the documents' usual one) is left alone.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .lexical import is_stop_word, stems
from .rarity import zipf
from .spelling import is_shorthand

log = logging.getLogger(__name__)

#: The generation's record name (``IndexView.read_derived``) and its layout's version.
STORED_AS = "acronyms"
VERSION = 1
#: Letters of an acronym.
MIN_LETTERS, MAX_LETTERS = 2, 6
#: Letters of an acronym added beside a question's phrase: two-letter runs of words are everywhere
#: ("record high", "six games") and so are two capitals in a large collection.
MIN_ABBREVIATED = 3
#: The share of the acronyms of a length that the documents may write, above which a run of the question's
#: words is too likely to make one by chance to be read as one (see ``AcronymTable``).
CHANCE = 0.01
#: Words of a phrase that count for its initials (``of``/``and`` may stand between them).
MAX_PHRASE_WORDS = 6
#: A question word at least this common (Zipf) is a word, not an acronym ("art" 5.3, "cat" 4.8), unless
#: typed in capitals ("CEO" 4.5); "cla" is 2.9, "agm" 3.0, "faq" 3.3.
MAX_ACRONYM_ZIPF = 4.0
#: Phrases kept per acronym (the most frequent): enough to tell an ambiguous acronym, few enough that the
#: table of a large collection stays small.
KEPT_PHRASES = 3
#: Documents above which a phrase capitalised only once is not kept (news2022: 4,816 articles, a table of
#: 1.6 MB with them, 0.5 MB without).
LARGE_COLLECTION = 500
#: An acronym's usual phrase is written at least this many times as often as its next one.
DOMINANCE = 2

#: Short words that may stand inside a phrase without counting for its initials (but may: "CoC"). Not
#: "and", "on", "in" or "to", which join two names as often as they stand in one ("Chicago and Los
#: Angeles", "New York on Thursday"); "R&D" keeps its "&".
_JOINERS = frozenset({"of", "for", "the", "de", "&"})
_CAPITALISED = r"[A-Z][a-z][A-Za-z]*"
# A run of capitalised words on one line, joiners between them: "Developer Certificate of Origin".
_RUN = re.compile(rf"{_CAPITALISED}(?:[ \t]+(?:(?:of|for|the|de|&)[ \t]+)?{_CAPITALISED})+")
# An acronym defined in brackets after its phrase: "annual general meeting (AGM)"; the phrase is read back
# from the words before it (a pattern for the words before the brackets was tried at every word of every
# text: 70 s over news2022's 53 MB).
_DEFINED = re.compile(r"\(([A-Z][A-Za-z]{1,5})s?\)")
_WORDS_BEFORE = re.compile(r"(?:[A-Za-z][\w'-]*[ \t]+){1,8}$")
#: Days and months: capitalised, yet no part of a phrase ("New York Thursday", "Ghebreyesus March").
_DATES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split())
# An acronym as written: two capitals or more, at least half its letters ("AGM", "CoC", "PRs").
_WRITTEN = re.compile(r"\b[A-Z][A-Za-z]{1,5}\b")
# A word of the question, in any script's letters: "Gdańsk" is one word, not "Gda" (the initials of "Giorgian de
# Arrascaeta" in news2022, which read "what happened in Gdańsk?" as "... in Giorgian de Arrascaetańsk?") and "sk".
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-])*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:#>*-]\s*|\n\s*)$")


def _is_written_acronym(token: str) -> bool:
    if token.islower() or token[1:].islower():  # most words: answered without counting
        return False
    upper = sum(ch.isupper() for ch in token)
    return upper >= 2 and upper * 2 >= len(token) and not (token.isupper() and len(token) > MAX_LETTERS)


def _written_form(token: str) -> str:
    """An acronym as a key: lower case, without a plural's "s" ("PRs" -> "pr")."""
    if len(token) > 2 and token.endswith("s") and token[:-1].isupper():
        token = token[:-1]
    return token.lower()


def initials(words: list[str]) -> set[str]:
    """The acronyms a phrase's words make: the initials of its content words ("Developer Certificate of
    Origin" -> "dco"), and of all its words when a joiner is among them ("Code of Conduct" -> "coc")."""
    lower = [w.lower() for w in words]
    content = "".join(w[0] for w in lower if w not in _JOINERS)
    every = "".join(w[0] for w in lower if w != "&")
    return {a for a in (content, every) if MIN_LETTERS <= len(a) <= MAX_LETTERS and a.isalpha()}


def collect(texts: Iterable[str]) -> dict:
    """The acronym table of a collection's texts, as the record stored with its generation (JSON-able):
    ``phrases`` maps each acronym to its phrases (as written, how often, whether defined in brackets), at
    most :data:`KEPT_PHRASES` (in a collection of more than :data:`LARGE_COLLECTION` documents, only those
    written twice or defined); ``written`` maps the acronyms written in capitals to how often they are.
    One pass of three regular expressions over each text."""
    phrases: Counter[tuple[str, str]] = Counter()
    defined: set[tuple[str, str]] = set()
    shown: dict[tuple[str, str], str] = {}
    written: Counter[str] = Counter()
    documents = 0
    for text in texts:
        documents += 1
        for m in _RUN.finditer(text):
            words = m.group(0).split()
            # A sentence's first word is capitalised whatever it is: the run without it is a phrase too.
            starts = [0, 1] if _SENTENCE_START.search(text[max(0, m.start() - 3):m.start()]) else [0]
            for s in starts:
                run = words[s:]
                if any(w.lower() in _DATES for w in run):
                    continue
                while run and (run[0].lower() in _JOINERS or is_stop_word(run[0].lower())):
                    run = run[1:]
                if sum(w.lower() not in _JOINERS for w in run) < 2 or len(run) > MAX_PHRASE_WORDS:
                    continue
                key = " ".join(w.lower() for w in run)
                for a in initials(run):
                    phrases[a, key] += 1
                    shown.setdefault((a, key), " ".join(run))
        for m in _DEFINED.finditer(text):
            token = m.group(1)
            found = _WORDS_BEFORE.search(text, max(0, m.start() - 120), m.start()) if _is_written_acronym(token) else None
            if found is None:
                continue
            a = _written_form(token)
            before = found.group(0).split()
            for n in range(2, min(len(before), MAX_PHRASE_WORDS) + 1):
                run = before[-n:]
                if a in initials(run) and run[0].lower() not in _JOINERS:
                    key = " ".join(w.lower() for w in run)
                    phrases[a, key] += 1
                    defined.add((a, key))
                    shown.setdefault((a, key), " ".join(run))
                    break
        for m in _WRITTEN.finditer(text):
            if _is_written_acronym(m.group(0)):
                written[_written_form(m.group(0))] += 1
    by_acronym: dict[str, list[list]] = {}
    for (a, key), n in phrases.items():
        if n == 1 and documents > LARGE_COLLECTION and (a, key) not in defined:
            continue  # in a large collection a run written once is more often a passing run of names
        by_acronym.setdefault(a, []).append([shown[a, key], n, int((a, key) in defined)])
    for a, found in by_acronym.items():
        found.sort(key=lambda r: (-r[2], -r[1], r[0]))
        del found[KEPT_PHRASES:]
    return {"version": VERSION, "phrases": by_acronym, "written": dict(written)}


@dataclass(frozen=True)
class Reading:
    """A question as searched with its acronyms read: the text to embed and search (``text``), and each
    acronym added beside a phrase of the question with the stems of that phrase (``expands``)."""

    text: str
    spelt: dict[str, str] = field(default_factory=dict)  # question word -> the phrase it was read as
    expands: dict[str, tuple[str, ...]] = field(default_factory=dict)  # acronym's stem -> the phrase's stems


#: Which stems of a list some document holds (``IndexView.corpus_terms``); None: the backend can't tell.
Held = Callable[[Iterable[str]], "set[str] | None"]


class AcronymTable:
    """A generation's acronyms and phrases (see :func:`collect`), read for questions."""

    def __init__(self, record: dict) -> None:
        self.phrases: dict[str, list[list]] = record.get("phrases", {})
        self.written: dict[str, int] = record.get("written", {})
        # The acronyms a phrase of a question may be read as: written twice or more, never spelt out (see
        # ``_abbreviated``), of a length at which they are few enough that a run of words seldom makes one by
        # chance (:data:`CHANCE`: news2022 writes ~1,500 acronyms of three letters, so any three words had a
        # one in ten chance to make one; a club's notes write a dozen).
        usable = [a for a, n in self.written.items()
                  if n >= 2 and len(a) >= MIN_ABBREVIATED and a.isalpha() and a not in self.phrases]
        by_length = Counter(map(len, usable))
        self._abbreviations = frozenset(a for a in usable if by_length[len(a)] / 26 ** len(a) < CHANCE)

    @classmethod
    def from_dict(cls, record: dict | None) -> "AcronymTable | None":
        """The table of a stored record; None when there is none or it is of another version."""
        if not isinstance(record, dict) or record.get("version") != VERSION:
            return None
        return cls(record)

    def phrase_for(self, acronym: str, capitals: bool) -> str | None:
        """The one phrase the documents use for ``acronym``, as written; None when they have none or
        several of which none is clearly the usual one. A two-letter acronym needs ``capitals`` (typed
        "PR") and exactly one phrase, defined in brackets."""
        found = self.phrases.get(acronym)
        if not found:
            return None
        if len(acronym) == 2 and (not capitals or len(found) > 1 or not found[0][2]):
            return None  # two capitals are as often a person's initials ("Priya Raman" for "PR")
        best = found[0]
        if len(found) > 1:
            second = found[1]
            if best[2] == second[2] and best[1] < DOMINANCE * second[1]:
                return None
        return best[0]

    def reading(self, text: str, held: Held | None) -> Reading:
        """``text`` with its acronyms read (see the module's docstring). ``held``: which stems the corpus
        holds; without it nothing is read. A question with neither an unknown short word nor a phrase whose
        initials the documents write costs a few dictionary look-ups."""
        if held is None:
            return Reading(text)
        tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
        spelt = self._spelt(text, tokens, held)
        expands, inserts = self._abbreviated(tokens, held, text)
        if not spelt and not expands:
            return Reading(text)
        out, last = [], 0
        edits = sorted([(s, e, phrase) for (s, e), phrase in spelt.items()]
                       + [(e, e, f" ({a.upper()})") for e, a in inserts])
        for s, e, new in edits:
            out.append(text[last:s])
            out.append(new)
            last = e
        out.append(text[last:])
        return Reading("".join(out), {text[s:e].lower(): p for (s, e), p in spelt.items()}, expands)

    def _spelt(self, text: str, tokens: list[tuple[str, int, int]], held: Held) -> dict[tuple[int, int], str]:
        """The question words read as the phrase they are the initials of, by their span."""
        candidates: dict[tuple[int, int], tuple[str, bool]] = {}
        mixed = any(ch.islower() for ch in text)  # a question all in capitals says nothing by them
        for token, s, e in tokens:
            word = _written_form(token) if _is_written_acronym(token) else token.lower()
            capitals = mixed and _is_written_acronym(token)
            if not word.isalpha() or not MIN_LETTERS <= len(word) <= MAX_LETTERS or word not in self.phrases \
                    or is_stop_word(word) or (not capitals and (zipf(word) >= MAX_ACRONYM_ZIPF or is_shorthand(word))):
                continue
            candidates[s, e] = (word, capitals)
        if not candidates:
            return {}
        words = sorted({w for w, _ in candidates.values()})
        present = held(stems(words))
        if present is None:
            return {}
        unheld = {w for w, s in zip(words, stems(words)) if s not in present}
        out = {}
        for span, (word, capitals) in candidates.items():
            if word in unheld and (phrase := self.phrase_for(word, capitals)) is not None:
                out[span] = phrase
        return out

    def _abbreviated(
        self, tokens: list[tuple[str, int, int]], held: Held, text: str = ""
    ) -> tuple[dict[str, tuple[str, ...]], list[tuple[int, str]]]:
        """The acronyms the documents write for runs of the question's words that they never spell out:
        each acronym's stem -> the run's stems, and where the acronym goes in the text. A run is of words
        next to each other (only spaces between them: "Covid-19 vaccine" is no run), none a stop word but
        a joiner inside it ("Code of Conduct"), and each of its other words of three letters or more."""
        if not self._abbreviations:
            return {}, []
        lower = [t.lower() for t, _, _ in tokens]
        asked = {_written_form(t) if _is_written_acronym(t) else t.lower() for t, _, _ in tokens}
        # Where a run may not go on: past punctuation, a digit, a short word or a stop word that joins nothing.
        breaks = [not text[tokens[k][2]:tokens[k + 1][1]].isspace() for k in range(len(tokens) - 1)] + [True]
        found: list[tuple[int, int, str]] = []
        i = 0
        while i < len(tokens):
            match = None
            if lower[i] not in _JOINERS and len(lower[i]) >= 3 and not is_stop_word(lower[i]):
                end = i
                while end + 1 < len(tokens) and end - i + 1 < MAX_PHRASE_WORDS and not breaks[end] and (
                        lower[end + 1] in _JOINERS or (len(lower[end + 1]) >= 3 and not is_stop_word(lower[end + 1]))):
                    end += 1
                for n in range(end - i + 1, 1, -1):  # the longest run first
                    run = lower[i:i + n]
                    if run[-1] in _JOINERS:
                        continue
                    hit = next((a for a in initials(run) if a in self._abbreviations and a not in asked
                                and zipf(a) < MAX_ACRONYM_ZIPF), None)
                    if hit is not None:
                        match = (i, n, hit)
                        break
            if match:
                found.append(match)
                i += match[1]
            else:
                i += 1
        if not found:
            return {}, []
        acronym_stems = stems([a for _, _, a in found])
        present = held(acronym_stems)
        if present is None:
            return {}, []
        expands: dict[str, tuple[str, ...]] = {}
        inserts: list[tuple[int, str]] = []
        for (i, n, a), stem in zip(found, acronym_stems):
            if stem not in present:
                continue
            content = [w for w in lower[i:i + n] if not is_stop_word(w) and w.isalpha()]
            expands[stem] = tuple(stems(content))
            inserts.append((tokens[i + n - 1][2], a))
        return expands, inserts
