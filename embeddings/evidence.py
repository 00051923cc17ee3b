"""Sentence-level evidence: how well each sentence of the retrieved passages answers the question.

Retrieval ranks passages of ~128 word pieces; a person reads sentences. Every quotable sentence of
the top passages is scored by

* its **dense similarity** to the question: the sentence's own vector, pooled at index time from
  the chunk's token embeddings (late chunking, see ``encoder.encode_with_sentences``), so it knows
  its context but is not diluted by its neighbours; and
* its **coverage** of the question's words, each weighted by how rare it is in English at large
  (``wordfreq``), not in this corpus, so that the weight of "badges" is the same over one note and
  over 5,000 articles (corpus IDF over one document is degenerate),

less a penalty for captions and link lines, plus a small lead prior (a document states its point
first: ``lead_prior``). Passages are ranked by their best sentence. Which sentences are quoted, and in
which order, also weighs what each sentence's document keeps naming (``focus``), which leaves the
passages' ranking as it was; since the first quote decides the answer's first source and the evidence
the abstention reads, focus can change those, as the lead prior can.

The same features decide whether to answer at all: a logistic model, fitted by
``python -m benchmarks.quality --fit`` on answerable and off-topic questions over a news corpus and
a small community corpus, turns the best sentence's features into a probability that it answers;
``min_evidence`` is the cut. Its cosine and surprise count by their standing above this corpus's null
(``embeddings.null``: the best evidence the corpus offers questions it cannot answer), so that the
cut means the same over one note and over 100,000 passages. A sentence from a source not yet cited must clear that bar on its own
features, so a loosely related second source never rides along with a good first one.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np

from . import contacts, entries
from .lexical import dotted_numbers, is_stop_word, stems, terms, terms_of, tokens, words
from .null import NullProfile
from .rarity import zipf
from .recency import ages, recent_span
from .retrieval import Candidate
from .sentence_terms import _DIGIT, _NUMBER, _NUMBER_WORDS, holds_number  # noqa: F401 (re-exported)
from .sentence_terms import section_terms
from .sentences import Kind, column_names, section_end, section_paths
from .spelling import Extends, Forms, Held, as_meant, corpus_forms, spelt_out
from .store_api import IndexView as Generation
from .variants import held_as_variant

Embed = Callable[[list[str]], np.ndarray]
# Sentence kinds as the plain ints stored in the spans (comparing an array with the enum costs more).
_HEADING, _CAPTION, _LINK = int(Kind.HEADING), int(Kind.CAPTION), int(Kind.LINK)


@dataclass(frozen=True)
class Params:
    """Weights of the evidence score and of the abstention model.

    The score weights were chosen by 5-fold cross-validation on the news2022 dev set and the
    abstention coefficients fitted by logistic regression on answerable vs. off-topic questions
    (both printed by ``python -m benchmarks.quality --cv --fit``; README, "Answer quality").
    """

    coverage: float = 0.35  # sentence score = cosine + coverage x this + the passage's share below
    chunk: float = 0.5  # + chunk cosine x this
    fused: float = 0.3  # + fused (reciprocal-rank) score x 60 x this
    caption_penalty: float = 0.15  # captions and link lines lose to prose
    margin: float = 0.3  # a further quote scores within this of the best one
    diversity: float = 0.0  # quotes chosen by MMR: score - this x word overlap with a quote already chosen
    heading: float = 0.5  # a question word found only in the sentence's section heading counts this much
    answer_type: float = 0.1  # + this when a quantity is asked for and the sentence holds one
    doc_support: float = 0.0  # ranking: + this per other scored passage of the same document (``rerank``)
    lead: float = 0.2  # + this x P(answers) x exp(-offset / LEAD_CHARS): a document states its point first
    recency: float = 0.1  # - this x ln(1 + days from the day asked / the question's span), for a question about recent events
    focus: float = 0.05  # quotes only: + this x P(answers) x how much the sentence holds what its document repeats and the question lacks (``focus``)
    # P(answers) = sigmoid(bias + cos*sentence cosine + cov*coverage + chunk*chunk cosine
    #   + agree*(found by both retrievers) + pcov*passage coverage + gap*(cosine - crowd)
    #   + scale*sqrt(2 ln chunks) + num*(a number of the question missing from the passage)
    #   + novel*ln(1 + new words in the sentence) + surprise*(-log10 of the chance matches expected)
    #   + null_cos*(cosine's standing above this corpus's null) + null_surprise*(surprise's standing));
    #   see ``probability`` and ``embeddings.null``.
    a_bias: float = -12.457
    a_cos: float = 0.0
    a_cov: float = 0.0
    a_chunk: float = 2.177
    a_agree: float = 4.707
    a_pcov: float = 0.0
    a_gap: float = 0.0
    a_scale: float = -0.276
    a_num: float = -6.808  # x 1 when the question names a number (a year, a version) its passage never does
    a_novel: float = 0.938  # x ln(1 + the sentence's words that are not the question's): an echo answers nothing
    a_surprise: float = 0.953  # x how unlikely a chance passage of this corpus holds the words it shares (``surprise``)
    a_null_cos: float = 2.062  # x (cosine - the null's median) / its spread over this corpus (``null.NullProfile``)
    a_null_surprise: float = 0.0  # x the same for the surprise
    # x the rarity mass of the question's words in no passage of the corpus ("Helm chart"; ``absent_words``),
    # weighed by the fit's second step (``STAGED``)
    a_absent: float = -11.48


DEFAULT_PARAMS = Params()


def rarity(word: str) -> float:
    """How much a word says about what a question is about: 8 - its Zipf frequency, at least 1.

    The most common English words score ~7.5 (weight 1); unknown words and names 0 (weight 8).
    """
    return max(1.0, 8.0 - zipf(word))


@dataclass(frozen=True)
class Query:
    """A question as the engine uses it: its vector, its BM25 terms, and its weighted terms.

    ``term_weights`` weighs the BM25 terms (empty: every term counts once). A follow-up question
    carries the words of earlier questions at a lower weight there, and in ``weights`` (see
    ``embeddings.conversation``).
    """

    text: str
    vector: np.ndarray
    terms: list[str]
    weights: dict[str, float] = field(default_factory=dict)
    wants_number: bool = False  # "how many", "how much", "when", "what year": the answer is a quantity
    term_weights: dict[str, float] = field(default_factory=dict)
    # A follow-up's own text's vector when ``vector`` blends it with its topic's (None: ``vector`` is all
    # the question's own): what its cosine is read against the corpus's null with (see ``score``).
    own_vector: np.ndarray | None = None
    # Other forms of the question's words that the corpus holds (their stem -> the question's stem:
    # "led" -> "lead", "organis" -> "organiz"; ``spelling.corpus_forms``): counted as the word by
    # coverage; the other spellings among them are in ``terms`` too, searched by BM25.
    aliases: dict[str, str] = field(default_factory=dict)
    # How many days before it is asked a question about recent events reaches back ("this week": 7;
    # ``recency.recent_span``), None for any other: the nearer of two equal articles answers it.
    recent_days: int | None = None
    # The day the question was asked (a Discord message's date), which "this week" counts back from;
    # None: the newest candidate's date stands in for it.
    asked_on: date | None = None
    # The numbers of the question that only appear as part of a name ("19" of "Covid-19", "35" of
    # "F-35"; ``name_numbers``): not quantities a passage must repeat (``answer_checks``).
    name_numbers: frozenset[str] = frozenset()
    # Pairs of uncommon words side by side in the question ("Spirit Airlines", "Dmitry Peskov"; ``phrases``),
    # as stems: found side by side in a sentence, they are rarer by chance than found apart (``surprise``).
    phrases: frozenset[tuple[str, str]] = frozenset()
    # The question's numbers with a dot between digits ("3.0", "2.1.0", "7.0-magnitude"; ``lexical.dotted_numbers``):
    # a passage is checked for them as written (``holds_dotted``), which counts "3.0.1" as naming "3.0".
    dotted: frozenset[str] = frozenset()
    # A follow-up that points back with a pronoun ("how do i change it?"): ``weights`` with the words of the
    # question the pronoun stands for at full weight, not the topic's ``DECAY``, which ``surprise`` reads:
    # they are what the follow-up asks about, and no coincidence in a passage that holds them. None: ``weights``.
    # (Ranking still reads ``weights``, where what the follow-up adds counts most.)
    referent_weights: dict[str, float] | None = None
    # The items the question names by a code ("PA5", "hw3", "Lab 4", "CS 214", "Nov 20"; ``item_codes``): a passage
    # is checked for them as written (``names_code``), and one naming another item ("PA2") is not about it.
    codes: frozenset[Code] = frozenset()
    # The kinds of contact fact the question asks for ("what's the address?": an address; ``contacts.asked``):
    # a sentence holding one is the kind of answer asked for (``score``).
    contact: frozenset[str] = frozenset()
    # An acronym the documents write, added beside a phrase of the question whose initials it is ("annual
    # general meeting (AGM)"; ``acronyms.AcronymTable.reading``): its stem -> the phrase's stems. A sentence
    # holding the acronym covers the phrase's words, and those words are not charged as absent.
    expands: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def make(cls, text: str, vector: np.ndarray, held: Held | None = None, asked_on: date | None = None,
             extends: Extends | None = None, expands: dict[str, tuple[str, ...]] | None = None) -> "Query":
        """``held``: which stems the corpus holds (``IndexView.corpus_terms``), and ``extends``, the corpus's
        stems that begin with a prefix (``IndexView.terms_starting``: "defib" for "defibrillator"), to read the question's
        words in the documents' forms (``spelling.corpus_forms``: "organizing" finds "organised");
        ``asked_on``: the day it is asked; ``expands``: the acronyms ``text`` was read with (``Query.expands``)."""
        toks, forms = _in_corpus_forms(text, held, extends)
        weights: dict[str, float] = {}
        for word, stem in zip(toks, forms.stems):
            # Rare words say what the question is about.
            weights[stem] = max(weights.get(stem, 0.0), rarity(word))
        return cls(text, vector, forms.stems + forms.searched, weights, asks_for_number(text), aliases=forms.aliases,
                   recent_days=recent_span(text, asked_on), asked_on=asked_on, name_numbers=name_numbers(text),
                   phrases=phrases(toks, forms.stems) | code_phrases(item_codes(text)), dotted=dotted_numbers(text),
                   codes=item_codes(text), contact=contacts.asked(text), expands=dict(expands or {}))

    @classmethod
    def blend(
        cls, text: str, vector: np.ndarray, parts: list[tuple[str, float]], *, asks_number: bool,
        own_vector: np.ndarray | None = None, held: Held | None = None, asked_on: date | None = None,
        extends: Extends | None = None, referent: str | None = None,
    ) -> "Query":
        """A query made of several texts, each at a weight (1 for the question itself), asked on ``asked_on``.

        A word's coverage weight is its rarity times the weight of the text it comes from, and its BM25
        weight that text's weight; a word in several texts keeps its highest weight. ``referent``: the
        part a pronoun of the question stands for, whose words weigh their rarity in ``referent_weights``.
        """
        weights: dict[str, float] = {}
        term_weights: dict[str, float] = {}
        aliases: dict[str, str] = {}
        ref: dict[str, float] = {}
        for part, weight in parts:
            toks, forms = _in_corpus_forms(part, held, extends)
            for word, stem in zip(toks, forms.stems):
                weights[stem] = max(weights.get(stem, 0.0), weight * rarity(word))
                ref[stem] = max(ref.get(stem, 0.0), (1.0 if part == referent else weight) * rarity(word))
                term_weights[stem] = max(term_weights.get(stem, 0.0), weight)
            for alias, stem in forms.aliases.items():
                aliases.setdefault(alias, stem)
            for alias in forms.searched:  # searched by BM25 at its word's weight
                term_weights.setdefault(alias, term_weights[forms.aliases[alias]])
        # A word some part uses itself is that word, never another's alias: "fled" of "And who fled
        # Mariupol?" read as "flee" because the topic's "flee" lent its alias "fled" (and the reverse).
        aliases = {alias: stem for alias, stem in aliases.items() if alias not in weights}
        own_words, own_forms = _in_corpus_forms(text, held, extends)
        return cls(text, vector, list(term_weights), weights, asks_number, term_weights, own_vector, aliases,
                   recent_days=recent_span(text, asked_on), asked_on=asked_on,
                   name_numbers=name_numbers(" ".join(part for part, _ in parts)),
                   phrases=phrases(own_words, own_forms.stems) | code_phrases(item_codes(text)),
                   # "and what else was fixed in that release?": the version is the topic's, unless it names its own
                   dotted=dotted_numbers(text) or dotted_numbers(" ".join(part for part, _ in parts)),
                   referent_weights=ref if referent else None,
                   codes=item_codes(text) or item_codes(" ".join(part for part, _ in parts)),
                   contact=contacts.asked(text))


def _in_corpus_forms(text: str, held: Held | None, extends: Extends | None = None) -> tuple[list[str], Forms]:
    """A text's words as meant (``spelling.as_meant``) and their stems in the corpus's forms
    (``spelling.spelt_out``, ``spelling.corpus_forms``)."""
    toks = as_meant(words(text), held, stems, capitals=_names_in(text))
    return toks, corpus_forms(toks, spelt_out(toks, stems(toks), held, extends), held, stems)


def _names_in(text: str) -> list[str]:
    """The words of ``text`` written as names or acronyms (a capital within a sentence: "Is Ito coming?",
    "AWS"), lower-cased; none when the whole question is in capitals, which then says nothing."""
    if not any(ch.islower() for ch in text):
        return []
    return [w.lower() for w in _NAME.findall(text)]


def asks_for_number(text: str) -> bool:
    """Whether a question asks for a quantity or a date (see ``_NUMERIC_QUESTION``)."""
    return bool(_NUMERIC_QUESTION.search(text))


# The expected answer type, the oldest trick of extractive QA: a question asking for a quantity or a
# date is answered by a sentence that holds one, however many of the question's words another
# sentence repeats ("How many people can come?" -> "Space is limited to 60 guests").
# "When" asks for a date where it opens the question or a clause of its own ("so when is the call?",
# "when's the AGM", "when was that?"), not where it joins one ("what should I include when asking for
# help?" asks for a list).
_ASKS_WHEN = (r"(?:^|[^\w\s'’]\s*|\b(?:so|and|but|ok|okay|hey|hi|yo|then)\s+)when\b|"
              r"\bwhen(?:['’]s|\s+(?:is|was|are|were|do|does|did|will|would|can|could|should|has|have|had)\b)")
_NUMERIC_QUESTION = re.compile(
    r"\b(how (many|much|long|old|far|often|big|tall|high|large)|what (year|date|time|percentage|age)|"
    r"which (year|date|month|day)|deadlines?|cutoff|fees?|duration|capacity)\b|" + _ASKS_WHEN,
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-Z][\w'-]*")


def asks_for_name(text: str) -> bool:
    """Whether a question asks for a person: "who started the project?", "yo whos the treasurer"."""
    return bool(_NAME_QUESTION.search(text))


def holds_name(text: str, asked: set[str]) -> bool:
    """Whether a sentence names someone the question does not: two capitalised words side by side ("It
    was started by Mira Okonkwo"), neither a word of the question nor a word English uses all the time
    ("The Orbit", "Open Collective"). Read from the text, where the stored terms are lower-cased; only
    for a question asking "who" (``asks_for_name``)."""
    pieces = text.split()
    for a, b in zip(pieces, pieces[1:]):
        first, last = a.lstrip(_OPENING), b.rstrip(_CLOSING + ".!?")
        if not (first[:1].isupper() and last[:1].isupper() and first[1:2].islower() and last[1:2].islower()):
            continue
        if not (_is_word(first) and _is_word(last)):  # "Adeyemi. The": a sentence ends between them
            continue
        if first.lower() in asked or last.lower() in asked:
            continue
        common = sorted((zipf(first.lower()), zipf(last.lower())))
        if common[1] < COMMON_NAME_ZIPF and common[0] < NAME_ZIPF:
            return True
    return False


# "Who" asks for a person where it opens the question or a clause of its own, not where it joins one
# ("Hannah, who wrote the duplicate finder").
_NAME_QUESTION = re.compile(
    r"(?:^|[?!.:;(]\s*|\b(?:so|and|but|ok|okay|hey|hi|yo|then)\s+)(?:who|whom|whos|who['’]s)\b", re.IGNORECASE)
_OPENING = "(\"'*_[“‘"
_CLOSING = ")\"'*_,;:]”’"


def _is_word(piece: str) -> bool:
    """Letters, with a hyphen or an apostrophe inside ("Jean-Luc", "O'Brien")."""
    return piece.replace("-", "").replace("'", "").replace("’", "").isalpha()


#: A capitalised word this common in English ("The" 7.7, "New" 6.3, "Open" 5.5) starts a sentence or a title,
#: not a name; first names lie below it ("John" 5.4, "Mira" 3.3).
COMMON_NAME_ZIPF = 5.45
#: Two capitalised words both this common ("United States", "White House", "Prime Minister" 4.8 / 5.0 passes)
#: are a place or an institution; a person's surname is rarer ("Smith" 4.9, "Okonkwo" 1.5).
NAME_ZIPF = 5.0
# A number of at most three digits joined to a word by a hyphen is part of a name ("Covid-19", "F-35",
# "MH-17"); four digits after a hyphen are a year ("mid-2023"). A number written on its own anywhere
# in the text is a number.
_NAME_NUMBER = re.compile(r"(?<=[^\W\d_][-\u2010-\u2013])(\d{1,3})\b")
_FREE_NUMBER = re.compile(r"(?<![\w.\-\u2010-\u2013])(\d+)")


def _unnamed_versions(gen: Generation, dotted: frozenset[str], own_words: dict[str, float]) -> dict[str, float]:
    """The question's own dotted numbers (``Query.dotted``) that no document names, not even as the start
    of a longer one (``holds_dotted``: "3.0.1" names "3.0"), by their rarity: absent words
    (``absent_words``). "When was 2.4.2 released?" over a changelog whose last release is 2.4.1 has nothing
    to quote, however well "2.4.x and 2.3.x get security fixes" reads. Known from the BM25 vocabulary,
    which holds them since the tokenizer reads them whole (``Manifest.lexical`` 2; an index written before
    has none of them: none is charged)."""
    if not dotted or gen.manifest.lexical < 2:
        return {}
    asked = {d: own_words[d] for d in dotted if d in own_words}
    held = gen.corpus_terms(asked) if asked else set()
    if held is None:
        return {}
    return {d: w for d, w in asked.items() if d not in held and not gen.terms_starting(d + ".", 1)}


class Code(NamedTuple):
    """An item named by a label and a number ("PA5": "pa", "5"); ``spaced``: the question wrote them apart
    ("Lab 4", "Nov 20"), as prose also puts a word before a number ("takes 3"), so a passage names it only
    with its label capitalised, as documents write an item's name (``names_code``)."""

    label: str
    number: str
    spaced: bool


# An item's code as a question writes it: a short label and a number joined ("PA5", "hw3", "cs214", "G20"),
# or a word and a number of at most three digits apart ("Lab 4", "week 10", "Nov 20"; four digits after a
# word are a year: "World Cup 2022" names no item). Not a name's number after a hyphen ("Covid-19", "F-35":
# ``name_numbers``), which an answer often leaves out.
_JOINED_CODE = re.compile(r"(?<![\w.\-])([^\W\d_]{1,6})(\d{1,4})(?![\w]|[.,]\d)")
_SPACED_CODE = re.compile(r"(?<![\w.\-])([^\W\d_]{2,12}) (\d{1,3})(?![\w]|[.,]\d)")


#: Month names by their full name and every abbreviation a date is written with ("sept"), for ``_code_pattern``.
_MONTHS = {name: full for full in ("january", "february", "march", "april", "may", "june", "july", "august",
                                   "september", "october", "november", "december")
           for name in (full, full[:3], *(("sept",) if full == "september" else ()))}


def item_codes(text: str) -> frozenset[Code]:
    """The items ``text`` names by a code (``Code``), lower-cased: "when is pa5 due" -> ("pa", "5"), "what is
    due on Nov 20" -> ("nov", "20", spaced). A stop word before a number is no label ("in 3 days")."""
    found = {Code(m.group(1).lower(), m.group(2).lstrip("0") or "0", False) for m in _JOINED_CODE.finditer(text)}
    found.update(Code(m.group(1).lower(), m.group(2).lstrip("0") or "0", True) for m in _SPACED_CODE.finditer(text)
                 if not is_stop_word(m.group(1).lower()))
    return frozenset(found)


@functools.lru_cache(maxsize=256)
def _code_pattern(code: Code) -> re.Pattern[str]:
    """What names ``code`` in a passage: its label, then its number, with or without a space or a hyphen
    between ("PA5", "PA 5", "PA-5"; "CS 214" for "cs214"), the number not part of a longer one ("PA50",
    "Nov 2" for "Nov 20"); a spaced code's label with a capital ("Lab 4", "Nov 20", "iPhone 14", not
    "takes 3")."""
    month = _MONTHS.get(code.label)
    if month is not None:  # a day: "January 6" is "Jan. 6", "Jan 6th" and "6 January" too
        name = rf"{month[:3]}(?:{month[3:]}|\.)?" if len(month) > 3 else month
        day = rf"0*{code.number}(?:st|nd|rd|th)?"
        return re.compile(rf"(?i:(?<![^\W\d_]){name}[ \-]?{day}(?!\d|[.,]\d)|(?<![\d.]){day} (?:of )?{name}\b)")
    label = f"(?i:{re.escape(code.label)})"
    if code.spaced:  # a capital somewhere in the label: "Lab 4", "LAB 4", "iPhone 14"
        label = f"(?=[^\\W\\d_A-Z]*[A-Z]){label}"
    return re.compile(rf"(?<![^\W\d_]){label}[ \-]?0*{code.number}(?!\d|[.,]\d)")


def names_code(code: Code, text: str) -> bool:
    """Whether ``text`` names the item ``code`` (``_code_pattern``): "10 | Nov 2 | ... | PA5 (Nov 6)" names
    "pa5" and "Nov 6", not "PA2" or "Nov 20"."""
    return _code_pattern(code).search(text) is not None


def code_phrases(codes: frozenset[Code]) -> frozenset[tuple[str, str]]:
    """The spaced codes whose label and number are both terms ("Nov 20" -> ("nov", "20")), as pairs of
    stems (``phrases``): side by side in a sentence they are the item named, rarer by chance than the two
    words apart, whatever the label's rarity in English ("nov", "lab" are common words)."""
    out = set()
    for code in codes:
        if code.spaced and len(code.number) > 1 and not is_stop_word(code.label):
            out.add((stems([code.label])[0], code.number))
    return frozenset(out)


def releases_named(text: str, dotted: frozenset[str]) -> frozenset[str]:
    """The question's dotted numbers that may name a release, whose section answers it (``scoped_sentences``):
    not an amount ("the record $2.04 billion jackpot", "a 7.0-magnitude earthquake", "3.5%"), which an
    article's title may well name without every sentence of the article being about it."""
    if not dotted:
        return frozenset()
    low = text.lower()
    return frozenset(d for d in dotted if not any(_AMOUNT.fullmatch(m.group(0))
                                                  for m in re.finditer(rf"\S?{re.escape(d)}[-\s]?[%\w]*", low)))


_AMOUNT = re.compile(r"[$€£¥]\d[\d.]*[-\s]?[%\w]*|\d[\d.]*[-\s]?(?:%|percent|billion|million|trillion|thousand|bn|m|k|"
                     r"magnitude|degrees?|km|kg|mph|miles?|points?|inches|feet|metres|meters|hours?|years?|times)")


def holds_dotted(number: str, text: str) -> bool:
    """Whether ``text`` names ``number`` ("3.0"), alone or as the start of a longer one ("3.0.1"), never
    as the end of another ("13.0") or the start of a longer decimal ("3.01")."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text) is not None


def name_numbers(text: str) -> frozenset[str]:
    """The numbers of ``text`` that only appear as part of a name: "19" of "Which country declared
    victory against the Covid-19 pandemic?".

    The question's numbers are what a passage must hold to be about it (``answer_checks``: "the 2022
    season", "Python 3.12"), but a name's number is often left out by the answer ("North Korean
    leader Kim Jong Un declared victory in the battle against the novel coronavirus"), and charging
    it made that sentence's P(answers) ~0."""
    bound = set(_NAME_NUMBER.findall(text))
    return frozenset(bound - set(_FREE_NUMBER.findall(text))) if bound else frozenset()


def phrases(question_words: list[str], question_stems: list[str]) -> frozenset[tuple[str, str]]:
    """The stems of the question's uncommon words that stand side by side in it once stop words are
    dropped: "Which airline announced a deal to buy Spirit Airlines?" -> ("spirit", "airlin") and
    ("airlin", "announc") ("airline announced": both above the common words too). Only words
    above :data:`COMMON_RARITY` pair up: "build muscle" or "smallest country" side by side in a news
    sentence say the sentence is on the question's subject, not that it answers it."""
    return frozenset(
        (a, b) for (a, b), (wa, wb) in zip(zip(question_stems, question_stems[1:]), zip(question_words, question_words[1:]))
        if a != b and min(rarity(wa), rarity(wb)) > COMMON_RARITY)


def adjacent_phrases(
    pairs: frozenset[tuple[str, str]], sentence_terms: Sequence[set[str]], bounds: np.ndarray,
    text_of: Callable[[list[int]], list[str]], aliases: dict[str, str],
) -> list[int]:
    """For each passage (its sentences ``bounds[i]:bounds[i + 1]``), how many of ``pairs`` (``phrases``)
    stand side by side in one of its sentences. ``sentence_terms`` hold the question's stems each
    sentence holds; ``text_of(rows)`` gives those sentences' texts. Only sentences holding both words
    of a pair are read, the first of each passage first: a name is usually written whole where it
    first appears, and the rest are read only for the pairs not found there (~0.3 ms a question on
    news2022, in two passes at most)."""
    holding: dict[tuple[int, tuple[str, str]], list[int]] = {}
    for passage, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        for at in range(lo, hi):
            held = sentence_terms[at]
            for pair in pairs:
                if pair[0] in held and pair[1] in held:
                    holding.setdefault((passage, pair), []).append(at)
    found: dict[int, set[tuple[str, str]]] = {}

    def read(rows: set[int]) -> None:
        rows_in_order = sorted(rows - found.keys())
        for at, text_stems in zip(rows_in_order, terms(text_of(rows_in_order)) if rows_in_order else ()):
            text_stems = [aliases.get(t, t) for t in text_stems]
            found[at] = pairs.intersection(zip(text_stems, text_stems[1:]))

    read({rows[0] for rows in holding.values()})
    read({at for (_, pair), rows in holding.items() if pair not in found[rows[0]] for at in rows[1:]})
    counts = [0] * (len(bounds) - 1)
    for (passage, pair), rows in holding.items():
        counts[passage] += any(pair in found[at] for at in rows)
    return counts


def named_terms(question: str) -> set[str]:
    """The stems of the names a follow-up brings in ("Pope" of "what did the Pope say about it?"): the
    words written with a capital letter other than the first word. A follow-up asking about a name the
    passage never mentions asks about something else; its other words ("who imposed the fine?", "how
    many votes did it get?") are often paraphrased by the answer, so only names are charged."""
    found = words(" ".join(_NAME.findall(question.strip())))
    return set(stems(found)) if found else set()


@dataclass
class Passage:
    """One retrieved chunk with its sentences scored."""

    cand: Candidate
    doc: int
    spans: np.ndarray  # (k, 3) start, end, kind (document offsets)
    cos: np.ndarray  # (k,) sentence cosine to the question
    coverage: np.ndarray  # (k,) weighted share of the question's words in the sentence
    score: np.ndarray  # (k,) sentence score; -inf for sentences that are never quoted
    p: np.ndarray  # (k,) probability that the sentence answers, on its own features
    passage_score: float = 0.0
    passage_coverage: float = 0.0  # share of the question's words anywhere in the chunk or its title
    crowd: float = 0.0  # mean chunk cosine of all scored candidates: how similar "anything" is
    typed: np.ndarray | None = None  # (k,) 1.0 where the sentence holds the kind of answer asked for
    scale: float = 0.0  # sqrt(2 ln n) for n chunks: how high a chance match climbs in this corpus
    numbers_missing: float = 0.0  # 1.0 when a number of the question (a year, "17th") is nowhere in the passage
    novel: np.ndarray | None = None  # (k,) ln(1 + the sentence's terms that are not the question's)
    surprise: float = 0.0  # -log10 of how many passages of this corpus would share these words by chance
    null: NullProfile | None = None  # this corpus's null (``embeddings.null``); None: not measured, z-features 0
    own_cos: np.ndarray | None = None  # (k,) a follow-up's own text's cosine (``Query.own_vector``); None: ``cos``
    own_surprise: float | None = None  # the surprise of the follow-up's own words alone; None: ``surprise``
    absent: float = 0.0  # rarity mass of the question's words that no document holds (``absent_words``; per question)
    age: float = 0.0  # distance between the document and the day asked (``recency.ages``), for a question about recent events
    # (k,) each sentence's own distance, where its document is a series of dated entries (``entries``); None: ``age``
    ages: np.ndarray | None = None
    dated: bool = True  # the document has a date: an article or a report, whose lead states its point (``lead_prior``)
    focus: np.ndarray | None = None  # (k,) the sentence's share of its document's repeated new words (``focus``)
    ranking: np.ndarray | None = None  # (k,) ``score`` without the focus bonus: what ranks the passage (None: ``score``)
    # (k,) True where the sentence lies under a heading (None: not known; ``answer`` then reads the text)
    headed: np.ndarray | None = None
    # The question names a version or a decimal ("1.4.2", "$2.04") this passage does not (``dotted_numbers``),
    # or an item by a code ("PA5", "Lab 4": ``item_codes``) it does not name: while another passage names
    # them, this one is not quoted (``apply_all``)
    unnamed: bool = False
    # (k,) how the sentence lies in the section of a heading (or a document whose title) names every version
    # the question names, or is a table row whose first cell does (``scoped_sentences``: 0 outside, 1 naming
    # it itself, 2 a part of it): the entries a release's section holds answer "what changed in 2.4.1", not a
    # note that mentions it in passing (``answer._in_scope`` quotes the most inside while one is evidence).
    # None: the question names none.
    scoped: np.ndarray | None = None
    # (k,) True for a heading that may be quoted (``answering_headings``): it alone holds what the question asks
    # for ("[2.4.1] - 2025-10-02" for "when was 2.4.1 released?"). None: none may.
    answering: np.ndarray | None = None
    # (k,) True where the sentence's row or paragraph does not name the item the question names by a code
    # while another of the passage's does (``_off_code``: a schedule's other rows): never quoted (None: all may be)
    off_code: np.ndarray | None = None
    # (k,) 1.0 where the sentence holds the contact fact a question asks for, and the question names nothing
    # but its kind and what the sentence's context names ("what's the address?"; ``_own_value``): read without
    # the prior (``probability``) and quoted first (``_asked_value_first``); None: none
    asked_value: np.ndarray | None = None

    @classmethod
    def unscored(cls, cand: Candidate, doc: int) -> "Passage":
        """A candidate below the re-ranking depth: listed by ``search``, never quoted."""
        empty = np.zeros(0)
        return cls(cand, doc, np.zeros((0, 3), dtype=np.int64), empty, empty, empty, empty, -math.inf)

    @property
    def best(self) -> int:
        return int(np.argmax(self.score)) if len(self.score) else -1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def probability(
    cos: np.ndarray,
    coverage: np.ndarray,
    chunk_cos: float | np.ndarray,
    agree: bool | np.ndarray,
    passage_coverage: float | np.ndarray = 0.0,
    crowd: float | np.ndarray = 0.0,
    scale: float | np.ndarray = 0.0,
    params: Params = DEFAULT_PARAMS,
    numbers_missing: float | np.ndarray = 0.0,
    novel: float | np.ndarray = 0.0,
    surprise: float | np.ndarray = 0.0,
    null_cos: float | np.ndarray = 0.0,
    null_surprise: float | np.ndarray = 0.0,
    absent: float | np.ndarray = 0.0,
    asked_value: float | np.ndarray = 0.0,
) -> np.ndarray:
    """P(a sentence answers the question) from its own features (see the module docstring).

    ``cos - crowd`` is how far the sentence stands out from what the question finds anyway: in
    5,000 articles some passage is always a little similar, in one note nothing is, so the raw
    cosine alone means different things on different corpora. ``scale`` says the same from the
    corpus' size: the best of n chance similarities grows like sqrt(2 ln n) (the expected maximum of
    n Gaussian draws), so a larger corpus needs a clearer match for the same confidence. The passage
    features are one value for all of ``cos``, or one per sentence.

    Two checks any reader makes mean the same on one note and on 5,000 articles (see
    :func:`answer_checks`): a passage that never mentions the year or version the question names
    ("who won the 2024 Tour de France?" over 2022 news) is about something else, and a sentence
    made only of the question's own words ("Burkina Faso" for "What is the capital of Burkina
    Faso?") repeats the question instead of answering it.

    ``surprise`` (see :func:`surprise`) weighs the words a passage shares with the question by how
    rare they are in English *and* how many passages the corpus holds: "country", "most" and
    "islands" are found together somewhere in 98,000 news passages by chance, "treasurer" in one of
    seven notes is not.

    ``null_cos`` and ``null_surprise`` are the cosine and the surprise read against this corpus's
    null (:class:`~embeddings.null.NullProfile`: what the best sentence looks like for questions it
    cannot answer): a 0.3 cosine is far above chance among seven notes and below it in a news archive.

    ``absent`` (see :func:`absent_words`) weighs the question's uncommon words that no document holds:
    "Is there an official Orbit subreddit?" is on the community's topic, close in meaning to its notes
    and shares "Orbit" with them, but no note says "subreddit", and that is what a reader sees at once.

    ``asked_value`` is 1.0 for a sentence holding the contact fact a question asks for, the question naming
    nothing but its kind and what the sentence's context names ("what's the address?" and "Bergstraße 7 ·
    10115 Berlin": ``_own_value``).
    The bias is the prior: most sentences a question retrieves do not answer it, and a sentence must show
    it does, by its words and its meaning. Such a question's one word is the kind of fact it asks for, which
    the answer gives as a value and never repeats ("hello@example.org" shares no word with "whats ur
    email", and the model reads its meaning poorly: cosine 0.19), and such a sentence is not any sentence:
    it is the one kind of fact asked for. So it is read at even odds (no bias), and the other features
    decide: in a large collection the corpus's size (``scale``) and the surprise of finding the kind's
    word by chance still leave a stray address short of the cut. Not a fitted weight, nor one a refit
    changes: it reads the bias the fit gives (``benchmarks.quality --fit``'s questions ask for no such fact).
    """
    z = (params.a_bias * (1.0 - np.asarray(asked_value, dtype=np.float64))
         + params.a_cos * cos + params.a_cov * coverage + params.a_chunk * chunk_cos
         + params.a_agree * np.asarray(agree, dtype=np.float64) + params.a_pcov * passage_coverage
         + params.a_gap * (cos - crowd) + params.a_scale * scale
         + params.a_num * np.asarray(numbers_missing, dtype=np.float64)
         + params.a_novel * np.asarray(novel, dtype=np.float64)
         + params.a_surprise * np.asarray(surprise, dtype=np.float64)
         + params.a_null_cos * np.asarray(null_cos, dtype=np.float64)
         + params.a_null_surprise * np.asarray(null_surprise, dtype=np.float64)
         + params.a_absent * np.asarray(absent, dtype=np.float64))
    return _sigmoid(np.asarray(z, dtype=np.float64))


#: The order of :func:`features`, named as the ``Params`` coefficients that weigh them.
FEATURES = ("a_cos", "a_cov", "a_chunk", "a_agree", "a_pcov", "a_gap", "a_scale", "a_num", "a_novel", "a_surprise",
            "a_null_cos", "a_null_surprise", "a_absent")
#: The direction each feature may move the probability when fitted (0: either). A closer cosine, more of
#: the question's words, agreeing retrievers, new words, standing out from the other candidates or from
#: the corpus's null never make a sentence *less* likely to answer; a missing number never more. Without
#: these signs the fit traded collinear features against each other (a negative weight on coverage, and
#: with the null features a strongly negative one on standing out) and refused a sentence holding every
#: word of the question; an uncommon word of the question that no document holds never makes it more
#: likely. Only the corpus size (``a_scale``) may go either way.
FEATURE_SIGNS = {"a_cos": 1, "a_cov": 1, "a_chunk": 1, "a_agree": 1, "a_pcov": 1, "a_gap": 1, "a_scale": 0,
                 "a_num": -1, "a_novel": 1, "a_surprise": 1, "a_null_cos": 1, "a_null_surprise": 1,
                 "a_absent": -1}
#: The features ``benchmarks.quality --fit`` weighs in a second step, on the community's tune half
#: (answerable against unanswerable questions), with the other features' fitted sum as a fixed offset:
#: those questions then set only the weight of the feature that is about them, and cannot drag the
#: cosine and surprise weights that carry short answerable questions over the null.
STAGED = ("a_absent",)


def features(passage: Passage, i: int) -> list[float]:
    """The abstention features of sentence ``i`` (what ``probability`` combines), for fitting."""
    c = passage.cand
    return [float(passage.cos[i]), float(passage.coverage[i]), float(c.dense),
            float(c.dense_rank is not None and c.bm25_rank is not None), passage.passage_coverage,
            float(passage.cos[i]) - passage.crowd, passage.scale, passage.numbers_missing,
            float(passage.novel[i]) if passage.novel is not None else 0.0, passage.surprise,
            *null_features(passage.null, float(_tested_cos(passage)[i]), _tested_surprise(passage)),
            passage.absent]


def _tested_cos(passage: Passage) -> np.ndarray:
    """The cosine read against the corpus's null: a follow-up's own text's when it has one.

    A follow-up's vector blends its text with its topic's questions (``conversation.blended_query``),
    so with a passage on the topic it is high whatever the follow-up asks ("what did the Pope say
    about it?" after a question on Etna); of that sum only the follow-up's own part varies by chance
    the way the null questions' cosines do, so that part is what is compared with them."""
    return passage.cos if passage.own_cos is None else passage.own_cos


def _tested_surprise(passage: Passage) -> float:
    """The surprise read against the corpus's null: for such a follow-up, that of its own words alone
    (its topic's words are in the passage because retrieval looked for the topic, not by chance)."""
    return passage.surprise if passage.own_surprise is None else passage.own_surprise


def best_sentence(passages: list[Passage]) -> tuple[Passage, int] | None:
    """The passage and index of the best-scoring quotable sentence: the one an answer leads with and whose
    probability decides whether to answer (``answer.build``); None when nothing is quotable."""
    return max(((p, p.best) for p in passages if p.best >= 0 and np.isfinite(p.score[p.best])),
               key=lambda pi: pi[0].score[pi[1]], default=None)


def null_features(null: NullProfile | None, cos: np.ndarray | float, surprise: float) -> tuple:
    """The cosine's and the surprise's standing above the corpus's null (0, 0 when not measured)."""
    if null is None:
        return 0.0, 0.0
    return null.cos_z(cos), null.surprise_z(surprise)


def surprise(
    weights: dict[str, float], found: set[str], length: int, passages: int, own: set[str] | None = None,
    adjacent: int = 0,
) -> float:
    """-log10 of the number of passages of this corpus expected to hold the question words ``found``
    by chance: how much a passage's share of the question's words says, on one note or 5,000 articles.

    A word of rarity w (``rarity``: 8 - its Zipf frequency, so a share 10^(-1-w) of English words)
    turns up in a passage of ``length`` words with probability about length x 10^(-1-w); independent
    words multiply, and ``passages`` passages give that many chances. A word common enough to be in
    most passages counts nothing. Large: the shared words are no coincidence; below zero: a corpus
    this size holds such a passage anyway.

    A follow-up's earlier questions lend it their words at their weight (``Query.blend``): they say
    the passage is on the conversation's topic, not that it answers what the follow-up adds. So for
    a follow-up, ``own`` holds the names it brings in (:func:`named_terms`), and one the passage
    lacks ("what did the Pope say about it?" after a question on Etna) counts against it as much as
    it would have counted for it. A question on its own is not charged for missing words: a long
    question is rarely answered in its own words.

    ``adjacent`` pairs of the question's uncommon words were found side by side in a sentence
    (``adjacent_phrases``): two words anywhere in the passage have length x length chances to turn
    up, side by side only length, so each such pair is log10(length) more bits.
    """
    log_length = math.log10(max(length, 1))
    own = own or set()
    bits = adjacent * log_length
    for t, w in weights.items():
        if t in found:
            bits += max(0.0, 1.0 + w - log_length)
        elif t in own:
            bits -= max(0.0, 1.0 + w - log_length)
    return bits - math.log10(max(passages, 1))


#: A question word whose rarity (``rarity``: 8 - its Zipf frequency) is at most this is common (Zipf 5
#: and up: more than once in 10,000 words of English, "long", "come", "hand", "allow"): paraphrases swap
#: such words freely, so their absence says nothing. :func:`absent_words` weighs only what lies above it.
COMMON_RARITY = 3.0


#: Words that name the kind of answer a question wants, not what it is about: "What's the deadline to
#: sign up?" is answered by "register ... by 1 June", "Is there a fee?" by "$20", "What is the venue's
#: capacity?" by "limited to 60 people". An answer gives a value of that kind and seldom the word, so a
#: note that answers may hold the word nowhere: its absence is not charged (:func:`absent_words`). The
#: words of the quantities among them make the question ask for a number (``_NUMERIC_QUESTION``).
ANSWER_TYPE_WORDS = frozenset(
    {"deadline", "deadlines", "cutoff", "fee", "fees", "duration", "capacity", "location", "address"})


def absent_words(unheld: dict[str, float], passage_terms: set[str], passage_tokens: list[str]) -> float:
    """The rarity mass, above :data:`COMMON_RARITY`, of the question's words that no document holds.

    ``unheld`` maps the question's own uncommon stems that are in no passage of the corpus (its BM25
    vocabulary; ``IndexView.corpus_terms``) to their rarity; a word the passage holds in another
    spelling (an abbreviation, an acronym, a typo: :mod:`embeddings.variants`) is not counted.

    Why it means the same on one note and on 98,000 passages: it weighs a word by its rarity in
    English, not by corpus statistics, and a word in no document cannot be quoted whatever the
    collection's size. An in-domain question the documents do not answer ("Is there an official Helm
    chart?", "When is the next hackathon?") usually lacks the very word it is about, while a
    paraphrased answerable question ("How long until someone replies?") lacks only common words.
    """
    return _rarity_mass({t: w for t, w in unheld.items() if not held_as_variant(t, passage_terms, passage_tokens)})


@functools.cache
def _answer_type_stems() -> frozenset[str]:
    """The stems of :data:`ANSWER_TYPE_WORDS`, as a question's words are read."""
    return frozenset(stems(sorted(ANSWER_TYPE_WORDS)))


@functools.cache
def _contact_stems() -> frozenset[str]:
    """The stems of the words naming a contact fact (``contacts.WORDS``: "address", "email", "phone")."""
    return frozenset(stems(sorted(contacts.WORDS)))


def _contact_values(kinds: frozenset[str], texts: list[str]) -> np.ndarray:
    """1.0 where a sentence of ``texts`` holds a contact fact of ``kinds`` (``contacts.held``), else 0.0."""
    return np.array([bool(contacts.held(t, kinds)) for t in texts], dtype=np.float64)


@functools.cache
def _filler_stems() -> frozenset[str]:
    """The stems of ``contacts.FILLERS``, words of a chat question that name nothing."""
    return frozenset(stems(sorted(contacts.FILLERS)))


def _topic(query: Query) -> set[str]:
    """A contact question's own words (a follow-up's: those at weight 1) but stop words, the words naming the
    kind of fact (``contacts.WORDS``) and a chat's fillers (``contacts.FILLERS``)."""
    own = {t for t, w in query.weights.items() if not query.term_weights or query.term_weights.get(t, 0.0) >= 1.0}
    return {t for t in own if not is_stop_word(t) and t not in _contact_stems() and t not in _filler_stems()}


def _own_value(valued: np.ndarray, query: Query, found: list[set[str]], headings: Sequence[frozenset[str]],
               titles: list[list[str]], row_docs: np.ndarray) -> np.ndarray:
    """1.0 where a sentence holds the contact fact asked for (``valued``) and the question names nothing but the
    kind of fact and what the sentence, its section headings or its document's title name: "what's the
    address?", "whats ur email pls", "what's Werkbank's phone number?" ask for the fact that sentence is, of
    the place the page is about; "what's the address of the Louvre?", "the phone number of the Berlin
    police" or "Anna's phone number" (where the line is the venue's) do not. Every word of the question
    counts, the common ones too ("police"), but stop words, the words naming the kind (``contacts.WORDS``)
    and a chat's fillers (``contacts.FILLERS``: "pls", "ur"); a follow-up's own words only.

    A question naming nothing but the kind ("whats ur email") asks for the collection's own: where the
    candidates give such facts in several documents, each is its document's own (a news article's reporter:
    "Email: caldera@northjersey.com"), none is "yours", and the question is read as any other (none here)."""
    topic = _topic(query)
    if not topic:
        return valued if len(set(row_docs[valued > 0].tolist())) == 1 else np.zeros(len(valued))
    return np.array([v > 0 and topic <= (st | heading | set(title))
                     for v, st, heading, title in zip(valued.tolist(), found, headings, titles)], dtype=np.float64)


def _as_typed(text: str) -> dict[str, str]:
    """The words of ``text`` by their stems: what an absent stem was typed as (``held_as_variant``)."""
    toks = words(text)
    return dict(zip(stems(toks), toks))


def renamed_words(own_words: dict[str, float], typed_as: dict[str, str]) -> dict[str, float]:
    """The question's names that the stemmer cut down to a common English word ("Feedly" -> "feed",
    "Grammarly" -> "grammar", "Bitly" -> "bit"), as written, by their own rarity.

    The corpus's vocabulary holds stems, so "how do I import from Feedly?" over notes about feeds found
    "feed" there and charged nothing, and quoted the OPML import. An adverb of a common word is common
    itself ("directly" Zipf 4.9, "weekly" 4.6); a word ending in "ly" that English hardly uses, on a
    stem it uses all the time, is a name. It is looked for as written in the scored passages
    (``_absent_in``), not in the whole corpus, which keeps no words as written."""
    out = {}
    for stem in own_words:
        word = typed_as.get(stem, stem)
        if (word != stem and word.endswith("ly") and word.isalpha() and zipf(word) < RENAMED_MAX_ZIPF
                and zipf(stem) >= RENAMED_STEM_ZIPF):
            out[word] = rarity(word)
    return out


#: A word ending in "ly" rarer than this in English ("Feedly" 1.9, "Bitly" 1.4) whose stem is at least as
#: common as the next ("feed" 4.7, "bit" 5.4) is a name; "bleakly" (1.8) is an adverb of "bleak" (3.4).
RENAMED_MAX_ZIPF = 2.0
RENAMED_STEM_ZIPF = 4.0


def _rarity_mass(unheld: dict[str, float]) -> float:
    """The rarity of ``unheld``'s words above :data:`COMMON_RARITY`, summed: what their absence weighs."""
    return sum(w - COMMON_RARITY for w in unheld.values())


def _absent_in(unheld: dict[str, float], passages: list[list[str]], typed: dict[str, str] | None = None) -> float:
    """:func:`absent_words` for a question, from the sentences of its scored passages (one list per
    passage): a word one of them holds in another spelling ("CLA" in "contributor license agreement")
    is in a document, so it is charged to none of them, whichever passage's sentence leads the answer.
    Read from the sentences' own words: the variants need all of them, where the stored sentence terms
    hold only the question's. Tokenized only for a question with an uncommon word the corpus lacks,
    which is rare."""
    for sentences in passages:
        if not unheld:
            break
        words = tokens(sentences)
        held = set().union(*terms_of(words))
        flat = [w for ws in words for w in ws]
        written = set(flat)
        unheld = {t: w for t, w in unheld.items()
                  if t not in written and not held_as_variant(t, held, flat, (typed or {}).get(t, ""))}
    return _rarity_mass(unheld)


def answer_checks(
    question_terms: set[str], numbers: set[str], sentence_terms: list[set[str]], everywhere: set[str],
    counts: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """For one passage: whether a number of the question is missing from it (1.0 or 0.0), and for
    each sentence ln(1 + its terms that are not the question's).

    ``numbers`` are the question's terms holding a digit ("2024", "3", "17th"); ``everywhere`` the
    terms of the chunk and its title. Both are plain counts, not corpus statistics, so they read the
    same whatever the size of the collection. ``counts``: each sentence's number of distinct terms,
    when ``sentence_terms`` hold only those that matter here (the question's, and ``everywhere`` only
    those too: read from the terms stored with the index), not all of them.
    """
    missing = float(any(n not in everywhere for n in numbers))
    if counts is None:
        counts = np.fromiter(map(len, sentence_terms), dtype=np.float64, count=len(sentence_terms))
    shared = np.fromiter((len(st & question_terms) for st in sentence_terms), dtype=np.float64,
                         count=len(sentence_terms))
    return missing, np.log1p(counts.astype(np.float64) - shared)


class _Words(NamedTuple):
    """What :func:`_sentence_words` reads of the candidates' sentences."""

    found: list[set[str]]  # the question's terms each holds
    counts: np.ndarray  # its number of distinct terms
    typed: np.ndarray  # 1.0 where it holds a number (only looked at when the question asks for one)
    in_heading: list[set[str]] | None  # the question's terms its heading holds (None: find them in the text)
    ids: np.ndarray  # every sentence's distinct terms as ints, sentence i's at ids[offsets[i]:offsets[i + 1]]
    offsets: np.ndarray
    asked: np.ndarray  # True where ``ids`` is one of the question's terms
    headed: np.ndarray | None = None  # True where it lies under a heading (None: not stored; read the text)


def _sentence_words(
    gen: Generation, cands: list[Candidate], texts: Callable[[], list[str]], question_terms: set[str],
    wants_number: bool,
) -> _Words:
    """For each candidate sentence: the question's terms it holds, its number of distinct terms,
    1.0 where it holds a number (only looked at when the question asks for one), the question's
    terms its section's heading holds (None: find them with :func:`_section_terms`) and all its terms.

    Read from the terms the generation stored at index time when it has them (``sentence_terms``):
    tokenizing and stemming a question's ~60 sentences cost ~0.7 ms. Otherwise, and when a sentence
    holds a term the vocabulary lacks (none of the news2022 dev questions' do), from their texts
    (``texts()``), with the same results (tested).
    """
    stored = gen.sentence_matches((c.chunk for c in cands), question_terms)
    if stored is not None and not stored.unknown.any():
        typed = stored.numbers.astype(np.float64) if wants_number else np.zeros(len(stored.counts))
        return _Words(stored.found, stored.counts, typed, stored.in_heading, stored.ids, stored.offsets,
                      stored.asked, stored.headed)
    sentence_texts = texts()
    words_of = tokens(sentence_texts)
    own = [set(t) for t in terms_of(words_of)]
    typed = (np.array([holds_number(t, w) for t, w in zip(sentence_texts, words_of)], dtype=np.float64)
             if wants_number else np.zeros(len(sentence_texts)))
    numbered: dict[str, int] = {}  # the terms as ints, as the stored ones are
    flat = [[numbered.setdefault(t, len(numbered)) for t in sorted(st)] for st in own]
    offsets = np.zeros(len(flat) + 1, dtype=np.int64)
    np.cumsum([len(f) for f in flat], out=offsets[1:])
    ids = np.fromiter((i for f in flat for i in f), dtype=np.int64, count=int(offsets[-1]))
    asked = np.isin(ids, [numbered[t] for t in question_terms if t in numbered])
    return _Words([st & question_terms for st in own], np.array([len(st) for st in own], dtype=np.int64),
                  typed, None, ids, offsets, asked)


def _expanded(found: set[str], expands: dict[str, tuple[str, ...]]) -> set[str]:
    """``found`` with the phrase's stems added where it holds an acronym standing for them (``Query.expands``)."""
    extra = [stem for acronym, phrase in expands.items() if acronym in found for stem in phrase]
    return found | set(extra) if extra else found


def _as_asked(found: set[str], aliases: dict[str, str]) -> set[str]:
    """``found`` with every alias (``Query.aliases``) read as the question's own stem."""
    return {aliases.get(t, t) for t in found}


def _coverage(
    weights: dict[str, float], total: float, sentence: set[str], section: frozenset[str], discount: float,
    scoped: frozenset[str] = frozenset(),
) -> float:
    """Weighted share of the question's words in a sentence; words only in its heading at a discount, but
    the question's versions its sections or its document's title name (``scoped``) in full: a changelog's
    "## [2.4.1]" says which release every entry below it belongs to, "Release notes for Orbit 3.2" which
    release the notes tell, and no entry repeats it."""
    if total <= 0:
        return 0.0
    got = 0.0
    for t, w in weights.items():
        if t in sentence or t in scoped:
            got += w
        elif t in section:
            got += discount * w
    return got / total


def _section_terms(row_docs: np.ndarray, spans: np.ndarray, texts: dict[int, str]) -> list[frozenset[str]]:
    """For every sentence (``spans``, of documents ``row_docs``), the terms of its heading, found in
    its document's text (for a generation that did not store them: ``sentence_terms``)."""
    out: list[frozenset[str]] = [frozenset()] * len(spans)
    for doc in dict.fromkeys(row_docs.tolist()):
        rows = np.flatnonzero(row_docs == doc)
        for row, heading in zip(rows.tolist(), section_terms(texts[doc], spans[rows, 0].tolist())):
            out[row] = heading
    return out


#: A question asking for a date ("when", "what year", "which day"): a heading may then be its answer
#: (``answering_headings``), as a changelog dates each release in its heading and nowhere else. "When" only
#: where it asks (``_ASKS_WHEN``): "which fixes do i get when i update to 1.8.2" quoted the release's dated
#: heading first.
_DATE_QUESTION = re.compile(r"\b(?:what (?:year|date|day|month)|which (?:year|date|month|day))\b|" + _ASKS_WHEN,
                            re.IGNORECASE)
#: A date as written in notes: an ISO date, a year on its own (not the "2025" of "CVE-2025-41877"), a month's
#: name (May only as a name: "may" is a verb), or a day/month/year of digits.
_DATE = re.compile(
    r"(?<![\w-])(?:\d{4}-\d{2}-\d{2}|(?:19|20)\d{2})(?![\w-])|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?i:january|february|march|april|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\bMay\b")


def holds_date(text: str, versions: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` holds a date (:data:`_DATE`), its ``versions`` ("2.4.1") left out: a version is no date."""
    for version in versions:
        text = re.sub(rf"(?<![\d.]){re.escape(version)}(?![\d])", " ", text)
    return _DATE.search(text) is not None


#: How a sentence lies in the scope of the versions a question names (``scoped_sentences``): outside it,
#: inside it naming them itself, inside it as a part of what its heading (or a row's first cell) names.
OUT_OF_SCOPE, NAMED_IN_SCOPE, HELD_BY_SCOPE = 0, 1, 2


def scoped_sentences(
    dotted: frozenset[str], headings: Sequence[frozenset[str]], titled: Sequence[frozenset[str]],
    found: Sequence[set[str]], text_of: Callable[[int], tuple[str, str, int]],
) -> np.ndarray:
    """For each sentence, how much it lies in what names every version of ``dotted`` (:data:`OUT_OF_SCOPE`,
    :data:`NAMED_IN_SCOPE` or :data:`HELD_BY_SCOPE`): its section's heading terms (``headings``) or its
    document's title's (``titled``) hold them, or it is a table row (``sentences.column_names``) whose first
    cell names them ("3.0 | April 2026 | Planning"). ``found``: the question's terms each sentence holds;
    ``text_of(i)``: the sentence's text, its document's and its start.

    A changelog says which release an entry belongs to once, in its heading ("## [2.4.1] - 2025-10-02"),
    and no entry repeats it; a note that names the release in passing ("Before 2.4.1 this also
    happened ...") matches the question's words as well or better, but is not what the release did. A
    sentence in scope that names the versions itself talks about the release ("1. Release 2.4.1" above the
    minutes' "We agreed to ship 2.4.1 on 2 October ..."); one that leaves it to its heading (or a row to its
    first cell) is a part of it: that is :data:`HELD_BY_SCOPE`."""
    out = np.full(len(headings), OUT_OF_SCOPE, dtype=np.int8)
    for i, (section, title) in enumerate(zip(headings, titled)):
        if dotted <= (section | title):
            out[i] = NAMED_IN_SCOPE if dotted <= found[i] else HELD_BY_SCOPE
        elif dotted <= found[i]:
            sentence, text, start = text_of(i)
            first = sentence.split("|", 1)[0]
            if "|" in sentence and all(holds_dotted(n, first) for n in dotted) and column_names(text, start) is not None:
                out[i] = HELD_BY_SCOPE
    return out


def _saying_more(scoped: np.ndarray, found: Sequence[set[str]], headings: Sequence[frozenset[str]],
                 uncommon: set[str]) -> None:
    """Count as a part of the release (``HELD_BY_SCOPE``, in place) a sentence in scope that names it
    itself (``NAMED_IN_SCOPE``) but holds an uncommon word of the question (``uncommon``: ``score``'s
    ``asked``, the versions left out) that no part of it holds, nor their headings: "when did they agree to
    ship 1.8.2?" asks what the minutes' "We agreed to ship 1.8.2 ..." says, not what the changelog's
    "[1.8.2] - 2025-03-14" does; "what changed in 2.4.1?" has no such word ("changed" is common)."""
    named = np.flatnonzero(scoped == NAMED_IN_SCOPE)
    if not len(named) or not uncommon:
        return
    held = set().union(*(found[i] | headings[i] for i in np.flatnonzero(scoped == HELD_BY_SCOPE).tolist()))
    for i in named.tolist():
        if (found[i] & uncommon) - held:
            scoped[i] = HELD_BY_SCOPE


def answering_headings(
    dotted: frozenset[str], kinds: np.ndarray, found: Sequence[set[str]],
    text_of: Callable[[int], tuple[str, str, int]], title_of: Callable[[int], str],
) -> np.ndarray:
    """For each sentence, whether it is a heading that may be quoted for a question asking when (the
    caller checks that) something named by the versions ``dotted`` was: the heading names them itself, holds
    a date, and nothing in its section does (``sentences.section_end``). "## [2.4.1] - 2025-10-02" is
    the only place a changelog dates that release; a heading is otherwise never quoted, and its markers
    ("## ") never are (the sentence's span is the heading's text). "Release 2.4.1" above "We agreed to
    ship 2.4.1 on 2 October" holds no date, and its section does: the sentence answers, not the heading.
    ``text_of(i)``: the sentence's text, its document's and its start; ``title_of(i)``: its document's title."""
    out = np.zeros(len(kinds), dtype=bool)
    for i in np.flatnonzero(kinds == _HEADING).tolist():
        if not dotted <= found[i]:
            continue
        sentence, text, start = text_of(i)
        if not holds_date(sentence, dotted):
            continue
        end = section_end(text, start, title_of(i))
        body = text[start + len(sentence):end] if end is not None else ""
        out[i] = end is not None and not holds_date(body, dotted)
    return out


class DocTexts(dict[int, str]):
    """Document texts by position, read from the generation when first looked up (``texts[pos]``).

    Evidence scores a question's ~6 documents from their stored sentence terms and vectors, and the
    answer quotes from ~2 of them: only those are read (a missing key reads its document), or all of
    them at once (``gen.doc_texts``) where sentences must be read from their texts.
    """

    def __init__(self, gen: Generation) -> None:
        super().__init__()
        self._gen = gen

    def __missing__(self, pos: int) -> str:
        text = self[pos] = self._gen.doc_text(pos)
        return text


def score(
    gen: Generation,
    query: Query,
    cands: list[Candidate],
    texts: dict[int, str],
    *,
    params: Params = DEFAULT_PARAMS,
    embed: Embed | None = None,
    null: NullProfile | None = None,
) -> list[Passage]:
    """Score every sentence of ``cands``; ``texts`` caches document texts by position (``DocTexts``).

    All candidates' sentences are read, compared with the question and weighed at once (one matrix
    product, one pass of ``apply_all``), not chunk by chunk: a question scores ~60 sentences of 12
    chunks, where per-chunk array calls cost more than the arithmetic. The documents' texts are read
    only when the stored terms do not tell (``sentence_texts``): a question scores ~6 documents and
    quotes from ~2. ``embed`` (for measurements) embeds the sentences at query time instead of reading
    the vectors stored with the index; ``null`` is the corpus's null profile (``embeddings.null``),
    None while it is being measured.
    """
    if not cands:
        return []
    sentences, bounds = gen.sentences_of(c.chunk for c in cands)
    docs = [gen.doc_of(c.chunk) for c in cands]
    spans = sentences.spans
    row_docs = np.repeat(np.asarray(docs, dtype=np.int64), np.diff(bounds))  # each sentence's document

    made: list[list[str]] = []

    def texts_of(rows: Sequence[int]) -> list[str]:
        """Sentences ``rows``' texts, reading only their documents (one read for those not read yet)."""
        gen.doc_texts(sorted({int(row_docs[r]) for r in rows}), texts)
        return [texts[int(row_docs[r])][int(spans[r, 0]):int(spans[r, 1])] for r in rows]

    def sentence_texts() -> list[str]:
        """All the candidates' sentences, cut from their documents once, when first needed."""
        if not made:
            made.append(texts_of(range(len(spans))))
        return made[0]

    q = query.vector.astype(np.float32)
    if query.own_vector is not None:  # a follow-up: its own text's cosine too (see ``_tested_cos``)
        q = np.stack([q, query.own_vector.astype(np.float32)], axis=1)
    if embed is not None and len(spans):
        both = (embed(sentence_texts()) @ q).astype(np.float64)
    else:
        both = ((sentences.codes.astype(np.float32) @ q) * (sentences.scales[:, None] if q.ndim == 2 else sentences.scales)
                ).astype(np.float64)
    cos, own_cos = (both[:, 0], both[:, 1]) if q.ndim == 2 else (both, None)
    weights, total = query.weights, sum(query.weights.values())
    question_terms = set(weights)
    # Each sentence's share of the question's words, and how many words of its own it has.
    read = _sentence_words(gen, cands, sentence_texts, question_terms | set(query.aliases), query.wants_number)
    sentence_terms, counts, typed, in_heading = read.found, read.counts, read.typed, read.in_heading
    # A question asking "who" wants a sentence that names someone (read from the texts: ``holds_name``).
    wants_name = asks_for_name(query.text)
    if wants_name and len(spans):
        asked_words = set(words(query.text))  # lower-cased already
        typed = np.maximum(typed, np.fromiter((holds_name(t, asked_words) for t in sentence_texts()),
                                              dtype=np.float64, count=len(spans)))
    unique_docs = list(dict.fromkeys(docs))
    title_terms = dict(zip(unique_docs, terms([gen.title(d) for d in unique_docs])))
    if query.aliases:  # another form of a question's word is that word
        sentence_terms = [_as_asked(st, query.aliases) for st in sentence_terms]
        title_terms = {d: list(_as_asked(set(t), query.aliases)) for d, t in title_terms.items()}
    headings = (in_heading if in_heading is not None
                else _section_terms(row_docs, spans, gen.doc_texts(docs, texts)))
    if query.expands:  # "the AGM" covers "annual general meeting"
        sentence_terms = [_expanded(st, query.expands) for st in sentence_terms]
        title_terms = {d: list(_expanded(set(t), query.expands)) for d, t in title_terms.items()}
        headings = [frozenset(_expanded(set(h), query.expands)) for h in headings]
    # A contact question ("what's the address?") is answered by a sentence that holds such a fact ("Bergstraße 7
    # · 10115 Berlin") where the question names nothing but the kind and what that sentence, its headings or
    # its document's title name (``_own_value``): that sentence is of the type asked for (ranking's ``typed``),
    # holds what the question's words name (coverage and surprise count them, and the kind's word is not
    # charged as absent), and is read without the prior (``probability``'s ``asked_value``).
    valued = _contact_values(query.contact, sentence_texts()) if query.contact else None
    kind_words: set[str] = set()
    held_terms = sentence_terms
    asked_value = None
    if valued is not None and valued.any():
        own_value = _own_value(valued, query, sentence_terms, headings, [title_terms[d] for d in row_docs.tolist()],
                               row_docs)
        if own_value.any():
            # Only the fact of what is asked about: "are you open on New Year's Eve?" is not answered by any
            # line of hours that does not name the day, over the sentence that does.
            typed = np.maximum(typed, own_value)
            asked_value = own_value
            # The kind's words, and the question's others, which the sentence, its headings or its title name.
            kind_words = question_terms & _contact_stems()
            asked_for = question_terms & (kind_words | _topic(query))
            held_terms = [st | asked_for if v else st for st, v in zip(sentence_terms, own_value.tolist())]
    # The versions asked about that each document's title names, and then each sentence's sections.
    titled = {d: query.dotted.intersection(t) for d, t in title_terms.items()} if query.dotted else {}
    cover = np.array(
        [_coverage(weights, total, st, section, params.heading,
                   (titled[d] | (query.dotted & section)) if titled else frozenset())
         for st, section, d in zip(held_terms, headings, row_docs.tolist())],
        dtype=np.float64,
    )
    crowd = float(np.mean([c.dense for c in cands]))
    scale = math.sqrt(2.0 * math.log(max(gen.size, 2)))
    digits = {t for t in question_terms if _DIGIT.search(t)}
    # A name's number ("Covid-19") need not be repeated, and a version is looked for as written
    # (``holds_dotted``: "3.0.1" names "3.0", where the terms differ).
    numbers = {t for t in digits - query.name_numbers if "." not in t}
    # The names a follow-up brings in (a blended query has term weights); None for a question on its own.
    own = named_terms(query.text) if query.term_weights else None
    # The question's own words: a follow-up's are those at weight 1 in the blend (not its topic's).
    own_words = {t: w for t, w in weights.items() if not query.term_weights or query.term_weights.get(t, 0.0) >= 1.0}
    # A follow-up naming a subject of its own is read by its own words too (``_tested_surprise``).
    own_weights = own_words if query.own_vector is not None else None
    # The words an absent one is charged for: the question's own uncommon ones, looked up in the corpus
    # once for all passages. A number is not among them, nor a name's ("RT-600"): a number the passage
    # lacks is ``numbers_missing``'s to weigh, and a name is often written without its hyphen
    # ("RT600"). A word is as common as its stem when the stem is a word: "handing" (Zipf 3.8) is a
    # form of "hand" (5.5), which a paraphrase swaps as freely.
    typed_as = _as_typed(query.text)
    renamed = renamed_words(own_words, typed_as)
    asked = {t: w for t, r in own_words.items()
             if r > COMMON_RARITY and (w := min(r, rarity(t))) > COMMON_RARITY and t not in digits
             and not is_stop_word(t) and t not in _answer_type_stems() and typed_as.get(t) not in renamed
             and t not in kind_words}
    scoped = answering = None
    releases = releases_named(query.text, query.dotted)
    if releases:
        doc_texts = gen.doc_texts(sorted(set(docs)), texts)

        def text_of(row: int) -> tuple[str, str, int]:
            text, start = doc_texts[int(row_docs[row])], int(spans[row, 0])
            return text[start:int(spans[row, 1])], text, start

        scoped = scoped_sentences(releases, headings, [titled.get(d, frozenset()) & releases for d in row_docs.tolist()],
                                  sentence_terms, text_of)
        if _DATE_QUESTION.search(query.text):
            answering = answering_headings(releases, spans[:, 2], sentence_terms, text_of,
                                           lambda row: gen.title(int(row_docs[row])))
            scoped[answering] = HELD_BY_SCOPE
        _saying_more(scoped, sentence_terms, headings, set(asked) - query.dotted)
    # A phrase's words whose acronym the documents write are held by them ("annual general meeting": "AGM").
    spelt_short = {stem for phrase in query.expands.values() for stem in phrase}
    in_corpus = gen.corpus_terms(asked) if asked else set()
    unheld = {t: w for t, w in asked.items()
              if in_corpus is not None and t not in in_corpus and t not in spelt_short}
    # Looked for as written in the passages, as the vocabulary holds only stems (``renamed_words``).
    unheld.update(renamed)
    unheld.update(_unnamed_versions(gen, query.dotted, own_words))
    days = [gen.doc_date(d) for d in docs]
    # A document of dated entries (announcements, a log of notices: ``entries``) has no lead: its opening
    # is a preamble or its oldest entry, not the point of the rest. Each of its sentences is as old as the
    # entry it lies under (one under none, a title or a preamble, as the document: ``entries.dates_at``), so
    # "this week" prefers this week's entry over the file's older ones.
    of_entries = {d: found for d in set(docs) if days[docs.index(d)] is not None
                  and (found := entries.of_document(gen, d))}
    dated = [d is not None and doc not in of_entries for d, doc in zip(days, docs)]
    age = ages(days, query.asked_on, query.recent_days) if query.recent_days else np.zeros(len(docs))
    sentence_ages: list[np.ndarray | None] = [None] * len(cands)
    if query.recent_days and of_entries:
        reference = query.asked_on or max(d for d in days if d is not None)
        for i, doc in enumerate(docs):
            if doc in of_entries:
                found = of_entries[doc]
                under = entries.dates_at(found, spans[bounds[i]:bounds[i + 1], 0].tolist())
                nearest = min((e.day for e in found), key=lambda d: abs((reference - d).days))
                sentence_ages[i] = ages([d or nearest for d in under], reference, query.recent_days)
    absent = (_absent_in(unheld, [sentence_texts()[bounds[i]:bounds[i + 1]] for i in range(len(cands))],
                         typed_as) if unheld else 0.0)
    focused = focus(read.ids, read.offsets, read.asked, row_docs, spans[:, 0])
    adjacency = (adjacent_phrases(query.phrases, sentence_terms, bounds, texts_of, query.aliases) if query.phrases
                 else [0] * len(cands))
    contexts = _chunk_contexts(gen, cands, docs, texts) if query.dotted or query.codes else []
    days_in_rows = {code for code in query.codes if code.label in _MONTHS and any(
        "|" in line and names_code(code, line) for context in contexts for line in context.splitlines())}
    out: list[Passage] = []
    for i, (c, doc) in enumerate(zip(cands, docs)):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        # Only the question's terms are looked up in ``everywhere``: its share of them is all it says.
        everywhere = (question_terms & set(title_terms[doc])).union(*held_terms[lo:hi])
        unnamed = bool(query.dotted) and not all(holds_dotted(n, contexts[i]) for n in query.dotted)
        if query.dotted and not unnamed:  # its sections name the versions asked about (a changelog's release)
            everywhere |= question_terms & query.dotted
        # The items the question names by a code that the passage names too, as it writes them ("PA5",
        # "PA 5"). One code the passage does not name ("PA2" for "PA5") makes it about another item: not
        # quoted while a passage names it (``apply_all``). (Its term missing still counts as a number
        # missing: "cs214" against "CS 214" is the course every note names, and charging it kept "can i
        # take cs214 pass/fail" refused; read as named, a grading rule answered it.)
        named = {code for code in query.codes if names_code(code, contexts[i])}
        off_code = None
        if query.codes and len(named) == len(query.codes):
            off_code = _off_code(query.codes, texts[doc], spans[lo:hi])
            everywhere |= question_terms & _columns_of_named_rows(texts[doc], spans[lo:hi], off_code, query.codes)
        numbers_missing, novel = answer_checks(question_terms, numbers, sentence_terms[lo:hi], everywhere, counts[lo:hi])
        numbers_missing = max(numbers_missing, float(unnamed))
        # A day ("January 6") is an item where a table's row names it (a schedule's "PA6 (Mar 12)"); in prose an
        # article's other passages go on about the day without naming it.
        unnamed = unnamed or any(code not in named and (code.label not in _MONTHS or code in days_in_rows)
                                 for code in query.codes)
        off_code = None if unnamed else off_code
        length = int(counts[lo:hi].sum())
        out.append(Passage(
            c, doc, spans[lo:hi], cos[lo:hi], cover[lo:hi], cos[lo:hi].copy(), cos[lo:hi].copy(),
            typed=typed[lo:hi], passage_coverage=_coverage(weights, total, everywhere, frozenset(), 0.0),
            crowd=crowd, scale=scale, numbers_missing=numbers_missing, novel=novel,
            surprise=surprise(query.referent_weights or weights, everywhere, length, gen.size, own, adjacency[i]), null=null,
            own_cos=None if own_cos is None else own_cos[lo:hi],
            own_surprise=None if own_weights is None else surprise(own_weights, everywhere, length, gen.size, own,
                                                                   adjacency[i]),
            absent=absent, age=float(age[i]), ages=sentence_ages[i], dated=dated[i], focus=focused[lo:hi],
            headed=None if read.headed is None else read.headed[lo:hi],
            unnamed=unnamed, off_code=off_code,
            scoped=None if scoped is None else scoped[lo:hi],
            answering=None if answering is None or not answering[lo:hi].any() else answering[lo:hi],
            asked_value=None if asked_value is None else asked_value[lo:hi],
        ))
    return apply_all(out, params)


def _unit(text: str, start: int, end: int) -> str:
    """What a sentence belongs to: its line when that is a table's row ("| 10 | Nov 2 | ... | PA5 (Nov 6) |",
    which ``sentences`` may cut at an abbreviation such as "Ch."), otherwise its paragraph (to the blank lines
    around it: "PA5 is out. It is due Friday." names PA5 for both its sentences)."""
    line_start, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    if "|" in line:
        return line
    para_start, para_end = text.rfind("\n\n", 0, start), text.find("\n\n", end)
    return text[para_start + 1 if para_start >= 0 else 0:para_end if para_end >= 0 else len(text)]


def _off_code(codes: frozenset[Code], text: str, spans: np.ndarray) -> np.ndarray | None:
    """For a passage naming the items ``codes``: True for each sentence whose row or paragraph (``_unit``)
    does not name them all, when another sentence's does; None when none does (the passage names them
    only in a heading or its title, which covers every sentence below). "What do we do in lab 4" over a
    schedule's chunk is answered by the row naming "Lab 4", not the row above it naming "Lab 3"."""
    units = [_unit(text, int(a), int(b)) for a, b in spans[:, :2].tolist()]
    # A day ("January 6") sets apart a schedule's rows; in prose the paragraphs after the one that dates the
    # event go on about it without the date ("That's the period of a little more than three hours ...").
    on = np.array([all(names_code(c, unit) or (c.label in _MONTHS and "|" not in unit) for c in codes)
                   for unit in units], dtype=bool)
    return ~on if on.any() and not on.all() else None


def _columns_of_named_rows(text: str, spans: np.ndarray, off_code: np.ndarray | None, codes: frozenset[Code]) -> set[str]:
    """The terms of the column names (``sentences.column_names``) of the table rows among ``spans`` that name
    the items ``codes`` (``off_code`` False; all of them when it is None): the row "| 12 | Nov 16 | ... |
    PA6 (Nov 20) |" says PA6 is *due* on Nov 20 only under its table's "| Week | Date | ... | Due |", which
    a reader reads with it (``answer`` shows it), and which a chunk starting lower down does not hold."""
    out: set[str] = set()
    for k, start in enumerate(spans[:, 0].tolist()):
        if off_code is not None and off_code[k]:
            continue
        line_start = text.rfind("\n", 0, int(start)) + 1
        line = text[line_start:text.find("\n", int(start)) if "\n" in text[int(start):] else len(text)]
        if "|" not in line or not all(names_code(c, line) for c in codes):
            continue
        if (columns := column_names(text, int(start))) is not None:
            out.update(terms([columns])[0])
    return out


def _chunk_contexts(gen: Generation, cands: list[Candidate], docs: list[int], texts: dict[int, str]) -> list[str]:
    """What each passage says beside its sentences: the chunk's text with its headings, the headings of
    the sections it starts in (a changelog's "## [2.1.0]" above "### Fixed"), and its document's title.
    Each document's headings are found once, for all its candidates."""
    gen.doc_texts(docs, texts)
    spans = [gen.chunk(c.chunk) for c in cands]
    out = [""] * len(cands)
    for doc in dict.fromkeys(docs):
        mine = [i for i, d in enumerate(docs) if d == doc]
        text, title = texts[doc], gen.title(doc)
        # Every heading above, not only the nearest: a changelog's "### Fixed" starts a chunk of its own, and
        # the release it belongs to is named by the "## [2.1.0]" above that.
        for i, path in zip(mine, section_paths(text, [spans[i].start for i in mine], title)):
            out[i] = "\n".join([title, *path, text[spans[i].start:spans[i].end]])
    return out


def apply(passage: Passage, params: Params) -> Passage:
    """(Re)compute a passage's sentence scores, probabilities and passage score from its features.

    Separate from :func:`score` so that the benchmark can try many weights on features computed once.
    """
    return apply_all([passage], params)[0]


def apply_all(passages: list[Passage], params: Params) -> list[Passage]:
    """:func:`apply` for many passages in one pass over all their sentences."""
    if not passages:
        return passages
    counts = [len(p.cos) for p in passages]
    dense, fused, agree, surprises, passage_coverage, crowd, scale, numbers_missing, absent, age = _each_sentence(
        passages, counts)
    cos = np.concatenate([p.cos for p in passages])
    cover = np.concatenate([p.coverage for p in passages])
    kinds = np.concatenate([p.spans[:, 2] for p in passages])
    # A sentence is as good as its own match plus its passage's: the chunk's similarity and how
    # both retrievers ranked it. The best sentence's score is the passage's score.
    s = cos + params.coverage * cover + params.chunk * dense + params.fused * fused * 60.0
    if any(p.typed is not None for p in passages):
        s = s + params.answer_type * np.concatenate(
            [p.typed if p.typed is not None else np.zeros(len(p.cos)) for p in passages])
    s = np.where((kinds == _CAPTION) | (kinds == _LINK), s - params.caption_penalty, s)
    heading = kinds == _HEADING
    if any(p.answering is not None for p in passages):  # a heading that alone holds the date asked for
        heading &= ~np.concatenate([p.answering if p.answering is not None else np.zeros(len(p.cos), dtype=bool)
                                    for p in passages])
    score = np.where(heading, -math.inf, s)
    novel = np.concatenate([p.novel if p.novel is not None else np.zeros(len(p.cos)) for p in passages])
    null_cos, null_surprise = _null_standing(passages, counts)
    asked_value = (np.concatenate([p.asked_value if p.asked_value is not None else np.zeros(len(p.cos))
                                   for p in passages]) if any(p.asked_value is not None for p in passages) else 0.0)
    prob = probability(cos, cover, dense, agree, passage_coverage, crowd, scale, params, numbers_missing, novel,
                       surprises, null_cos, null_surprise, absent, asked_value=asked_value)
    prob = np.where(heading, 0.0, prob)
    if params.lead:
        lead = lead_prior(np.concatenate([p.spans[:, 0] for p in passages]))
        if not all(p.dated for p in passages):  # an undated note's opening is a preamble, not a lead
            lead = lead * np.repeat(np.array([p.dated for p in passages], dtype=np.float64), counts)
        score = score + params.lead * prob * lead
    if params.recency:
        if any(p.ages is not None for p in passages):
            age = np.concatenate([p.ages if p.ages is not None else np.full(len(p.cos), p.age) for p in passages])
        score = score - params.recency * age
    ranking = score
    if params.focus and any(p.focus is not None for p in passages):
        # Weighed by the sentence's own evidence, as the lead prior is: a sentence that does not answer
        # gains nothing by naming what its document is about.
        score = score + params.focus * prob * np.concatenate(
            [p.focus if p.focus is not None else np.zeros(len(p.cos)) for p in passages])
    if any(p.asked_value is not None for p in passages):
        score, ranking = _asked_value_first(passages, score, ranking)
    if any(p.unnamed for p in passages) and not all(p.unnamed for p in passages):
        unnamed = np.array([p.unnamed for p in passages])
        # "What was fixed in 1.4.2?": the release's own section answers it, however well the changelog's
        # other releases match its words. The passages keep their rank (``ranking``); only quoting changes.
        score = np.where(np.repeat(unnamed, counts), -math.inf, score)
    if any(p.off_code is not None for p in passages):
        # "When is PA5 due?" is answered by the row naming PA5, not by the chunk's other rows.
        off = np.concatenate([p.off_code if p.off_code is not None else np.zeros(len(p.cos), dtype=bool)
                              for p in passages])
        score = np.where(off, -math.inf, score)
    _hand_out(passages, counts, score, prob, params, ranking)
    return passages


def _asked_value_first(passages: list[Passage], score: np.ndarray, ranking: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``score`` and ``ranking`` with the contact facts a question asks for (``Passage.asked_value``) lifted,
    all by one amount, just above every other sentence: the best of them leads the answer, and the rest
    keep their order. Neither retriever reads a value's kind (BM25 finds no "hours" in "Mon-Fri 10-22", and
    the model barely tells "hello@example.org" is an e-mail address: cosine 0.19 to "whats ur email"), so
    a sentence that shares the question's words ("Every Wednesday from 18:00 anyone can drop in" for "when
    are you open on saturday?") outranked the line that answers it, on its cosine and its passage's rank."""
    own = np.concatenate([p.asked_value if p.asked_value is not None else np.zeros(len(p.cos)) for p in passages]) > 0
    mine, others = score[own], score[~own]
    mine, others = mine[np.isfinite(mine)], others[np.isfinite(others)]
    if not len(mine) or not len(others):
        return score, ranking
    lift = max(0.0, float(others.max()) - float(mine.max())) + 1e-6
    return np.where(own, score + lift, score), np.where(own, ranking + lift, ranking)


def _each_sentence(passages: list[Passage], counts: list[int]) -> np.ndarray:
    """The passage-level features ``apply_all`` weighs, each repeated for every sentence of its passage:
    rows dense, fused, agree, surprise, passage coverage, crowd, scale, numbers missing, absent, age.

    One array and one ``np.repeat`` for all ten (nine repeated one by one cost ~30 us of a question's scoring)."""
    values = np.array(
        [(p.cand.dense, p.cand.fused, float(p.cand.dense_rank is not None and p.cand.bm25_rank is not None),
          p.surprise, p.passage_coverage, p.crowd, p.scale, p.numbers_missing, p.absent, p.age) for p in passages],
        dtype=np.float64,
    )
    return np.repeat(values.T, counts, axis=1)


def _hand_out(passages: list[Passage], counts: list[int], score: np.ndarray, prob: np.ndarray,
              params: Params, ranking: np.ndarray) -> None:
    """Give each passage its part of ``score`` and ``prob`` and its passage score: the best of its
    ``ranking`` (the sentence scores without the focus bonus, which weighs the quotes, not the
    passages' rank), found for every passage at once (per passage, ``argmax`` and ``isfinite`` on a
    handful of sentences cost more than the work); ``_passage_score``'s where no sentence is quotable."""
    starts = np.zeros(len(counts), dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    filled = np.asarray(counts) > 0
    best = np.full(len(counts), -math.inf)
    if filled.any():
        best[filled] = np.maximum.reduceat(ranking, starts[filled])
    for passage, at, n, top in zip(passages, starts.tolist(), counts, best.tolist()):
        passage.score, passage.p, passage.ranking = score[at : at + n], prob[at : at + n], ranking[at : at + n]
        passage.passage_score = top if math.isfinite(top) else _passage_score(passage, params)


#: A word another sentence of the document repeats counts once per repeat, up to this many.
FOCUS_REPEATS = 3


def focus(ids: np.ndarray, offsets: np.ndarray, asked: np.ndarray, docs: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each sentence, how much it holds the words its document keeps repeating that the question
    does not ask about, as a share of its document's most focused sentence (0 to 1).

    A news article names its subject in sentence after sentence ("the cheese Danish", "UPS"), while
    the sentence that restates the question ("McDonald's newest item for fall doesn't have pumpkin
    or maple flavors") holds the question's words and little else: what the question asks for is
    usually what the article keeps coming back to. Extractive summarisers have scored sentences by
    their document's frequent words since Luhn (1958); here the question's own words are left out,
    as they already count in coverage. Plain counts within the scored sentences of one document, so
    it reads the same over one note and over 100,000 passages.

    ``ids``/``offsets``: each sentence's distinct terms as ints (sentence i's at
    ``ids[offsets[i]:offsets[i + 1]]``, negative for a term without an id, which counts for none);
    ``asked``: where they are the question's; ``docs`` and ``starts``: each sentence's document and
    offset in it (a sentence scored with two overlapping chunks is counted once).
    """
    n = len(starts)
    out = np.zeros(n)
    if not n or not len(ids):
        return out
    # Each document is scaled by its own most focused sentence, so every article's central sentence
    # competes on equal terms (one scale for all: news2022 dev cited 0.823 -> 0.797). A short document
    # whose two scored sentences share a word gets the full bonus too, weighed by their P(answers).
    counts = np.diff(offsets)
    sentence = np.repeat(np.arange(n), counts)
    docs = np.asarray(docs, dtype=np.int64)
    _, first = np.unique(docs << 32 | np.asarray(starts, dtype=np.int64), return_index=True)
    once = np.zeros(n, dtype=bool)
    once[first] = True
    kept = ~asked & (ids >= 0)
    pairs, which = np.unique(docs[sentence] << 32 | ids.astype(np.int64), return_inverse=True)
    holding = np.bincount(which, weights=kept & once[sentence], minlength=len(pairs))  # sentences holding it
    repeats = np.where(kept, np.clip(holding[which] - 1, 0, FOCUS_REPEATS), 0.0)
    raw = np.bincount(sentence, weights=repeats, minlength=n)
    doc_index = np.unique(docs, return_inverse=True)[1]
    top = np.zeros(int(doc_index.max()) + 1)
    np.maximum.at(top, doc_index, raw)
    return np.divide(raw, top[doc_index], out=out, where=top[doc_index] > 0)


#: How fast the lead prior fades with a sentence's character offset in its document: a news lead
#: (the first paragraph, ~1-3 sentences) gets most of it, the fifth paragraph almost none.
LEAD_CHARS = 400.0


def lead_prior(starts: np.ndarray) -> np.ndarray:
    """How much a sentence at document offsets ``starts`` is the document's lead: exp(-offset / LEAD_CHARS).

    News is written as an inverted pyramid: the first paragraph states the fact the rest explains,
    so of two sentences matching a question equally, the one nearer the top is the likelier answer
    (on the news2022 dev set, 38 of the 65 gold articles holding the dev evidence hold it in their
    first two sentences). It is a property of the genre, not of the dev questions; its weight
    (``Params.lead``) is chosen by ``benchmarks.quality --cv`` like the others. ``apply_all`` weighs
    it by the sentence's own answer probability, so a lead that does not answer is not lifted over the
    sentence that does, and gives it only to dated documents (``Passage.dated``): an article, a report,
    a post (and any PDF whose properties record when it was made). A note dated only by its file's name
    ("meeting-notes-2025-09-18.txt": ``documents.date_from_name``) gets the lead too: telling it from
    an article dated in its header needs the date's origin, which the index does not record (a test
    of the date against the name took the lead from every news2022 article, whose names hold their
    dates: hit@1 0.734 -> 0.696). A community's notes (an FAQ, release
    notes, minutes, rules, written as text or Markdown) are usually undated, and their opening is
    a preamble ("Orbit 3.2 was released on 3 March 2025 ...", "This guide walks new members through
    their first week"); on a small corpus every on-topic sentence has P(answers) near 1, so the weighing
    alone did not hold it back.
    """
    return np.exp(-np.asarray(starts, dtype=np.float64) / LEAD_CHARS)


def _null_standing(passages: list[Passage], counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every sentence's cosine (``_tested_cos``) and its passage's surprise as standings above the
    corpus's null. The passages of one question share one corpus, so one profile; zeros when it was
    not measured."""
    null = passages[0].null
    if null is None:
        return np.zeros(sum(counts)), np.zeros(sum(counts))
    cos = np.concatenate([_tested_cos(p) for p in passages])
    z_surprise = np.repeat(np.array([null.surprise_z(_tested_surprise(p)) for p in passages], dtype=np.float64), counts)
    return np.asarray(null.cos_z(cos), dtype=np.float64), z_surprise


def _passage_score(passage: Passage, params: Params) -> float:
    """The best sentence's score (without the focus bonus: ``Passage.ranking``); a passage with nothing
    quotable ranks by its chunk's match alone."""
    scores, c = passage.score if passage.ranking is None else passage.ranking, passage.cand
    if len(scores) and np.isfinite(top := float(scores.max())):
        return top
    return float(c.dense) * (1 + params.chunk) + params.fused * c.fused * 60.0 - params.recency * passage.age


def exclude_sentences(passage: Passage, mask: np.ndarray, params: Params = DEFAULT_PARAMS) -> None:
    """Never quote the sentences of ``mask``; the passage ranks by what is left."""
    if not mask.any():
        return
    passage.score = np.where(mask, -math.inf, passage.score)
    if passage.ranking is not None:
        passage.ranking = np.where(mask, -math.inf, passage.ranking)
    passage.p = np.where(mask, 0.0, passage.p)
    passage.passage_score = _passage_score(passage, params)


def rerank(passages: list[Passage], params: Params = DEFAULT_PARAMS) -> list[Passage]:
    """Passages ordered by their evidence, best first (ties keep the retrieval order).

    A passage also gains ``params.doc_support`` for every other passage of its document among
    ``passages`` (CombMNZ's idea): of two near-equal passages, the one whose article several of the
    question's best passages come from is more likely about what was asked than one that mentions it
    in passing. The bonus is small against the sentence scores, so it decides near-ties only; its
    size is chosen by ``benchmarks.quality --cv``.
    """
    if not params.doc_support:
        return sorted(passages, key=lambda p: -p.passage_score)
    per_doc: dict[int, int] = {}
    for p in passages:
        per_doc[p.doc] = per_doc.get(p.doc, 0) + 1
    return sorted(passages, key=lambda p: -(p.passage_score + params.doc_support * (per_doc[p.doc] - 1)))
