"""Every faster path of a question against the reference it replaced (no timings: README, Speed).

Sentence scoring for all candidates at once against one sentence at a time, the memory-mapped FAISS
index against the loaded one, the lazily read chunk layout against the chunks table, the question
cache against embedding again, the word-frequency table against wordfreq, the documents' texts read
only where quoted against reading them all, and the CPU helpers.
"""

from __future__ import annotations

import dataclasses
import math
import random
import sqlite3
import threading

import faiss
import numpy as np
import pytest

from embeddings import Engine, cpu, evidence, rarity, retrieval, vector_index
from embeddings.encoder import token_batches
from embeddings.evidence import LEAD_CHARS, Passage, Query, _coverage, apply, apply_all, probability
from embeddings.lexical import is_stop_word, terms, tokens
from embeddings.variants import held_as_variant
from embeddings.sentences import Kind

QUESTIONS = [
    "what did Peskov say about a meeting?",
    "How many hours was Catania airport closed?",
    "grain exports from Odesa",
    "Who approves expenses?",
    "Is there an official Helm chart for the grain exports?",  # an absent word ("helm")
    "What did Dmitry Peskov say about Volodymyr Zelenskyy?",  # names: uncommon words side by side
]


def _reference_sentences(engine: Engine, q: Query, cands: list[retrieval.Candidate]) -> list[dict]:
    """Each sentence's cosine, coverage and score, computed one sentence at a time from the formulas."""
    gen, params = engine.generation, engine.evidence_params
    total = sum(q.weights.values())
    crowd = float(np.mean([c.dense for c in cands]))
    scale = math.sqrt(2.0 * math.log(max(gen.size, 2)))
    out = []

    def passage_words(c: retrieval.Candidate) -> tuple[set[str], list[str]]:
        text, spans = gen.doc_text(gen.doc_of(c.chunk)), gen.chunk_sentences(c.chunk)[0].tolist()
        return ({t for a, b, _ in spans for t in terms([text[a:b]])[0]},
                [w for a, b, _ in spans for w in tokens([text[a:b]])[0]])

    held = [passage_words(c) for c in cands]
    # the rarity above common of the question's words no document holds, in this spelling or in another
    # one some scored passage holds (evidence.absent_words): one value for the question
    absent = sum(w - evidence.COMMON_RARITY for t, w in q.weights.items()
                 if w > evidence.COMMON_RARITY and not any(ch.isdigit() for ch in t) and not is_stop_word(t)
                 and not gen.corpus_terms([t])
                 and not any(held_as_variant(t, ts, toks) for ts, toks in held))
    for c in cands:
        doc = gen.doc_of(c.chunk)
        text = gen.doc_text(doc)
        spans, codes, scales = gen.chunk_sentences(c.chunk)
        sentence_terms = [set(terms([text[a:b]])[0]) for a, b, _ in spans.tolist()]
        everywhere = set(terms([gen.title(doc)])[0]).union(*sentence_terms)
        pcov = _coverage(q.weights, total, everywhere, frozenset(), 0.0)
        numbers_missing = float(any(t not in everywhere for t in q.weights if any(ch.isdigit() for ch in t)))
        length = sum(len(st) for st in sentence_terms)
        # -log10 of the chance passages expected to share these words (evidence.surprise)
        chance = sum(max(0.0, 1 + w - math.log10(max(length, 1))) for t, w in q.weights.items() if t in everywhere)
        # ... and side by side, a pair of the question's uncommon words is one chance in length, not two
        sentence_stems = [[q.aliases.get(t, t) for t in terms([text[a:b]])[0]] for a, b, _ in spans.tolist()]
        side_by_side = {pair for ts in sentence_stems for pair in zip(ts, ts[1:])}
        chance += len(q.phrases & side_by_side) * math.log10(max(length, 1))
        chance -= math.log10(gen.size)
        for i, (a, b, kind) in enumerate(spans.tolist()):
            cos = float(codes[i].astype(np.float32) @ q.vector.astype(np.float32)) * float(scales[i])
            out.append({"chunk": c.chunk, "cos": cos, "passage_coverage": pcov, "kind": kind,
                        "sentence_terms": sentence_terms[i], "crowd": crowd, "scale": scale,
                        "numbers_missing": numbers_missing, "surprise": chance, "absent": absent,
                        "novel": math.log1p(len(sentence_terms[i] - set(q.weights))),
                        "agree": c.dense_rank is not None and c.bm25_rank is not None, "cand": c,
                        "params": params, "start": a, "dated": gen.doc_date(doc) is not None})
    return out


