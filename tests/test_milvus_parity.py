"""The Milvus backend answers as the local one does: the same BM25 vocabulary and a null profile kept with
the generation.

The abstention charges a question's uncommon words that no document holds ("helm" in "Is there an official
Helm chart?") and respells a word into the form the documents use ("organizing" -> "organised"); both read
the generation's vocabulary (``IndexView.corpus_terms``), which a Milvus generation keeps in rows of its own.
The null profile (``embeddings.null``) is measured once per generation, by whichever process first needs
it, and read by the others. Milvus Lite runs in this process on a file of the test's own.
"""

from __future__ import annotations

import json
import shutil

from benchmarks.store_parity import as_before_the_vocabulary
from embeddings import Engine
from embeddings.engine import Engine as EngineClass
from embeddings.lexical import terms
from tests.conftest import ROOT
from tests.milvus_fixtures import require_milvus

COMMUNITY = ROOT / "benchmarks" / "data" / "community"  # read by benchmarks.store_parity too
HELM = "Is there an official Helm chart for running Orbit on Kubernetes?"  # no note says "helm"
# The second asks in the other spelling of the note's "organised" (embeddings.spelling reads the vocabulary).
ANSWERABLE = [("How much RAM do I need to run Orbit?", "faq.md", "at least 4 GB of RAM"),
              ("Who is organizing the Berlin meetup?", "events.md", "organised by Felix Brandt")]
VOLCANO_QUESTION = "When did Mount Etna erupt?"


def _probe_words(engine: Engine) -> set[str]:
    """Every term of the documents' titles and texts and of the benchmark's questions, and the Milvus
    vocabulary's own: what both backends are asked about."""
    gen = engine.generation
    texts = [gen.title(p) + "\n" + gen.doc_text(p) for p in range(gen.documents)]
    questions = [json.loads(line)["question"]
                 for line in (ROOT / "benchmarks" / "data" / "community_questions.jsonl").read_text().splitlines()]
    words = {t for ts in terms(texts + questions) for t in ts}
    return words | set(getattr(gen, "vocabulary", lambda: None)() or ())


def _same_vocabulary(local: Engine, milvus: Engine) -> set[str]:
    probe = _probe_words(local) | _probe_words(milvus)
    held = milvus.generation.corpus_terms(probe)
    assert held is not None
    assert held == local.generation.corpus_terms(probe)
    assert probe - held  # the questions' words include some no document holds
    # The words most passages hold, which a question is searched without (``embeddings.pervasive``): Milvus
    # keeps no postings, so its generation counts them as it is written.
    assert milvus.generation.pervasive_terms(probe) == local.generation.pervasive_terms(probe) == {"orbit"}
    return held


def test_milvus_refuses_and_answers_as_local_does_over_the_same_documents(fresh, tmp_path):
    require_milvus()
    docs = tmp_path / "community"
    shutil.copytree(COMMUNITY, docs)
    local = Engine(fresh(docs=docs))
    milvus = Engine(fresh(docs=docs, store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db")))
    local.index()
    milvus.index()

    for engine in (local, milvus):
        assert not engine.ask(HELM).answered, engine.backend.location
    for question, doc, phrase in ANSWERABLE:
        quoted = [[(e.doc_id, e.start, e.end) for e in engine.ask(question).excerpts] for engine in (local, milvus)]
        assert quoted[0] and quoted[0] == quoted[1], question  # the same quotes of the same documents
        assert doc in {d for d, _, _ in quoted[1]} and phrase in milvus.source(doc).text, question
    held = _same_vocabulary(local, milvus)
    assert "helm" not in held and "organis" in held and "organiz" not in held

    # An update copies the unchanged documents' chunks: the new generation's vocabulary is still its own.
    (docs / "helm.md").write_text("# Kubernetes\n\nThe official Helm chart for running Orbit on Kubernetes lives "
                                  "in the orbit-helm repository.\n")
    for engine in (local, milvus):
        assert engine.index().added == ["helm.md"]
    assert "helm" in _same_vocabulary(local, milvus)
    assert milvus.ask(HELM).answered

    for engine in (local, milvus):
        assert engine.remove(["helm.md"]).removed == ["helm.md"]
    assert "helm" not in _same_vocabulary(local, milvus)
    assert not milvus.ask(HELM).answered


def test_a_second_milvus_engine_reads_the_null_profile_and_an_old_generation_still_answers(
    fresh, tmp_path, monkeypatch
):
    require_milvus()
    settings = fresh(store="milvus", milvus_uri=str(tmp_path / "milvus" / "index.db"))
    first = Engine(settings)
    measured: list[str] = []
    measure = EngineClass._measure_null

    def counting(self, gen):
        measured.append(gen.name)
        return measure(self, gen)

    monkeypatch.setattr(EngineClass, "_measure_null", counting)
    first.index()  # measures the profile right after publishing, and keeps it in Milvus
    name = first.generation.name
    assert measured == [name]
    profile = first.null_profile(first.generation)
    assert profile is not None

    second = Engine(settings)  # another process's engine: its own connection, nothing in memory
    assert "volcano.md" in {s.doc_id for s in second.ask(VOLCANO_QUESTION).sources}
    assert measured == [name]  # read, not measured again
    assert second.null_profile(second.generation) == profile

    # A generation written before the vocabulary and the profile were kept in Milvus: a manifest row without
    # the vocabulary's counts, no vocabulary or derived rows. It answers; the profile is measured once again.
    # Vocabulary rows lost: named by `stats --verify`; questions are answered without the absent words.
    client, docs = first.backend.client, f"{name}_docs"
    rows = client.query(docs, filter="doc_pos == -2", output_fields=["*"])
    client.delete(docs, filter="doc_pos == -2")
    damaged = Engine(settings)
    assert damaged.ask(VOLCANO_QUESTION).answered and damaged.generation.corpus_terms(["etna"]) is None
    assert "BM25 vocabulary cannot be read" in (damaged.verify().generations[0].problem or "")
    client.insert(docs, rows)
    assert Engine(settings).load().generation.corpus_terms(["etna", "helm"]) == {"etna"}

    as_before_the_vocabulary(first)
    old = Engine(settings)
    answer = old.ask(VOLCANO_QUESTION)
    assert answer.answered and "volcano.md" in {s.doc_id for s in answer.sources}
    assert old.generation.corpus_terms(["etna", "helm"]) is None
    assert measured == [name, name]
    assert old.null_profile(old.generation) == profile
    assert {g.problem for g in old.verify().generations} == {None}
