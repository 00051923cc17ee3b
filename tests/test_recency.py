"""A question about recent events prefers the newer of two articles that answer it alike; others do not move."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from embeddings.engine import _asked_day
from embeddings.recency import ages, counted_from, recent_span, window

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


def test_words_that_place_a_question_in_the_recent_past_and_how_far_back_they_reach():
    assert recent_span("Which airline announced a deal this week to buy Spirit Airlines?") == 7
    assert recent_span("Which billionaire recently lost his top spot?") == 31
    assert recent_span("According to a new estimate, how much does it cost to raise a child?") == 31
    assert recent_span("How many Christmas trees were sold this year?") == 366
    assert recent_span("How many customers in Florida were without power Thursday?") == 7  # the last Thursday
    assert recent_span("Which team won the 1998 World Cup?") is None
    assert recent_span("What did the mayor of New York say about the subway?") is None  # a name, not a time


def test_ages_count_in_the_questions_span_from_the_day_asked_or_the_newest_candidate():
    days = [date(2022, 8, 29), date(2017, 1, 9), None, date(2022, 8, 29)]
    got = ages(days, span=7)  # no day given: from the newest candidate
    assert got[0] == got[3] == 0.0 and got[2] == 0.0
    assert got[1] == pytest.approx(math.log1p((date(2022, 8, 29) - date(2017, 1, 9)).days / 7))
    asked = ages(days, asked_on=date(2022, 9, 2), span=7)
    assert asked[0] == pytest.approx(math.log1p(4 / 7)) and asked[2] == 0.0
    # A document dated after the day asked (a quiz replayed over a newer collection) is as far as one before.
    assert ages([date(2022, 9, 9), date(2022, 8, 26)], asked_on=date(2022, 9, 2), span=7).tolist() == \
        pytest.approx([math.log1p(1.0)] * 2)
    # The span sets the scale: a month-old article is far from "this week", near to "recently".
    assert ages([date(2022, 8, 2)], asked_on=date(2022, 9, 2), span=31)[0] == pytest.approx(math.log1p(1.0))
    assert not ages([None, None], asked_on=date(2022, 9, 2)).any()


def test_an_archive_asked_later_counts_back_from_its_newest_date():
    week, undated = "Who resigned this week?", "Who resigned?"
    assert counted_from(date(2026, 11, 27), date(2022, 12, 31), week) == date(2022, 12, 31)
    assert counted_from(date(2022, 7, 8), date(2022, 12, 31), week) == date(2022, 7, 8)  # a quiz replayed
    assert counted_from(date(2022, 7, 8), date(2022, 7, 4), week) == date(2022, 7, 8), "a few days behind: the day"
    assert counted_from(datetime(2022, 7, 8, 23, 30, tzinfo=timezone.utc), None, week) == date(2022, 7, 8)
    assert counted_from(None, date(2022, 12, 31), week) is None
    assert counted_from(date(2026, 11, 27), date(2022, 12, 31), undated) == date(2026, 11, 27), "no time word"
    assert counted_from(datetime(2026, 11, 27, 9, tzinfo=timezone.utc), date(2022, 12, 31), week) == date(2022, 12, 31)


def test_this_week_is_the_seven_days_before_the_day_asked_the_day_and_the_next():
    assert window(date(2022, 7, 8), 7) == (date(2022, 7, 1), date(2022, 7, 9))  # Friday to Friday, and UTC's tomorrow


def test_a_named_day_or_another_year_is_not_last_week():
    assert recent_span("What happened on Super Tuesday?") is None
    assert recent_span("Which stores open early on Black Friday?") is None
    assert recent_span("What happened on Sunday in 1972?", date(2022, 6, 27)) is None
    assert recent_span("Which team won the 2022 NHL Stanley Cup Finals on Sunday?", date(2022, 6, 27)) == 7
    assert recent_span("Which team won the 2022 NHL Stanley Cup Finals on Sunday?") is None, "no day: any year"
    for question in ("Thursday's storm flooded which city?", "what closed on thursday?",
                     "On Monday, Apple announced what?", "What did Zelensky tell Congress Wednesday?",
                     "Who won the 2022 World Cup final yesterday?"):  # "yesterday" is not a weekday
        assert recent_span(question, date(2022, 12, 19)) == 7, question


def test_the_window_of_the_first_or_last_day_there_is_stays_in_the_calendar():
    assert window(date.max, 7) == (date.max - timedelta(days=7), date.max)
    assert window(date.min, 7) == (date.min, date.min + timedelta(days=1))


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
    # The newer article gains the older one's distance (in weeks, for "this week") times the weight,
    # nothing else moves.
    gain = (with_prior["b-2022.txt"] - with_prior["a-2017.txt"]) - (without["b-2022.txt"] - without["a-2017.txt"])
    assert gain == pytest.approx(params.recency * math.log1p((date(2022, 8, 29) - date(2017, 1, 9)).days / 7))
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


def _resignation(year: int, name: str) -> str:
    return (f"{name} resigns as head of state - CNN\n{year}0315\nhttps://example.com/{year}/resigns\n"
            f"{name} announced his resignation as head of state on Tuesday, saying he would step down "
            f"at the end of the month. The head of state's resignation follows months of protests.\n")


JOHNSON = """Boris Johnson quits as Conservative leader - CNN
20220707
https://example.com/2022/johnson
Boris Johnson said on Thursday he would leave office as British prime minister, after dozens of
ministers walked out of his government. He will stay on until a successor is chosen.
"""
DECOYS = ["Paolo Rossi", "Jan Novak", "Anders Berg", "Luis Ortega", "Piet de Vries", "Kofi Mensah",
          "Tomas Varga", "Ivan Petrov"]


@pytest.fixture(scope="module")
def resignations(tmp_path_factory, session_index):
    """Eight older articles that say "resignation" and "head of state" in so many words, and the week's
    one that says neither; each retriever returns five candidates only."""
    base = tmp_path_factory.mktemp("resignations")
    docs = base / "docs"
    docs.mkdir()
    for year, name in zip(range(2012, 2020), DECOYS):
        (docs / f"{year}.txt").write_text(_resignation(year, name))
    (docs / "johnson.txt").write_text(JOHNSON)
    engine = indexed_engine(base, docs, session_index)
    engine.settings = engine.settings.model_copy(update={"candidates": 5, "top_k": 5})
    return engine


RESIGNATION = "Which head of state announced his resignation this week?"


def test_the_day_asked_brings_in_that_weeks_article_that_neither_retriever_ranks(resignations):
    question = RESIGNATION
    undated = [h.doc_id for h in resignations.search(question, k=5)]
    assert "johnson.txt" not in undated, "the words of the older articles win without the day"
    asked = [h.doc_id for h in resignations.search(question, k=5, asked_on=date(2022, 7, 8))]
    assert "johnson.txt" in asked, "asked on 8 July 2022, that week's article is a candidate"
    # An until filter is the newest date the question can see: "this week" counts back from it.
    assert _asked_day(resignations.generation, question, date(2026, 11, 27), until=date(2017, 3, 20)) == \
        date(2017, 3, 20)
    # Asked in a week when the collection has no article, none joins; the nearer years rank higher.
    in_2018 = [h.doc_id for h in resignations.search(question, k=5, asked_on=date(2018, 7, 8))]
    assert "johnson.txt" not in in_2018 and in_2018[0] in {"2017.txt", "2018.txt", "2019.txt"}


def test_a_question_without_a_time_word_ranks_alike_whatever_day_it_is_asked(resignations):
    question = "Which head of state announced his resignation?"
    undated = [(h.doc_id, h.score) for h in resignations.search(question, k=5)]
    assert undated == [(h.doc_id, h.score) for h in resignations.search(question, k=5, asked_on=date(2022, 7, 8))]


def test_a_cited_document_and_the_weeks_documents_are_ranked_each_on_their_own(resignations):
    """A follow-up about "this week" keeps its conversation's preference for the document cited
    before: the week's documents are a list of their own, not ranked against it."""
    from embeddings import retrieval

    gen = resignations.generation
    vector = resignations.embed_query(RESIGNATION)
    cited = {gen.position("2012.txt"): 0.5}
    week = {gen.position("johnson.txt"): 1.0, gen.position("2013.txt"): 1.0}

    def fused(priors):
        return {c.chunk: c.fused for c in retrieval.search(gen, vector, [], candidates=5, rrf_k=60, nprobe=8,
                                                           mode="dense", priors=priors)}

    alone, both = fused([cited]), fused([cited, week])
    chunk = int(gen.chunk_ids(gen.position("2012.txt"))[0])
    assert both[chunk] == pytest.approx(alone[chunk]), "the week's list leaves the cited document's rank alone"
    assert int(gen.chunk_ids(gen.position("johnson.txt"))[0]) in both


