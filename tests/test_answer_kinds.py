"""A question asking for a price or a time of day is answered only by a sentence that names one.

"How much did the minibus cost?" asked of minutes that mention the minibus and other amounts, but
not the minibus's price, used to be answered with P(answers) ~1.0; so was "How much does the laser
cutter cost?" with the laser-cutter induction rule (``embeddings.answer_kinds``).
"""

from __future__ import annotations

import pytest

from embeddings.answer_kinds import AnswerKind, asked_kind, holds_kind

from .conftest import indexed_notes

MINUTES = """# Riverside Robotics Club - Meeting Minutes, 14 March 2024

Present: Priya (chair), Tomasz, Elena, Marcus, Aisha, Dev.

## Treasurer's report

Tomasz reported a balance of £1,240.50. The sponsorship from Halden Engineering (£500) arrived on 4 March.

## Regional competition

The regional competition is on Saturday 27 April at Northgate College. Registration closes on 5 April and costs £45 per team.
We agreed to enter two teams. Aisha offered to book the minibus; it seats 16.

## Workshop

Nobody may use the laser cutter without first completing the safety induction, which Dev runs on the first Monday of each month.
"""

PLANS = """# Hosting plans

The Pro plan is our most popular choice for groups of friends. It costs $10 a month and includes daily backups.
The Starter plan suits a single player.
The doors of the help desk open at 9:30 on weekdays, and the desk closes in the evening.
"""


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("answer-kinds"), {"minutes.md": MINUTES, "plans.md": PLANS},
                         session_index)


@pytest.mark.parametrize("question, kind", [
    ("how much did the minibus cost?", AnswerKind.PRICE),
    ("How much is a weekend ticket?", AnswerKind.PRICE),
    ("how much money does the club have", AnswerKind.PRICE),
    ("What's the fee for registration?", AnswerKind.PRICE),
    ("What does the Pro plan cost?", AnswerKind.PRICE),
    ("how expensive is the Pro plan", AnswerKind.PRICE),
    ("what time do doors open?", AnswerKind.CLOCK),
    ("At what time does the final start", AnswerKind.CLOCK),
    ("how much did prices rise last year?", None),  # a percentage answers it
    ("how many teams are entering?", None),
    ("what time of year is the competition?", None),
    ("when is the regional competition?", None),  # a day answers it as well as a time
    ("who books the minibus?", None),
])
def test_questions_asking_for_a_price_or_a_time_of_day_are_told_apart(question, kind):
    assert asked_kind(question) is kind


@pytest.mark.parametrize("sentence, kind, holds", [
    ("Registration costs £45 per team.", AnswerKind.PRICE, True),
    ("Tickets are 15 euros for one day.", AnswerKind.PRICE, True),
    ("Entry is free for members.", AnswerKind.PRICE, True),
    ("The bidder paid USD 19 million.", AnswerKind.PRICE, True),
    ("Aisha offered to book the minibus; it seats 16.", AnswerKind.PRICE, False),
    ("The 8 GB plan suits 10 to 30 players.", AnswerKind.PRICE, False),
    ("10:30  Rocket League 2v2 tournament", AnswerKind.CLOCK, True),
    ("The show starts at 7pm.", AnswerKind.CLOCK, True),
    ("We meet at noon.", AnswerKind.CLOCK, True),
    ("Tell the shift lead at least 24 hours before it starts.", AnswerKind.CLOCK, False),
    ("The regional competition is on Saturday 27 April.", AnswerKind.CLOCK, False),
])
def test_a_sentence_names_a_price_or_a_time_of_day_or_not(sentence, kind, holds):
    assert holds_kind(kind, sentence) is holds


def _quotes(engine, question: str) -> list[str]:
    answer = engine.ask(question)
    return [e.text for e in answer.excerpts] if answer.answered else []


def test_a_price_nobody_wrote_down_is_not_answered_with_other_amounts_or_the_thing_itself(notes):
    # The minutes name the minibus and three prices, none of them the minibus's.
    assert _quotes(notes, "how much did the minibus cost?") == []
    # The laser cutter is named (an induction rule), never priced.
    assert _quotes(notes, "how much does the laser cutter cost?") == []


def test_a_price_or_a_time_that_is_written_down_is_quoted(notes):
    assert any("£45 per team" in q for q in _quotes(notes, "how much does registration for the regional competition cost?"))
    # The amount's sentence says "It": the plan is named in the sentence before.
    assert any("$10 a month" in q for q in _quotes(notes, "how much does the Pro plan cost?"))
    # The club's name is in the note's title only.
    assert any("£1,240.50" in q for q in _quotes(notes, "how much money does the robotics club have?"))
    assert any("9:30" in q for q in _quotes(notes, "what time does the help desk open?"))


def test_only_sentences_naming_the_price_are_quoted_for_it(notes):
    quotes = _quotes(notes, "how much does registration for the regional competition cost?")
    assert quotes and all("£" in q for q in quotes), quotes
