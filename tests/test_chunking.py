"""Chunking: sentence boundaries, token budgets, overlap, and offsets that slice the source verbatim."""

from __future__ import annotations

from embeddings.chunking import approximate_token_counts, chunk_text, split_sentences
from embeddings.documents import read_file

from .conftest import SEEDS


def _texts(text, spans):
    return [text[s.start : s.end] for s in spans]


def test_sentences_respect_abbreviations_and_initials():
    text = "Mr. Smith met Dr. J. Doe in the U.S. on Monday. They talked. \"Really?\" she asked.\nNew line"
    assert _texts(text, split_sentences(text)) == [
        "Mr. Smith met Dr. J. Doe in the U.S. on Monday.",
        "They talked.",
        '"Really?" she asked.',
        "New line",
    ]


def test_chunks_are_verbatim_slices_within_budget_with_overlap():
    seed = next(SEEDS.glob("*.txt"))
    doc = read_file(seed.name, seed)
    spans = chunk_text(doc.text, max_tokens=60, overlap_tokens=20)
    assert len(spans) > 3
    sentences = split_sentences(doc.text)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    for span in spans:
        piece = doc.text[span.start : span.end]
        assert piece == piece.strip() and piece  # whole sentences, trimmed
        # Chunks start and end on sentence boundaries, or on word boundaries inside a sentence
        # too long for one chunk.
        assert span.start in starts or doc.text[span.start - 1].isspace()
        assert span.end in ends or doc.text[span.end].isspace()
        inner = _texts(doc.text, split_sentences(doc.text, span.start, span.end))
        assert sum(approximate_token_counts(inner)) <= 60 or len(inner) == 1
    # Consecutive chunks overlap a little (a sentence) but always move forward.
    assert any(b.start < a.end for a, b in zip(spans, spans[1:]))
    assert all(b.start > a.start and b.end > a.end for a, b in zip(spans, spans[1:]))
    # Every word of the document is in some chunk: nothing is lost between chunks.
    covered = set()
    for c in spans:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_overlong_sentence_is_cut_at_words():
    text = " ".join(f"word{i}" for i in range(500)) + "."
    spans = chunk_text(text, max_tokens=100, overlap_tokens=0)
    assert len(spans) >= 5
    for s in spans:
        piece = text[s.start : s.end]
        assert piece.startswith("word") and not piece.endswith(" ")
    assert spans[0].start == 0 and spans[-1].end == len(text)


def test_empty_text_has_no_chunks():
    assert chunk_text("   \n  ", max_tokens=50, overlap_tokens=10) == []


def test_no_chunk_crosses_a_page_break():
    page = "The keeper lit the lamp at dusk. " * 6
    text = (page.strip() + "\n\n") * 3
    breaks = [0, len(page) + 1, 2 * (len(page) + 1)]
    whole = chunk_text(text, max_tokens=200, overlap_tokens=20)
    assert len(whole) == 1, "without breaks the three pages fit one chunk"
    chunks = chunk_text(text, max_tokens=200, overlap_tokens=20, breaks=breaks)
    assert [(c.start, c.end) for c in chunks] == [(b, b + len(page.strip())) for b in breaks]
