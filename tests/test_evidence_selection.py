"""Which sentences an answer quotes: the lead prior of the sentence score and MMR among the quotes.

Passages are built by hand (no model) so that each rule is checked on its own, as in test_evidence.py.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from embeddings import answer
from embeddings.evidence import DEFAULT_PARAMS, Passage, apply_all, exclude_sentences, focus, lead_prior
from embeddings.models import Source
from embeddings.null import NullProfile
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


# The null of a news archive (test_evidence's NEWS_ARCHIVE): what unanswerable questions score there.
NEWS_NULL = NullProfile(cos_mid=0.428, cos_spread=0.118, surprise_mid=-0.806, surprise_spread=2.604, questions=139)


def _article_passage(cos: list[float], *, agree: bool, surprise: float, dated: bool = True) -> Passage:
    """The first and the last sentence of ARTICLE as one passage, with the given features, read against
    a news archive's null (the abstention counts a cosine by its standing above the corpus's null)."""
    sents = quotable_sentences(ARTICLE)
    first, last = sents[0], sents[-1]
    spans = np.array([[first.start, first.end, int(first.kind)], [last.start, last.end, int(last.kind)]])
    cand = Candidate(0, 0.03, 0.5, 0 if agree else None, 0)
    zero = np.zeros(2)
    return Passage(cand, 0, spans, np.array(cos), zero, zero.copy(), zero.copy(), crowd=0.3,
                   surprise=surprise, novel=np.full(2, np.log1p(5)), null=NEWS_NULL, dated=dated)


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


def test_an_undated_notes_opening_gets_no_lead_bonus():
    """An article or a report is dated, and its lead states its point; a community's notes (an FAQ,
    release notes, minutes) are not, and their opening is a preamble ("Orbit 3.2 was released on 3
    March 2025 ...") that, with P(answers) near 1 for every on-topic sentence of a small corpus, the
    bonus lifted over the sentence that answers."""
    with_lead = dataclasses.replace(DEFAULT_PARAMS, lead=0.3)
    article = apply_all([_article_passage([0.78, 0.80], agree=True, surprise=5.0)], with_lead)[0]
    note = apply_all([_article_passage([0.78, 0.80], agree=True, surprise=5.0, dated=False)], with_lead)[0]
    assert article.best == 0 and note.best == 1
    assert note.p.tolist() == article.p.tolist()  # whether it answers is unchanged; only the order


def _note_passage(scores: list[float]) -> Passage:
    sents = quotable_sentences(NOTE)
    spans = np.array([[s.start, s.end, int(s.kind)] for s in sents], dtype=np.int64)
    score = np.array(scores)
    return Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score, np.zeros(3), score, np.full(3, 0.9), 1.0)


def _quotes(diversity: float) -> list[str]:
    gen = SimpleNamespace(
        doc_id=lambda pos: "badges.md",
        chunk=lambda cid: SimpleNamespace(ord=0),
        chunk_number=lambda cid: 1,  # what a quote's doc#N reads (Generation.chunk_number)
        source=lambda pos, number: Source(number=number, doc_id="badges.md", title="Badges"),
        title=lambda pos: "Badges",
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


def _focus(sentences: list[tuple[int, int, list[int]]], asked: set[int] = frozenset()) -> list[float]:
    """``focus`` of sentences given as (document, start, term ids)."""
    ids = np.array([i for _, _, terms in sentences for i in terms], dtype=np.int64)
    offsets = np.cumsum([0] + [len(terms) for _, _, terms in sentences])
    return focus(ids, offsets, np.isin(ids, list(asked)), np.array([d for d, _, _ in sentences]),
                 np.array([s for _, s, _ in sentences])).tolist()


def test_focus_counts_the_words_a_document_repeats_that_the_question_does_not_ask_for():
    # 1 is the question's word ("chain"), held by every sentence of document 0.
    got = _focus([
        (0, 0, [1, 3]),  # the lead restates the question: its own word 3 is said once
        (0, 50, [1, 4, 5, 7]),  # names the answer (4, 5), which the document says again below
        (0, 90, [1, 4, 5, 6]),
        (0, 90, [1, 4, 5, 6]),  # the same sentence again, scored with the next (overlapping) chunk
        (1, 0, [8, 9]),  # another document: read on its own scale
        (1, 40, [8, -1]),  # -1: a term without an id, which matches nothing
        (1, 80, [-1, 9]),
    ], asked={1})
    assert got == [0.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    # Counted twice, the repeated sentence would have outweighed the one that first names the answer;
    # the question's own word, in every sentence, would have lifted the lead.
    assert focus(np.array([], dtype=np.int64), np.zeros(3, dtype=np.int64), np.array([], dtype=bool),
                 np.array([0, 0]), np.array([0, 9])).tolist() == [0.0, 0.0]


def test_focus_counts_repeats_within_each_document_up_to_a_cap_each_on_its_own_scale():
    # Term 4 is in both documents, once each: a repeat across documents is none.
    assert _focus([(0, 0, [4, 5]), (1, 0, [4, 6])]) == [0.0, 0.0]
    # Document 0 repeats 2 in six sentences; a sentence holding it gains the cap (3 repeats), not 5.
    # Document 1's best holds two words said twice: raw 2 against document 0's 3, yet both read 1.0.
    got = _focus([(0, i * 10, [2] + ([7] if i == 0 else [])) for i in range(6)]
                 + [(0, 60, [7]), (1, 0, [8, 9]), (1, 10, [8]), (1, 20, [9])])
    assert got[:7] == [1.0] + [0.75] * 5 + [1 / 4]  # (3 + 1) / 4, 3 / 4 and 1 / 4 of document 0's best
    assert got[7:] == [1.0, 0.5, 0.5]


# A news article: the lead restates the question; the sentences after it keep naming what it asks for.
TREAT = ("The chain's newest item for fall has no pumpkin or maple flavors.\n\n"
         "Starting next week the chain is bringing back the cheese danish, a flaky pastry.\n\n"
         "The cheese danish joins the bakery lineup and is available all day.")


def _treat_passage(*, evidence: bool = True) -> Passage:
    """TREAT's three sentences, the first matching the question best; ``evidence``: whether the passage
    answers by its features (found by both retrievers, words unlikely to meet by chance)."""
    sents = quotable_sentences(TREAT)
    spans = np.array([[s.start, s.end, int(s.kind)] for s in sents], dtype=np.int64)
    zero = np.zeros(3)
    return Passage(Candidate(0, 0.03, 0.5, 0 if evidence else None, 0), 0, spans, np.array([0.80, 0.77, 0.70]),
                   zero, zero.copy(), zero.copy(), crowd=0.3, surprise=5.0 if evidence else -3.0,
                   novel=np.full(3, np.log1p(5)), null=NEWS_NULL, focus=np.array([0.0, 1.0, 1.0]))


def test_focus_picks_the_quote_that_names_what_the_article_is_about_without_moving_the_passage():
    plain = dataclasses.replace(DEFAULT_PARAMS, lead=0.0, focus=0.0)
    focused = dataclasses.replace(plain, focus=0.05)
    without, with_focus = apply_all([_treat_passage()], plain)[0], apply_all([_treat_passage()], focused)[0]
    assert without.best == 0, "by its words and cosine the restatement wins"
    assert with_focus.best == 1, "the sentence naming the cheese danish is quoted first"
    assert with_focus.passage_score == without.passage_score, "focus chooses quotes, not passages"
    # Weighed by the sentence's own evidence, as the lead prior is: where nothing answers, nothing moves.
    weak = apply_all([_treat_passage(evidence=False)], focused)[0]
    assert weak.p.max() < 0.05 and weak.best == 0
    gen = SimpleNamespace(
        doc_id=lambda pos: "treat.txt", chunk=lambda cid: SimpleNamespace(ord=0), chunk_number=lambda cid: 1,
        source=lambda pos, number: Source(number=number, doc_id="treat.txt", title="Fall treat"),
        title=lambda pos: "Fall treat",
        page=lambda pos, offset: None,
    )
    ans = answer.build("Which new treat did the chain add for the fall?", gen, [with_focus], {0: TREAT},
                       min_evidence=0.5, max_excerpts=1, params=focused)
    assert [e.text for e in ans.excerpts] == [TREAT.split("\n\n")[1]]
    # A follow-up's "tell me more" leaves out what was quoted: the passage then ranks by the rest,
    # still without the bonus.
    told = apply_all([_treat_passage()], focused)[0]
    exclude_sentences(told, np.array([False, True, False]), focused)
    assert told.best == 0 and told.passage_score == without.ranking[0]
    exclude_sentences(told, np.array([True, False, False]), focused)
    assert told.best == 2 and told.passage_score == without.ranking[2] < told.score[2]
