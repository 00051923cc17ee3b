"""Follow-up questions: a question read in the light of the conversation it was asked in.

In a thread people ask "and what did Lavrov say?", "when was that?" or "tell me more about the second
source" after a first question. Alone, such a question names no topic, or the wrong one; with the
conversation it is clear. This module reads a question against the earlier turns and says how they count.
It knows nothing of Discord: the bot keeps the turns of a thread, the engine answers with them.

How a question is read (:func:`resolve`):

* A **reference to a source** of the last answer ("the second source", "source 2", "[2]", "the first
  article", "the last quote"; "that article" when the answer cited one source) points at that document,
  and the answer quotes it. A number the last answer did not cite is refused (InvalidRequest) rather than
  answered with something else.
* A question that **leans on the conversation** is a follow-up: it goes on from the last one ("and ...",
  "what about ...", "also ..."), asks for more ("tell me more", "what else"), refers back with a personal
  pronoun ("he", "them", "her") or with a demonstrative used as a pronoun ("when was that?",
  "is this true?"), or has no topic words of its own ("why?").
* Any **other question names a topic of its own** ("open"), "it" or not: over a project's documents "it"
  is the project as often as the last answer's subject ("what port does it use by default" after
  "who are the moderators"). The engine asks it alone first and keeps that
  answer when it answers and no document cited in the conversation holds a sentence that answers it too:
  a new topic is answered on its own. Otherwise it continues the conversation and is a follow-up too. That
  test is query-performance prediction with the engine's own calibrated answer probability (a sentence
  "answers" when its probability clears ``min_evidence``), not a list of topics.

How a follow-up is answered (:func:`blended_query`, and ``Engine.ask``): historical query expansion. The
conversation's current topic (the question that opened it and the latest after it, ``MAX_TURNS`` in all) joins
the question at weight ``DECAY``: their vectors are added to the question's (Rocchio), and their words
join the BM25 query and the words a quoted sentence should cover at that weight. The documents those
answers cited join the fusion as one more ranked list at that weight. A request for more does not quote
again what the conversation already quoted. Nothing is fitted to examples: ``DECAY`` says the question
itself counts twice as much as the conversation before it. A pronoun is the exception where it counts: it
stands for what the last question asked about, so a passage holding that question's words is no
coincidence (``Query.referent_weights``): "how do i change it?" after "what port does it use by default"
was refused, its own word "change" being nowhere near "lumenfeed serve --port 8800".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np

from .errors import InvalidRequest
from .evidence import DEFAULT_PARAMS, Params, Passage, Query, asks_for_number, exclude_sentences, named_terms
from .lexical import words
from .models import Answer, FollowUp, counted
from .spelling import Extends, Held

#: Weight of the conversation's earlier questions (and cited documents) against the question itself (1).
DECAY = 0.5
#: Earlier turns of the current topic that count: the one that opened it and the latest others.
MAX_TURNS = 3

Kind = Literal["standalone", "open", "follow-up", "source"]


@dataclass(frozen=True)
class Quote:
    """A quoted excerpt of an earlier answer: ``doc_id`` text ``[start:end]``."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Turn:
    """One earlier question of a conversation and what its answer cited.

    ``sources`` are document ids in citation order (``sources[0]`` was cited as [1]); ``quotes`` the
    excerpts in the order shown. ``opens_topic`` is false when the question was read as a follow-up:
    it then belongs to the topic of the turn before it.
    """

    question: str
    sources: tuple[str, ...] = ()
    quotes: tuple[Quote, ...] = ()
    opens_topic: bool = True

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """The turn an answer makes, for the next question of the conversation."""
        return cls(
            question=answer.question,
            sources=tuple(s.doc_id for s in sorted(answer.sources, key=lambda s: s.number)),
            quotes=tuple(Quote(e.doc_id, e.start, e.end) for e in answer.excerpts),
            opens_topic=answer.follow_up is None or answer.follow_up.kind == "new-topic",
        )


