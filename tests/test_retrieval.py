"""Hybrid retrieval: names and paraphrases, filters, one document not filling every slot."""

from __future__ import annotations

from datetime import date

from embeddings import Engine


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
