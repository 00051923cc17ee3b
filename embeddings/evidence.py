"""Sentence-level evidence: how well each sentence of the retrieved passages answers the question.

Retrieval ranks passages of ~128 word pieces; a person reads sentences. Every quotable sentence of
the top passages is scored by

* its **dense similarity** to the question: the sentence's own vector, pooled at index time from
  the chunk's token embeddings (late chunking, see ``encoder.encode_with_sentences``), so it knows
  its context but is not diluted by its neighbours; and
* its **coverage** of the question's words, each weighted by how rare it is in English at large
  (``wordfreq``), not in this corpus, so that the weight of "badges" is the same over one note and
  over 5,000 articles (corpus IDF over one document is degenerate),

less a penalty for captions and link lines. The passage holding the best sentence is ranked first.

The same features decide whether to answer at all: a logistic model, fitted by
``python -m benchmarks.quality --fit`` on answerable and off-topic questions over a news corpus and
a small community corpus, turns the best sentence's features into a probability that it answers;
``min_evidence`` is the cut. A sentence from a source not yet cited must clear that bar on its own
features, so a loosely related second source never rides along with a good first one.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .lexical import stems, terms, words
from .rarity import zipf
from .retrieval import Candidate
from .sentences import Kind, headings
from .store_api import IndexView as Generation

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

    coverage: float = 0.5  # sentence score = cosine + coverage x this + the passage's share below
    chunk: float = 0.5  # + chunk cosine x this
    fused: float = 0.5  # + fused (reciprocal-rank) score x 60 x this
    caption_penalty: float = 0.15  # captions and link lines lose to prose
    margin: float = 0.3  # a further quote scores within this of the best one
    heading: float = 0.5  # a question word found only in the sentence's section heading counts this much
    answer_type: float = 0.1  # + this when a quantity is asked for and the sentence holds one
    # P(answers) = sigmoid(bias + cos*sentence cosine + cov*coverage + chunk*chunk cosine
    #   + agree*(found by both retrievers) + pcov*passage coverage + gap*(cosine - crowd)
    #   + scale*sqrt(2 ln chunks)); see ``probability``.
    a_bias: float = -9.193
    a_cos: float = 15.331
    a_cov: float = -4.499
    a_chunk: float = -1.521
    a_agree: float = 3.672
    a_pcov: float = 4.695
    a_gap: float = -0.558
    a_scale: float = -0.539


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

    @classmethod
    def make(cls, text: str, vector: np.ndarray) -> "Query":
        toks = words(text)
        stemmed = stems(toks)
        weights: dict[str, float] = {}
        for word, stem in zip(toks, stemmed):
            # Rare words say what the question is about.
            weights[stem] = max(weights.get(stem, 0.0), rarity(word))
        return cls(text, vector, stemmed, weights, asks_for_number(text))

    @classmethod
    def blend(cls, text: str, vector: np.ndarray, parts: list[tuple[str, float]], *, asks_number: bool) -> "Query":
        """A query made of several texts, each at a weight (1 for the question itself).

        A word's coverage weight is its rarity times the weight of the text it comes from, and its BM25
        weight that text's weight; a word in several texts keeps its highest weight.
        """
        weights: dict[str, float] = {}
        term_weights: dict[str, float] = {}
        for part, weight in parts:
            toks = words(part)
            for word, stem in zip(toks, stems(toks)):
                weights[stem] = max(weights.get(stem, 0.0), weight * rarity(word))
                term_weights[stem] = max(term_weights.get(stem, 0.0), weight)
        return cls(text, vector, list(term_weights), weights, asks_number, term_weights)


def asks_for_number(text: str) -> bool:
    """Whether a question asks for a quantity or a date (see ``_NUMERIC_QUESTION``)."""
    return bool(_NUMERIC_QUESTION.search(text))


# The expected answer type, the oldest trick of extractive QA: a question asking for a quantity or a
# date is answered by a sentence that holds one, however many of the question's words another
# sentence repeats ("How many people can come?" -> "Space is limited to 60 guests").
_NUMERIC_QUESTION = re.compile(
    r"\b(how (many|much|long|old|far|often|big|tall|high|large)|what (year|date|time|percentage|age)|"
    r"when|which (year|date|month|day))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|once|twice|daily|weekly|monthly|yearly|annually|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday)\b",
    re.IGNORECASE,
)


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
) -> np.ndarray:
    """P(a sentence answers the question) from its own features (see the module docstring).

    ``cos - crowd`` is how far the sentence stands out from what the question finds anyway: in
    5,000 articles some passage is always a little similar, in one note nothing is, so the raw
    cosine alone means different things on different corpora. ``scale`` says the same from the
    corpus' size: the best of n chance similarities grows like sqrt(2 ln n) (the expected maximum of
    n Gaussian draws), so a larger corpus needs a clearer match for the same confidence. The passage
    features are one value for all of ``cos``, or one per sentence.
    """
    z = (params.a_bias + params.a_cos * cos + params.a_cov * coverage + params.a_chunk * chunk_cos
         + params.a_agree * np.asarray(agree, dtype=np.float64) + params.a_pcov * passage_coverage
         + params.a_gap * (cos - crowd) + params.a_scale * scale)
    return _sigmoid(np.asarray(z, dtype=np.float64))


#: The order of :func:`features`, named as the ``Params`` coefficients that weigh them.
FEATURES = ("a_cos", "a_cov", "a_chunk", "a_agree", "a_pcov", "a_gap", "a_scale")


def features(passage: Passage, i: int) -> list[float]:
    """The abstention features of sentence ``i`` (what ``probability`` combines), for fitting."""
    c = passage.cand
    return [float(passage.cos[i]), float(passage.coverage[i]), float(c.dense),
            float(c.dense_rank is not None and c.bm25_rank is not None), passage.passage_coverage,
            float(passage.cos[i]) - passage.crowd, passage.scale]


def _coverage(
    weights: dict[str, float], total: float, sentence: set[str], section: frozenset[str], discount: float
) -> float:
    """Weighted share of the question's words in a sentence; words only in its heading at a discount."""
    if total <= 0:
        return 0.0
    got = 0.0
    for t, w in weights.items():
        if t in sentence:
            got += w
        elif t in section:
            got += discount * w
    return got / total


