"""The collection's own subject: a word most passages hold tells none apart, so a question is searched
without it (``embeddings.pervasive``)."""

from __future__ import annotations

import pytest

from embeddings.pervasive import MIN_PASSAGES, is_pervasive, without_pervasive

from .conftest import ROOT, indexed_engine, indexed_notes

# A small open-source project's notes (a tester's: Markdown, text, HTML, PDF and Word): most passages name
# the project, as a community's notes do.
LUMENFEED = ROOT / "benchmarks" / "data" / "lumenfeed"  # read by benchmarks.notes too


@pytest.fixture(scope="module")
def project(tmp_path_factory, session_index):
    return indexed_engine(tmp_path_factory.mktemp("project"), LUMENFEED, session_index)


def _first_quotes(engine, question: str) -> list[str]:
    answer = engine.ask(question)
    assert answer.answered and answer.question == question, question  # shown as asked
    return [e.text for e in answer.excerpts]


@pytest.mark.parametrize(("question", "phrase"), [
    ("does lumenfeed support postgres?", "A PostgreSQL backend for large installations"),
    ("how many feeds can lumenfeed handle?", "about 2,300 feeds"),
    ("what port does lumenfeed use by default?", "8743"),  # not "lumenfeed serve --port 8800"
])
def test_naming_the_project_does_not_pull_in_the_passages_that_merely_name_it(project, question, phrase):
    """"does lumenfeed support postgres" quoted "Yes. Lumenfeed supports multiple user accounts..." and
    "Lumenfeed needs Python 3.10...": they hold the name, which English does not know and so weighed as
    rare. Searched without it, the question finds what it finds unnamed: the roadmap's PostgreSQL line."""
    named = _first_quotes(project, question)
    assert phrase in named[0], named
    assert named[0] == _first_quotes(project, question.replace(" lumenfeed", " it"))[0]


def test_the_project_name_is_the_collections_subject(project):
    assert project.generation.pervasive_terms(["lumenfe", "postgr", "feed", "port"]) == {"lumenfe"}


# A club's notes (a reviewer's): "club" and "members" are in most passages, and common English words.
CLUB = {name: text for name, text in [
    ('faq.md', '# FAQ\n\n## How big is the club?\nThe club has 212 members as of May 2025.\n\n## Can members freeze their membership?\nYes, members can pause for up to three months a year.\n\n## Where do members park?\nMembers park in the yard behind the club, free of charge.\n\n## Who runs the club?\nA board of five members, elected each spring.\n'),
    ('minutes.txt', 'Board minutes - 3 April 2025\n\n1. Fees\nThe board agreed that members pay 45 euros a month from June. The club keeps the student rate.\n\n2. Volunteers\nMembers who volunteer four hours a month get a free week. The club needs help at the desk.\n\n3. Next board meeting\nThe next board meeting is on 8 May 2025 at 19:00 in the club room.\n'),
    ('rules.md', "# House rules\n\n## Guests\nMembers may bring one guest per visit. Guests sign the club waiver at the desk.\n\n## Lockers\nMembers get a locker key at the desk. Lost keys cost 20 euros.\n\n## Quiet hours\nThe club is quiet after 21:00. Members keep music to headphones.\n\n## Kids\nChildren of members climb with a parent. The club has a kids' corner.\n"),
]}


def test_a_common_word_the_notes_repeat_is_still_what_the_question_asks_about(tmp_path_factory, session_index):
    """"how many members does the club have?" was searched as "how many does the have?" and refused: the
    two words are in most of the club's passages, but English weighs them as common already, and they
    are what the question is about. Only a word English rates uncommon (a name) is dropped."""
    club = indexed_notes(tmp_path_factory.mktemp("club"), CLUB, session_index)
    assert club.generation.pervasive_terms(["club", "member"]) == {"club", "member"}
    answer = club.ask("how many members does the club have?")
    assert answer.answered and "212 members" in answer.excerpts[0].text, answer.excerpts


def test_a_question_is_searched_without_the_words_most_passages_hold():
    pervasive = {"lumenfe"}.intersection
    assert without_pervasive("does Lumenfeed support postgres?", pervasive) == "does support postgres?"
    assert without_pervasive("does it support postgres?", pervasive) == "does it support postgres?"
    # A question about nothing but the subject is searched as asked: there would be nothing left.
    assert without_pervasive("what is lumenfeed?", pervasive) == "what is lumenfeed?"
    # A common word is never dropped, however many passages hold it.
    common = {"club", "member", "lumenfe"}.intersection
    assert without_pervasive("how many members does the Lumenfeed club have?", common) == (
        "how many members does the club have?")


def test_only_a_collection_of_enough_passages_has_a_subject_of_its_own():
    assert is_pervasive(5, 8, 3, 4) and not is_pervasive(4, 8, 3, 4)  # more than half of the passages
    # One note of three passages: a word in two of them still tells the third apart.
    assert not is_pervasive(2, 3, 1, 1) and not is_pervasive(MIN_PASSAGES - 1, MIN_PASSAGES - 1, 1, 1)
    # A long note's title words are in most passages of three notes, but in one note of the three.
    assert not is_pervasive(9, 12, 1, 3) and is_pervasive(9, 12, 1, 1)


def test_a_long_notes_title_words_are_not_the_subject_of_three_notes(tmp_path_factory, session_index):
    """A title is embedded and searched with each of its document's chunks: the title word of one long
    note is in most passages of a collection of three notes, yet tells that note from the other two.
    The index counts the documents a word is in, not only its passages."""
    sections = "\n\n".join(
        f"Release {i}\nThis section lists the {i}th batch of changes: faster syncing, fewer crashes on "
        f"startup, a new settings page and a dozen small fixes reported by testers during week {i}. "
        "Every change was reviewed by two maintainers before it was merged into the main branch, and the "
        "test suite ran on three operating systems for each of them."
        for i in range(1, 25))
    notes = {
        "zorblat-changelog.txt": sections,
        "parking.txt": "Visitors park in the yard behind the office, free of charge.",
        "kitchen.txt": "The kitchen closes at nine; wash your own cup.",
    }
    engine = indexed_notes(tmp_path_factory.mktemp("changelog"), notes, session_index)
    gen = engine.generation
    held = gen.lexical.postings("zorblat")
    assert len(held) > gen.size / 2 >= MIN_PASSAGES / 2, (len(held), gen.size)  # most passages hold it
    assert gen.pervasive_terms(["zorblat"]) == set()
    assert is_pervasive(len(held), gen.size, 1, 1)  # over that note alone, it would be its subject
