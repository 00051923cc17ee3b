"""From retrieved passages to an answer made only of verbatim, cited quotes.

Nothing is generated: the answer quotes the sentences of the best passages that share the most
(IDF-weighted) terms with the question, each quote a slice of its source. Citation numbers are
given to documents in the order they are first quoted, so they run 1..n and every one points at a
listed source. When the best passage is not relevant enough to the question (cosine similarity
plus a share of the question's IDF-weighted terms it contains, against a threshold calibrated on the
development set), the answer says so and cites nothing rather than quote noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chunking import Span, split_sentences
from .lexical import LexicalIndex, terms
from .models import Answer, Excerpt, Source
from .retrieval import Candidate
from .store import Generation

NOT_COVERED = "The documents don't seem to cover this."

# An excerpt grows by neighbouring sentences while it is shorter than this (a lone "He said so."
# is no evidence), and never past the longer cap.
MIN_EXCERPT_CHARS = 90
MAX_EXCERPT_CHARS = 420


@dataclass(frozen=True)
class _Quote:
    cand: Candidate
    doc: int
    span: Span
    coverage: float

    @property
    def score(self) -> float:
        # Dense similarity ranks passages; term coverage lifts the one that names what was asked.
        return self.cand.dense + 0.25 * self.coverage


def _coverage(sentence_terms: set[str], weights: dict[str, float], total: float) -> float:
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in sentence_terms) / total


def _best_span(
    sentences: list[Span], sentence_terms: list[list[str]], weights: dict[str, float]
) -> tuple[Span, float]:
    """The sentence richest in the question's terms, grown by neighbours while it is too short."""
    total = sum(weights.values())
    scores = [_coverage(set(t), weights, total) for t in sentence_terms]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    lo = hi = best
    while sentences[hi].end - sentences[lo].start < MIN_EXCERPT_CHARS:
        left = scores[lo - 1] if lo > 0 else -1.0
        right = scores[hi + 1] if hi + 1 < len(sentences) else -1.0
        if left < 0 and right < 0:
            break
        if right >= left:
            if sentences[hi + 1].end - sentences[lo].start > MAX_EXCERPT_CHARS:
                break
            hi += 1
        else:
            if sentences[hi].end - sentences[lo - 1].start > MAX_EXCERPT_CHARS:
                break
            lo -= 1
    return Span(sentences[lo].start, sentences[hi].end), scores[best]


def build(
    question: str,
    gen: Generation,
    candidates: list[Candidate],
    *,
    query_terms: list[str],
    lexical: LexicalIndex,
    min_evidence: float,
    max_excerpts: int,
) -> Answer:
    if not candidates:
        return Answer(question=question, answered=False, message=NOT_COVERED, evidence=0.0)
    weights = {t: lexical.idf(t) for t in set(query_terms)}
    texts: dict[int, str] = {}
    per_cand: list[tuple[Candidate, int, list[Span]]] = []
    for cand in candidates:
        doc = int(gen.chunk_doc[cand.chunk])
        text = texts.setdefault(doc, gen.doc_text(doc))
        start, end = int(gen.chunk_start[cand.chunk]), int(gen.chunk_end[cand.chunk])
        per_cand.append((cand, doc, split_sentences(text, start, end) or [Span(start, end)]))
    # One tokenizer call for every sentence of every candidate: per-call overhead dominates here.
    all_terms = terms([texts[doc][s.start : s.end] for _, doc, spans in per_cand for s in spans])
    quotes: list[_Quote] = []
    at = 0
    for cand, doc, spans in per_cand:
        span, coverage = _best_span(spans, all_terms[at : at + len(spans)], weights)
        at += len(spans)
        quotes.append(_Quote(cand, doc, span, coverage))

    # The evidence is the best quote's relevance. A passage is quoted only if it is evidence itself:
    # similar to the question, or clearly on its terms, or both.
    evidence = max(q.score for q in quotes)
    if evidence < min_evidence:
        return Answer(question=question, answered=False, message=NOT_COVERED, evidence=evidence)
    keep = sorted((q for q in quotes if q.score >= min_evidence), key=lambda q: -q.score)

    chosen: list[_Quote] = []
    for q in keep:
        if any(c.doc == q.doc and c.span.start < q.span.end and q.span.start < c.span.end for c in chosen):
            continue  # overlapping chunks of one document quote the same words once
        chosen.append(q)
        if len(chosen) == max_excerpts:
            break

    numbers: dict[int, int] = {}
    excerpts: list[Excerpt] = []
    for q in chosen:
        number = numbers.setdefault(q.doc, len(numbers) + 1)
        text = texts[q.doc]
        excerpts.append(
            Excerpt(
                number=number,
                doc_id=gen.doc_ids[q.doc],
                chunk=int(gen.chunk_ord[q.cand.chunk]),
                start=q.span.start,
                end=q.span.end,
                text=text[q.span.start : q.span.end],
                score=round(q.score, 4),
            )
        )
    sources = [
        Source(number=n, doc_id=gen.doc_ids[d], title=gen.titles[d], date=gen.dates[d], url=gen.urls[d])
        for d, n in numbers.items()
    ]
    plural = "s" if len(sources) > 1 else ""
    return Answer(
        question=question,
        answered=True,
        message=f"{len(excerpts)} excerpt{'s' if len(excerpts) > 1 else ''} from {len(sources)} source{plural}:",
        excerpts=excerpts,
        sources=sources,
        evidence=evidence,
    )
