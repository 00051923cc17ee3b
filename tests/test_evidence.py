"""Choosing what to quote from scored sentences: de-duplication, growth, per-source evidence.

These build ``evidence.Passage`` objects by hand (no model), so each rule is checked on its own.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from embeddings import answer
from embeddings.evidence import (
    DEFAULT_PARAMS, FEATURE_SIGNS, FEATURES, Passage, adjacent_phrases, answer_checks, apply, asks_for_name, asks_for_number,
    features, holds_name, named_terms, phrases, probability, rerank, surprise,
)
from embeddings.lexical import stems, words
from embeddings.null import NullProfile
from embeddings.settings import EngineSettings

DEFAULT_CUT = EngineSettings.model_fields["min_evidence"].default
from embeddings.models import Source
from embeddings.retrieval import Candidate
from embeddings.sentences import Kind, quotable_sentences

DOCS = [
    "# Badges\nBadges are issued by the moderators at the end of each month.\n\n## Expense policy\n"
    "Marta Kowalski approves expenses.",
    "Retaliatory measures were discussed by NATO in 2015. Ministers met in Brussels.",
    "Badges are issued by the moderators at the end of each month!",
]


def _gen():
    """What ``answer.build`` reads of a generation: three documents of one chunk each."""
    ids, titles = ["a.md", "b.txt", "c.txt"], ["A", "B", "C"]
    return SimpleNamespace(
        doc_id=lambda pos: ids[pos],
        chunk_number=lambda cid: 0,  # each document is one chunk
        source=lambda pos, number: Source(number=number, doc_id=ids[pos], title=titles[pos]),
        page=lambda pos, offset: None,  # unpaged documents
        title=lambda pos: titles[pos],
    )


def _passage(doc: int, scores: list[float], p: list[float], chunk: int | None = None) -> Passage:
    sents = quotable_sentences(DOCS[doc])
    spans = np.array([[s.start, s.end, int(s.kind)] for s in sents], dtype=np.int64)
    score = np.array(scores, dtype=float)
    score[spans[:, 2] == Kind.HEADING] = -np.inf
    cand = Candidate(chunk if chunk is not None else doc, 0.03, 0.5, 0, 0)
    return Passage(cand, doc, spans, np.array(scores), np.zeros(len(scores)), score, np.array(p), 1.0)


def _build(passages, min_evidence=0.5):
    texts = dict(enumerate(DOCS))
    return answer.build("q?", _gen(), passages, texts, min_evidence=min_evidence, max_excerpts=4)


def test_a_second_source_must_carry_its_own_evidence():
    good = _passage(0, [0, 0.9, 0, 0.3], [0, 0.95, 0, 0.2])
    loose = _passage(1, [0.85, 0.2], [0.3, 0.1])  # scores close, but not evidence by itself
    ans = _build([good, loose])
    assert ans.answered and [s.doc_id for s in ans.sources] == ["a.md"]
    strong = _passage(1, [0.85, 0.2], [0.8, 0.1])
    ans = _build([good, strong])
    assert [s.doc_id for s in ans.sources] == ["a.md", "b.txt"]
    assert [e.number for e in ans.excerpts] == [1, 2]


def test_abstains_when_the_best_sentence_is_not_evidence():
    ans = _build([_passage(1, [0.9, 0.8], [0.4, 0.3])])
    assert not ans.answered and ans.excerpts == [] and ans.sources == []
    assert ans.evidence == 0.4


def test_the_same_sentence_in_another_document_is_quoted_once():
    a = _passage(0, [0, 0.9, 0, 0.1], [0, 0.95, 0, 0.1])
    reprint = _passage(2, [0.89], [0.94])
    ans = _build([a, reprint])
    assert len(ans.excerpts) == 1 and ans.excerpts[0].doc_id == "a.md"


def test_short_quotes_never_grow_into_a_heading():
    ans = _build([_passage(0, [0, 0.2, 0, 0.9], [0, 0.2, 0, 0.9])])
    assert ans.excerpts[0].text == "Marta Kowalski approves expenses."  # not "...## Expense policy"
    text = DOCS[0]
    for e in ans.excerpts:
        assert text[e.start : e.end] == e.text and "#" not in e.text


def test_quotes_far_below_the_best_are_left_out():
    ans = _build([_passage(0, [0, 0.9, 0, 0.9 - DEFAULT_PARAMS.margin - 0.05], [0, 0.95, 0, 0.9])])
    assert len(ans.excerpts) == 1


def test_probability_never_falls_with_a_feature_that_means_more_evidence():
    # The fit keeps each weight to its sign (evidence.FEATURE_SIGNS); it may drop a feature to 0. The
    # cosine counts through its standing above the corpus's null (null_cos), which must lift it.
    base = probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.5)[0]
    assert probability(np.array([0.6]), np.array([0.3]), 0.4, False, 0.5)[0] >= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.5, null_cos=2.0)[0] > base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.5, null_surprise=2.0)[0] >= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.5, surprise=2.0)[0] >= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.5, numbers_missing=1.0)[0] <= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, True, 0.5)[0] >= base
    assert probability(np.array([0.4]), np.array([0.9]), 0.4, False, 0.5)[0] >= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.8, False, 0.5)[0] >= base
    assert probability(np.array([0.4]), np.array([0.3]), 0.4, False, 0.9)[0] >= base


def test_when_asks_for_a_date_only_where_it_opens_a_question():
    # "when" joining a clause asks for no date: "what should I include when asking for help?" wants a list,
    # and a sentence without a number is not the wrong kind of answer to it.
    for q in ("when was that?", "When is the next meetup?", "so when is the call", "when's the AGM",
              "i got banned, when can i come back", "yo when do u open on saturday", "How many people can come?"):
        assert asks_for_number(q), q
    for q in ("what should i include when asking for help", "what happens when the server restarts",
              "Do I get a refund when I cancel?"):
        assert not asks_for_number(q), q


def test_a_passage_without_the_questions_number_or_a_sentence_that_only_echoes_is_weaker_evidence():
    # "Who won the Tour de France in 2024?" over a passage about the 2022 race.
    question = {"tour", "franc", "2024"}
    sentences = [{"tour", "franc"}, {"vingegaard", "won", "tour", "franc", "2022"}]
    missing, novel = answer_checks(question, {"2024"}, sentences, set().union(*sentences))
    assert missing == 1.0
    assert novel[0] == 0.0 and novel[1] > 0.0  # the echo adds nothing; the answer adds words
    found, _ = answer_checks(question, {"2024"}, sentences, set().union(*sentences) | {"2024"})
    assert found == 0.0
    assert answer_checks(question, set(), sentences, set())[0] == 0.0  # no number asked: nothing missing

    def p(**kw):
        return probability(np.array([0.5]), np.array([0.6]), 0.5, True, 0.7, **kw)[0]

    assert p(numbers_missing=1.0) < p(numbers_missing=0.0)
    assert p(novel=np.log1p(4)) > p(novel=0.0)


def test_shared_words_say_more_in_a_small_corpus_and_when_rare():
    weights = {"treasur": 4.5, "expens": 3.5}
    found = {"treasur", "expens"}
    one_note = surprise(weights, found, 60, 7)
    news = surprise(weights, found, 60, 98_000)
    assert one_note > news  # the same words, found in one of 7 passages or one of 98,000
    assert surprise(weights, {"expens"}, 60, 7) < one_note  # fewer of the question's words
    # a follow-up is charged for a word of its own the passage lacks, not for its topic's words
    assert surprise(weights, {"expens"}, 60, 7, own={"treasur"}) < surprise(weights, {"expens"}, 60, 7)
    assert surprise(weights, {"treasur"}, 60, 7, own={"treasur"}) == surprise(weights, {"treasur"}, 60, 7)
    assert surprise({"say": 1.0}, {"say"}, 60, 7) < 0  # a common word is no evidence anywhere
    p = lambda s: probability(np.array([0.4]), np.array([0.5]), 0.4, True, 0.5, surprise=s)[0]  # noqa: E731
    assert p(one_note) > p(news)


def test_a_follow_up_is_charged_only_for_the_names_it_brings_in():
    assert named_terms("what did the Pope say about it?") == {"pope"}
    assert named_terms("And Lavrov?") == {"lavrov"}  # the first word's capital is not a name's
    assert named_terms("Who won? And what did NATO say?") == {"nato"}  # nor a new sentence's
    # paraphrased by the answer ("penalty", "ballots"): not charged
    assert named_terms("who imposed the fine?") == named_terms("how many votes did it get?") == set()


def test_a_document_several_best_passages_come_from_wins_a_near_tie():
    mention = _passage(1, [0.9, 0.2], [0.9, 0.1])  # one passage that mentions the subject
    about = _passage(0, [0, 0.9, 0, 0.3], [0, 0.9, 0, 0.3], chunk=3)  # the article about it: two passages
    more = _passage(0, [0, 0.5, 0, 0.3], [0, 0.5, 0, 0.3], chunk=4)
    mention.passage_score, about.passage_score, more.passage_score = 2.005, 2.0, 1.6
    params = dataclasses.replace(DEFAULT_PARAMS, doc_support=0.01)
    assert rerank([mention, about, more], dataclasses.replace(params, doc_support=0.0))[0] is mention
    assert rerank([mention, about, more], params)[0] is about
    far = _passage(1, [0.9, 0.2], [0.9, 0.1])
    far.passage_score = 2.5  # a clearly better passage keeps its place
    assert rerank([far, about, more], params)[0] is far


# ------------------------------------------------------------------ the corpus's null
# Profiles as measured (``benchmarks.quality``): the 139 null questions' best sentences over one shipped
# note (seeds/) and over the 98,459 news2022 passages.
ONE_NOTE = NullProfile(cos_mid=0.064, cos_spread=0.059, surprise_mid=-0.845, surprise_spread=1.231, questions=139)
NEWS_ARCHIVE = NullProfile(cos_mid=0.428, cos_spread=0.118, surprise_mid=-0.806, surprise_spread=2.604, questions=139)


def _scored(cos: float, surprise_: float, null: NullProfile | None, doc: int = 0) -> Passage:
    """A passage whose best sentence ("Badges are issued by the moderators...") has ``cos`` with the
    question and shares words of this ``surprise``, scored over a corpus with this null."""
    passage = _passage(doc, [0.0, cos, 0.0, 0.0], [0.0] * 4)
    passage.cos = np.array([0.0, cos, 0.0, 0.0])
    passage.novel = np.array([0.0, 1.6, 0.0, 0.0])  # the answer adds words of its own ("moderators", "month")
    passage.surprise, passage.null, passage.scale = surprise_, null, 3.0
    return apply(passage, DEFAULT_PARAMS)


def test_the_same_match_is_an_answer_in_one_note_and_chance_in_a_news_archive():
    # "Who issues badges?" against its answer: a short question gets a cosine of ~0.35 from MiniLM, and
    # "badges" is rare enough to mean something in one note but not among 98,000 passages.
    in_note = _build([_scored(0.35, 3.0, ONE_NOTE)], min_evidence=DEFAULT_CUT)
    assert in_note.answered and "moderators" in in_note.excerpts[0].text
    in_archive = _build([_scored(0.35, 3.0 - np.log10(98459), NEWS_ARCHIVE)], min_evidence=DEFAULT_CUT)
    assert not in_archive.answered and in_archive.message == answer.NOT_COVERED
    # Over the archive a match far above its null is still an answer.
    clear = _build([_scored(0.75, 12.0, NEWS_ARCHIVE)], min_evidence=DEFAULT_CUT)
    assert clear.answered


def test_an_off_topic_question_is_refused_over_one_note():
    # "What is the capital of Peru?" over the seeds: the best sentence is at the note's null.
    ans = _build([_scored(0.09, -0.8, ONE_NOTE)], min_evidence=DEFAULT_CUT)
    assert not ans.answered


def test_null_features_are_the_standing_above_the_profile_and_zero_without_one():
    passage = _scored(0.35, 3.0, ONE_NOTE)
    named = dict(zip(FEATURES, features(passage, 1)))
    assert named["a_null_cos"] == pytest.approx((0.35 - 0.064) / 0.059)
    assert named["a_null_surprise"] == pytest.approx((3.0 + 0.845) / 1.231)
    unmeasured = dict(zip(FEATURES, features(_scored(0.35, 3.0, None), 1)))
    assert unmeasured["a_null_cos"] == unmeasured["a_null_surprise"] == 0.0
    assert FEATURE_SIGNS["a_null_cos"] == FEATURE_SIGNS["a_null_surprise"] == 1


def test_a_null_profile_reads_the_upper_tail_and_is_remeasured_for_other_null_questions():
    rng = np.random.default_rng(3)
    cos = rng.normal(0.4, 0.1, 2000)
    profile = NullProfile.of(cos, rng.normal(0.0, 2.0, 2000))
    assert profile.cos_mid == pytest.approx(0.4, abs=0.01)
    assert profile.cos_spread == pytest.approx(0.1, abs=0.01)
    assert profile.surprise_spread == pytest.approx(2.0, abs=0.2)
    # A few null questions the corpus does answer (a news archive answers some) barely move it.
    answered = NullProfile.of(np.concatenate([cos, np.full(40, 0.95)]), rng.normal(0.0, 2.0, 2040))
    assert answered.cos_spread < 0.12
    # Nothing found at all (one short note): the spread never falls to zero.
    assert NullProfile.of([0.0] * 10, [-1.0] * 10).cos_spread > 0
    assert NullProfile.of([], []) is None
    assert NullProfile.from_dict(profile.to_dict()) == profile
    assert NullProfile.from_dict({**profile.to_dict(), "version": "other questions"}) is None
    assert NullProfile.from_dict(None) is None


LICENSING = ("LICENSING\n\nBy contributing you agree that your work is released under the AGPL-3.0 license. "
             "Orbit does not require a contributor license agreement, but every commit must carry a "
             "Signed-off-by line.\n\nTRANSLATIONS\n\nTranslations are managed on Weblate.")


def test_a_short_answer_beside_a_quoted_sentence_joins_its_quote_instead_of_being_dropped():
    # The best sentence repeats the question's words; the one holding the answer is short, so it would
    # grow into the quoted one. It is not lost as an overlap: the quote takes it in, verbatim.
    sents = quotable_sentences(LICENSING)
    spans = np.array([[s.start, s.end, int(s.kind)] for s in sents], dtype=np.int64)
    assert [Kind(k) for k in spans[:, 2]] == [Kind.HEADING, Kind.PROSE, Kind.PROSE, Kind.HEADING, Kind.PROSE]
    score = np.array([-np.inf, 0.8, 0.9, -np.inf, 0.2])
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(5), score, np.full(5, 0.9), 1.0)
    ans = answer.build("What license is Orbit under?", _gen(), [passage], {0: LICENSING}, min_evidence=0.5,
                       max_excerpts=4)
    quoted = [e.text for e in ans.excerpts]
    assert any("AGPL-3.0" in q for q in quoted), quoted
    assert quoted[0].startswith("By contributing") and quoted[0].endswith("Signed-off-by line.")
    assert all(LICENSING[e.start : e.end] == e.text for e in ans.excerpts)
    assert len([q for q in quoted if "AGPL" in q or "Signed-off-by" in q]) == 1  # one excerpt, not two


def _quotes_of(text: str, scores: list[float]) -> list[str]:
    """The excerpts ``answer.build`` quotes from one document of ``text``, its sentences scored ``scores``."""
    spans = np.array([[s.start, s.end, int(s.kind)] for s in quotable_sentences(text)], dtype=np.int64)
    assert len(spans) == len(scores)
    score = np.where(spans[:, 2] == Kind.HEADING, -np.inf, np.array(scores, dtype=float))
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(len(scores)), score,
                      np.full(len(scores), 0.9), 1.0)
    ans = answer.build("q?", _gen(), [passage], {0: text}, min_evidence=0.5, max_excerpts=4)
    assert all(text[e.start : e.end] == e.text for e in ans.excerpts)
    return [e.text for e in ans.excerpts]


def test_a_question_or_a_dateline_on_its_own_line_is_never_a_quote():
    # A news article's rhetorical question shares the question's words and scores best; it answers nothing.
    gas = ("So why don't New Jersey and Oregon let you pump your own gas?\n\n"
           "In New Jersey, it has been illegal for drivers to pump their own gas since 1949, "
           "and Oregon has banned self-service since 1951.")
    assert _quotes_of(gas, [0.9, 0.8]) == [gas.split("\n\n")[1]]
    strike = ("New York CNN Business \u2014\n\n"
              "A strike at UPS would be the largest strike against a single business in the nation's history.")
    assert _quotes_of(strike, [0.9, 0.8]) == [strike.split("\n\n")[1]]


def test_a_question_or_a_lead_in_within_its_paragraph_grows_into_what_follows():
    mustard = ("Hoping to bring some Dijon mustard home from France on your next holiday, like so many visitors? "
               "It might be the last place you will find some. Shelves are empty.")
    quoted = _quotes_of(mustard, [0.9, 0.5, 0.1])
    assert quoted[0] == "Hoping to bring some Dijon mustard home from France on your next holiday, like so many " \
                        "visitors? It might be the last place you will find some."
    # A prose line ending in a colon announces the list below it, even across Markdown's blank line.
    rules = ("Moderators enforce these rules with a three-step system:\n\n"
             "- First offence: a written warning by direct message\n- Second offence: a 7-day mute\n")
    quoted = _quotes_of(rules, [0.9, 0.3, 0.8])
    assert quoted[0] == "Moderators enforce these rules with a three-step system:\n\n" \
                        "- First offence: a written warning by direct message"
    assert quoted[1] == "Second offence: a 7-day mute"
    assert not any(q.endswith((":", "?")) for q in quoted)


def test_a_quote_never_runs_a_line_that_stops_without_ending_a_sentence_into_the_next():
    # A timetable's lines are records: the best one is quoted alone, though shorter than a quote grows to
    # ("Sat, Sun & public holidays 9-22 Tuesdays we open at 12:00 ..." read as one sentence).
    hours = "Opening hours.\n\nMon-Fri 10-23\nSat, Sun & public holidays 9-22\nTuesdays we open at 12:00 for setting.\n"
    quoted = _quotes_of(hours, [0.1, 0.5, 0.9, 0.6])
    assert quoted[0] == "Sat, Sun & public holidays 9-22" and not any("\n" in q for q in quoted)
    # Sentences that end as sentences do still grow across a line break within their paragraph.
    short = "Opening hours.\n\nThe hall opens at nine.\nIt closes at ten.\n"
    assert _quotes_of(short, [0.1, 0.9, 0.5])[0] == "The hall opens at nine.\nIt closes at ten."


def test_a_quoted_table_row_shows_its_column_names():
    table = "# Prices\n\n| Ticket | Regular | Reduced |\n|---|---|---|\n| Day pass | 12 | 8 |\n| Shoe rental | 3 | 3 |\n"
    spans = np.array([[s.start, s.end, int(s.kind)] for s in quotable_sentences(table)], dtype=np.int64)
    score = np.where(spans[:, 2] == Kind.HEADING, -np.inf, np.array([0.0, 0.0, 0.9, 0.1]))
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(4), score, np.full(4, 0.9), 1.0)
    ans = answer.build("How much is a day pass?", _gen(), [passage], {0: table}, min_evidence=0.5, max_excerpts=1)
    assert [(e.text, e.section) for e in ans.excerpts] == [("Day pass | 12 | 8", "Prices › Ticket | Regular | Reduced")]


def test_a_lead_in_that_would_end_a_quote_is_left_out():
    # "The most common badges are:" would join the quote before it, but nothing it announces follows.
    badges = ("Badges are issued by the moderators at the end of each month, based on activity in the server. "
              "The most common badges are:\n\n## Expense policy\nMarta Kowalski approves expenses.")
    quoted = _quotes_of(badges, [0.9, 0.85, 0.0, 0.1])
    assert quoted == ["Badges are issued by the moderators at the end of each month, based on activity in the server."]


def test_an_unquotable_best_sentence_hands_the_answer_to_the_next_one():
    # A note's FAQ line scores best but states nothing; its answer, the next paragraph, leads instead.
    faq = ("How do I reset my password?\n\n"
           "Use the /reset command in any channel, and the bot sends you a link that works for one hour.")
    texts = {0: faq}
    spans = np.array([[s.start, s.end, int(s.kind)] for s in quotable_sentences(faq)], dtype=np.int64)
    score = np.array([0.9, 0.55])
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(2), score,
                      np.array([0.9, 0.7]), 1.0)
    ans = answer.build("How can I reset my password?", _gen(), [passage], texts, min_evidence=0.5, max_excerpts=4)
    assert ans.answered and [e.text for e in ans.excerpts] == [faq.split("\n\n")[1]]
    assert ans.evidence == 0.7  # the quoted sentence's probability, not the question line's
    alone = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans[:1], score[:1].copy(), np.zeros(1), score[:1],
                    np.array([0.9]), 1.0)
    ans = answer.build("How can I reset my password?", _gen(), [alone], texts, min_evidence=0.5, max_excerpts=4)
    assert not ans.answered and ans.excerpts == [] and ans.message == answer.NOT_COVERED


def test_a_short_quote_ends_before_a_lead_in_it_cannot_complete():
    # Grown to its minimum length, the quote would end on "Why?", whose answer is too long to take in.
    inflation = "Inflation in the euro area hit 9.1% in June. Why? " + "Energy prices " * 40 + "rose."
    assert _quotes_of(inflation, [0.9, 0.5, 0.1]) == ["Inflation in the euro area hit 9.1% in June."]


def test_list_items_that_ask_are_not_run_together():
    # A list item grows only within its line, a question too: the lead-in above cannot take the answer
    # item through the question item, and the answer item is quoted on its own.
    faq = "Common questions:\n\n- How do I reset my password?\n- Use the /reset command in any channel.\n"
    assert _quotes_of(faq, [0.9, 0.85, 0.8]) == ["Use the /reset command in any channel."]
    # Nothing but questions: nothing is quoted, and the answer says so.
    asks = "Common questions:\n\n- How do I reset my password?\n- How do I leave the server?\n"
    spans = np.array([[s.start, s.end, int(s.kind)] for s in quotable_sentences(asks)], dtype=np.int64)
    score = np.array([0.9, 0.85, 0.8])
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(3), score, np.full(3, 0.9), 1.0)
    ans = answer.build("q?", _gen(), [passage], {0: asks}, min_evidence=0.5, max_excerpts=4)
    assert not ans.answered and ans.message == answer.NOT_COVERED


def test_a_question_keeps_its_answer_rather_than_the_context_before_it():
    # Too short alone, the question grows by its better neighbour, the sentence before; the long answer
    # after it then does not fit beside both, so the context gives way to the answer.
    before = "The city council met on Monday night to discuss the budget for the coming year and its new parks plan."
    after = "It will rise by 4% next year, " + "with most of the money going to schools and transport, " * 5 + "the mayor said."
    text = f"{before} And the budget? {after}"
    assert _quotes_of(text, [0.8, 0.9, 0.3])[0] == f"And the budget? {after}"


def test_a_questions_uncommon_words_side_by_side_are_rarer_by_chance_than_apart():
    question = words("Which airline announced a deal this week to buy Spirit Airlines?")
    pairs = phrases(question, stems(question))
    assert ("spirit", "airlin") in pairs and ("deal", "week") not in pairs  # "deal", "week": common words
    common = words("How many grams of protein do I need to build muscle?")
    assert ("build", "muscl") not in phrases(common, stems(common))  # "build" is a common word

    # Two words anywhere in a passage of 100 have 100 x 100 chances, side by side 100: 2 bits more.
    weights = {"spirit": 4.5, "airlin": 4.0}
    apart = surprise(weights, {"spirit", "airlin"}, 100, 98_000)
    assert surprise(weights, {"spirit", "airlin"}, 100, 98_000, adjacent=1) == pytest.approx(apart + 2.0)

    texts = ["JetBlue agreed to buy Spirit Airlines for $3.8 billion.", "Nothing about it.",
             "The airlines said the spirit of the deal held.", "Spirit's shareholders met; airlines watched."]
    held = [{"spirit", "airlin"}, set(), {"spirit", "airlin"}, {"spirit", "airlin"}]
    read: list[int] = []

    def text_of(rows: list[int]) -> list[str]:
        read.extend(rows)
        return [texts[r] for r in rows]

    # Passage 0 holds the name; passage 1 holds both words, but never side by side in that order.
    assert adjacent_phrases(pairs, held, np.array([0, 2, 4]), text_of, {}) == [1, 0]
    assert 1 not in read  # a sentence without both words is never read


def test_who_asks_for_someone_named_and_a_sentence_naming_someone_is_that_kind_of_answer():
    # "Who is the treasurer?" is answered by "... from the treasurer, Samuel Adeyemi", not by "The treasurer
    # publishes a quarterly summary", which holds more of its words around no name.
    for q in ("who started the project", "yo whos the treasurer", "Who approves expenses over $500?", "ok who's the head ta"):
        assert asks_for_name(q), q
    for q in ("what if a moderator is the one harassing me", "Hannah, who wrote it, is she around?"):
        assert not asks_for_name(q), q
    asked = {"who", "is", "the", "treasurer"}
    for text in ("Expenses need approval from the treasurer, Samuel Adeyemi.", "It was started by Mira Okonkwo in 2021",
                 "**Head TA:** Tomasz Wiśniewski.", "In Mira Okonkwo we trust", "Jean-Luc Picard said so"):
        assert holds_name(text, asked), text
    for text in ("The treasurer publishes a quarterly summary in **#announcements**.", "Members vote in Open Collective",
                 "the United States and the White House", "the NASA Team", "Read the Guide. Then wait."):
        assert not holds_name(text, asked), text
    assert not holds_name("Ask Samuel Adeyemi", {"samuel"})  # the name the question itself gives
