"""The shipped documents: index seeds/ as `make run` does and ask the design question."""

from __future__ import annotations

from embeddings import Engine

from .conftest import SEEDS


def test_index_seeds_and_ask_the_design_question(fresh):
    settings = fresh(docs=SEEDS)
    engine = Engine(settings)
    report = engine.reindex()
    assert report.documents_total == len(list(SEEDS.glob("*.txt"))) and report.published and not report.skipped
    ans = engine.ask("what did Peskov say about a meeting?")
    assert ans.answered
    quote = next(e for e in ans.excerpts if "could meet only to finalize a certain document" in e.text)
    source = next(s for s in ans.sources if s.number == quote.number)
    assert source.title == "Russia Holds Firm on Opposition to PutinZelenskyy Negotiations"
    assert str(source.date) == "2022-06-01"
    assert source.url == "https://nationalinterest.org/blog/buzz/russia-holds-firm-opposition-putin-zelenskyy-negotiations-202755"
    assert not engine.ask("What is the chemical formula of table salt?").answered
