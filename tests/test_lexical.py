"""The fast tokenizer path gives exactly bm25s' terms, so BM25 queries match the index."""

from __future__ import annotations

import bm25s

from embeddings.lexical import _stemmer, terms
from tests.conftest import EXTRA_DOCS, SEEDS

TEXTS = [
    *EXTRA_DOCS.values(),
    *(p.read_text() for p in SEEDS.glob("*.txt")),
    "What did Peskov say about the meetings? He said they'd meet — children, women & men.",
    "",
    "a I x",  # single letters are no terms
    "Ünïcode wörds, CAPITALS and numbers 2022 1,000 $5",
]


def test_terms_equal_bm25s_tokenize():
    expected = bm25s.tokenize(TEXTS, stopwords="en_plus", stemmer=_stemmer(), return_ids=False,
                              show_progress=False)
    assert terms(TEXTS) == [list(t) for t in expected]


def test_irregular_forms_meet_their_stems():
    said, say = terms(["Peskov said", "what did Peskov say"])
    assert said == say
