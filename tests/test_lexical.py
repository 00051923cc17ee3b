"""The fast tokenizer path gives exactly bm25s' terms, so BM25 queries match the index."""

from __future__ import annotations

import json
import subprocess
import sys

import bm25s
import numpy as np

from embeddings.chunking import split_sentences
from embeddings.lexical import _STOPWORDS, SORTED_VOCABULARY, LexicalIndex, _stemmer, may_hold_compound, terms, words
from tests.conftest import EXTRA_DOCS, ROOT, SEEDS

TEXTS = [
    *EXTRA_DOCS.values(),
    *(p.read_text() for p in SEEDS.glob("*.txt")),
    "What did Peskov say about the meetings? He said they'd meet — children, women & men.",
    "",
    "a I x",  # single letters are no terms
    "Ünïcode wörds, CAPITALS and numbers 2022 1,000 $5",
]


def test_terms_equal_bm25s_tokenize():
    """Many texts are tokenized in one call, split at a separator; one text, or texts holding the
    separator, on their own: every way gives bm25s' terms."""
    expected = [list(t) for t in bm25s.tokenize(TEXTS, stopwords="en_plus", stemmer=_stemmer(),
                                                 return_ids=False, show_progress=False)]
    assert terms(TEXTS) == expected
    assert [terms([t])[0] for t in TEXTS] == expected
    assert terms(["a \x01 separator inside: Peskov", *TEXTS]) == [["separ", "insid", "peskov"], *expected]


def _bm25s_terms(texts: list[str]) -> list[list[str]]:
    return [list(t) for t in bm25s.tokenize(texts, stopwords="en_plus", stemmer=_stemmer(), return_ids=False,
                                            show_progress=False)]


def test_news_reads_as_bm25s_reads_it_but_for_its_decimals():
    """Every sentence of the news seed, the test documents and the community notes with no dotted number,
    underscore or camelCase word has bm25s' terms exactly (an index's BM25 matches as before); the others
    only gain terms ("1.5" beside bm25s' nothing), in order, and lose none. (On the whole news2022 index:
    90,107 of 98,459 chunks have bm25s' terms, and each of the other 8,352 holds one of those.)"""
    texts = [p.read_text() for p in SEEDS.glob("*.txt")] + list(EXTRA_DOCS.values())
    texts += [p.read_text() for p in sorted((ROOT / "benchmarks" / "data" / "community").iterdir())]
    sentences = [t[s.start:s.end] for t in texts for s in split_sentences(t)]
    plain = [s for s in sentences if not may_hold_compound(s)]
    compound = [s for s in sentences if may_hold_compound(s)]
    assert len(plain) > 50
    assert terms(plain) == _bm25s_terms(plain)
    for ours, theirs in zip(terms(compound), _bm25s_terms(compound)):
        left = iter(ours)
        assert all(t in left for t in theirs), (ours, theirs)  # a subsequence: bm25s' terms kept in order


def test_a_version_is_one_term():
    """bm25s drops one-character tokens: "when was 2.4.1 released" was "releas" alone."""
    assert terms(["when was 2.4.1 released", "what changed in v2.4.1?", "Python 3.12 and 3.0.", "2.4.x and 2.3.x",
                  "a 7.0-magnitude quake", "IP 127.0.0.1"]) == [
        ["2.4.1", "releas"], ["chang", "2.4.1"], ["python", "3.12", "12", "3.0"], ["2.4", "2.3"],
        ["7.0", "magnitud", "quak"], ["ip", "127.0.0.1", "127"]]
    # A year, a date or a sentence's last number reads as bm25s reads it.
    text = "In 2022. On 2025-10-02, 1,000 people"
    assert terms([text]) == _bm25s_terms([text])


def test_an_identifier_is_also_its_parts():
    """ "request_timeout" was one word to bm25s ("_" is a word character): "the default request timeout"
    matched none of it. The whole stays first, so the exact name matches best; names in capitals inside a
    word ("YouTube", "McDonald", "iPhone") are names, not code, and stay whole."""
    assert words("request_timeout LUMENFEED_PORT=8800 refreshInterval getHTTPResponse _important_") == [
        "request_timeout", "request", "timeout", "lumenfeed_port", "lumenfeed", "port", "8800",
        "refreshinterval", "refresh", "interval", "gethttpresponse", "get", "http", "response", "_important_",
        "important"]
    assert words("YouTube McDonald iPhone DeSantis JPMorgan") == ["youtube", "mcdonald", "iphone", "desantis", "jpmorgan"]
    mixed = ["a max_feedCount here", "plain words", "macOS 2.4.1", "", "end of text"]
    assert terms(mixed) == [terms([t])[0] for t in mixed]  # in one call or one by one alike
    assert terms(mixed)[0] == ["max_feedcount", "max", "feed", "count"]


