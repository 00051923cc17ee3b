"""Questions that ask for a price or a time of day, and the sentences that can answer them.

"How much does the laser cutter cost?" asked of notes that name the laser cutter but no price
found "Nobody may use the laser cutter without first completing the safety induction" with every
signal of a good answer (the rare words, a close cosine, both retrievers agreeing): P(answers) 1.0.
A reader sees at once that a sentence without a price does not say what something costs. The same
holds for "What time do distribution shifts start?" and a sentence with no time of day in it.

The wider check, "a question asking for a quantity is answered by a sentence holding a number", was
fitted as a feature of the abstention model and changed no decision: the unanswerable questions it
was meant for share a number with their passages ("8 GB", "27 April"). A price and a time of day are
narrower and never missing from a sentence that answers: in the benchmark's answerable questions and
a helper's 89 questions about their own notes, every price question's answer names an amount (or
"free") and every "what time" question's answer a time. So they are a rule, not a weight: a sentence
without the kind asked for is not quoted, and when no candidate has one, the question is refused.

A price alone is not enough: asked "How much did the minibus cost?" of minutes that give the
registration fee ("costs £45 per team") and the club's balance but not the minibus's price, the
amounts would be quoted as if they answered. The sentence must also be about what is asked: it, its
section's heading or the sentence before it holds one of the question's own words other than the
kind's ("minibus"; not "cost", "much", "time"). The sentence before counts because an answer often
names its subject once and then gives the amount ("The Pro plan is our most popular. It costs $10 a
month.").

Both patterns err towards "holds it" (a stray "free" or "at 5" counts), so the rule can only miss a
refusal, never drop a sentence that names the amount or the time.
"""

from __future__ import annotations

import enum
import functools
import re

from .lexical import stems, words


class AnswerKind(enum.Enum):
    """What a question asks for, when a sentence can be seen not to give it."""

    PRICE = "price"
    CLOCK = "clock"


# "how much does / did / is ... cost", "how much money", "how much do tickets cost", "what's the fee
# for", "what does X cost", "how expensive". Not "how much did prices rise" (a percentage answers it).
_PRICE_QUESTION = re.compile(
    r"\bhow much\b[^?.!]*?\b(cost|costs|costing|charge|charges|charged|pay|pays|paid|spend|spends|spent|"
    r"owe|owes|owed|worth|money|cash|fee|fees|ticket|tickets)\b"
    r"|\bwhat(?:'s| is| was| are| were)? (?:the )?(?:price|cost|fee|fare|charge|entry fee|ticket price)s? (?:of|for|to)\b"
    r"|\bwhat (?:does|do|did|will) \w+(?: \w+){0,4} cost\b"
    r"|\bhow (?:expensive|pricey|cheap)\b",
    re.IGNORECASE,
)
# An amount of money: a currency sign or code, a currency named, or no charge at all.
_MONEY = re.compile(
    r"[$£€¥₹₽₩¢]"
    r"|\b(?:usd|eur|gbp|chf|jpy|cad|aud|nzd|sek|nok|dkk|pln|czk|huf|inr|cny|rmb|brl|mxn|zar)\b"
    r"|\b(?:dollars?|euros?|pounds?|pence|cents?|quid|bucks|yen|yuan|renminbi|francs?|rupees?|rubles?|"
    r"roubles?|pesos?|reais|kronor|kroner|krona|krone|zloty|zlotys|shekels?|lira|liras|dinars?|dirhams?|"
    r"riyals?|rials?|hryvnias?|bitcoins?|btc|satoshis?)\b"
    r"|\d\s*(?:p|c|k|m|bn|won|rand|real)\b"
    r"|\bfree\b|\bno (?:charge|cost|fee)\b|\bcosts? nothing\b|\bwithout charge\b|\bnothing to pay\b",
    re.IGNORECASE,
)
# "what time", "at what time", "what hour"; not "what time of year", "what time zone", "what time period".
_CLOCK_QUESTION = re.compile(
    r"\b(?:what|which) (?:time|hour)\b(?! (?:of (?:the )?(?:year|month|season)|zone|period|frame|span|limit))",
    re.IGNORECASE,
)
# A time of day: "9:00", "19.30", "7pm", "7 p.m.", "noon", "in the evening", "at 8", "8 ET".
_CLOCK = re.compile(
    r"\b\d{1,2}[:.h]\d{2}\b"
    r"|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|h|hrs|uhr)(?![a-z])"
    r"|\b(?:noon|midday|midnight|morning|mornings|afternoon|afternoons|evening|evenings|night|nights|"
    r"tonight|overnight|dawn|dusk|sunrise|sunset|lunchtime|teatime|o'clock)\b"
    r"|\b(?:at|from|until|till|til|by|before|after|around|between) (?:about )?\d{1,2}\b(?![./:-]\d)"
    r"|\b(?:half|quarter) (?:past|to)\b"
    r"|\b\d{1,2}\s*(?:et|est|edt|pt|pst|pdt|ct|cst|cdt|mt|gmt|bst|utc|cet|cest)\b",
    re.IGNORECASE,
)

_HOLDS = {AnswerKind.PRICE: _MONEY, AnswerKind.CLOCK: _CLOCK}
# The words that ask for the kind rather than name the subject.
_KIND_WORDS = ("how much many cost costs costing charge charges charged pay pays paid paying spend spends spent "
               "owe owes owed worth money cash fee fees fare price prices expensive pricey cheap what which time "
               "times hour hours")


def asked_kind(question: str) -> AnswerKind | None:
    """The kind of answer ``question`` asks for when it is a price or a time of day, else None."""
    if _PRICE_QUESTION.search(question):
        return AnswerKind.PRICE
    if _CLOCK_QUESTION.search(question):
        return AnswerKind.CLOCK
    return None


def holds_kind(kind: AnswerKind, sentence: str) -> bool:
    """Whether ``sentence`` names an answer of ``kind`` (an amount of money, a time of day)."""
    return _HOLDS[kind].search(sentence) is not None


@functools.cache
def kind_stems() -> frozenset[str]:
    """The stems of the words that ask for a kind of answer ("cost", "price", "time"): not the subject."""
    return frozenset(stems(words(_KIND_WORDS)))
