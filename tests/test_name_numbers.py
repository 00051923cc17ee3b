"""A number that is part of a name ("Covid-19", "F-35") is not a number the answer must repeat.

A question's numbers are what a passage must hold to be about it ("Who won the Tour in 2024?" is not
answered by the 2022 race), and a passage lacking one is charged heavily (``Params.a_num``). But the
answer to "Which country declared victory against the Covid-19 pandemic?" says "the novel
coronavirus"; charging it for the name's "19" put that sentence's P(answers) near 0 on the news2022
dev set and left the question to sentences about other countries.
"""

from __future__ import annotations

import pytest

from embeddings.evidence import name_numbers

from .conftest import indexed_notes

NOTES = {
    "korea.txt": "North Korean leader Kim Jong Un declared victory in the battle against the novel coronavirus, "
                 "ordering a lifting of maximum anti-epidemic measures imposed in May, state media said.\n",
    "vaccines.txt": "Covid-19 vaccines for children younger than 5 are being shipped to pediatricians this week.\n",
    "travel.txt": "Airlines expect record numbers of travellers this summer as Covid-19 restrictions ease.\n",
    "router.md": "# Router help\n\nTo reset the RT600 router to its factory settings, hold the reset button on "
                 "the back for ten seconds until the light blinks.\n",
}


@pytest.mark.parametrize("text, bound", [
    ("Which country declared victory against the Covid-19 pandemic?", {"19"}),
    ("How many F-35 jets did Poland buy?", {"35"}),
    ("Covid\u201119 with a non-breaking hyphen", {"19"}),
    ("Covid\u201319 with an en dash", {"19"}),
    ("COVID-19 killed 19 people", set()),  # "19" on its own is a number too
    ("What will prices do by mid-2023?", set()),  # four digits after a hyphen are a year
    ("Who won the 2021-22 season?", set()),
    ("Is Python 3.12 out?", set()),
])
def test_a_number_joined_to_a_word_is_part_of_a_name(text, bound):
    assert name_numbers(text) == bound


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("name-numbers"), NOTES, session_index)


def test_the_answer_need_not_repeat_a_names_number(notes):
    passages, _ = notes.passages("Which country declared victory against the Covid-19 pandemic?")
    korea = next(p for p in passages if notes.generation.doc_id(p.doc) == "korea.txt")
    assert korea.numbers_missing == 0.0
    ans = notes.ask("Which country declared victory against the Covid-19 pandemic?")
    assert ans.answered
    assert "North Korean leader" in ans.excerpts[0].text


def test_a_names_number_is_not_an_absent_word_either(notes):
    # "600" is in no note ("RT600" is one word): charged as an uncommon word no document holds, it
    # refused the question outright, far harder than a missing number would have.
    question = "How do I reset the RT-600 router?"
    charged = {p.absent for p in notes.passages(question)[0]}
    assert charged == {p.absent for p in notes.passages("How do I reset the RT router?")[0]}  # "rt" alone
    ans = notes.ask(question)
    assert ans.answered
    assert "hold the reset button" in ans.excerpts[0].text
