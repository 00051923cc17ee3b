"""Hybrid retrieval: names and paraphrases, filters, one document not filling every slot."""

from __future__ import annotations

from datetime import date

from embeddings import Engine, EngineSettings, retrieval


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
    assert engine.search("meeting", k=5, since=date(2030, 1, 1)) == []


def test_one_document_does_not_fill_every_slot(engine: Engine):
    hits = engine.search("Russia Ukraine talks grain exports Turkey", k=4)
    per_doc = {}
    for h in hits:
        per_doc[h.doc_id] = per_doc.get(h.doc_id, 0) + 1
    assert per_doc.get("000_aa59c3a3474d19f0.txt", 0) <= engine.settings.max_chunks_per_doc
    assert len(per_doc) >= 2


def test_scoring_set_caps_one_documents_chunks():
    # Chunks 0-3 of document "a" lead the fused list; with a cap of 2 the scoring depth of 4 reaches
    # documents "b" and "c", and a's capped chunks lead the unscored rest, in fused order.
    ranked = [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("a", 3), ("c", 0), ("d", 0)]
    scored, rest = retrieval.scoring_set(ranked, lambda c: c[0], depth=4, max_per_doc=2)
    assert scored == [("a", 0), ("a", 1), ("b", 0), ("c", 0)]
    assert rest == [("a", 2), ("a", 3), ("d", 0)]
    # No cap: the first ``depth`` in fused order, as before.
    assert retrieval.scoring_set(ranked, lambda c: c[0], depth=4, max_per_doc=0) == (ranked[:4], ranked[4:])
    # Too few other documents: the capped chunks fill the depth rather than leave it short.
    scored, rest = retrieval.scoring_set(ranked[:3], lambda c: c[0], depth=3, max_per_doc=1)
    assert scored == ranked[:3] and rest == []


def test_scored_per_doc_lets_more_documents_be_scored(session_index: EngineSettings):
    # The long Russia-Ukraine article's chunks lead the fused list for this question: scoring only
    # 4 passages, they fill every one unless one document may fill at most one.
    question = "Russia Ukraine talks grain exports Turkey"
    shallow = session_index.model_copy(update={"top_k": 4})
    uncapped = Engine(shallow).load().passages(question)[0]
    capped = Engine(shallow.model_copy(update={"scored_per_doc": 1})).load().passages(question)[0]
    docs = lambda passages: [p.doc for p in passages]  # noqa: E731
    assert len(uncapped) == len(capped) == 4
    assert len(set(docs(uncapped))) < 4  # one article fills several of the scored slots
    assert sorted(set(docs(capped))) == sorted(docs(capped))  # each document once