@dataclass(frozen=True)
class Resolution:
    """How a question is read against its conversation (see the module docstring)."""

    question: str
    kind: Kind
    #: The question without its reference to a source or its request for more: what it says itself.
    text: str
    #: The questions of the conversation's current topic, most recent first.
    topic: tuple[str, ...] = ()
    #: Documents the topic's answers cited, most recent first.
    cited: tuple[str, ...] = ()
    #: The document a reference to a source points at.
    focus: str | None = None
    #: Excerpts already quoted that a request for more should not quote again.
    quoted: tuple[Quote, ...] = ()

    @property
    def uses_context(self) -> bool:
        return self.kind in ("follow-up", "source")

    def continuing(self) -> Resolution:
        """An open question found to continue the conversation: read it as a follow-up."""
        return replace(self, kind="follow-up")

    def touches(self, doc_ids: Iterable[str]) -> bool:
        """Whether any of ``doc_ids`` was cited in the conversation's current topic."""
        cited = set(self.cited)
        return any(d in cited for d in doc_ids)

    @property
    def reads_on(self) -> bool:
        """A request to read more of a source the last answer cited ("tell me more about the second source"):
        it asks nothing of its own, and that source was already found to be evidence for the topic, so the
        answer quotes its best sentences without a new abstention test."""
        return self.focus is not None and not _names_a_topic(self.text)

    def parts(self) -> list[tuple[str, float]]:
        """The texts a follow-up is retrieved with, and their weights: itself 1, its topic ``DECAY``."""
        own = [(self.text, 1.0)] if _names_a_topic(self.text) else []
        return own + [(q, DECAY) for q in self.topic]

    def described(self) -> FollowUp | None:
        """What an answer says about how its question was read (None: on its own, no conversation)."""
        if self.kind == "standalone":
            return None
        if self.kind == "open":
            return FollowUp(kind="new-topic")
        return FollowUp(kind="source" if self.focus else "follow-up", earlier=list(self.topic), source=self.focus)


# --------------------------------------------------------------------------- reading the question
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: A question that goes on from the last one.
_CONTINUES = re.compile(
    r"^(?:and|but|also|so|then|plus|or|what about|how about|what else|anything else|same for|as for|"
    r"ok(?:ay)? (?:and|so|what about))\b"
)
#: A request for more than was already quoted.
_MORE = re.compile(
    r"\b(?:tell me more|more (?:about|on|details?|info(?:rmation)?)|what else|anything else|elaborate|"
    r"go on|keep going|say more|tell me something else)\b"
)
#: Phrases that ask without naming anything: removed from what the question says itself.
_REQUEST = re.compile(
    r"\b(?:(?:can|could|would) you |please )*(?:tell|show|give) me(?: (?:more|something else))?"
    r"(?: (?:about|on|from|in))?\b|\bwhat else\b|\banything else\b|\bmore (?:about|on|details?)\b|"
    r"\b(?:elaborate|go on|keep going)\b"
)
_PERSONAL = frozenset("he him his himself she her hers herself they them their theirs themselves".split())
_DEMONSTRATIVE = frozenset("that this these those".split())
#: After a demonstrative, words that show it stands for something said before ("is that true?").
_AFTER_DEMONSTRATIVE = frozenset(
    "is was were are be been mean means meant happen happens happened true right correct real so".split()
)
#: "it" is a placeholder, not a reference, in "is it true that ...", "it is said that ...".
_EXPLETIVE_IT = re.compile(
    r"\b(?:it(?:'s| is| was| has been| will be)|is it|was it) (?:true|possible|likely|clear|known|said|"
    r"reported|expected|necessary|important|hard|easy|worth|time|too)\b"
)
#: Words that ask or report without naming a topic ("tell", "please", "say"): a question of only these leans on
#: the conversation, and is retrieved with its topic alone.
_NOT_A_TOPIC = frozenset(
    "tell explain elaborate detail details else please thanks thank know want show give say says said "
    "mention mentions mentioned write writes wrote".split()
)

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8,
    "last": -1, "final": -1,
}
_NOUNS = ("source", "article", "document", "doc", "link", "reference", "citation", "quote", "excerpt", "passage",
          "snippet")
_QUOTE_NOUNS = frozenset({"quote", "excerpt", "passage", "snippet"})
#: Nouns that also name the parts of a document: "the third article" beyond the sources shown is one.
_PART_NOUNS = frozenset({"article", "document", "doc"})
_SOURCE_NOUN = rf"(?P<noun>{'|'.join(_NOUNS)})s?"
_NUMBERED_NOUN = rf"(?P<noun>{'|'.join(n for n in _NOUNS if n not in _PART_NOUNS)})s?"
_REFERENCES = (
    # "the second source", "the last quote"
    re.compile(rf"\b(?:the |that |this )?(?P<ord>{'|'.join(_ORDINALS)}) {_SOURCE_NOUN}\b"),
    # "source 2", "source [2]", "quote number 3", "link #1". Not "article 5" or "document 3": documents
    # number their own articles and sections ("What does article 5 of the statutes say?").
    re.compile(rf"\b{_NUMBERED_NOUN} ?(?:#|no\.? ?|number )?\[?(?P<num>\d{{1,2}})(?!\d)\]?"),
    # "[2]"
    re.compile(r"\[(?P<num>\d{1,2})\]"),
    # "that article", "this source": the one source of the last answer
    re.compile(rf"\b(?:that|this|the same) {_SOURCE_NOUN}\b"),
)