def test_the_weeks_article_joins_whether_bm25_runs_beside_the_embedding_or_not(resignations, monkeypatch):
    """On an idle second core the week's documents and their vectors are gathered beside the question's
    embedding (``Engine._first_query``): the same candidates, hits and answer as one thread doing it all."""
    from embeddings import Engine

    monkeypatch.setattr("embeddings.engine.available_cores", lambda: 2)
    monkeypatch.setattr("embeddings.engine.idle_cores", lambda: 2)
    beside = Engine(resignations.settings).load()
    alone = Engine(resignations.settings.model_copy(update={"query_overlap": False})).load()
    day = date(2022, 7, 8)
    hits = [(h.doc_id, h.score) for h in beside.search(RESIGNATION, k=5, asked_on=day)]
    assert "johnson.txt" in [doc for doc, _ in hits]
    assert hits == [(h.doc_id, h.score) for h in alone.search(RESIGNATION, k=5, asked_on=day)]
    beside.forget_questions()  # asked again, the cached vector would leave nothing to overlap
    a, b = beside.ask(RESIGNATION, asked_on=day), alone.ask(RESIGNATION, asked_on=day)
    assert list(a.timings_ms)[:2] == ["embed", "bm25"] and list(b.timings_ms)[:2] == ["embed", "terms"]
    assert (a.excerpts, a.sources, a.evidence) == (b.excerpts, b.sources, b.evidence)
