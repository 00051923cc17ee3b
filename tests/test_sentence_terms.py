"""Each sentence's terms stored at index time (``embeddings/sentence_terms.py``) against tokenizing
the sentences at query time, the path they replace and that older indexes keep until upgraded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings import Engine, evidence, retrieval, sentence_terms, store
from embeddings.evidence import Passage, Query
from embeddings.lexical import terms, tokens
from embeddings.sentences import sections_above

QUESTIONS = [
    "what did Peskov say about a meeting?",
    "How many hours was Catania airport closed?",
    "When did grain exports from Odesa resume?",
    "Who approves expenses?",
    "How much corn did the Razoni carry to Lebanon?",
    "what does the picnic notice ask of members?",
]


def _passage_fields(p: Passage) -> tuple:
    return (p.cand.chunk, p.doc, p.spans.tolist(), p.cos.tolist(), p.coverage.tolist(), p.score.tolist(),
            p.p.tolist(), p.passage_score, p.passage_coverage, p.typed.tolist(), p.numbers_missing,
            p.novel.tolist(), p.surprise, p.focus.tolist())


def _scored(gen: store.Generation, questions: list[str], engine: Engine) -> list[list[tuple]]:
    out = []
    for question in questions:
        q = Query.make(question, engine.embed_query(question))
        cands = retrieval.search(gen, q.vector, q.terms, candidates=50, rrf_k=60, nprobe=128)[:12]
        out.append([_passage_fields(p) for p in evidence.score(gen, q, cands, {}, params=engine.evidence_params)])
    return out


def _answer(answer) -> tuple:
    return answer.message, answer.evidence, [e.model_dump() for e in answer.excerpts]


def _without_terms(path: Path) -> store.Generation:
    gen = store.Generation(path)
    gen._sentence_terms = None  # what a generation written before they were stored reads
    return gen


def test_stored_terms_equal_the_tokenizer_for_every_sentence(engine: Engine):
    """Each sentence's terms, its number flag and the terms of its section's heading, as the text gives them."""
    gen = engine.generation
    assert gen._sentence_terms is not None and len(gen._sentence_terms) == len(gen.sentences)
    get = gen.lexical.vocabulary.get
    under_heading = 0
    for pos in range(gen.documents):
        text = gen.doc_text(pos)
        cids = gen.chunk_ids(pos).tolist()
        stored = gen._sentence_terms.rows(gen._sentence_rows(cids)[0])
        spans = gen.sentences_of(cids)[0].spans.tolist()
        sections = sections_above(text, [a for a, _, _ in spans])
        for i, (a, b, _) in enumerate(spans):
            sentence = text[a:b]
            expected = sorted({get(t) for t in terms([sentence])[0]})
            assert stored.ids[stored.offsets[i]:stored.offsets[i + 1]].tolist() == expected, sentence
            assert stored.numbers[i] == evidence.holds_number(sentence, tokens([sentence])[0]), sentence
            heading = sorted({get(t) for t in terms([sections[i]])[0]}) if sections[i] else []
            got = stored.heading_ids[stored.heading_offsets[i]:stored.heading_offsets[i + 1]].tolist()
            assert got == heading, (sentence, sections[i])
            under_heading += bool(heading)
    assert under_heading >= 4  # volcano.md's and everyone.md's sentences lie under their headings


def test_a_question_word_in_a_heading_is_read_from_the_stored_terms(engine: Engine):
    """"notice" is only in everyone.md's heading ("Server etiquette notice"): its sentences hold it there."""
    gen = engine.generation
    pos = next(p for p in range(gen.documents) if gen.doc_id(p) == "everyone.md")
    matches = gen.sentence_matches(gen.chunk_ids(pos).tolist(), {"notic", "picnic"})
    assert matches is not None
    prose = [i for i, found in enumerate(matches.found) if "picnic" in found]
    assert len(prose) == 2  # the heading itself is a row too
    assert all(matches.in_heading[i] == {"notic"} and "notic" not in matches.found[i] for i in prose)


def test_evidence_from_stored_terms_equals_tokenizing(engine: Engine):
    """The same scores, probabilities and features, to the last bit, for every candidate sentence."""
    gen = engine.generation
    assert gen.sentence_matches([0], ["x"]) is not None  # the fixture index stores them
    stored = _scored(gen, QUESTIONS, engine)
    tokenized = _scored(_without_terms(gen.path), QUESTIONS, engine)
    assert sum(len(s) for s in stored) > 30  # the questions reached many passages
    assert stored == tokenized


def test_a_sentence_with_a_term_outside_the_vocabulary_is_tokenized(engine: Engine):
    """A term without an id (``UNKNOWN``) sends its sentence, and only it, back to its text."""
    gen = store.Generation(engine.generation.path)
    vocabulary = gen.lexical.vocabulary
    docs = [(gen.doc_text(pos), [tuple(r) for r in
             gen.sentences_of(gen.chunk_ids(pos).tolist())[0].spans[:, :2].tolist()]) for pos in range(gen.documents)]
    gen._sentence_terms = sentence_terms.build(docs, lambda t: None if t in ("airport", "odesa") else vocabulary.get(t))
    assert int((gen._sentence_terms.ids == sentence_terms.UNKNOWN).sum()) >= 2
    assert _scored(gen, QUESTIONS, engine) == _scored(_without_terms(gen.path), QUESTIONS, engine)


@pytest.mark.parametrize("missing", [store.SENTENCE_TERM_FILES, store.SENTENCE_TERM_FILES[3:]],
                         ids=["no-terms", "no-headings"])
