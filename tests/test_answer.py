"""Answers: verbatim quotes, consistent citations, and abstention when the documents don't cover it."""

from __future__ import annotations

import re

import pytest

from embeddings import Engine

# The seed says it twice: "could only meet to finalize ..." and "could meet only to finalize ...".
MEETING = re.compile(r"could (only meet|meet only) to finalize a certain document")


def _check_consistent(engine: Engine, ans) -> None:
    numbers = [s.number for s in ans.sources]
    assert numbers == list(range(1, len(numbers) + 1)), "citation numbers run 1..n"
    cited = {e.number for e in ans.excerpts}
    assert cited == set(numbers), "every number quoted is listed and every listed source is quoted"
    by_number = {s.number: s for s in ans.sources}
    for ex in ans.excerpts:
        assert by_number[ex.number].doc_id == ex.doc_id
        full = engine.source(ex.doc_id).text
        assert full[ex.start : ex.end] == ex.text, "the quote is a verbatim slice of its source"


def test_design_question_quotes_peskov_with_source(engine: Engine):
    ans = engine.ask("what did Peskov say about a meeting?")
    assert ans.answered
    _check_consistent(engine, ans)
    assert any(MEETING.search(e.text) for e in ans.excerpts)
    src = ans.sources[0]
    assert src.title == "Russia Holds Firm on Opposition to PutinZelenskyy Negotiations"
    assert src.date.isoformat() == "2022-06-01"
    assert src.url.startswith("https://nationalinterest.org/blog/buzz/russia-holds-firm")


@pytest.mark.parametrize(
    "question",
    ["How long should I knead sourdough bread dough?", "What is the time complexity of quicksort?",
     "How do I center a div in CSS?"],
)
def test_unrelated_question_abstains_without_citations(engine: Engine, question: str):
    ans = engine.ask(question)
    assert not ans.answered
    assert ans.excerpts == [] and ans.sources == []
    assert "don't" in ans.message
    assert ans.evidence < engine.settings.min_evidence


def test_multi_source_answer_numbers_sources_in_quote_order(engine: Engine):
    # Two questions in one, each answered by its own document: both are cited, each on its own
    # evidence, numbered in the order they are first quoted.
    ans = engine.ask("What closed Catania airport, and which ship carried corn to Lebanon?")
    assert ans.answered
    _check_consistent(engine, ans)
    assert {s.doc_id for s in ans.sources} == {"grain.txt", "volcano.md"}
    first_quoted = []
    for e in ans.excerpts:
        if e.doc_id not in first_quoted:
            first_quoted.append(e.doc_id)
    assert [s.doc_id for s in ans.sources] == first_quoted
    assert [s.number for s in ans.sources] == [1, 2]
    assert len(ans.excerpts) <= engine.settings.max_excerpts


def test_quotes_prefer_sentences_that_name_what_was_asked(engine: Engine):
    ans = engine.ask("What did vulcanologist Giuseppe Salerno say about the lava flow?")
    assert ans.answered and ans.excerpts[0].doc_id == "volcano.md"
    assert "Salerno" in ans.excerpts[0].text


def test_answer_is_plain_data(engine: Engine):
    ans = engine.ask("What closed Catania airport?")
    data = ans.model_dump(mode="json")
    assert set(data) >= {"question", "answered", "message", "excerpts", "sources", "evidence"}
    from embeddings import Answer

    assert Answer.model_validate(data) == ans  # what the CLI prints as JSON is the whole answer
