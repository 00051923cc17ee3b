"""Which sentences an answer quotes: the lead prior of the sentence score and MMR among the quotes.

Passages are built by hand (no model) so that each rule is checked on its own, as in test_evidence.py.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from embeddings import answer
from embeddings.evidence import DEFAULT_PARAMS, Passage, apply_all, lead_prior
from embeddings.models import Source
from embeddings.retrieval import Candidate
from embeddings.sentences import quotable_sentences

# An article: its lead states the fact; eleven paragraphs on, a sentence says it again in other words.
FILLER = "\n\n".join(f"Paragraph {i} tells the background of the story at some length for readers." for i in range(11))
ARTICLE = (
    "The city council voted on Tuesday to close the old harbour bridge to all traffic.\n\n"
    + FILLER
    + "\n\nCouncil members agreed that the harbour bridge must close to traffic this week."
)
# Three paragraphs: the best quote, a restatement of it, and a sentence that adds something else.
NOTE = (
    "Badges are issued by the moderators of the server at the end of each and every month.\n\n"
    "Badges are issued by the moderators of the server at the close of each and every month.\n\n"
    "Anyone who helped at an event can ask the events team for a badge in the help channel."
)


def _article_passage(cos: list[float], *, agree: bool, surprise: float) -> Passage:
    """The first and the last sentence of ARTICLE as one passage, with the given features."""
    sents = quotable_sentences(ARTICLE)
    first, last = sents[0], sents[-1]
    spans = np.array([[first.start, first.end, int(first.kind)], [last.start, last.end, int(last.kind)]])
    cand = Candidate(0, 0.03, 0.5, 0 if agree else None, 0)
    zero = np.zeros(2)
    return Passage(cand, 0, spans, np.array(cos), zero, zero.copy(), zero.copy(), crowd=0.3,
                   surprise=surprise, novel=np.full(2, np.log1p(5)))


def test_the_lead_prior_fades_with_the_offset():
    prior = lead_prior(np.array([0, 200, 400, 4000]))
    assert prior[0] == 1.0 and prior[0] > prior[1] > prior[2] > prior[3] and prior[3] < 0.001


def test_an_articles_lead_wins_an_equal_match_and_only_when_it_is_evidence():
    # The later sentence matches a little better; the lead says the same and comes first.
    cos = [0.78, 0.80]
    no_lead = dataclasses.replace(DEFAULT_PARAMS, lead=0.0)
    with_lead = dataclasses.replace(DEFAULT_PARAMS, lead=0.3)
    p = apply_all([_article_passage(cos, agree=True, surprise=5.0)], no_lead)[0]
    assert p.best == 1 and p.p[0] > 0.8  # both are evidence; without the prior the later one wins
    p = apply_all([_article_passage(cos, agree=True, surprise=5.0)], with_lead)[0]
    assert p.best == 0, "the lead states the fact: it is quoted first"
    assert p.passage_score == p.score[0]
    # The prior is weighed by the sentence's own evidence: a lead that does not answer gains ~nothing.
    weak = apply_all([_article_passage(cos, agree=False, surprise=-3.0)], with_lead)[0]
    assert weak.p[0] < 0.05 and weak.best == 1


def _note_passage(scores: list[float]) -> Passage:
    sents = quotable_sentences(NOTE)
    spans = np.array([[s.start, s.end, int(s.kind)] for s in sents], dtype=np.int64)
    score = np.array(scores)
    return Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score, np.zeros(3), score, np.full(3, 0.9), 1.0)


def _quotes(diversity: float) -> list[str]:
    gen = SimpleNamespace(
        doc_id=lambda pos: "badges.md",
        chunk=lambda cid: SimpleNamespace(ord=0),
        chunk_number=lambda cid: 0,
        source=lambda pos, number: Source(number=number, doc_id="badges.md", title="Badges"),
        page=lambda pos, offset: None,
    )
    params = dataclasses.replace(DEFAULT_PARAMS, diversity=diversity)
    ans = answer.build("who issues badges?", gen, [_note_passage([0.9, 0.86, 0.8])], {0: NOTE},
                       min_evidence=0.5, max_excerpts=2, params=params)
    for e in ans.excerpts:
        assert NOTE[e.start : e.end] == e.text
    return [e.text for e in ans.excerpts]


def test_mmr_prefers_a_quote_that_adds_something_to_one_that_restates_the_first():
    best, restated, adds = (NOTE.split("\n\n"))
    assert _quotes(0.0) == [best, restated]  # best first: the restatement scores higher
    assert _quotes(0.2) == [best, adds], "a near-restatement says nothing new: the other sentence is quoted"