def test_the_exact_identifier_ranks_its_row_first():
    rows = ["`request_timeout` | `20` | Seconds before a feed request is abandoned.",
            "A slow network makes a request time out: raise the timeout and send the request again.",
            "`refresh_interval` | `60` | Minutes between two fetches of the same feed."]
    index = LexicalIndex.build(rows)
    assert index.search(terms(["request_timeout"])[0], 3)[0][0] == 0
    assert index.search(terms(["what is the default request timeout"])[0], 3)[0].tolist()[:1] in ([0], [1])
    assert 0 in index.search(terms(["what is the default request timeout"])[0], 3)[0].tolist()


def test_irregular_forms_meet_their_stems():
    said, say = terms(["Peskov said", "what did Peskov say"])
    assert said == say


# ---------------------------------------------------------------------- searching without bm25s
CORPUS = [t for t in TEXTS if t.strip()] + [
    "Peskov said the leaders could meet to sign a finalized settlement.",
    "The Kremlin spokesman Dmitry Peskov ruled out working-level talks.",
    "Grain ships left Odesa; Peskov did not comment. Peskov peskov PESKOV.",
    "supercalifragilisticexpialidociousandthensomemorelettersbeyondthirtytwobytes appears once.",
]
QUERIES = [
    ["peskov"], ["peskov", "peskov", "meet"], ["grain", "odesa", "nosuchterm"], ["nosuchterm"],
    terms(["What did Peskov say about a meeting in Istanbul?"])[0],
    terms(["supercalifragilisticexpialidociousandthensomemorelettersbeyondthirtytwobytes"])[0],
]


def _saved(tmp_path, texts):
    built = LexicalIndex.build(texts)
    built.save(tmp_path / "bm25")
    return built, LexicalIndex.load(tmp_path / "bm25")


def test_scores_equal_bm25s_exactly(tmp_path):
    """Exactness is claimed: the same float32 sums in the same order as bm25s' own scoring."""
    _, loaded = _saved(tmp_path, CORPUS)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), mmap=True)
    mask = (np.arange(len(CORPUS)) % 2).astype(np.float32)
    for q in QUERIES:
        ids = reference.get_tokens_ids(q)
        for m in (None, mask):
            expected = reference.get_scores_from_ids(ids, weight_mask=m) if ids else np.zeros(len(CORPUS))
            assert np.array_equal(loaded.scores(q, m), expected), q


def test_top_k_equals_bm25s_retrieve_and_breaks_ties_by_chunk(tmp_path):
    _, loaded = _saved(tmp_path, CORPUS)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), mmap=True)
    for q in QUERIES:
        scores = reference.get_scores_from_ids(reference.get_tokens_ids(q)) if reference.get_tokens_ids(q) else None
        for k in (1, 3, len(CORPUS)):
            ids, got = loaded.search(q, k)
            if scores is None:
                assert len(ids) == 0
                continue
            matched = [i for i in np.argsort(-scores, kind="stable") if scores[i] > 0][:k]
            assert ids.tolist() == matched and np.array_equal(got, scores[matched])
    # Equal scores: the lower chunk id first, at the cut as well.
    _, twins = _saved(tmp_path / "twins", ["alpha beta", "gamma", "alpha beta", "alpha beta"])
    assert twins.search(["alpha"], 2)[0].tolist() == [0, 2]


def test_scores_and_top_k_equal_the_reference_on_a_larger_corpus(tmp_path):
    """The fast paths (``np.add.at`` sums, partitioned top k) against bm25s' scores and a full stable
    sort of every matched chunk, on 600 generated chunks where a query matches far more than k and
    many scores tie (duplicated texts, a word in every chunk)."""
    rng = np.random.default_rng(11)
    vocabulary = [f"w{i}" for i in range(60)] + ["common"]
    texts = [" ".join(rng.choice(vocabulary[:60], size=int(rng.integers(3, 15)))) + " common" for _ in range(400)]
    texts += texts[:200]  # exact twins: equal scores everywhere
    _, loaded = _saved(tmp_path, texts)
    reference = bm25s.BM25.load(str(tmp_path / "bm25"), mmap=True)
    queries = [["common"], ["w1"], ["w2", "w3", "w2"], ["w5", "common", "w7", "w11"],
               [f"w{i}" for i in range(0, 60, 3)]]
    for q in queries:
        ids = reference.get_tokens_ids(q)
        scores = reference.get_scores_from_ids(ids)
        assert np.array_equal(loaded.scores(q), scores), q
        matched = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        for k in (1, 10, 100, 599, 1000):
            got_ids, got = loaded.search(q, k)
            assert got_ids.tolist() == matched[:k] and np.array_equal(got, scores[matched[:k]]), (q, k)


