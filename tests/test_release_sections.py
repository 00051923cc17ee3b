"""A question about a section (a release of a changelog) is answered by what that section holds, not by a
note that names it in passing: the entries under "## [1.8.2] - 2025-03-14" never repeat "1.8.2", and the
release's date is in its heading alone (``answer._in_scope``, ``evidence.answering_headings``)."""

from __future__ import annotations

import pytest

from embeddings import Engine
from tests.conftest import indexed_notes

CHANGELOG = """# Changelog

All notable changes to Inkwell are documented here.

## [1.8.2] - 2025-03-14

### Fixed
- Exports to EPUB no longer drop the cover image.
- Footnotes numbered past 99 were rendered twice in the print preview.

### Security
- The share links now expire after seven days.

## [1.8.0] - 2025-01-20

### Added
- A distraction-free writing mode.
- Word counts per chapter in the sidebar.
"""

FAQ = """# Inkwell FAQ

## My EPUB export has no cover

Before 1.8.2 the cover image was lost whenever the book title held an ampersand; update Inkwell first.
If the cover is still missing, check that the image is a PNG or a JPEG under 5 MB.

## Can I write without distractions?

Yes: press F11 for the writing mode, which hides every panel.
"""

MINUTES = """Editors' call - 3 March 2025

Present: Ana, Bruno, Chloe

1. Release 1.8.2
We agreed to ship 1.8.2 with the EPUB cover fix and shorter share links.

2. Translations
Bruno will ask the community for a Portuguese translation.
"""

ROADMAP = """# Inkwell roadmap

Dates are targets, not promises.

## 2.0 (target: autumn 2025)

- Collaborative editing of one book by several authors.
- A plugin API for custom export formats.

## Milestones

| Milestone | Target | Status |
| --- | --- | --- |
| 1.9 | June 2025 | Released |
| 2.0 | October 2025 | Planning |
"""


@pytest.fixture(scope="module")
def inkwell(tmp_path_factory, session_index) -> Engine:
    return indexed_notes(tmp_path_factory.mktemp("inkwell"),
                         {"CHANGELOG.md": CHANGELOG, "faq.md": FAQ, "minutes.txt": MINUTES,
                                                                   "roadmap.md": ROADMAP}, session_index)


def _verbatim(engine: Engine, answer) -> None:
    for e in answer.excerpts:
        assert engine.generation.doc_text(engine.generation.position(e.doc_id))[e.start:e.end] == e.text


def test_what_a_release_changed_is_quoted_from_its_section(inkwell):
    """The FAQ's "Before 1.8.2 the cover image was lost ..." names the release and matched the question best;
    the changelog's entries under "[1.8.2]" are what it changed."""
    answer = inkwell.ask("what changed in 1.8.2")
    assert answer.answered, answer
    assert all("Before 1.8.2" not in e.text for e in answer.excerpts), answer.excerpts
    assert any(e.doc_id == "CHANGELOG.md" and e.section.startswith("[1.8.2] - 2025-03-14")
               for e in answer.excerpts), answer.excerpts
    _verbatim(inkwell, answer)


def test_a_releases_entries_come_before_notes_about_the_release(inkwell):
    """The minutes' "We agreed to ship 1.8.2 with the EPUB cover fix ..." lies under their agenda item
    "1. Release 1.8.2" but names the release itself: a note about it. The entries its changelog heading
    holds, which leave the version to the heading, are what it changed."""
    answer = inkwell.ask("what changed in 1.8.2")
    assert answer.answered, answer
    assert all(e.doc_id == "CHANGELOG.md" and e.section.startswith("[1.8.2] - 2025-03-14")
               for e in answer.excerpts), answer.excerpts


def test_a_release_date_found_only_in_its_heading_is_quoted_without_its_marks(inkwell):
    answer = inkwell.ask("when was 1.8.2 released")
    assert answer.answered, answer
    quoted = [e for e in answer.excerpts if e.doc_id == "CHANGELOG.md"]
    assert quoted and quoted[0].text == "[1.8.2] - 2025-03-14", answer.excerpts
    assert all("Before 1.8.2" not in e.text for e in answer.excerpts), answer.excerpts
    _verbatim(inkwell, answer)


