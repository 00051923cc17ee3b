"""The quiet rule: which messages in a busy channel are questions for the bot.

In an answer channel (and in a thread the bot keeps a conversation in) every message is read without a
mention. People also chat there: "thanks!", "lol", an emoji, a link to share. Answering those with "the
documents don't cover this" is noise, and counting them against the sender's cooldown would be unfair.
So, while a server keeps ``quiet`` on (the default), a message there is answered only if it is a question:

1. it **asks**: it has a question mark, or it begins (after a greeting or "and"/"so"/"ok") with a question
   word or a request ("what", "how", "is", "can", "does", "tell me", "explain", "I need", ...); and
2. it is **not small talk**: not only greetings, thanks and acknowledgements ("thanks!", "lol", "good
   morning everyone"), and not a question that only keeps a conversation going ("how are you?", "what's
   up?", "anyone here?"). Short follow-ups such as "why?" or "when was that?" are questions.

Mentions, user and role tags, channel links, custom and Unicode emoji and URLs are removed first, so an
emoji, a link or a tag alone is never a question. Messages addressed to someone else (they mention or reply
to another person, not the bot) are conversation between people, which the cog decides from the message.

The rule only decides whether to *speak*: a mention of the bot and ``/ask`` are always answered, and a
message that is a question is answered even when the documents turn out not to cover it.
"""

from __future__ import annotations

import re
import unicodedata

from bm25s.stopwords import STOPWORDS_EN_PLUS

_TAGS = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|<t:\d+(?::\w)?>|:[a-z0-9_+-]+:", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

#: Words a question (or a request) starts with.
_ASKING = frozenset("""
what whats what's who whos who's whom whose when whens when's where wheres where's why whys why's how hows how's
which is are was were am do does did can could will would should shall may might must has have had
isn't aren't wasn't weren't don't doesn't didn't can't couldn't won't wouldn't shouldn't hasn't haven't
tell explain describe show list give find define summarize summarise compare clarify quote name help
any anyone anybody anything does
""".split())
#: Phrases that make a request without a question word: "I need the refund form", "looking for the rules".
_REQUEST = re.compile(
    r"^(?:i|we) (?:need|want|would like|am looking|was wondering|am wondering|wonder)\b|^(?:i'd|we'd) like\b|"
    r"^i'm (?:looking|wondering|trying to find)\b|"
    r"^(?:looking for|wondering|need|want to know|any idea|anyone know|does anyone know)\b"
)
#: Openers skipped before the first word is looked at: "hey, what ...", "ok so how ...".
_OPENERS = frozenset("hey hi hello yo ok okay so and but also um uh hmm well oh bot please pls".split())
#: Small talk, greetings, thanks and acknowledgements: words that say nothing the documents could answer.
_SMALL_TALK = frozenset("""
hi hello hey heya hiya yo sup wassup howdy morning evening afternoon night gm gn good day everyone everybody
folks guys people anyone anybody someone somebody bot y'all u ur thanks thank thx ty tysm tyvm cheers appreciate
appreciated welcome np ok okay k kk cool nice great awesome amazing perfect sure yes yeah yep yup nope nah lol
lmao lmfao rofl haha hahaha hehe xd wow aha hmm hm uh um true agreed agree exactly fine alright bye
goodbye later cya soon brb afk please pls plz much lot lots really
""".split())
#: Questions that only keep a conversation going ("how are you?", "anyone here?").
_PHATIC = re.compile(
    r"^(?:how (?:are|r) (?:you|u|ya|y'all|everyone|things)(?: doing| today)?|how(?:'s| is) (?:it going|everyone)|"
    r"what'?s (?:up|new|good)|you there|are you (?:there|awake|alive|ok|okay)|you (?:ok|okay|alive|awake)|"
    r"(?:is )?any(?:one|body) (?:here|there|around|online|awake))$"
)
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


def _visible_text(text: str) -> str:
    """The message without tags, links and emoji: what is left to read."""
    text = unicodedata.normalize("NFC", _URL.sub(" ", _TAGS.sub(" ", text)))
    # Emoji and symbols, their variation selectors and joiners, private-use glyphs.
    return "".join(" " if unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Mn", "Cf") else ch for ch in text)


def is_small_talk(words: list[str]) -> bool:
    """Greetings, thanks, acknowledgements and "how are you?": nothing to look up (``words`` lower case)."""
    content = [w for w in words if w.split("'")[0] not in _STOPWORDS]
    if content and all(w in _SMALL_TALK for w in content):
        return True
    return bool(_PHATIC.match(" ".join(words)))


def _asks(sentence: str) -> bool:
    """One sentence: does it ask (a question mark, a question word or a request first), and about something?"""
    words = _WORD.findall(sentence.lower().replace("’", "'"))
    while words and words[0] in _OPENERS:
        words = words[1:]
    if not words or is_small_talk(words):
        return False
    return "?" in sentence or words[0] in _ASKING or bool(_REQUEST.search(" ".join(words)))


def is_question(text: str) -> bool:
    """Whether a message asks the bot something: one of its sentences does (the rule in the module docstring).

    >>> [is_question(t) for t in ("thanks!", "👍", "https://example.org", "how are you?")]
    [False, False, False, False]
    >>> [is_question(t) for t in ("When does the reading room close?", "tell me about the grain deal", "why?")]
    [True, True, True]
    """
    return any(_asks(sentence) for sentence in _SENTENCE.split(_visible_text(text)))
