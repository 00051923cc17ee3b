"""A question about recent events prefers the newer of two articles that answer it alike; others do not move."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from embeddings.recency import ages, asks_recent

from .conftest import indexed_engine

OLD = """The cost of raising a child keeps rising - CNN
20170109
https://example.com/2017/child-cost
The estimated cost of raising a child from birth through age 17 is $233,610, according to an estimate
by the Department of Agriculture. Families spend the most on housing, food and child care.
"""
NEW = """The cost of raising a child keeps rising - CNN
20220829
https://example.com/2022/child-cost
The estimated cost of raising a child from birth through age 17 is $310,605, according to an estimate
by the Brookings Institution. Families spend the most on housing, food and child care.
"""


def test_words_that_place_a_question_in_the_recent_past():
    assert asks_recent("Which airline announced a deal this week to buy Spirit Airlines?")
    assert asks_recent("Which billionaire recently lost his top spot?")
    assert asks_recent("According to a new estimate, how much does it cost to raise a child?")
    assert not asks_recent("Which team won the 1998 World Cup?")
    assert not asks_recent("What did the mayor of New York say about the subway?")  # a name, not a time


def test_ages_count_from_the_newest_candidate_and_leave_undated_documents_alone():
    got = ages([date(2022, 8, 29), date(2017, 1, 9), None, date(2022, 8, 29)])
    assert got[0] == got[3] == 0.0 and got[2] == 0.0
    assert got[1] == pytest.approx((date(2022, 8, 29) - date(2017, 1, 9)).days / 365.25)
    assert not ages([None, None]).any()


@pytest.fixture(scope="module")
def two_years(tmp_path_factory, session_index):
    """Two articles on one subject five years apart, alike but for their figures (and the old one first
    in the folder)."""
    base = tmp_path_factory.mktemp("recency")
    docs = base / "docs"
    docs.mkdir()
    (docs / "a-2017.txt").write_text(OLD)
    (docs / "b-2022.txt").write_text(NEW)
    return indexed_engine(base, docs, session_index)


def _scores(engine, question: str) -> dict[str, float]:
    """Each document's best passage score for ``question``."""
    out: dict[str, float] = {}
    for p in engine.passages(question)[0]:
        doc = engine.generation.doc_id(p.doc)
        out[doc] = max(out.get(doc, -np.inf), p.passage_score)
    return out


def test_a_question_about_a_new_estimate_quotes_the_newer_article_first(two_years):
    question = "According to a new estimate out this week, how much does it cost to raise a child?"
    params = two_years.evidence_params
    assert params.recency > 0
    with_prior = _scores(two_years, question)
    two_years.evidence_params = dataclasses.replace(params, recency=0.0)
    try:
        without = _scores(two_years, question)
    finally:
        two_years.evidence_params = params
    # The newer article gains the older one's age in years times the weight, nothing else moves.
    gain = (with_prior["b-2022.txt"] - with_prior["a-2017.txt"]) - (without["b-2022.txt"] - without["a-2017.txt"])
    assert gain == pytest.approx(params.recency * (date(2022, 8, 29) - date(2017, 1, 9)).days / 365.25)
    ans = two_years.ask(question)
    assert ans.answered
    first = next(s for s in ans.sources if s.number == ans.excerpts[0].number)
    assert first.date == date(2022, 8, 29) and "$310,605" in ans.excerpts[0].text
    hits = two_years.search("a new estimate of how much it costs to raise a child", k=2)
    assert [h.doc_id for h in hits][:1] == ["b-2022.txt"]


def test_a_question_without_a_time_word_ranks_as_it_did_without_the_prior(two_years):
    question = "How much does it cost to raise a child to the age of 17?"
    with_prior = [(p.doc, round(p.passage_score, 9)) for p in two_years.passages(question)[0]]
    params = two_years.evidence_params
    two_years.evidence_params = dataclasses.replace(params, recency=0.0)
    try:
        without = [(p.doc, round(p.passage_score, 9)) for p in two_years.passages(question)[0]]
    finally:
        two_years.evidence_params = params
    assert with_prior == without and np.isfinite([s for _, s in without]).all()