def _read(question: str) -> tuple[str, list[str]]:
    """A question lower-cased with its curly apostrophes made straight, and its words: what
    :func:`refers_back` and :func:`points_back` both read, so that they read it alike."""
    lower = question.lower().replace("’", "'").strip()
    return lower, _WORD.findall(lower)


def refers_back(question: str) -> bool:
    """Whether a question leans on what was said before it (see the module docstring).

    >>> refers_back("and what did Lavrov say?"), refers_back("when was that?"), refers_back("How old is he?")
    (True, True, True)
    >>> refers_back("Which team won the 2022 Stanley Cup?")
    False
    """
    lower, toks = _read(question)
    if _CONTINUES.search(lower) or _MORE.search(lower):
        return True
    if _pronoun(toks, lower) not in (None, "it"):
        return True
    if toks and toks[-1] in ("there", "then"):
        return True
    return not _names_a_topic(_REQUEST.sub(" ", lower))


def _pronoun(toks: list[str], lower: str) -> str | None:
    """The pronoun by which a question may point back at what was said before: a personal one ("he",
    "them"), a demonstrative standing alone ("when was that?", "is this true?") or "it" (not the
    placeholder of "is it true that ..."); None.

    "it" alone does not make a follow-up: over a project's documents it is the project as often as
    the last answer's subject ("what port does it use by default" after "who are the moderators" was
    read with the moderators). A question with "it" and words of its own is tested like any other open
    one: asked alone, it goes on with the conversation when that does not answer it ("how do i change it"
    after the port) or the conversation's documents answer it too (``Resolution.continuing``)."""
    for i, tok in enumerate(toks):
        following = toks[i + 1] if i + 1 < len(toks) else None
        if tok in _PERSONAL or (tok in _DEMONSTRATIVE and (following is None or following in _AFTER_DEMONSTRATIVE)):
            return tok
    if "it" in toks and not _EXPLETIVE_IT.search(lower):
        return "it"
    return None


def points_back(question: str) -> bool:
    """Whether a question refers back with a pronoun (:func:`_pronoun`)."""
    lower, toks = _read(question)
    return _pronoun(toks, lower) is not None


def _names_a_topic(text: str) -> bool:
    """Whether a text has a word that names something (not a stop word, a request or a reporting verb)."""
    return any(w not in _NOT_A_TOPIC for w in words(text))


@dataclass(frozen=True)
class SourceReference:
    """What a reference to a source points at: a document, or nothing the last answer cited (``problem``)."""

    doc_id: str | None
    #: The question without the reference.
    rest: str
    #: Why a reference points at nothing ("the last answer cited 1 source").
    problem: str | None = None


def source_reference(question: str, history: Sequence[Turn]) -> SourceReference | None:
    """The document a question's reference to a source points at; None when it makes no such reference.

    Sources are numbered as the last answer that cited any numbered them ([1] first); a quote or
    excerpt by the order its answer showed them. A number that answer did not cite points at nothing,
    and says so, unless the words name a part of a document as well: "What does article 5 say?" and
    "the second article of the statutes" after an answer with one source are questions of their own.
    """
    last = next((t for t in reversed(history) if t.sources), None)
    lower = question.lower()
    if last is None:
        return None
    for pattern in _REFERENCES:
        match = pattern.search(lower)
        if match is None:
            continue
        groups = match.groupdict()
        quotes = (groups.get("noun") or "source") in _QUOTE_NOUNS
        items = [q.doc_id for q in last.quotes] if quotes else list(last.sources)
        if groups.get("ord"):
            n = _ORDINALS[groups["ord"]]
        elif groups.get("num"):
            n = int(groups["num"])
        elif len(last.sources) == 1:  # "that article": the one source
            n = 1
        else:  # "that article" after an answer that cited several: which one is not clear
            return None
        index = len(items) - 1 if n == -1 else n - 1
        if 0 <= index < len(items):
            return SourceReference(items[index], question[: match.start()] + " " + question[match.end():])
        if (groups.get("noun") or "source") in _PART_NOUNS:
            continue  # "the second article of the statutes" after a one-source answer: a part of a document
        what = "quote" if quotes else "source"
        return SourceReference(
            None, question, f"the last answer has {counted(len(items), what)}, "
            f"so there is no {what} {n}: ask about one of them, or ask the question in full"
        )
    return None