def test_sentences_scored_at_once_equal_one_at_a_time(engine: Engine):
    gen = engine.generation
    for question in QUESTIONS:
        q = Query.make(question, engine.embed_query(question))
        cands = retrieval.search(gen, q.vector, q.terms, candidates=50, rrf_k=60, nprobe=128)[:12]
        passages = evidence.score(gen, q, cands, {})
        assert [p.cand.chunk for p in passages] == [c.chunk for c in cands]
        flat = [(p, i) for p in passages for i in range(len(p.cos))]
        reference = _reference_sentences(engine, q, cands)
        assert len(flat) == len(reference)
        for (p, i), ref in zip(flat, reference):
            assert p.cand.chunk == ref["chunk"]
            assert p.cos[i] == pytest.approx(ref["cos"], abs=1e-6)
            assert p.passage_coverage == pytest.approx(ref["passage_coverage"])
            c, params = ref["cand"], ref["params"]
            expected = (p.cos[i] + params.coverage * p.coverage[i] + params.chunk * c.dense
                        + params.fused * c.fused * 60.0 + params.answer_type * p.typed[i])
            if ref["kind"] in (Kind.CAPTION, Kind.LINK):
                expected -= params.caption_penalty
            prob = probability(np.array([p.cos[i]]), np.array([p.coverage[i]]), c.dense, ref["agree"],
                               p.passage_coverage, ref["crowd"], ref["scale"], params,
                               ref["numbers_missing"], ref["novel"], ref["surprise"], absent=ref["absent"])[0]
            if ref["dated"]:  # the lead prior, for an article (an undated note's opening is a preamble)
                expected += params.lead * prob * math.exp(-ref["start"] / LEAD_CHARS)
            if ref["kind"] == Kind.HEADING:
                assert p.score[i] == -np.inf and p.p[i] == 0.0
            else:
                assert p.ranking[i] == pytest.approx(expected, abs=1e-12)  # what ranks the passage
                assert p.score[i] == pytest.approx(expected + params.focus * prob * p.focus[i], abs=1e-12)
                assert p.p[i] == pytest.approx(prob, abs=1e-12)


def test_apply_all_equals_apply_per_passage(engine: Engine):
    passages, _ = engine.passages("what did Peskov say about a meeting?")
    params = dataclasses.replace(engine.evidence_params, coverage=0.2, fused=1.0, margin=0.12)
    one = [apply(dataclasses.replace(p), params) for p in passages]
    together = apply_all([dataclasses.replace(p) for p in passages], params)
    for a, b in zip(one, together):
        assert np.array_equal(a.score, b.score) and np.array_equal(a.p, b.p)
        assert a.passage_score == b.passage_score
    assert apply_all([], params) == []
    empty = Passage.unscored(passages[0].cand, passages[0].doc)
    assert apply(empty, params).passage_score == pytest.approx(
        passages[0].cand.dense * (1 + params.chunk) + params.fused * passages[0].cand.fused * 60.0)


def test_passage_scores_found_at_once_equal_each_passages_best_sentence(engine: Engine):
    """``apply_all``'s passage scores (every passage's best sentence found in one pass) against
    ``_passage_score`` on each passage, with a passage without sentences among the others and one
    whose every sentence is a heading (both fall back to the chunk's match)."""
    passages, _ = engine.passages("How many hours was Catania airport closed?")
    params = engine.evidence_params
    headings_only = dataclasses.replace(passages[1], spans=passages[1].spans.copy())
    headings_only.spans[:, 2] = int(Kind.HEADING)
    mixed = [dataclasses.replace(passages[0]), Passage.unscored(passages[2].cand, passages[2].doc), headings_only,
             *[dataclasses.replace(p) for p in passages[3:]]]
    apply_all(mixed, params)
    for p in mixed:
        assert p.passage_score == evidence._passage_score(p, params)
        if len(p.score):  # the best sentence without its focus bonus, which chooses quotes only
            assert p.passage_score == (float(p.ranking.max()) if np.isfinite(p.score).any() else
                                       p.cand.dense * (1 + params.chunk) + params.fused * p.cand.fused * 60.0)
    assert not np.isfinite(headings_only.score).any() and np.isfinite(mixed[0].passage_score)