def test_sorted_vocabulary_finds_every_term_as_the_json_one(tmp_path):
    built, loaded = _saved(tmp_path, CORPUS)
    assert (tmp_path / "bm25" / SORTED_VOCABULARY).exists()
    vocabulary = json.loads((tmp_path / "bm25" / "vocab.index.json").read_text())
    assert vocabulary == built.vocabulary
    for _ in range(2):  # searched, then remembered: the same ids both times
        for term, i in vocabulary.items():
            assert loaded.vocabulary.get(term) == i
        for missing in ("nosuchterm", "a", "zzzz", "peskovs"):
            assert loaded.vocabulary.get(missing) is None
    # A full memory of looked-up terms starts again, and still finds them.
    fresh = LexicalIndex.load(tmp_path / "bm25").vocabulary
    fresh._FOUND_MAX = 3  # type: ignore[union-attr]
    assert all(fresh.get(term) == i for term, i in vocabulary.items())
    assert 0 < len(fresh._found) <= 3  # type: ignore[union-attr]
    # A generation written before the sorted copy existed reads bm25s' JSON.
    (tmp_path / "bm25" / SORTED_VOCABULARY).unlink()
    old = LexicalIndex.load(tmp_path / "bm25")
    assert all(np.array_equal(old.scores(q), loaded.scores(q)) for q in QUERIES)


def test_terms_starting_a_prefix_are_found_alike_in_the_sorted_and_the_json_vocabulary(tmp_path):
    """``terms_starting`` (a question's abbreviation read as the corpus's word: ``spelling.spelt_out``) is one
    binary search in the sorted copy, and the same terms, in the same order, from bm25s' JSON."""
    built, loaded = _saved(tmp_path, CORPUS)
    vocabulary = sorted(built.vocabulary)
    for prefix in ("pe", "peskov", "meet", "z", "nosuch"):
        expected = [t for t in vocabulary if t.startswith(prefix) and t != prefix]
        assert loaded.terms_starting(prefix, 100) == expected, prefix
        assert built.terms_starting(prefix, 100) == expected, prefix
        assert loaded.terms_starting(prefix, 1) == expected[:1]


def test_questions_do_not_import_bm25s():
    code = ("import sys; from embeddings.lexical import LexicalIndex, terms; "
            "print('bm25s' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_stop_words_are_bm25s_own():
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    assert _STOPWORDS == frozenset(STOPWORDS_EN_PLUS)


def test_a_new_word_enters_the_term_cache_with_its_stem(monkeypatch):
    """Never first as None (a stop word's mark) and stemmed after: another thread reading the cache
    meanwhile (the bot's warm-up search beside a first question) took the word for a stop word and
    looked None up as a BM25 term."""
    from embeddings import lexical

    stemmer = _stemmer()
    real = stemmer.stemWords
    seen: list[dict[str, object]] = []

    def stem_words(words):
        seen.append({w: lexical._TERMS.get(w, "absent") for w in words})  # what a reader sees now
        return real(words)

    monkeypatch.setattr(stemmer, "stemWords", stem_words)
    assert terms(["Zorblaxian quintessences of the Vrellish"]) == [["zorblaxian", "quintess", "vrellish"]]
    assert seen and all(v == "absent" for d in seen for v in d.values())
    assert lexical._TERMS["zorblaxian"] == "zorblaxian" and lexical._TERMS["the"] is None



def test_composed_and_decomposed_accents_are_one_word():
    from embeddings.lexical import words

    assert words("Zoe\u0308 leads") == words("Zo\u00eb leads") == ["zo\u00eb", "leads"]
    assert terms(["Zoe\u0308 leads the workshop", "Zo\u00eb"]) == [["zo\u00eb", "lead", "workshop"], ["zo\u00eb"]]
    assert terms(["caf\u00e9"]) == terms(["cafe\u0301"])
