"""BM25 over chunks with ``bm25s``: finds names and rare words ("Peskov", "Podolyak") that a
small embedding model blurs. The same tokenizer (bm25s' English stop words + Snowball stemming)
also gives the terms whose coverage scores sentences when an answer picks what to quote.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

log = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG on import, which sends "Building index from tokens" to every
# handler (the CLI's terminal included); its debug lines are not ours to show.
logging.getLogger("bm25s").setLevel(logging.WARNING)


# Irregular forms the Snowball stemmer leaves apart, frequent in questions about who said or did
# what: "what did Peskov say" must match "Peskov said".
_IRREGULAR = {
    "said": "say", "says": "say", "told": "tell", "met": "meet", "meetings": "meeting", "went": "go",
    "gone": "go", "made": "make", "won": "win", "lost": "lose", "paid": "pay", "sold": "sell",
    "bought": "buy", "held": "hold", "left": "leave", "took": "take", "taken": "take", "gave": "give",
    "given": "give", "found": "find", "thought": "think", "knew": "know", "known": "know",
    "ran": "run", "began": "begin", "begun": "begin", "wrote": "write", "written": "write",
    "spoke": "speak", "spoken": "speak", "chose": "choose", "chosen": "choose", "fell": "fall",
    "fallen": "fall", "rose": "rise", "risen": "rise", "killed": "kill", "died": "die", "dead": "die",
    "children": "child", "men": "man", "women": "woman", "people": "person",
}


class _Stemmer:
    """Snowball English after mapping irregular forms; bm25s calls ``stemWords`` on unique tokens."""

    def __init__(self) -> None:
        self._snowball = Stemmer.Stemmer("english")

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802 - the name bm25s looks for
        return self._snowball.stemWords([_IRREGULAR.get(w, w) for w in words])


@lru_cache(maxsize=1)
def _stemmer() -> _Stemmer:
    return _Stemmer()


# bm25s' own tokenization (lower case, this pattern, stop words removed before stemming), done
# without its per-call set-up: an answer tokenizes a hundred short sentences per question, where
# bm25s.tokenize spent 2.6 ms. A test checks that both give the same terms.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_STEMS: dict[str, str] = {}
_STEM_CACHE_MAX = 500_000


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` that are not stop words, before stemming."""
    return [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]


def stems(tokens: list[str]) -> list[str]:
    """Stems of ``tokens`` (from :func:`words`), cached: a corpus repeats its words.

    Thread-safe without a lock: a full cache is replaced, never cleared under another reader.
    """
    global _STEMS
    cache = _STEMS
    missing = [w for w in set(tokens) if w not in cache]
    if missing:
        if len(cache) > _STEM_CACHE_MAX:
            cache = _STEMS = {}
        cache.update(zip(missing, _stemmer().stemWords(missing)))
    return [cache[w] for w in tokens]


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed terms of each text, without bm25s' extended English stop words."""
    return [stems(words(t)) for t in texts]


class LexicalIndex:
    """A BM25 index whose document numbers are the chunk ids of the generation."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self.retriever = retriever
        self.size = int(retriever.scores["num_docs"])

    @classmethod
    def build(cls, texts: Sequence[str]) -> "LexicalIndex":
        retriever = bm25s.BM25()
        # bm25s cannot index an empty corpus; an empty generation is never searched (retrieval
        # returns nothing first), so one placeholder document keeps the files loadable.
        retriever.index(terms(texts) if texts else [["\u2400empty"]], show_progress=False)
        return cls(retriever)

    def save(self, directory: Path) -> None:
        self.retriever.save(str(directory))

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(directory), mmap=True))

    def search(
        self, query_terms: list[str], k: int, mask: np.ndarray | None = None,
        term_weights: Mapping[str, float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, scores) of the best ``k`` chunks, best first; only chunks with a match.

        ``term_weights`` multiplies each term's BM25 score (terms not in it count once), so that the
        words of an earlier question can join a follow-up's at a lower weight.
        """
        if self.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        groups: dict[float, list[str]] = {}
        for term in query_terms:
            groups.setdefault(float((term_weights or {}).get(term, 1.0)), []).append(term)
        scores: np.ndarray | None = None
        for weight, group in groups.items():
            ids = self.retriever.get_tokens_ids(group)
            if not ids or weight <= 0:
                continue
            part = self.retriever.get_scores_from_ids(ids, weight_mask=mask)
            scores = part * weight if scores is None else scores + part * weight
        if scores is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k] if k < self.size else np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top.astype(np.int64), scores[top].astype(np.float32)
