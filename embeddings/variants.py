"""Whether a passage holds a question word in another spelling: an abbreviation, an acronym or a typo.

The abstention charges a question for a rare word that no document holds ("Is there an official Helm
chart?"), because such a word is usually what the question is about. People also write words the
documents spell out: "head mod" for "moderator", "max" for "maximum", "a PR" for "a pull request",
"CLA" for "Contributor License Agreement", "recogntion" for "recognition", "wifi" for "Wi-Fi",
"coworking" for "co-working", "creme brulee" for "crème brûlée". The embedding model reads
those as the same thing, so a question using them is answerable, and charging it would refuse it. A
reader sees them at once; :func:`held_as_variant` is that reading, on the passage's own words only
(its terms and tokens are in hand, so it costs a few string comparisons per absent word).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from .lexical import is_stop_word
from .rarity import zipf

_MIN_PREFIX = 3  # "mod" -> "moderator"; two letters prefix too many words
_MIN_TYPO = 5  # one edit away is a typo only in a word this long ("port" vs "post" is not)
_ACRONYM = range(2, 6)  # letters of an acronym


def held_as_variant(term: str, passage_terms: Iterable[str], passage_tokens: Sequence[str], word: str = "") -> bool:
    """Whether ``term`` (a stemmed question word the corpus does not hold) is in the passage as another
    spelling: the start of a longer passage term, one edit away from one (a typo in a word of at least
    five letters, unless the word as typed is one English knows: "cannon" is no "canon"), the initials of
    consecutive passage tokens ("pr" -> "pull request"; a plural too: "PAs" -> "programming assignments",
    :func:`plural_acronym`), two neighbouring passage tokens written as one
    word ("wifi" -> "Wi-Fi", "coworking" -> "co-working": :func:`joined`), or a passage word without its
    accents ("creme" -> "crème": :func:`unaccented`).

    ``word`` is the question's word as typed: a typo is also read against the passage's words as
    written, as its stem may be further from theirs than the word is ("coordinater" stems to
    "coordinat", "coordinator" to "coordin"), and a four-letter word no dictionary knows is a typo of
    a passage word with two neighbouring letters swapped ("lnog" for "long")."""
    if not term.isalpha():
        return False
    plain = unaccented(term)
    # A word English knows is no typo of its neighbour (as in ``_typed_for``): "cannon" is not "canon".
    may_be_typo = not word or zipf(word) < MAX_TYPO_WORD_ZIPF
    for written in passage_terms:
        other = unaccented(written)
        if other == plain and written != term:  # "creme" for "crème", "cafe" for "café"
            return True
        if len(plain) >= _MIN_PREFIX and len(other) > len(plain) and other.startswith(plain):
            return True
        if may_be_typo and min(len(plain), len(other)) >= _MIN_TYPO and one_edit_apart(plain, other):
            return True
    if len(term) in _ACRONYM and is_acronym(term, passage_tokens):
        return True
    if plural_acronym(term, word, passage_tokens):
        return True
    if joined(term, passage_tokens):
        return True
    return bool(word) and _typed_for(word, passage_tokens)


def unaccented(word: str) -> str:
    """``word`` without its diacritics ("crème brûlée" -> "creme brulee"): how people type it on a
    keyboard without them."""
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


#: Letters a stem may lack of the joined word ("cowork" of "coworking").
_STEM_SUFFIX = 3


def joined(term: str, tokens: Sequence[str]) -> bool:
    """Whether two neighbouring ``tokens`` ("wi", "fi") make ``term`` as one word, or its stem ("cowork"
    of "co" + "working"): a hyphenated word typed without its hyphen, as chat writes it. Neither half is
    a stop word (compounds join content words: "in" and "to" do not make "into"), and the term reaches
    past the first half."""
    if len(term) < 4:
        return False
    for first, second in zip(tokens, tokens[1:]):
        word = unaccented(first + second)
        if word.startswith(term) and len(word) - len(term) <= _STEM_SUFFIX and len(first) < len(term) \
                and not is_stop_word(first) and not is_stop_word(second):
            return True
    return False


#: A typo makes a word no dictionary knows, or a misspelling so common the web has it ("buisness" 2.4,
#: "occured" 2.8): Zipf frequency below this. A real word one edit from another is that word ("cakes"
#: 3.9 and "takes", "hiring" and "hiking").
MAX_TYPO_WORD_ZIPF = 3.0


def _typed_for(word: str, passage_tokens: Iterable[str]) -> bool:
    """Whether ``word`` is one of ``passage_tokens`` mistyped (see ``held_as_variant``)."""
    if zipf(word) >= MAX_TYPO_WORD_ZIPF:
        return False
    if len(word) >= _MIN_TYPO:
        return any(abs(len(t) - len(word)) <= 1 and len(t) >= _MIN_TYPO and one_edit_apart(word, t)
                   for t in set(passage_tokens))
    if len(word) == _MIN_TYPO - 1:
        return any(swapped(word, t) for t in set(passage_tokens))
    return False


def swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two neighbouring letters swapped ("lnog", "long")."""
    return len(a) == len(b) and a != b and sorted(a) == sorted(b) and one_edit_apart(a, b)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1:] == b[i + 1:]:
            return True
        return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1:] == shorter[i:]


def plural_acronym(term: str, word: str, tokens: Sequence[str]) -> bool:
    """Whether ``term`` is an acronym's plural, the initials of consecutive ``tokens`` and an "s" ("PAs" ->
    "programming assignments", "TAs" -> "teaching assistants"): the "s" is no initial, so
    :func:`is_acronym` read "pas" as three words' initials and found none ("programming assignments are"
    ends on a stop word). An acronym is at least two letters, so the plural at least three; ``word``
    (as typed, when known) ends on the same "s" (the stem of a plural drops it: "programs" -> "program")."""
    if not term.endswith("s") or len(term) - 1 not in _ACRONYM or (word and not word.endswith("s")):
        return False
    return is_acronym(term[:-1], tokens)


def is_acronym(word: str, tokens: Sequence[str]) -> bool:
    """Whether ``word`` spells the first letters of ``len(word)`` consecutive ``tokens``, none of them a
    stop word: acronyms are made of content words ("contributor license agreement"), and "port" is not
    "post or reply to" (any four letters are the initials of some run of "a", "of", "or", "to"...)."""
    n = len(word)
    for i in range(len(tokens) - n + 1):
        if tokens[i][:1] == word[0] and all(tokens[i + k][:1] == word[k] for k in range(1, n)) \
                and not any(is_stop_word(t) for t in tokens[i:i + n]):
            return True
    return False
