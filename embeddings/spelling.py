"""A question's words in the form the documents use: British and American spelling, irregular verbs.

"Who is organizing the Berlin meetup?" asks about a note saying "organised by Felix Brandt". The
stemmer keeps the two spellings apart ("organiz" and "organis"), so BM25 would not find the note by
that word, the sentence's coverage of the question would miss it and the abstention would charge the
question for a word "no document holds". A reader sees one word.

:func:`corpus_forms` is the one place a question's words are matched to the corpus's spelling. It is
applied to the question (``evidence.Query``), so BM25's query terms, the sentences' coverage and the
absent words all read the same stems, and nothing in the index changes. A word is respelled only when
its own stem is in no document and the other spelling's is; a corpus holding both is searched for
both (an alias). The rules are the regular British/American pairs
(-ize/-ise, -yze/-yse, -or/-our, -er/-re, -l-/-ll-, -ense/-ence, -og/-ogue); a candidate spelling
only counts when the corpus's vocabulary holds it, so a rule that makes a non-word costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .lexical import is_stop_word, stop_words
from .rarity import zipf
from .variants import MAX_TYPO_WORD_ZIPF, one_edit_apart, swapped

#: Which stems of a list some document holds (``IndexView.corpus_terms``); None: the backend can't tell.
Held = Callable[[Iterable[str]], "set[str] | None"]
#: Up to N stems of the corpus that begin with a prefix (``IndexView.terms_starting``); None: can't tell.
Extends = Callable[[str, int], "list[str] | None"]
#: A word shorter than this is not read as the start of a longer one ("mod", "ref": too many words).
_MIN_ABBREVIATION = 4
#: A word at least this common is a word of its own, not an abbreviation ("mode" is no "moderator").
_MAX_ABBREVIATION_ZIPF = 4.0
#: An abbreviation leaves out at least this many letters of the stem it stands for.
_LEFT_OUT = 2


def spelt_out(words: list[str], stems: list[str], held: Held | None, extends: Extends | None) -> list[str]:
    """``stems`` with each stem the corpus lacks replaced by the one corpus stem it begins ("defib" ->
    "defibril", "config" -> "configur"), when there is exactly one: the word abbreviated.

    The abstention already reads a question's word that starts a longer passage word as held
    (``variants.held_as_variant``), so "where is the defib" was not charged for "defib"; but BM25 did not
    find "The defibrillator (AED) hangs in the corridor", nor did coverage count it, and the question was
    refused at P 0.0. Two corpus words or more that begin the same ("temp": "tempera", "templat") leave
    the word as written. Only an uncommon word of letters, at least four of them, is read so, and only
    as a stem at least two letters longer: "Does Orbit have a dark mode?" is not about moderators."""
    if held is None or extends is None:
        return stems
    candidates = {s for w, s in zip(words, stems)
                  if w.isalpha() and len(s) >= _MIN_ABBREVIATION and zipf(w) < _MAX_ABBREVIATION_ZIPF}
    if not candidates:
        return stems
    present = held(candidates)
    if present is None:
        return stems
    longer: dict[str, str] = {}
    for stem in candidates - present:
        found = extends(stem, 2)
        if found is not None and len(found) == 1 and len(found[0]) >= len(stem) + _LEFT_OUT:
            longer[stem] = found[0]
    return [longer.get(s, s) for s in stems] if longer else stems

# (pattern, replacement) both ways: American -> British and British -> American. Each is tried on the
# whole word; suffixes after the varying part are kept ("organizing" -> "organising").
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"iz(e|es|ed|ing|ation|ations|er|ers)$", r"is\1"),
        (r"is(e|es|ed|ing|ation|ations|er|ers)$", r"iz\1"),
        (r"yz(e|es|ed|ing|er|ers)$", r"ys\1"),
        (r"ys(e|es|ed|ing|er|ers)$", r"yz\1"),
        # colour, honour, behaviour; not hour, tour, four, flour
        (r"^(.{2,}[^aeou])or(s|ed|ing|ite|ites|able|ful|less)?$", r"\1our\2"),
        (r"^(.{3,})our(s|ed|ing|ite|ites|able|ful|less)?$", r"\1or\2"),
        # centre, theatre, fibre, litre; not genre ("gener" is general's stem) or acre
        (r"^(.{2,}[tbv])er(s)?$", r"\1re\2"),
        (r"^(.{2,}[tbv])re(s)?$", r"\1er\2"),
        (r"([aeiou])l(ed|ing|er|ers)$", r"\1ll\2"),
        (r"([aeiou])ll(ed|ing|er|ers)$", r"\1l\2"),
        (r"ense(s|d)?$", r"ence\1"),
        (r"ence(s|d)?$", r"ense\1"),
        (r"og(s)?$", r"ogue\1"),
        (r"ogue(s)?$", r"og\1"),
    )
)


# Any ending a rule could change: most words have none, and are passed over by one search.
_ANY_RULE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _RULES))


def respellings(word: str) -> list[str]:
    """The other regular spellings of a lower-cased ``word`` (none for most words)."""
    if not _ANY_RULE.search(word):
        return []
    out = []
    for pattern, replacement in _RULES:
        other = pattern.sub(replacement, word, count=1)
        if other != word and other not in out:
            out.append(other)
    return out


#: Irregular past forms the stemmer keeps apart from their verb and ``lexical._IRREGULAR`` (applied
#: when indexing) does not map: "Who leads support?" is answered by "the support team led by Priya".
#: Forms that are also common nouns or names ("fed", "shot", "drew", "lent") are left out.
_IRREGULAR_PAST = (
    ("lead", "led"), ("flee", "fled"), ("speed", "sped"), ("bleed", "bled"), ("send", "sent"),
    ("spend", "spent"), ("build", "built"), ("keep", "kept"), ("sleep", "slept"), ("deal", "dealt"),
    ("bring", "brought"), ("catch", "caught"), ("teach", "taught"), ("fight", "fought"), ("seek", "sought"),
    ("stand", "stood"), ("understand", "understood"), ("forget", "forgot"), ("sing", "sang"),
    ("drink", "drank"), ("swim", "swam"), ("drive", "drove"), ("ride", "rode"), ("grow", "grew"),
    ("throw", "threw"), ("fly", "flew"), ("wear", "wore"), ("break", "broke"), ("freeze", "froze"),
    ("wake", "woke"), ("hide", "hid"), ("eat", "ate"), ("forgive", "forgave"), ("become", "became"),
    ("hang", "hung"), ("strike", "struck"), ("hear", "heard"), ("shake", "shook"), ("withdraw", "withdrew"),
)


def _irregular_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for verb, past in _IRREGULAR_PAST:
        for form in (verb, verb + "s", verb + "es", verb + "ing"):
            table.setdefault(form, []).append(past)
        table.setdefault(past, []).append(verb)
    return table


_IRREGULAR_FORMS = _irregular_table()


def irregular_forms(word: str) -> list[str]:
    """The irregular past of a verb ("leads" -> "led") or the verb of a past ("led" -> "lead"), and the
    short forms of a day's or a month's name (:data:`_SHORT_NAMES`)."""
    return list(_IRREGULAR_FORMS.get(word, ())) + list(_SHORT_NAMES.get(word, ()))


#: How timetables and notices write days and months: "Mon-Fri 10-23", "Sat, Sun & public holidays 9-22",
#: "4-10 Aug". Read like an irregular form (in the passages retrieved for the question, never searched by
#: BM25): "sat", "sun" and "wed" are words of their own elsewhere.
_SHORT_NAMES = {
    "monday": ("mon",), "tuesday": ("tue", "tues"), "wednesday": ("wed",), "thursday": ("thu", "thur", "thurs"),
    "friday": ("fri",), "saturday": ("sat",), "sunday": ("sun",), "january": ("jan",), "february": ("feb",),
    "march": ("mar",), "april": ("apr",), "june": ("jun",), "july": ("jul",), "august": ("aug",),
    "september": ("sep", "sept"), "october": ("oct",), "november": ("nov",), "december": ("dec",),
}
for _name, _short in list(_SHORT_NAMES.items()):
    _SHORT_NAMES[_name + "s"] = _short  # "on saturdays"


def other_forms(word: str) -> list[str]:
    """Other spellings and irregular forms of a lower-cased ``word`` (none for most words)."""
    return respellings(word) + irregular_forms(word)


class Forms(NamedTuple):
    """A question's stems in the corpus's forms (see :func:`corpus_forms`)."""

    stems: list[str]
    aliases: dict[str, str]  # another form's stem the corpus holds -> the question's stem
    searched: list[str]  # the aliases BM25 searches too: other spellings of the same word


def corpus_forms(
    words: list[str], stems: list[str], held: Held | None, stem: Callable[[list[str]], list[str]]
) -> Forms:
    """``stems`` (of ``words``, one each) in the corpus's forms, and the other forms it holds.

    A stem the corpus lacks is replaced by the stem of another form of its word that it holds (so
    every later step reads the documents' word); the further forms it holds are aliases (their stem
    -> the question's stem), which coverage counts as the word. BM25 searches the aliases that are
    another spelling; not an irregular form, which is often a word of its own elsewhere ("struck" is
    "strike", and a strike is something else): it is read only in the passages retrieved for the
    question. Unchanged when ``held`` is None or says nothing. One vocabulary look-up for all the
    stems and forms of a question: a few microseconds."""
    if held is None or not stems:
        return Forms(stems, {}, [])
    own = set(stems)  # a form the question itself uses is its own word, not an alias
    spelt: dict[int, list[str]] = {}
    forms: dict[int, list[str]] = {}
    for i, w in enumerate(words):
        if alts := respellings(w):
            spelt[i] = [s for s in stem(alts) if s not in own]
        if alts := irregular_forms(w):
            forms[i] = [s for s in stem(alts) if s not in own]
    if not spelt and not forms:
        return Forms(stems, {}, [])
    present = held(own | {s for alts in (*spelt.values(), *forms.values()) for s in alts})
    if present is None:
        return Forms(stems, {}, [])
    out = list(stems)
    aliases: dict[str, str] = {}
    searched: list[str] = []
    for i in sorted(set(spelt) | set(forms)):
        found = [(s, True) for s in spelt.get(i, []) if s in present] + [(s, False) for s in forms.get(i, []) if s in present]
        if not found:
            continue
        if out[i] not in present:
            out[i] = found.pop(0)[0]
        for s, spelling in found:
            if s not in aliases:
                aliases[s] = out[i]
                if spelling:
                    searched.append(s)
    return Forms(out, aliases, searched)


#: Chat shorthand for words ("ppl", "abt", "bc"), and fillers that ask nothing ("pls", "thx", "lol").
#: A question typed in a Discord channel is full of them; read literally, each is a rare word that no
#: document holds, and the abstention charges a question for such a word ("how long is a shift pls"
#: was refused where "how long is a shift" was answered).
_SHORTHAND = {
    "ppl": "people", "abt": "about", "bc": "because", "cuz": "because", "coz": "because", "ur": "your",
    "msg": "message", "msgs": "messages", "pic": "picture", "pics": "pictures", "tmrw": "tomorrow",
    "tmr": "tomorrow", "tho": "though", "govt": "government", "pls": "", "plz": "", "pleez": "", "thx": "",
    "thnx": "", "ty": "", "lol": "", "btw": "", "imo": "", "imho": "", "fyi": "", "tbh": "", "idk": "",
    "omg": "", "rn": "", "asap": "",
    # Greetings and interjections a question opens or closes with ("yo what license is it under" was
    # refused at P 0.14 for "yo", Zipf 4.5: uncommon enough to be charged), and chat spellings of
    # function words. "hey", "hi", "ok" and "thanks" are common words, never charged.
    "yo": "", "sup": "", "hiya": "", "heya": "", "um": "", "uh": "", "erm": "", "hmm": "", "tia": "",
    "lmk": "", "iirc": "", "afaik": "", "ngl": "", "lmao": "", "thanx": "", "tysm": "", "kk": "",
    "wat": "", "wut": "", "ya": "", "shud": "", "wud": "", "b4": "", "lemme": "", "gimme": "", "yall": "",
    "thankyou": "", "dunno": "know", "sth": "something", "smth": "something",
}

def is_shorthand(word: str) -> bool:
    """Whether a lower-cased ``word`` is chat shorthand or a filler (:data:`_SHORTHAND`: "ppl", "pls", "btw"),
    which ``as_meant`` reads as its word: no acronym of the documents' ("ppl" is people, whatever a
    note's "Public Parking Lot" makes of it)."""
    return word in _SHORTHAND


#: Contractions typed without their apostrophe ("whos", "cant", "dont", "im", "ive", "thats"): each is
#: how bm25s' tokenizer reads the contraction ("who's" -> "who" + "s"), two stop words run together, and
#: wordfreq finds the form with the apostrophe at least ten times as often (Zipf one higher, and at least
#: 3) as the word typed: "whos" 3.1 / "who's" 4.9, "cant" 4.4 / "can't" 5.8. That keeps words of their
#: own: "id" / "i'd", "ill" / "i'll", "wed" / "we'd", "hell", "shell", "shed", "well". Read literally,
#: each was a rare word no document holds ("whos on the moderation team?" refused at P 0.0). The
#: list is the rule applied to every stop word and clitic; a test derives it again from wordfreq (which
#: is not loaded to answer a question: its cold start costs 0.3 s).
_BARE_CONTRACTIONS = frozenset((
    "aint", "arent", "cant", "couldnt", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "hed", "heres",
    "hes", "howd", "hows", "im", "isnt", "itd", "itll", "ive", "shes", "shouldnt", "shouldve", "thatd", "thatll",
    "thats", "thered", "therell", "theres", "theyd", "theyll", "theyre", "theyve", "wasnt", "werent", "weve",
    "whats", "whens", "whered", "wheres", "whod", "wholl", "whos", "whove", "whyd", "wont", "wouldnt", "youd",
    "youll", "youre", "youve",
))
#: A mistyped question word is itself no common word: "doe" (Zipf 3.8) and "wit" (4.0) are words of their own.
_MAX_TYPO_ZIPF = 3.5


def _typo_of_a_function_word(word: str) -> bool:
    """Whether ``word`` is a question word mistyped ("waht", "hw", "wht", "teh"): one letter dropped or
    two neighbours swapped, and not a common word of its own; or any stop word of three letters or more
    with two neighbours swapped ("thier", "becuase", "tihs"), which seldom makes a word, as long as the
    word is no rarer word of its own either (``variants.MAX_TYPO_WORD_ZIPF``: "aws" and "hwy" are names).

    Not a letter changed or added: those make words ("bots" is "both" changed, "thc" and "hoa" are "the"
    and "how" changed, "broth" is "both" with a letter more), and a word dropped from a question is no
    longer charged when no document holds it ("Are bots allowed?" was answered with any sentence).
    """
    if not word.isalpha():
        return False
    frequency = zipf(word)
    if frequency >= _MAX_TYPO_ZIPF:
        return False
    if any((len(word) == len(w) - 1 and one_edit_apart(word, w)) or swapped(word, w) for w in _FUNCTION_WORDS):
        return True
    return len(word) >= 3 and frequency < MAX_TYPO_WORD_ZIPF and any(swapped(word, w) for w in stop_words())


#: The words a question is asked with, which people type fast and mistype most ("waht", "hw", "teh"),
#: and the question words' "'s" typed without the apostrophe ("wats" for "whats", "hwos" for "whos"):
#: only these are read back from a typo. Any stop word would be too many ("trough" is "through" with a
#: letter dropped, "wren" is "weren"), and a real word dropped from a question is not charged when no
#: document holds it.
_QUESTION_WORDS = ("what", "when", "where", "which", "who", "whom", "why", "how")
_FUNCTION_WORDS = (*_QUESTION_WORDS, "does", "the",
                   *(w + "s" for w in _QUESTION_WORDS if w + "s" in _BARE_CONTRACTIONS))


#: A word no dictionary knows ("lnog") is a common word ("long", at least this Zipf frequency) with
#: two neighbouring letters swapped: the commonest typing slip, and one that seldom makes another word.
_MIN_SWAPPED_ZIPF = 4.0


def _unswapped(word: str) -> str | None:
    """The common word ``word`` is with two neighbouring letters swapped back, if it is no word itself."""
    if len(word) < 4 or not word.isalpha() or zipf(word) > 0.0:
        return None
    best, best_zipf = None, _MIN_SWAPPED_ZIPF
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            other = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if (z := zipf(other)) >= best_zipf:
                best, best_zipf = other, z
    return best


def as_meant(
    words: list[str], held: Held | None, stem: Callable[[list[str]], list[str]], capitals: Iterable[str] = ()
) -> list[str]:
    """A question's words (``lexical.words``: no stop words) as its writer meant them: chat shorthand
    read as its word ("ppl" -> "people") or dropped when it asks nothing ("pls", "yo"), a contraction
    typed without its apostrophe ("whos", "cant") or a mistyped function word ("waht", "hw", "wats")
    dropped as the stop words they are, and a word no dictionary knows read
    as the common word it is with two letters swapped back ("lnog" -> "long").

    Only a word the corpus does not hold is read so (a document may use "PLS" as a name), and only
    when ``held`` can tell. Content words keep their spelling here: a typo of one ("coordinater") is
    read by the abstention against the passage's words (``variants.held_as_variant``). A name or an
    acronym (``capitals``, lower-cased: "Ito" within the question, "AWS", "THC") is never read so.
    """
    names = set(capitals)
    meant: dict[str, list[str]] = {}  # each odd word, read as the words it stands for (none: dropped)
    for w in words:
        if w in names or w in meant:
            continue
        if w in _SHORTHAND:
            meant[w] = _SHORTHAND[w].split()
        elif w in _BARE_CONTRACTIONS:
            meant[w] = []  # two stop words
        elif _typo_of_a_function_word(w):
            meant[w] = []
        elif (unswapped := _unswapped(w)) is not None:
            meant[w] = [unswapped]
    if held is None or not meant:
        return words
    present = held(set(stem(list(meant))))
    if present is None:
        return words
    out: list[str] = []
    for w, s in zip(words, stem(words)):
        if w in meant and s not in present:
            out.extend(m for m in meant[w] if not is_stop_word(m))
        else:
            out.append(w)
    return out
