"""A course's documents as a student's questions meet them (the tester's CS 214 set): a PDF grading policy's
"Final exam: 25%" lines, an announcement whose sentence wraps before "(B-100), ...", a grade scale quoted from
its first grade, the page tag in the terminal and a ``.markdown`` syllabus."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from embeddings import answer
from embeddings.documents import parse
from embeddings.evidence import Passage
from embeddings.models import Source
from embeddings.retrieval import Candidate
from embeddings.sentences import Kind, quotable_sentences, section_paths

from .doc_fixtures import make_lines_pdf

_POLICY = [
    "CS 214 Data Structures - Grading and Late Policy (Fall 2026)",
    "This document is part of the syllabus. If it and any other course page disagree, this document wins.",
    "1. Weights",
    "Programming assignments (PA1-PA8): 35%",
    "Labs: 10%",
    "Group project: 15%",
    "Midterm exam: 15%",
    "Final exam: 25%",
    "The final exam is cumulative. To pass the course you must score at least 50% on the final exam, whatever",
    "your other scores are.",
    "2. Staff",
    "Instructor: Dr. Priya Raman",
    "Head TA: Tomasz Wisniewski",
    "Office hours are listed on the course site and change in the week of the midterm and of the final.",
    "Chapter 3: Results",
    "The course was taught to 212 students in 2025 and most of them passed the final exam on the first try.",
    "Case study: Harbour Water",
    "A team of three students built a hash table for the harbour's mooring records and presented it in week 15.",
]


def _quotes(text: str) -> dict[str, tuple[Kind, tuple[str, ...]]]:
    found = quotable_sentences(text)
    return {text[s.start:s.end]: (s.kind, path) for s, path in zip(found, section_paths(text, [s.start for s in found]))}


def test_a_pdf_label_and_value_line_is_a_quotable_fact_not_a_heading() -> None:
    """"Final exam: 25%" was written as a heading: never quoted, so "how much is the final worth" was refused,
    and the weight shown only as the section of the sentence below it. A real short heading stays one."""
    text = parse("grading-policy.pdf", make_lines_pdf([_POLICY])).text
    assert "# Final exam" not in text and "# Labs" not in text and "# Head TA" not in text
    quotes = _quotes(text)
    assert quotes["Final exam: 25%"] == (Kind.LIST, ("1. Weights",))
    assert quotes["Programming assignments (PA1-PA8): 35%"] == (Kind.LIST, ("1. Weights",))
    assert quotes["Head TA: Tomasz Wisniewski"] == (Kind.LIST, ("2. Staff",))
    # the sentence below the weights lies in their section, not under "Final exam: 25%"
    assert quotes["The final exam is cumulative."][1] == ("1. Weights",)
    # headings with a colon that name a part or a section keep heading what follows them
    assert "# Chapter 3: Results" in text and "# Case study: Harbour Water" in text
    assert quotes[_POLICY[-1]] == (Kind.PROSE, ("Case study: Harbour Water",))


_ROOMS = ("2026-10-14 - Midterm room assignments\n"
          "The midterm on Wednesday October 21 is split between two rooms by last name: A-L in Beckett Auditorium\n"
          "(B-100), M-Z in Orr Hall 201. Arrive ten minutes early and bring your student ID card.\n")


def test_a_sentence_wrapped_before_an_aside_in_brackets_is_quoted_whole() -> None:
    """"which room is my midterm in, last name starts with S" quoted "... by last name: A-L in Beckett
    Auditorium": the line ended on a name, so the sentence was cut before "(B-100), M-Z in Orr Hall 201."
    A caption's credit in brackets alone on its line stays apart."""
    from embeddings.chunking import chunked_alike

    doc = parse("announcements.txt", _ROOMS.encode())
    sentences = [doc.text[s.start:s.end] for s in quotable_sentences(doc.text, title=doc.title)]
    assert ("The midterm on Wednesday October 21 is split between two rooms by last name: A-L in Beckett Auditorium\n"
            "(B-100), M-Z in Orr Hall 201.") in sentences
    caption = "Protesters gather outside the courthouse on Tuesday morning in downtown Washington\n(AP Photo/Jose Luis Magana)\n"
    assert [caption[s.start:s.end] for s in quotable_sentences(caption)][-1] == "(AP Photo/Jose Luis Magana)"
    # An index of chunker 12 embeds again only the notes this touches.
    assert not chunked_alike(12, 13, _ROOMS) and not chunked_alike(10, 13, _ROOMS)
    assert chunked_alike(12, 13, caption) and chunked_alike(12, 13, "Plain prose.\n(Short aside) here.\n")