def test_a_planned_versions_date_is_quoted_from_its_heading_and_its_tables_row(inkwell):
    """A table's row whose first cell is the version is about it, as a section under its heading is; the
    other milestone's row is not."""
    answer = inkwell.ask("when is 2.0 coming out")
    assert answer.answered, answer
    texts = [e.text for e in answer.excerpts]
    assert "2.0 (target: autumn 2025)" in texts, answer.excerpts
    assert any(t.startswith("2.0 | October 2025") for t in texts), answer.excerpts
    assert not any("1.9" in t for t in texts), answer.excerpts
    _verbatim(inkwell, answer)


def test_a_heading_is_not_quoted_when_its_section_holds_the_date_or_the_question_wants_none(inkwell):
    """The minutes' "1. Release 1.8.2" holds no date; a changelog heading is no answer to "what"."""
    for question in ("when did they agree to ship 1.8.2", "what was fixed in 1.8.2"):
        answer = inkwell.ask(question)
        assert all(e.text not in ("Release 1.8.2", "[1.8.2] - 2025-03-14") for e in answer.excerpts), answer.excerpts


def test_a_date_is_not_a_version_nor_an_identifiers_year():
    from embeddings.evidence import holds_date

    assert holds_date("[2.4.1] - 2025-10-02", frozenset({"2.4.1"}))
    assert holds_date("3.0 (target: spring 2026)", frozenset({"3.0"}))
    assert holds_date("We agreed to ship 2.4.1 on 2 October.", frozenset({"2.4.1"}))
    assert not holds_date("Release 2.4.1", frozenset({"2.4.1"}))
    assert not holds_date("Session cookies are now marked `SameSite=Lax` (CVE-2025-41877).")
    assert not holds_date("Feeds with a UTF-8 byte order mark no longer fail.")
    assert not holds_date("You may upgrade first.")


def test_a_sections_end_is_the_next_heading_of_its_level():
    from embeddings.sentences import section_end

    start = CHANGELOG.index("[1.8.2]")
    assert CHANGELOG[start:section_end(CHANGELOG, start, "Changelog")].rstrip().endswith("seven days.")
    fixed = CHANGELOG.index("Fixed")
    assert CHANGELOG[fixed:section_end(CHANGELOG, fixed, "Changelog")].rstrip().endswith("print preview.")
    label = MINUTES.index("Release 1.8.2")
    assert MINUTES[label:section_end(MINUTES, label)].rstrip().endswith("shorter share links.")
    assert section_end(CHANGELOG, CHANGELOG.index("A distraction"), "Changelog") is None


def test_an_amount_is_no_release_whose_section_answers():
    """"the record $2.04 billion jackpot" and "a 7.0-magnitude earthquake" are amounts an article's title may
    name, not releases: read as releases, every sentence of such an article was "in scope" and the sentence
    that answered lost to its neighbours (news2022 dev, the Powerball question)."""
    from embeddings.evidence import releases_named
    from embeddings.lexical import dotted_numbers

    for question, releases in [("Who sold the record $2.04 billion Powerball ticket?", set()),
                               ("Which country was shaken by a 7.0-magnitude earthquake?", set()),
                               ("inflation hit 8.5% in March", set()),
                               ("what changed in 2.4.1", {"2.4.1"}), ("what is new in v2.4.1", {"2.4.1"}),
                               ("when is 3.0 coming out", {"3.0"})]:
        assert releases_named(question, dotted_numbers(question)) == releases, question


@pytest.mark.parametrize("question", ["what do i check when the cover is missing after updating to 1.8.2",
                                      "which fixes do i get when i update to 1.8.2"])
def test_a_when_that_joins_a_clause_asks_for_no_date(inkwell, question):
    """"When" asks for a date only where it opens the question or a clause of its own (``evidence._ASKS_WHEN``);
    the release heading, quoted only for a date, is no answer to what to check or what was fixed."""
    answer = inkwell.ask(question)
    assert all(e.text != "[1.8.2] - 2025-03-14" for e in answer.excerpts), answer.excerpts
