"""Hybrid retrieval: names and paraphrases, filters, one document not filling every slot."""

from __future__ import annotations

from datetime import date

import pytest

from embeddings import Engine, EngineSettings, InvalidRequest, retrieval


def test_rare_name_is_found_by_bm25_side(engine: Engine):
    # The small model blurs a rare name; BM25 ranks the passage naming it first, and hybrid keeps
    # that find on top.
    bm25_only = engine.search("Podolyak", k=1, mode="bm25")
    assert "Podolyak" in bm25_only[0].text
    assert "Podolyak" in engine.search("Podolyak", k=3)[0].text
    passages, texts = engine.passages("Podolyak")
    top = passages[0]
    assert top.cand.bm25_rank == 0
    assert "Podolyak" in texts[top.doc][top.spans[0, 0] : top.spans[-1, 1]]


def test_paraphrase_is_found_by_dense_side(engine: Engine):
    hits = engine.search("volcanic ash shut down an airport in Italy", k=2, mode="hybrid")
    assert hits[0].doc_id == "volcano.md"


def test_hits_are_ranked_and_point_at_verbatim_text(engine: Engine):
    hits = engine.search("grain exports from Ukraine", k=5)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    for h in hits:
        view = engine.source(h.ref)
        assert h.text in view.text


def test_filters_by_document_and_date(engine: Engine):
    only = engine.search("meeting", k=5, doc_ids=["volcano.md"])
    assert only and {h.doc_id for h in only} == {"volcano.md"}
    dated = engine.search("meeting", k=5, since=date(2022, 5, 1), until=date(2022, 6, 30))
    assert dated and {h.doc_id for h in dated} == {"000_aa59c3a3474d19f0.txt"}
    with pytest.raises(InvalidRequest, match="no document is dated on or after 2030-01-01: the only date in the "
                                             "index is 2022-06-01"):
        engine.search("meeting", k=5, since=date(2030, 1, 1))


def test_one_document_does_not_fill_every_slot(engine: Engine):
    hits = engine.search("Russia Ukraine talks grain exports Turkey", k=4)
    per_doc = {}
    for h in hits:
        per_doc[h.doc_id] = per_doc.get(h.doc_id, 0) + 1
    assert per_doc.get("000_aa59c3a3474d19f0.txt", 0) <= engine.settings.max_chunks_per_doc
    assert len(per_doc) >= 2


def test_scoring_set_adds_the_best_chunk_of_further_documents():
    # Chunks of document "a" lead the fused list; scoring 3 with at least 3 documents adds the best
    # chunk of "b" and of "c" after them (nothing scored before is dropped), the rest in fused order.
    ranked = [("a", 0), ("a", 1), ("a", 2), ("a", 3), ("b", 0), ("b", 1), ("c", 0), ("d", 0)]
    scored, rest = retrieval.scoring_set(ranked, lambda c: c[0], depth=3, min_docs=3)
    assert scored == [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("c", 0)]
    assert rest == [("a", 3), ("b", 1), ("d", 0)]
    # 0, or documents enough already: the first ``depth`` in fused order, as before.
    assert retrieval.scoring_set(ranked, lambda c: c[0], depth=3, min_docs=0) == (ranked[:3], ranked[3:])
    assert retrieval.scoring_set(ranked, lambda c: c[0], depth=6, min_docs=2) == (ranked[:6], ranked[6:])
    # Fewer documents than asked for: all of them, and no more.
    scored, rest = retrieval.scoring_set(ranked, lambda c: c[0], depth=1, min_docs=10)
    assert scored == [("a", 0), ("b", 0), ("c", 0), ("d", 0)]


def test_scored_docs_lets_more_documents_be_scored(session_index: EngineSettings):
    # The long Russia-Ukraine article's chunks lead the fused list for this question: scoring only
    # 4 passages, they fill most of them; with at least 4 documents the others' best chunks join.
    question = "Russia Ukraine talks grain exports Turkey"
    shallow = session_index.model_copy(update={"top_k": 4})
    plain = Engine(shallow.model_copy(update={"scored_docs": 0})).load().passages(question)[0]
    wider = Engine(shallow.model_copy(update={"scored_docs": 4})).load().passages(question)[0]
    docs = lambda passages: {p.doc for p in passages}  # noqa: E731
    assert len(plain) == 4 and len(docs(plain)) < 4  # one article fills several of the scored slots
    assert {p.cand.chunk for p in plain} <= {p.cand.chunk for p in wider}  # nothing scored before is lost
    assert len(docs(wider)) == 4


def test_fusion_equals_reciprocal_rank_sums_computed_by_hand(engine: Engine):
    """The fused candidates (``retrieval._candidates``' fast construction) against the textbook fusion:
    every chunk of either list once, its fused score the sum of 1 / (rrf_k + rank), best first with
    ties by chunk id, its cosine to the question and its rank in each list."""
    import numpy as np

    gen, s = engine._generation(), engine.settings
    for question in ("grain exports from Ukraine", "Podolyak", "volcanic ash at an airport in Italy"):
        q = engine._query(gen, question)
        got = retrieval.search(gen, q.vector, q.terms, candidates=s.candidates, rrf_k=s.rrf_k, nprobe=s.ivf_nprobe)
        dense = gen.dense_search(q.vector, s.candidates, nprobe=s.ivf_nprobe, filters=retrieval.Filters()).tolist()
        bm25 = gen.lexical_search(q.terms, s.candidates, filters=retrieval.Filters()).tolist()
        fused: dict[int, float] = {}
        for ranking in (dense, bm25):
            for rank, c in enumerate(ranking):
                fused[c] = fused.get(c, 0.0) + 1.0 / (s.rrf_k + rank + 1)
        order = sorted(fused, key=lambda c: (-fused[c], c))
        assert [c.chunk for c in got] == order and len(bm25) > 0
        cosines = gen.chunk_vectors(np.array(order)) @ q.vector.astype(np.float32)
        for c, cosine in zip(got, cosines):
            assert c.fused == fused[c.chunk] and c.dense == float(cosine)
            assert c.dense_rank == (dense.index(c.chunk) if c.chunk in dense else None)
            assert c.bm25_rank == (bm25.index(c.chunk) if c.chunk in bm25 else None)