def test_sentences_of_many_chunks_equal_each_chunk_alone(engine: Engine):
    gen = engine.generation
    cids = [5, 0, gen.size - 1, 3, 3]
    together, bounds = gen.sentences_of(cids)
    for i, cid in enumerate(cids):
        alone = gen.chunk_sentences(cid)
        lo, hi = bounds[i], bounds[i + 1]
        assert np.array_equal(together.spans[lo:hi], alone.spans)
        assert np.array_equal(together.codes[lo:hi], alone.codes)
        assert np.array_equal(together.scales[lo:hi], alone.scales)
    spans, bounds = gen.sentences_of([])
    assert len(spans.spans) == 0 and bounds.tolist() == [0]


def test_chunk_layout_read_lazily_equals_the_chunks_table(engine: Engine):
    gen = engine.generation
    con = sqlite3.connect(gen.path / "store.sqlite")
    rows = con.execute("SELECT id, doc_pos, ord, start, end FROM chunks ORDER BY id").fetchall()
    assert len(rows) == gen.size
    for cid, doc, ord_, start, end in rows:
        assert tuple(gen.chunk(cid)) == (doc, ord_, start, end)
        assert gen.chunk_number(cid) == ord_  # an answer's doc#N, without reading SQLite
        assert gen.doc_of(cid) == doc
    for pos in range(gen.documents):
        assert [tuple(c) for c in gen.doc_chunks(pos)] == [r[1:] for r in rows if r[1] == pos]
        length = con.execute("SELECT length(text) FROM documents WHERE pos = ?", (pos,)).fetchone()[0]
        assert gen.doc_info(pos).chars == length
    with pytest.raises(IndexError):
        gen.chunk(gen.size)
    with pytest.raises(IndexError):
        gen.chunk_number(gen.size)


