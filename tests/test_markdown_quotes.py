"""Notes as people write them, end to end: Markdown block syntax never sits at a quote's edge (tables,
underlined headings, rules, front matter, task lists and code blocks are read as such when indexing:
``sentences.layout``), a document's own "article 5" is no reference to a source, and a word typed
with a combining accent is the same word as its composed form."""

from __future__ import annotations

import pytest

from embeddings import Turn

from .conftest import indexed_notes

NOTES = {
    "prices.md": "# Prices\n\n| Ticket | Price |\n|--------|-------|\n| Adult | 12 euros |\n| Child | 6 euros |\n\n"
                 "The shop sells star maps for 8 euros.\n",
    "hours.md": "Opening hours\n=============\n\nThe planetarium opens at 10 am.\n\nNight shows\n-----------\n\n"
                "Night shows start at 9 pm and last fifty minutes.\n",
    "volunteers.md": "---\ntitle: Volunteer guide\ndate: 2023-05-01\n---\n\n"
                     "Volunteers must attend a safety briefing before their first shift.\n",
    "tasks.md": "# Tasks\n\n- [ ] Replace the projector bulb before the winter season starts.\n",
    "install.md": "```bash\n# install the planetarium software\npip install stellarium-tools\n```\n\n"
                  "The planetarium software runs on the old laptop in the office.\n",
    "statutes.md": "# Club statutes\n\nArticle 5. Members must pay the yearly fee before the end of March.\n",
    "wifi.txt": "The club's wifi password is stargazer42 and it changes every January.\n",
    "fines.md": "# Fines\n\n| Offence | First time | Second time |\n| --- | --- | --- |\n"
                "| Littering | 10 euro fine | - |\n| Speeding | 50 euro fine | n/a |\n| Parking | 20 euro fine | 40 euro fine |\n",
    "workshops.md": "# Workshops\n\nZoe\u0308 leads the spectroscopy workshop every Thursday evening.\n",
}
_MARKUP_EDGES = ("|", "#", "- ", "* ", "---", "===", "***", "___", "[ ]", "[x]", "```")


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("markdown-quotes"), NOTES, session_index)


def _checked(engine, answer):
    """The answer's excerpts, after checking each is its source's text and has no markup at its edges."""
    for e in answer.excerpts:
        assert engine.source(e.doc_id).text[e.start:e.end] == e.text
        assert not e.text.startswith(_MARKUP_EDGES) and not e.text.rstrip().endswith(("|", "=", "---")), e.text
    return [e.text for e in answer.excerpts]


def test_a_table_row_is_quoted_without_its_pipes_or_its_neighbours(notes):
    quotes = _checked(notes, notes.ask("How much is an adult ticket?"))
    assert "Adult | 12 euros" in quotes
    assert not any("Ticket | Price" in q or "---" in q for q in quotes)


def test_a_table_row_ending_in_an_empty_cell_is_quoted(notes):
    # "| - |" is a cell saying "none", not a dash leading in to what follows (as "New York CNN -" does).
    quotes = _checked(notes, notes.ask("What is the fine for littering?"))
    assert quotes[0] == "Littering | 10 euro fine | -"


def test_an_underlined_heading_is_a_title_and_never_a_quote(notes):
    answer = notes.ask("How long do night shows last?")
    quotes = _checked(notes, answer)
    assert quotes[0] == "Night shows start at 9 pm and last fifty minutes."
    assert "Night shows" not in quotes
    assert answer.sources[0].title == "Opening hours"


def test_front_matter_gives_the_title_and_its_fences_are_never_quoted(notes):
    answer = notes.ask("What must volunteers attend before their first shift?")
    assert _checked(notes, answer)[0] == "Volunteers must attend a safety briefing before their first shift."
    assert answer.sources[0].title == "Volunteer guide"


def test_a_task_box_is_a_marker(notes):
    quotes = _checked(notes, notes.ask("What needs to be replaced before winter?"))
    assert quotes[0] == "Replace the projector bulb before the winter season starts."


def test_a_comment_in_a_code_block_is_not_the_notes_title(notes):
    answer = notes.ask("Which computer does the planetarium software run on?")
    _checked(notes, answer)
    assert answer.answered and answer.sources[0].doc_id == "install.md"
    assert answer.sources[0].title != "install the planetarium software"


def test_article_5_after_another_answer_is_a_question_of_its_own(notes):
    first = notes.ask("What is the wifi password?")
    assert first.answered and first.sources[0].doc_id == "wifi.txt"
    answer = notes.ask("What does article 5 say about the fee?", history=[Turn.of(first)])
    assert answer.answered
    assert any("Members must pay the yearly fee" in q for q in _checked(notes, answer))