def _section_terms(
    gen: Generation, docs: list[int], spans: np.ndarray, bounds: np.ndarray, texts: dict[int, str]
) -> list[frozenset[str]]:
    """For every sentence (``spans``, chunk i's rows from ``bounds[i]``), the terms of its heading."""
    out: list[frozenset[str]] = []
    parsed: dict[int, tuple[list[int], list[frozenset[str]]]] = {}
    for i, doc in enumerate(docs):
        if doc not in parsed:
            starts, titles = headings(texts[doc])
            parsed[doc] = (starts, [frozenset(t) for t in terms(titles)])
        starts, heading_terms = parsed[doc]
        if not starts:
            out.extend([frozenset()] * int(bounds[i + 1] - bounds[i]))
            continue
        for start in spans[bounds[i] : bounds[i + 1], 0].tolist():
            j = bisect.bisect_right(starts, start) - 1
            out.append(heading_terms[j] if j >= 0 and starts[j] != start else frozenset())
    return out


def score(
    gen: Generation,
    query: Query,
    cands: list[Candidate],
    texts: dict[int, str],
    *,
    params: Params = DEFAULT_PARAMS,
    embed: Embed | None = None,
) -> list[Passage]:
    """Score every sentence of ``cands``; ``texts`` caches document texts by position.

    All candidates' sentences are read, compared with the question and weighed at once (one matrix
    product, one pass of ``apply_all``), not chunk by chunk: a question scores ~60 sentences of 12
    chunks, where per-chunk array calls cost more than the arithmetic. ``embed`` (for measurements)
    embeds the sentences at query time instead of reading the vectors stored with the index.
    """
    if not cands:
        return []
    sentences, bounds = gen.sentences_of(c.chunk for c in cands)
    docs = [gen.doc_of(c.chunk) for c in cands]
    sentence_texts: list[str] = []
    spans = sentences.spans
    for i, doc in enumerate(docs):
        text = texts.get(doc)
        if text is None:
            text = texts[doc] = gen.doc_text(doc)
        sentence_texts.extend(text[a:b] for a, b in spans[bounds[i] : bounds[i + 1], :2].tolist())
    q = query.vector.astype(np.float32)
    if embed is not None and sentence_texts:
        cos = (embed(sentence_texts) @ q).astype(np.float64)
    else:
        cos = ((sentences.codes.astype(np.float32) @ q) * sentences.scales).astype(np.float64)
    sentence_terms = [set(t) for t in terms(sentence_texts)]
    section_terms = _section_terms(gen, docs, spans, bounds, texts)
    weights, total = query.weights, sum(query.weights.values())
    cover = np.array(
        [_coverage(weights, total, st, section, params.heading) for st, section in zip(sentence_terms, section_terms)],
        dtype=np.float64,
    )
    typed = (
        np.array([bool(_NUMBER.search(t)) for t in sentence_texts], dtype=np.float64)
        if query.wants_number else np.zeros(len(sentence_texts))
    )
    title_terms: dict[int, frozenset[str]] = {}
    crowd = float(np.mean([c.dense for c in cands]))
    scale = math.sqrt(2.0 * math.log(max(gen.size, 2)))
    out: list[Passage] = []
    for i, (c, doc) in enumerate(zip(cands, docs)):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        title = title_terms.get(doc)
        if title is None:
            title = title_terms[doc] = frozenset(terms([gen.title(doc)])[0])
        everywhere = set(title).union(*sentence_terms[lo:hi])
        out.append(Passage(
            c, doc, spans[lo:hi], cos[lo:hi], cover[lo:hi], cos[lo:hi].copy(), cos[lo:hi].copy(),
            typed=typed[lo:hi], passage_coverage=_coverage(weights, total, everywhere, frozenset(), 0.0),
            crowd=crowd, scale=scale,
        ))
    return apply_all(out, params)


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

    def each(values: list[float]) -> np.ndarray:  # a passage's value for each of its sentences
        return np.repeat(np.asarray(values, dtype=np.float64), counts)

    cos = np.concatenate([p.cos for p in passages])
    cover = np.concatenate([p.coverage for p in passages])
    kinds = np.concatenate([p.spans[:, 2] for p in passages])
    dense = each([p.cand.dense for p in passages])
    fused = each([p.cand.fused for p in passages])
    # A sentence is as good as its own match plus its passage's: the chunk's similarity and how
    # both retrievers ranked it. The best sentence's score is the passage's score.
    s = cos + params.coverage * cover + params.chunk * dense + params.fused * fused * 60.0
    if any(p.typed is not None for p in passages):
        s = s + params.answer_type * np.concatenate(
            [p.typed if p.typed is not None else np.zeros(len(p.cos)) for p in passages])
    s = np.where((kinds == _CAPTION) | (kinds == _LINK), s - params.caption_penalty, s)
    heading = kinds == _HEADING
    score = np.where(heading, -math.inf, s)
    agree = each([float(p.cand.dense_rank is not None and p.cand.bm25_rank is not None) for p in passages])
    prob = probability(cos, cover, dense, agree, each([p.passage_coverage for p in passages]),
                       each([p.crowd for p in passages]), each([p.scale for p in passages]), params)
    prob = np.where(heading, 0.0, prob)
    at = 0
    for passage, n in zip(passages, counts):
        passage.score, passage.p = score[at : at + n], prob[at : at + n]
        at += n
        passage.passage_score = _passage_score(passage, params)
    return passages


def _passage_score(passage: Passage, params: Params) -> float:
    """The best sentence's score; a passage with nothing quotable ranks by its chunk's match alone."""
    best, c = passage.best, passage.cand
    if best >= 0 and np.isfinite(passage.score[best]):
        return float(passage.score[best])
    return float(c.dense) * (1 + params.chunk) + params.fused * c.fused * 60.0


def exclude_sentences(passage: Passage, mask: np.ndarray, params: Params = DEFAULT_PARAMS) -> None:
    """Never quote the sentences of ``mask``; the passage ranks by what is left."""
    if not mask.any():
        return
    passage.score = np.where(mask, -math.inf, passage.score)
    passage.p = np.where(mask, 0.0, passage.p)
    passage.passage_score = _passage_score(passage, params)


def rerank(passages: list[Passage]) -> list[Passage]:
    """Passages ordered by their evidence, best first (ties keep the retrieval order)."""
    return sorted(passages, key=lambda p: -p.passage_score)