def test_memory_mapped_ivf_searches_as_the_loaded_index(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for exact_max in (10_000, 1000):  # flat, then IVF
        built = vector_index.build(x, exact_max=exact_max)
        path = tmp_path / f"{exact_max}.faiss"
        vector_index.save(built, path)
        mapped, loaded = vector_index.load(path), faiss.read_index(str(path))
        for q in x[:25]:
            a = vector_index.search(mapped, q, 10, nprobe=8)
            b = vector_index.search(loaded, q, 10, nprobe=8)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        # The centroids of a mapped index are reused by the next build, which keeps them.
        again = vector_index.build(x[:3990], exact_max=exact_max, previous=mapped)
        if exact_max == 1000:
            assert np.array_equal(again.quantizer.reconstruct_n(0, again.nlist),
                                  loaded.quantizer.reconstruct_n(0, loaded.nlist))


def test_a_repeated_question_reuses_its_vector(session_index):
    engine = Engine(session_index).load()
    first = engine.embed_query("what did Peskov say about a meeting?")
    again = engine.embed_query("what did Peskov say about a meeting?")
    assert again is first and not first.flags.writeable
    fresh = Engine(session_index.model_copy(update={"query_cache_size": 0})).load()
    assert np.array_equal(fresh.embed_query("what did Peskov say about a meeting?"), first)
    assert engine.ask("what did Peskov say about a meeting?").excerpts == fresh.ask(
        "what did Peskov say about a meeting?").excerpts
    engine.forget_questions()  # benchmarks time the embedding again after this
    recomputed = engine.embed_query("what did Peskov say about a meeting?")
    assert recomputed is not first and np.array_equal(recomputed, first)


def test_the_question_cache_keeps_the_most_recently_asked():
    """``query_cache_size`` vectors at most, the least recently asked dropped first; 0 keeps none."""
    from embeddings.engine import _VectorCache

    embedded: list[str] = []

    def embed(text: str) -> np.ndarray:
        embedded.append(text)
        return np.full(2, len(embedded), dtype=np.float32)

    cache = _VectorCache(2, embed)
    first = cache("a")
    cache("b")
    assert cache("a") is first and embedded == ["a", "b"]  # asked again: not embedded again
    cache("c")  # "b" is now the least recently asked
    assert "a" in cache and "c" in cache and "b" not in cache
    cache("b")
    assert embedded == ["a", "b", "c", "b"] and "a" not in cache
    cache.clear()
    assert "b" not in cache and "c" not in cache
    none = _VectorCache(0, embed)
    none("x"), none("x")
    assert "x" not in none and embedded[-2:] == ["x", "x"]


def test_a_question_embedded_alone_equals_it_in_a_batch(session_index):
    """The one-text path (no sorting, no padding mask) gives the batch path's vector bit for bit."""
    from embeddings.encoder import OnnxEncoder
    from embeddings.indexer import onnx_dir

    for precision in ("int8", "fp32"):
        enc = OnnxEncoder(onnx_dir(session_index), precision=precision)
        for question in QUESTIONS:
            alone = enc.encode([question])
            batch = enc._encode_batch([question, question])  # the general path: padded, masked
            assert alone.shape == (1, enc.dimension) and alone.dtype == np.float32
            assert np.allclose(alone[0], batch[0], atol=1e-6)
        if precision == "fp32":  # (int8 quantises a batch by its whole range: padding moves it)
            longer = "grain exports from Odesa resumed in August after months of blockade"
            mixed = enc.encode([QUESTIONS[2], longer])  # padded: the short one's mask has zeros
            assert float(mixed[0] @ enc.encode([QUESTIONS[2]])[0]) > 0.9999


def test_document_texts_read_at_once_equal_each_alone(engine: Engine):
    gen = engine.generation
    positions = [3, 0, gen.documents - 1, 3]
    texts = gen.doc_texts(positions, {})
    assert texts == {p: gen.doc_text(p) for p in positions}
    kept = {0: "already read"}
    assert gen.doc_texts([0, 1], kept)[0] == "already read" and kept[1] == gen.doc_text(1)
    with pytest.raises(ValueError, match="no text for document"):
        gen.doc_texts([gen.documents], {})


def test_sentences_ranked_at_once_equal_sorting_each(engine: Engine):
    """answer's one argsort of every sentence against the reference: a stable sort, one sentence at a time."""
    from embeddings.answer import _ranked

    for question in QUESTIONS:
        passages, _ = engine.passages(question)
        passages[1].score[0] = passages[0].score[0]  # a tie: the earlier passage comes first
        reference = sorted(((p, i) for p in passages for i in range(len(p.score)) if np.isfinite(p.score[i])),
                           key=lambda pi: -pi[0].score[pi[1]])
        fast = _ranked(passages)
        assert [(id(p), i) for p, i in fast] == [(id(p), i) for p, i in reference]
    assert _ranked([]) == []


def test_a_question_embedded_beside_bm25_gets_the_same_answer(session_index, monkeypatch: pytest.MonkeyPatch):
    """BM25 searched on another thread while the asking one embeds gives what one thread doing both
    gives: the same answers, and the same hits in every mode that overlaps (hybrid and bm25; a dense or
    filtered question never does) and for more hits than the candidates; off, no thread is started.
    A question asked again (its vector cached) has nothing to overlap and is not."""
    monkeypatch.setattr("embeddings.engine.available_cores", lambda: 2)  # a 1-core runner too,
    monkeypatch.setattr("embeddings.engine.idle_cores", lambda: 2)  # and a busy one
    # Five candidates a retriever, so that asking for more hits than that means something on this index.
    few = session_index.model_copy(update={"candidates": 5})
    beside = Engine(few.model_copy(update={"query_cache_size": 0})).load()  # every call overlaps
    alone = Engine(few.model_copy(update={"query_overlap": False})).load()
    overlapped: list[bool] = []
    first_query = beside._first_query

    def spy(*args, **kwargs):
        query, found = first_query(*args, **kwargs)
        overlapped.append(found is not None)
        return query, found

    monkeypatch.setattr(beside, "_first_query", spy)
    doc = beside.generation.doc_id(0)
    many = 12
    for question in QUESTIONS:
        a, b = beside.ask(question), alone.ask(question)
        assert (a.excerpts, a.sources, a.evidence) == (b.excerpts, b.sources, b.evidence)
        # Overlapped: the embedding, then the wait for BM25 (its terms inside it); one thread: in turn.
        assert list(a.timings_ms)[:2] == ["embed", "bm25"] and list(b.timings_ms)[:2] == ["embed", "terms"]
        overlapped.clear()
        for mode, k in (("hybrid", 8), ("bm25", 8), ("hybrid", many), ("dense", 8)):
            assert beside.search(question, k=k, mode=mode) == alone.search(question, k=k, mode=mode)
        assert beside.search(question, k=3, doc_ids=[doc]) == alone.search(question, k=3, doc_ids=[doc])
        assert overlapped == [True, True, True, False, False]
    assert beside._beside is not None and alone._beside is None
    threads = {t.name for t in threading.enumerate()}
    assert any(name.startswith("docbot-question") for name in threads)
    cached = Engine(session_index).load()
    first = cached.ask(QUESTIONS[0])
    again = cached.ask(QUESTIONS[0])
    assert list(first.timings_ms)[:2] == ["embed", "bm25"] and list(again.timings_ms)[:2] == ["embed", "terms"]
    assert again.excerpts == first.excerpts


def test_numbers_found_from_the_words_equal_the_expression(engine: Engine):
    """``holds_number`` (a set look-up for ASCII text) against ``_NUMBER.search`` on every sentence
    of the test index and on edge cases: case, digits of other scripts, word boundaries, folding."""
    from embeddings.evidence import _NUMBER, holds_number
    from embeddings.lexical import tokens

    gen = engine.generation
    texts = []
    for pos in range(gen.documents):
        text = gen.doc_text(pos)
        for cid in gen.chunk_ids(pos).tolist():
            texts += [text[a:b] for a, b, _ in gen.chunk_sentences(cid).spans.tolist()]
        texts += text.splitlines()  # headings, list items and captions too
    texts += ["Space is limited to sixty guests", "It closed ONCE.", "one_two", "someone", "a 5 b",
              "٥ days", "Tueſday", "K", "May I?", "maybe", "“Twelve”", "café twenty",
              "twenty-one", "", "x"]
    from embeddings.evidence import _NUMBER_WORDS

    for word in sorted(_NUMBER_WORDS):  # each word alone, in capitals, inside a word, glued to a digit
        texts += [f"It was {word}.", word.upper(), f"{word}fold", f"un{word}", f"{word}5", f"é{word}"]
    assert len(texts) > 300
    for text, words in zip(texts, tokens(texts)):
        assert holds_number(text, words) == bool(_NUMBER.search(text)), text


def test_mapped_arrays_are_plain_read_only_views_of_the_files(engine: Engine, tmp_path):
    """The generation's and the BM25 index's mapped arrays equal the files, index as plain arrays
    (no ``np.memmap`` on the query path) and cannot be written through."""
    from embeddings.arrays import load_mapped

    gen = engine.generation
    for name, array in (("vectors.npy", gen.vectors), ("sentences.npy", gen.sentences),
                        ("sentence_vectors.npy", gen.sentence_codes), ("bm25/indptr.csc.index.npy", gen.lexical._indptr)):
        assert type(array) is np.ndarray and not array.flags.writeable
        assert np.array_equal(array, np.load(gen.path / name))
    path = tmp_path / "a.npy"
    np.save(path, np.arange(5))
    mapped = load_mapped(path)
    assert type(mapped) is np.ndarray and int(mapped[3]) == 3 and type(mapped[1:3]) is np.ndarray


def test_answers_say_where_their_time_went(engine: Engine):
    answer = engine.ask("what did Peskov say about a meeting?")
    stages = {"embed", "dense", "bm25", "fusion", "evidence", "answer"}
    if list(answer.timings_ms)[:2] == ["embed", "bm25"]:  # BM25 searched beside the embedding: its terms in it
        assert set(answer.timings_ms) == stages
    else:
        assert set(answer.timings_ms) == stages | {"terms"}
    assert all(ms >= 0 for ms in answer.timings_ms.values())
    assert sum(answer.timings_ms.values()) <= answer.elapsed_ms + 0.01


# ---------------------------------------------------------------------- word frequencies
def test_word_table_equals_wordfreq(session_index):
    from wordfreq import iter_wordlist, zipf_frequency

    rarity.use_table(session_index.data_dir)
    assert rarity._table is not None
    words = list(iter_wordlist("en"))
    sample = random.Random(5).sample(words, 3000) + [
        "peskov", "the", "said", "badges", "zzzqqq", "Peskov", "2022", "naïve", "x" * 30, "co2", "e",
    ]
    numbers = ["19", "2022", "2021", "400", "07", "0400", "9999", "17th", "21st", "2nd", "113th", "12345",
               "21th", "017th"]
    for word in sample + numbers:
        assert rarity.zipf(word) == zipf_frequency(word, "en"), word
    assert rarity._table.numbers and all(rarity._in_table(n) for n in numbers[:-3])
    assert not any(rarity._in_table(n) for n in numbers[-3:])  # wordfreq answers for these


def test_a_question_with_a_number_does_not_load_wordfreq(session_index, tmp_path):
    """Numbers are in the table (a fifth of the dev questions hold one; wordfreq costs a cold question
    0.3 s); a table written before numbers were added is still read, for words only."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from embeddings import rarity; "
              "rarity.use_table(Path(sys.argv[1])); "
              "print(rarity.zipf('2022'), rarity.zipf('peskov'), 'wordfreq' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script, str(session_index.data_dir)], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[2] == "False" and float(out[0]) > 4
    old = tmp_path / "wordfreq" / rarity.table_path(tmp_path, numbers=False).name
    old.parent.mkdir()
    old.write_bytes(rarity.table_path(session_index.data_dir).read_bytes())
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[2] == "True" and float(out[0]) > 4  # an old table: wordfreq answers for the number


# ---------------------------------------------------------------------- cores
def test_cores_follow_affinity_quota_and_load(tmp_path, monkeypatch: pytest.MonkeyPatch):
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("150000 100000\n")
    assert cpu._cgroup_quota(v2) == 1.5
    (v2 / "cpu.max").write_text("max 100000\n")
    assert cpu._cgroup_quota(v2) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu._cgroup_quota(v1) == 2.0
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu._cgroup_quota(v1) is None
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("5.61 6.19 4.79 4/130 685\n")
    assert cpu.runnable_others(loadavg) == 3
    assert cpu.runnable_others(tmp_path / "missing") == 0
    cpu.available_cores.cache_clear()
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(cpu, "_cgroup_quota", lambda: 1.5)
    try:
        assert cpu.available_cores() == 2
        monkeypatch.setattr(cpu, "runnable_others", lambda: 5)
        assert cpu.idle_cores() == 1
        monkeypatch.setattr(cpu, "runnable_others", lambda: 0)
        assert cpu.idle_cores() == 2
    finally:
        cpu.available_cores.cache_clear()


# ---------------------------------------------------------------------- indexing
def test_token_batches_respect_the_budget_and_take_every_text_once():
    lengths = [5, 150, 40, 150, 7, 300, 60, 60, 12]
    batches = list(token_batches(lengths, 320))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        width = max(lengths[i] for i in batch)
        assert lengths[batch[0]] == width  # longest first
        assert len(batch) * width <= 320 or len(batch) == 1
    assert batches == [[5], [1, 3], [6, 7, 2, 8, 4], [0]]
    assert list(token_batches([], 100)) == []


def test_batching_and_threads_do_not_change_the_vectors(session_index):
    """Token-budget batches (padding differs) and thread counts give the reference vectors (each
    text embedded alone on one thread) within 1e-3 cosine (bf16: 1e-2 for a sentence)."""
    from embeddings.encoder import TorchEncoder

    enc = TorchEncoder(session_index.model, precision="auto")
    texts = ["Russia talks\nPeskov said the leaders could meet. He ruled out talks at working level.",
             "Short one.", "Grain exports from Odesa resumed in August. " * 12, "Ash closed the airport."]
    spans = [[(13, 49), (50, 88)], [(0, 10)], [(0, 44), (45, 89)], [(0, 23)]]
    alone = [enc.encode_with_sentences([t], [s], batch_tokens=1, budget=cpu.ThreadBudget(1))
             for t, s in zip(texts, spans)]
    for budget, batch in ((cpu.ThreadBudget(1), 10_000), (cpu.ThreadBudget(2), 64), (cpu.ThreadBudget(), 5120)):
        chunks, sentences = enc.encode_with_sentences(texts, spans, batch_tokens=batch, budget=budget)
        for i, (ref_chunk, ref_sents) in enumerate(alone):
            assert float(chunks[i] @ ref_chunk[0]) > 0.999
            assert ((sentences[i] * ref_sents[0]).sum(axis=1)).min() > 0.99


def test_thread_budget_fixed_reserved_and_adaptive(monkeypatch: pytest.MonkeyPatch):
    cpu.available_cores.cache_clear()
    monkeypatch.setattr(cpu, "available_cores", lambda: 4)
    assert cpu.ThreadBudget(3).next() == 3
    clock = iter([0.0, 1.0, 2.0, 3.0])
    busy = iter([100.0, 103.0, 103.5, 106.5])  # all cores' busy seconds
    own = iter([10.0, 11.0, 11.5, 12.5])  # this process's own
    monkeypatch.setattr(cpu.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(cpu, "_busy_seconds", lambda: next(busy))
    monkeypatch.setattr(cpu.os, "times", lambda: type("T", (), {"user": next(own), "system": 0.0})())
    reserve = [0]
    budget = cpu.ThreadBudget(0, lambda: reserve[0])
    assert budget.next() == 4  # nothing measured yet
    assert budget.next() == 2  # others used 2 of 4 cores
    reserve[0] = 1
    assert budget.next() == 3  # others idle, one core left to questions
    assert budget.next() == 2  # others used 2: 2 free


def test_a_reindex_leaves_a_core_while_questions_come(session_index):
    engine = Engine(session_index).load()
    assert engine._cores_for_questions() == 0
    engine.ask("what did Peskov say about a meeting?")
    assert engine._cores_for_questions() == 1


OV_TEXTS = [
    "Russia talks\nPeskov said the leaders could meet. He ruled out talks at working level.",
    "Short one.",
    "Grain exports\n" + "Grain exports from Odesa resumed in August after months of blockade. " * 9,
    "Ash closed the airport.",
    "Etna\nCatania airport was closed for several hours on Sunday as ash from Mount Etna fell on the "
    "runway. Flights were diverted to Palermo. The airport reopened in the evening, the operator said.",
]
OV_SPANS = [[(13, 49), (50, 88)], [(0, 10)], [(14, 83), (84, 153)], [(0, 23)], [(5, 97), (98, 128), (129, 180)]]


def test_openvino_forward_matches_torch(session_index):
    """Indexing in OpenVINO (``embed_backend``; its own conversion of the model, or the ONNX export)
    against torch in fp32, the reference: fp32 OpenVINO within 1e-5 cosine; bf16 (the default where the CPU has it) at cosine > 0.9995 for a chunk and
    > 0.999 for a sentence, as close as torch's own bf16 autocast (measured on news chunks: 0.99996)."""
    pytest.importorskip("openvino")
    from embeddings.encoder import TorchEncoder, cpu_has_bf16
    from embeddings.indexer import onnx_dir
    from embeddings.ov_forward import OpenVinoForward, ir_path

    export = onnx_dir(session_index) / "model.onnx"
    reference = TorchEncoder(session_index.model, precision="fp32", backend="torch")
    assert not reference.use_export(export)  # torch stays torch
    ref_chunks, ref_sents = reference.encode_with_sentences(OV_TEXTS, OV_SPANS, budget=cpu.ThreadBudget(1))
    variants = [("fp32", 1 - 1e-5, 1 - 1e-5)]
    if cpu_has_bf16():
        variants.append(("bf16", 0.9995, 0.999))
    for precision, chunk_min, sentence_min in variants:
        enc = TorchEncoder(session_index.model, precision=precision, backend="openvino")
        assert enc.use_export(export)
        assert ir_path(export.parent).exists()  # converted from torch once, beside the export
        from_ir = enc._openvino
        # The fallback: OpenVINO reading the ONNX export itself.
        from_onnx = OpenVinoForward(export, bf16=enc.bf16)
        for forward, budget in ((from_ir, cpu.ThreadBudget(1)), (from_ir, cpu.ThreadBudget(2)),
                                (from_onnx, cpu.ThreadBudget(1))):
            enc._openvino = forward
            chunks, sents = enc.encode_with_sentences(OV_TEXTS, OV_SPANS, batch_tokens=200, budget=budget)
            assert (chunks * ref_chunks).sum(axis=1).min() > chunk_min, precision
            for got, want in zip(sents, ref_sents):
                assert (got * want).sum(axis=1).min() > sentence_min, precision


def test_openvino_falls_back_to_torch(session_index, tmp_path):
    """Without an export (or with broken models) indexing runs in torch, with unit vectors."""
    pytest.importorskip("openvino")
    from embeddings.encoder import TorchEncoder

    enc = TorchEncoder(session_index.model, precision="fp32", backend="openvino")
    assert not enc.use_export(tmp_path / "missing" / "model.onnx")
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not a model")
    (tmp_path / "openvino").mkdir()
    (tmp_path / "openvino" / "model.xml").write_text("<net broken")
    assert not enc.use_export(broken)
    chunks, _ = enc.encode_with_sentences(OV_TEXTS[:2], OV_SPANS[:2])
    assert np.allclose(np.linalg.norm(chunks, axis=1), 1.0, atol=1e-5)


def test_default_index_embeds_with_openvino_where_bf16(fresh):
    """The default settings index through OpenVINO on a bf16 CPU with the package, torch elsewhere."""
    from embeddings.encoder import cpu_has_bf16
    from embeddings.indexer import Indexer
    from embeddings.ov_forward import openvino_available

    engine = Engine(fresh())
    engine.reindex()
    indexer: Indexer = engine._indexer  # type: ignore[attr-defined]
    assert indexer.encoder.runs_in == ("openvino" if cpu_has_bf16() and openvino_available() else "torch")
    assert engine.load().search("Peskov meeting", k=3)


def test_a_question_reads_only_the_texts_it_quotes_and_answers_as_reading_them_all(engine: Engine, monkeypatch):
    """Evidence scores from the stored sentence terms and vectors; only the documents an answer quotes
    from (or a sentence needs its text for) are read. The answers equal those of reading every scored
    document's text first, as before."""
    gen = engine.generation
    read: list[int] = []
    one, many = gen.doc_text, gen.doc_texts

    def doc_text(pos):
        read.append(pos)
        return one(pos)

    def doc_texts(positions, into):
        positions = list(positions)
        read.extend(p for p in positions if p not in into)
        return many(positions, into)

    monkeypatch.setattr(gen, "doc_text", doc_text)
    monkeypatch.setattr(gen, "doc_texts", doc_texts)
    lazy, fewer = [], 0
    for question in QUESTIONS:
        read.clear()
        answer = engine.ask(question)
        reads = set(read)
        scored = {p.doc for p in engine.passages(question)[0]}
        assert {gen.position(e.doc_id) for e in answer.excerpts} <= reads <= scored
        fewer += len(reads) < len(scored)
        lazy.append((answer.message, [e.model_dump() for e in answer.excerpts]))
    assert fewer >= 2  # questions that scored more documents than they read

    score = evidence.score

    def eager(gen_, query, cands, texts, **kw):
        gen_.doc_texts([gen_.doc_of(c.chunk) for c in cands], texts)
        return score(gen_, query, cands, texts, **kw)

    monkeypatch.setattr(evidence, "score", eager)
    assert [(a.message, [e.model_dump() for e in a.excerpts]) for a in map(engine.ask, QUESTIONS)] == lazy