def _topic(history: Sequence[Turn]) -> list[Turn]:
    """The turns of the current topic, latest first: back to the one that opened it, which always counts
    (it names the topic), and at most ``MAX_TURNS`` in all (the latest ones)."""
    turns: list[Turn] = []
    for turn in reversed(history):
        turns.append(turn)
        if turn.opens_topic:
            break
    if len(turns) > MAX_TURNS:
        turns = turns[: MAX_TURNS - 1] + turns[-1:]
    return turns


def resolve(question: str, history: Sequence[Turn] = ()) -> Resolution:
    """Read ``question`` against the earlier turns of its conversation (oldest first).

    Raises InvalidRequest when it names a source the last answer did not cite ("the third source" after
    an answer with two): answering something else would mislead.
    """
    if not history:
        return Resolution(question, "standalone", question)
    topic = _topic(history)
    cited = tuple(dict.fromkeys(d for t in topic for d in t.sources))
    reference = source_reference(question, history)
    if reference is not None and reference.problem:
        raise InvalidRequest(reference.problem)
    focus = reference.doc_id if reference else None
    text = re.sub(r"\s+", " ", _REQUEST.sub(" ", reference.rest if reference else question)).strip(" ,.?!")
    quoted = tuple(q for t in topic for q in t.quotes) if _MORE.search(question.lower()) else ()
    if focus is not None:
        kind: Kind = "source"
    elif refers_back(question):
        kind = "follow-up"
    else:
        kind = "open"
    return Resolution(question, kind, text, tuple(t.question for t in topic), cited, focus, quoted)


# --------------------------------------------------------------------------- answering a follow-up
def blended_query(
    resolution: Resolution, encode: Callable[[list[str]], np.ndarray], held: Held | None = None,
    extends: Extends | None = None,
    asked_on: date | None = None,
    searched: Callable[[str], str] = str,
) -> Query:
    """The retrieval query of a follow-up: its own text and its topic's questions, weighted (Rocchio).

    ``encode`` embeds texts into unit vectors; the question's vector is the weighted sum of theirs,
    normalised. Whether an answer should be a number or a date follows the question alone ("when was
    that?" asks for a date whatever the first question asked for). ``searched`` gives each text as it
    is searched (``pervasive.without_pervasive``: without the collection's own subject).
    """
    parts = resolution.parts() or [(resolution.question, 1.0)]
    names_own = len(parts) > 1 and parts[0][0] == resolution.text and bool(named_terms(resolution.question))
    parts = [(searched(text), weight) for text, weight in parts]
    vectors = np.asarray(encode([text for text, _ in parts]), dtype=np.float32)
    weights = np.array([w for _, w in parts], dtype=np.float32)
    vector = (weights[:, None] * vectors).sum(axis=0)
    norm = float(np.linalg.norm(vector))
    if norm > 0:
        vector = vector / norm
    # A follow-up that brings in a name of its own ("and what did Lavrov say?", "what did the Pope say
    # about it?") asks about that name: evidence reads its own text's cosine and words against the
    # corpus's null (``evidence._tested_cos``). Others ("for how long?") ask about the topic itself.
    own = vectors[0] if names_own else None
    # A pronoun ("how do i change it?" after "what port does it use by default") stands for what the last
    # question asked about: a passage holding that question's words holds what the follow-up is about.
    # Compared with the parts as searched: a topic question naming the collection's subject ("what port does
    # lumenfeed use by default") is searched without it, and was then matched by no part.
    referent = (searched(resolution.topic[0]) if resolution.topic and not names_own
                and points_back(resolution.question) else None)
    return Query.blend(resolution.question, vector, parts, asks_number=asks_for_number(resolution.question),
                       own_vector=own, held=held, asked_on=asked_on, extends=extends, referent=referent)


def forget_quoted(
    passages: list[Passage], doc_ids: Callable[[int], str], quoted: Sequence[Quote], params: Params = DEFAULT_PARAMS,
) -> None:
    """Never quote again the sentences that overlap an excerpt already quoted (a request for more).

    ``params`` are the evidence weights the passages were scored with, so that a passage re-ranks by
    what is left exactly as it was ranked before."""
    if not quoted:
        return
    by_doc: dict[str, list[Quote]] = {}
    for q in quoted:
        by_doc.setdefault(q.doc_id, []).append(q)
    for passage in passages:
        spans = by_doc.get(doc_ids(passage.doc))
        if not spans or not len(passage.spans):
            continue
        starts, ends = passage.spans[:, 0], passage.spans[:, 1]
        seen = np.zeros(len(passage.spans), dtype=bool)
        for q in spans:
            seen |= (starts < q.end) & (q.start < ends)
        exclude_sentences(passage, seen, params)
