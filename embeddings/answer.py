"""From retrieved passages to an answer made only of verbatim, cited quotes.

Nothing is generated: the answer quotes the sentences of the best passages that share the most
(IDF-weighted) terms with the question, each quote a slice of its source. Citation numbers are
given to documents in the order they are first quoted, so they run 1..n and every one points at a
listed source. When the best passage is not similar enough to the question (a threshold
calibrated on the development set), the answer says so and cites nothing rather than quote noise.
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


def _best_span(text: str, chunk: Span, weights: dict[str, float]) -> tuple[Span, float]:
    sentences = split_sentences(text, chunk.start, chunk.end)
    if not sentences:
        return chunk, 0.0
    total = sum(weights.values())
    sentence_terms = terms([text[s.start : s.end] for s in sentences])
    scores = [_coverage(set(t), weights, total) for t in sentence_terms]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    lo = hi = best
    # Grow towards the better-scoring neighbour while the quote is too short to stand alone.
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
    evidence = max((c.dense for c in candidates), default=0.0)
    if not candidates or evidence < min_evidence:
        return Answer(question=question, answered=False, message=NOT_COVERED, evidence=evidence)

    weights = {t: lexical.idf(t) for t in set(query_terms)}
    quotes: list[_Quote] = []
    for cand in candidates:
        doc = int(gen.chunk_doc[cand.chunk])
        text = gen.doc_text(doc)
        chunk = Span(int(gen.chunk_start[cand.chunk]), int(gen.chunk_end[cand.chunk]))
        span, coverage = _best_span(text, chunk, weights)
        quotes.append(_Quote(cand, doc, span, coverage))

    # Quote a passage only if it is itself evidence: similar enough, or clearly on the question's terms.
    best = max(quotes, key=lambda q: q.score)
    keep = [
        q for q in quotes
        if q is best or q.cand.dense >= min_evidence or (q.coverage >= 0.5 and q.cand.dense >= min_evidence - 0.1)
    ]
    keep.sort(key=lambda q: -q.score)

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
        text = gen.doc_text(q.doc)
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