def test_an_index_written_before_gets_its_terms_from_the_next_index(
        engine: Engine, session_index, tmp_path, missing: tuple[str, ...]):
    """Without the files it answers by tokenizing (same answers); with the sentences' terms but not
    their headings' (written before headings were stored) it reads the terms and finds the headings in
    the text (same answers); ``docbot index`` with nothing to change then derives them all into
    ``derived/``, equal to what a new index writes."""
    data = tmp_path / "data"
    shutil.copytree(session_index.data_dir, data, symlinks=True)
    gen_path = data / "generations" / store.read_pointer(data)
    written = [np.load(gen_path / name) for name in store.SENTENCE_TERM_FILES]
    manifest = json.loads((gen_path / "manifest.json").read_text())
    for name in missing:
        (gen_path / name).unlink()
        del manifest["files"][name]
    (gen_path / "manifest.json").write_text(json.dumps(manifest))
    settings = session_index.model_copy(update={"data_dir": data})

    older = Engine(settings).load()
    matches = older.generation.sentence_matches([0], ["x"])
    if len(missing) == len(store.SENTENCE_TERM_FILES):
        assert matches is None
    else:
        assert matches is not None and matches.in_heading is None
    before = older.ask(QUESTIONS[1])
    assert before.answered and before.excerpts
    assert _answer(before) == _answer(engine.ask(QUESTIONS[1]))

    report = Engine(settings).reindex()
    assert not report.published  # nothing changed: the same generation, upgraded in place
    derived = [np.load(gen_path / store.DERIVED_DIR / name) for name in store.SENTENCE_TERM_FILES]
    for a, b in zip(written, derived):
        assert np.array_equal(a, b)
    upgraded = Engine(settings).load()
    matches = upgraded.generation.sentence_matches([0], ["x"])
    assert matches is not None and matches.in_heading is not None
    assert _answer(upgraded.ask(QUESTIONS[1])) == _answer(before)
    assert store.verify(data).intact  # the derived folder is no damage

    stamps = [(gen_path / store.DERIVED_DIR / name).stat().st_mtime_ns for name in store.SENTENCE_TERM_FILES]
    Engine(settings).reindex()  # derived once, not at every index
    assert stamps == [(gen_path / store.DERIVED_DIR / name).stat().st_mtime_ns for name in store.SENTENCE_TERM_FILES]

    # A derived table that disagrees with the sentences (not checksummed) is ignored, not trusted.
    np.save(gen_path / store.DERIVED_DIR / "sentence_numbers.npy", np.zeros(3, dtype=bool))
    np.save(gen_path / store.DERIVED_DIR / "sentence_term_offsets.npy", np.zeros(4, dtype=np.int64))
    mismatched = Engine(settings).load()
    matches = mismatched.generation.sentence_matches([0], ["x"])
    if len(missing) == len(store.SENTENCE_TERM_FILES):
        assert matches is None
    else:  # the generation's own terms, without headings
        assert matches is not None and matches.in_heading is None
    assert _answer(mismatched.ask(QUESTIONS[1])) == _answer(before)


def test_damaged_term_files_are_reported(session_index, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(session_index.data_dir, data, symlinks=True)
    gen_path = data / "generations" / store.read_pointer(data)
    with open(gen_path / "sentence_terms.npy", "ab") as fh:
        fh.write(b"\0" * 8)
    with pytest.raises(store.IndexDamaged, match="sentence_terms.npy"):
        store.Generation(gen_path)


def test_matches_equal_set_membership_sentence_by_sentence():
    """``SentenceTerms.matches``' look-up table against plain sets: ids below, between and above the
    wanted ones, ``UNKNOWN`` ids, empty sentences, a wanted id of 0 and the largest id."""
    rng = np.random.default_rng(5)
    sentences = [sorted(set(rng.integers(-1, 400, size=int(rng.integers(0, 12))).tolist())) for _ in range(300)]
    offsets = np.zeros(len(sentences) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sentences], out=offsets[1:])
    flat = np.array([i for s in sentences for i in s], dtype=np.int32)
    headings = sentences[::-1]  # other lists of the same kinds, as the headings' terms
    heading_offsets = np.zeros(len(headings) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in headings], out=heading_offsets[1:])
    table = sentence_terms.SentenceTerms(flat, offsets, rng.random(len(sentences)) < 0.3,
                                         np.array([i for s in headings for i in s], dtype=np.int32), heading_offsets)
    assert table.consistent()
    for wanted_ids in ([0], [399], [3, 17, 250], list(range(0, 400, 7)), [1000]):
        wanted = {i: f"t{i}" for i in wanted_ids}
        got = table.matches(wanted)
        assert got.found == [{wanted[i] for i in s if i in wanted} for s in sentences]
        assert got.in_heading == [{wanted[i] for i in s if i in wanted} for s in headings]
        assert got.unknown.tolist() == [sentence_terms.UNKNOWN in s or sentence_terms.UNKNOWN in h
                                        for s, h in zip(sentences, headings)]
        assert got.counts.tolist() == [len(s) for s in sentences]
        # Every term of every sentence, marked where it is wanted (what ``evidence.focus`` counts).
        assert [got.ids[got.offsets[i]:got.offsets[i + 1]].tolist() for i in range(len(sentences))] == sentences
        assert got.asked.tolist() == [i in wanted for s in sentences for i in s]
    # A table written before the headings were stored: the same terms, no headings.
    older = sentence_terms.SentenceTerms(flat, offsets, table.numbers)
    assert older.consistent() and older.rows(np.array([3, 1])).heading_ids is None
    got = older.matches({17: "t17"})
    assert got.in_heading is None and got.found == [{"t17"} if 17 in s else set() for s in sentences]
    rows = np.array([5, 0, 299, 5])
    part = table.rows(rows)
    assert part.consistent() and part.matches({3: "t3"}).in_heading == [
        {"t3"} if 3 in headings[r] else set() for r in rows.tolist()]