def test_a_decomposed_accent_is_the_same_word(notes):
    """The note writes "Zoë" as e + U+0308 (as macOS and some keyboards do); the question the composed
    U+00EB. Both are read in Unicode's composed form (``lexical``), so the name is found either way."""
    for name in ("Zo\u00eb", "Zoe\u0308"):
        answer = notes.ask(f"What does {name} lead?")
        assert answer.answered and answer.sources[0].doc_id == "workshops.md", name
        assert "spectroscopy workshop" in _checked(notes, answer)[0]


DEPLOY_GUIDE = """---
title: Orbit deployment guide
date: 2024-05-20T09:30:00+02:00
author: Platform Team
tags: [deployment, kubernetes, registry]
layout: guide
---

<!-- TODO: ask the registry team how long images are kept in the registry -->

![Registry retention diagram](docs/registry-retention.png)

Images are kept in the registry for 90 days, then deleted.
"""

CHOIR = """# Riverside Community Choir

[![members](https://img.shields.io/badge/members-42-blue.svg)](https://choir.example) The choir rehearses every Wednesday at 7pm in the school hall.

The board ![logo](img/logo.png) meets on the first Friday of each month to plan the concert season.

New members pay a joining fee of 15 euros, which covers the sheet music.
"""


@pytest.fixture(scope="module")
def guide(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("front-matter"), {
        "deploy-guide.md": DEPLOY_GUIDE, "choir.md": CHOIR,
        "wifi.txt": "The club's wifi password is stargazer42 and it changes every January.\n"}, session_index)


def test_front_matter_date_dates_the_note(guide):
    """A note dated by its front matter ("date: 2024-05-20T09:30:00+02:00") was undated: ``ask --since``
    left it out."""
    import datetime as dt

    assert {s.doc_id: s.date for s in guide.sources()}["deploy-guide.md"] == dt.date(2024, 5, 20)
    answer = guide.ask("How long are images kept in the registry?", since=dt.date(2024, 5, 1))
    assert answer.answered and _checked(guide, answer)[0] == "Images are kept in the registry for 90 days, then deleted."


def test_html_comments_and_metadata_records_are_never_quoted(guide):
    """A Markdown note's HTML comment is never shown to its readers, and "tags:" or "layout:" configure a
    site generator: neither was to be quoted (the TODO was). "author:" may answer who wrote it."""
    from embeddings.sentences import Kind, quotable_sentences

    kinds = {DEPLOY_GUIDE[s.start:s.end]: s.kind for s in quotable_sentences(DEPLOY_GUIDE)}
    assert kinds["tags: [deployment, kubernetes, registry]"] is Kind.HEADING and kinds["layout: guide"] is Kind.HEADING
    assert kinds["author: Platform Team"] is Kind.LIST and not any("TODO" in k for k in kinds)
    assert not any("![" in k or ".png" in k for k in kinds)  # an image's markup is no sentence either
    # Hugo and Jekyll write a list's items below its key: metadata too.
    listed = "---\ntitle: Guide\ntags:\n  - deployment\n  - kubernetes\nauthor: Ann\n---\n\nText.\n"
    listed_kinds = {listed[s.start:s.end]: s.kind for s in quotable_sentences(listed)}
    assert listed_kinds["- deployment"] is Kind.HEADING and listed_kinds["- kubernetes"] is Kind.HEADING
    assert listed_kinds["author: Ann"] is Kind.LIST
    for question in ("How long are images kept in the registry?", "What are the tags of the deployment guide?",
                     "Which layout does the deployment guide use?"):
        quotes = _checked(guide, guide.ask(question))
        assert not any("TODO" in q or "tags:" in q or "layout:" in q or "![" in q for q in quotes), (question, quotes)
    answer = guide.ask("Who wrote the Orbit deployment guide?")
    assert "author: Platform Team" in _checked(guide, answer)



def test_an_image_is_never_at_a_quotes_edge(guide):
    """A badge before a line's text was quoted with its Markdown ("[![CI](...)](...)"): a reader sees a
    picture there. The text after it is quoted, verbatim; a logo inside a sentence stays in the sentence,
    which is quoted whole."""
    for question, expected in (("When does the choir rehearse?",
                                "The choir rehearses every Wednesday at 7pm in the school hall."),
                               ("When does the board meet?", "The board ![logo](img/logo.png) meets on the first "
                                                             "Friday of each month to plan the concert season.")):
        answer = guide.ask(question)
        quotes = _checked(guide, answer)
        assert answer.answered and expected in quotes, (question, quotes)
        assert not any(q.startswith(("![", "[![")) or q.endswith(")") and "![" in q.rsplit(" ", 1)[-1]
                       for q in quotes), quotes