_GRADES = ("# 2. Letter grades\n\n"
           "A: 93 and above. A-: 90 to 92.99. B+: 87 to 89.99. B: 83 to 86.99. B-: 80 to 82.99. C+: 77 to 79.99. "
           "C: 70 to 76.99. D: 60 to 69.99. F: below 60. Scores are not rounded up.\n\n"
           "To pass the course you must score at least 50% on the final exam, whatever your other scores are.\n")


def test_a_grade_scale_is_quoted_from_its_first_grade() -> None:
    """"what score do i need for an A" quoted "A-: 90 to 92.99. ... Scores are not rounded up." without "A: 93
    and above.": the quote began at the best sentence's neighbours and grew left one sentence at a time, but a
    sentence passed over while it did not yet touch the quote was never looked at again."""
    spans = np.array([[s.start, s.end, int(s.kind)] for s in quotable_sentences(_GRADES)], dtype=np.int64)
    # As the question scored them: "Scores are not rounded up." first, then the 50% rule, then "A: 93 and above."
    scores = [-np.inf, 1.560, 1.506, 1.516, 1.526, 1.516, 1.399, 1.456, 1.452, 1.384, 1.729, 1.652]
    assert len(spans) == len(scores)
    score = np.array(scores)
    passage = Passage(Candidate(0, 0.03, 0.5, 0, 0), 0, spans, score.copy(), np.zeros(len(scores)), score,
                      np.full(len(scores), 0.99), 1.0)
    gen = SimpleNamespace(doc_id=lambda pos: "grading-policy.pdf", chunk_number=lambda cid: 0,
                          source=lambda pos, number: Source(number=number, doc_id="grading-policy.pdf", title="Policy"),
                          page=lambda pos, offset: None, title=lambda pos: "Policy")
    ans = answer.build("what score do i need for an A", gen, [passage], {0: _GRADES}, min_evidence=0.5, max_excerpts=4)
    first = ans.excerpts[0].text
    assert first.startswith("A: 93 and above. A-: 90 to 92.99.") and first.endswith("Scores are not rounded up."), first
    assert all(_GRADES[e.start:e.end] == e.text for e in ans.excerpts)


def test_the_terminal_keeps_a_quotes_page_tag_on_one_line() -> None:
    """`docbot ask` printed "... than three days.” (p." and "1)" on the next line: the tag was wrapped as words."""
    from embeddings.cli import render_answer
    from embeddings.models import Answer, Excerpt

    for pad in range(0, 100, 3):
        text = "x" * pad + " A note from Student Health or the Dean of Students office is required for extensions longer than three days."
        excerpt = Excerpt(number=1, doc_id="grading-policy.pdf", chunk=4, start=0, end=len(text), text=text, score=1.0, page=12)
        shown = render_answer(Answer(question="q", answered=True, message="1 excerpt from 1 source:", excerpts=[excerpt],
                                     sources=[Source(number=1, doc_id="grading-policy.pdf", title="Policy", pages=[12])],
                                     evidence=0.9))
        assert "(p. 12)" in shown and "\0" not in shown, shown


def test_a_markdown_file_named_dot_markdown_is_indexed_as_markdown(tmp_path) -> None:
    """A folder's ``syllabus.markdown`` was passed over by the folder walk without a word."""
    from embeddings import formats
    from embeddings.documents import iter_files

    (tmp_path / "syllabus.markdown").write_text("# CS 214 syllabus\n\nThe head TA is Tomasz Wisniewski.\n", encoding="utf-8")
    assert [p.name for _, p in iter_files([tmp_path])] == ["syllabus.markdown"]
    doc = parse("syllabus.markdown", (tmp_path / "syllabus.markdown").read_bytes())
    assert doc.title == "CS 214 syllabus" and "The head TA is Tomasz Wisniewski." in doc.text
    assert formats.written_in_markdown("syllabus.markdown")
