"""A quote says which section it lies in: the headings a reader loses with it.

"Which release fixed the crash with big clipboard contents?" is answered by a changelog's line "A
crash when copying more than 10 MB of text (#118)."; the release is its heading "[1.4.2] -
2023-11-30", which is never quoted. ``Excerpt.section`` carries the headings above the quote
(``sentences.section_paths``), and the CLI and the bot show them with it.
"""

from __future__ import annotations

import pytest

from bot import render
from embeddings.answer import SECTION_SEPARATOR
from embeddings.cli import render_answer as cli_answer
from embeddings.models import Answer, Excerpt, Source
from embeddings.sentences import section_paths

from .conftest import indexed_notes

CHANGELOG = """# Changelog

All notable changes to tidyclip are documented here.

## [2.1.0] - 2024-05-02

### Added
- Support for Wayland clipboards through `wl-clipboard`.

## [1.4.2] - 2023-11-30

### Fixed
- A crash when copying more than 10 MB of text (#118).
- History search was case sensitive; it is now case insensitive.

## 1.0.1

- Fixed a crash when importing HEIC photos on startup.
"""

FAQ = """# Pixelnest Hosting - Support FAQ

## Billing

**Can I get a refund?**
New customers can cancel within 14 days for a full refund.

**Do you take PayPal?**
Yes, and every major credit card.
"""

OUTLINE = """CONTRIBUTING TO ORBIT

Thanks for helping out.

GETTING THE CODE

Fork the repository and clone your fork.

CODE STYLE

Run the formatter before every commit.
"""

BYLINE = """David Jackson

USA TODAY

The White House is decorated for the holiday season.
"""


def _at(text: str, phrase: str) -> tuple[str, ...]:
    return section_paths(text, [text.index(phrase)])[0]


def test_a_quote_lies_under_every_heading_above_it_outermost_first():
    assert _at(CHANGELOG, "A crash when copying") == ("[1.4.2] - 2023-11-30", "Fixed")
    assert _at(CHANGELOG, "Support for Wayland") == ("[2.1.0] - 2024-05-02", "Added")
    assert _at(CHANGELOG, "All notable changes") == ()  # "# Changelog" on the first line is the title
    # An FAQ's bold question is a section of its own, inside the Markdown heading above it.
    assert _at(FAQ, "New customers can cancel") == ("Billing", "Can I get a refund?")
    assert _at(FAQ, "Yes, and every") == ("Billing", "Do you take PayPal?")
    # A heading's own line is not inside it.
    assert _at(CHANGELOG, "## [1.4.2]") == ()
    assert _at(CHANGELOG, "### Fixed") == ("[1.4.2] - 2023-11-30",)


def test_lines_of_capitals_are_sections_when_they_make_an_outline_not_when_one_stands_alone():
    assert _at(OUTLINE, "Run the formatter") == ("CODE STYLE",)
    assert _at(OUTLINE, "Thanks for helping") == ()  # the first line is the document's title
    # A news article's agency line is no section of the article, nor a slot repeated in it.
    assert _at(BYLINE, "The White House") == ()
    slots = "Harbour fees rise.\n\nADVERTISEMENT\n\nBoats pay 20 euros.\n\nADVERTISEMENT\n\nPower is metered.\n"
    assert _at(slots, "Power is metered") == ()
    # The first line's capitals and one more make an outline.
    minutes = "MINUTES OF THE ANNUAL MEETING\n\nHeld on 3 May.\n\nAPOLOGIES\n\nApologies were received from Ann.\n"
    assert _at(minutes, "Apologies were received") == ("APOLOGIES",)
    # In a Markdown file capitals are a callout inside the section, for their paragraph only.
    handbook = "# Handbook\n\n## Safety\n\nIMPORTANT\n\nNever lift boxes over 20 kg alone.\n\nWear gloves.\n\n## Usage\n\nScan the label.\n"
    assert _at(handbook, "Never lift boxes") == ("Safety", "IMPORTANT")
    assert _at(handbook, "Wear gloves") == ("Safety",)
    assert _at(handbook, "Scan the label") == ("Usage",)
    # Capitals in code are commands, not sections.
    code = "# Guide\n\n## Database\n\n```\nUPDATE T SET X = 1\n\nDELETE FROM LOGS\n```\n\nThen restart the server.\n"
    assert _at(code, "Then restart") == ("Database",)
    indented = "## Setup\n\nSet this:\n\n    DOCBOT_DATA_DIR\n\n    DOCBOT_DOCS_DIR\n\nThen run it.\n"
    assert _at(indented, "Then run it") == ("Setup",)


def test_a_bold_label_names_only_the_paragraph_it_heads():
    faq = ("# Club FAQ\n\n## Membership\n\n**Can I pause my membership?**\nYes, for up to three months.\n\n"
           "Members vote on the fees every March.\n")
    assert _at(faq, "Yes, for up") == ("Membership", "Can I pause my membership?")
    assert _at(faq, "Members vote") == ("Membership",)
    packed = "**What time is check-in?**\nCheck-in starts at 15:00.\n**Is breakfast included?**\nBreakfast costs 8 euros.\n"
    assert _at(packed, "Breakfast costs") != ("What time is check-in?",)


def test_a_headings_name_is_shown_as_a_reader_sees_it():
    text = "# Notes\n\n## Learning C#\n\nStart with the tour.\n\n## **Monitoring**\n\nWatch the logs.\n\n" \
           "## [Logging](https://wiki.example.org/logging) with `journald`\n\nLogs rotate daily.\n\n" \
           "Deployment\n   ===\n\n## Rollback\n\nA rollback takes a minute.\n\n<!--\n## hidden\n-->\n\nStill rolling back.\n"
    assert _at(text, "Start with the tour") == ("Learning C#",)
    assert _at(text, "Watch the logs") == ("Monitoring",)
    assert _at(text, "Logs rotate") == ("Logging with journald",)
    assert _at(text, "A rollback takes") == ("Deployment", "Rollback")
    assert _at(text, "Still rolling back") == ("Deployment", "Rollback")
    # A footnote's reference is a mark, not a word of the name ("Budget[^1]" was shown).
    notes = "# Report\n\n## Budget[^1]\n\nThe budget is 2 million euros.\n\n## Staff [^note]\n\nTen people.\n\n" \
            "[^1]: Approved in March.\n[^note]: Full-time.\n"
    assert _at(notes, "The budget is") == ("Budget",) and _at(notes, "Ten people") == ("Staff",)


def test_an_html_comment_hides_a_heading_where_it_hides_the_quotes():
    """Sections found comments with an expression of their own, the quotes with ``sentences.layout``: a
    "<!--" shown in a code block hid every heading below it, though its lines were quoted."""
    text = "# Setup\n\n```html\n<!-- the banner -->\n<!--\n```\n\n## Rollback\n\nA rollback takes a minute.\n\n" \
           "<!--\n## Old rollback\nIt took an hour.\n-->\n\nStill rolling back.\n"
    assert _at(text, "A rollback takes") == ("Rollback",)  # "Setup", the first line, is the title
    assert _at(text, "Still rolling back") == ("Rollback",)


def test_a_first_heading_is_a_section_when_the_document_is_titled_otherwise():
    """A Word file titled "Handbook" in its properties, whose one heading is "Vacation policy", quoted
    its vacation rule with no section: the first heading was taken for the title."""
    text = "# Vacation policy\n\nEmployees get 25 days of paid vacation per year.\n"
    at = [text.index("Employees")]
    assert section_paths(text, at, "Handbook") == [("Vacation policy",)]
    assert section_paths(text, at, "Vacation policy") == [()]  # the title itself
    assert section_paths(text, at, "Vacation policy | Acme intranet") == [()]  # a page title adds its site
    assert section_paths(text, at) == [()]  # no title known: the first heading is taken for it
    # The title as a note's reader found it keeps the heading's Markdown; whole words of it, not letters.
    guide = "# `orbit` Admin Guide\n\nRun a backup every night.\n\n## Restores\n\nA restore takes an hour.\n"
    assert section_paths(guide, [guide.index("A restore")], "`orbit` Admin Guide") == [("Restores",)]
    assert section_paths(text.replace("Vacation policy", "Pay"), [text.index("Employees") - 12],
                         "Employee Handbook: Payroll") == [("Pay",)]
    notes = "# Orbit 4.0\n\nA preview.\n"
    assert section_paths(notes, [notes.index("A preview")], "Release notes for Orbit 3.2") == [("Orbit 4.0",)]
    # Capitals on the first line are a title or a credit ("AP" above a news story), never a section.
    assert section_paths("AP\n\nThe Senate passed the bill on Tuesday.\n", [4], "Senate passes bill") == [()]


@pytest.fixture(scope="module")
def notes(tmp_path_factory, session_index):
    return indexed_notes(tmp_path_factory.mktemp("sections"), {"CHANGELOG.md": CHANGELOG, "faq.md": FAQ},
                         session_index)


def test_an_answer_names_the_section_of_each_quote_without_the_documents_title(notes):
    answer = notes.ask("which release fixed the crash when copying more than 10 MB of text?")
    crash = next(e for e in answer.excerpts if "A crash when copying" in e.text)
    assert crash.section == SECTION_SEPARATOR.join(["[1.4.2] - 2023-11-30", "Fixed"])  # not "Changelog"
    # "1.0.1" has no word the index keeps (the tokenizer drops it): the section is found all the same.
    heic = notes.ask("which version fixed the crash when importing HEIC photos?")
    assert [e.section for e in heic.excerpts if "HEIC" in e.text] == ["1.0.1"]
    refund = next(e for e in notes.ask("can I get a refund?").excerpts if "full refund" in e.text)
    assert refund.section == f"Billing{SECTION_SEPARATOR}Can I get a refund?"  # the title left out


def _answer(section: str | None) -> Answer:
    text = "A crash when copying more than 10 MB of text (#118)."
    return Answer(question="which release fixed the crash?", answered=True, message="1 excerpt from 1 source:",
                  excerpts=[Excerpt(number=1, doc_id="CHANGELOG.md", chunk=0, start=0, end=len(text), text=text,
                                    score=1.0, section=section)],
                  sources=[Source(number=1, doc_id="CHANGELOG.md", title="Changelog")], evidence=0.9)


def test_the_bot_shows_the_section_above_the_quote_as_written():
    shown = render.render_answer(_answer("[1.4.2] - 2023-11-30 › Fixed_now"))
    description = shown.embeds[0].description
    # Above the quote, in italics, its Markdown characters escaped (the "_" does not end the italics).
    assert "*\\[1.4.2\\] - 2023-11-30 › Fixed\\_now*\n> A crash when copying" in description
    assert shown.excerpts[0].text == "A crash when copying more than 10 MB of text (#118)."  # still verbatim
    assert "[1] ([1.4.2] - 2023-11-30 › Fixed_now) “A crash" in shown.plain_text()
    assert "›" not in render.render_answer(_answer(None)).embeds[0].description


def test_the_cli_shows_the_section_under_the_quote():
    out = cli_answer(_answer("[1.4.2] - 2023-11-30 › Fixed"))
    assert "“A crash when copying more than 10 MB of text (#118).”\n    under: [1.4.2] - 2023-11-30 › Fixed" in out
    assert "under:" not in cli_answer(_answer(None))


def test_a_version_is_answered_from_the_passages_that_name_it(notes):
    """"1.4.2" and "3.0" are looked for as written too (``lexical.dotted_numbers``, ``evidence.holds_dotted``:
    "3.0.1" names "3.0"), in the chunk, its headings and its title. While some passage names
    the version, the others are not quoted; a passage that does not name it counts as missing a number."""
    from embeddings.evidence import dotted_numbers, holds_dotted

    assert dotted_numbers("when will tidyclip 3.0 be released? and 2.1.0?") == {"3.0", "2.1.0"}
    assert dotted_numbers("Covid-19 cases, BA.4 and BA.5, 7 days") == frozenset()
    assert holds_dotted("3.0", "v3.0.1 is out") and not holds_dotted("3.0", "13.0") and not holds_dotted("3.0", "3.01")
    answer = notes.ask("what was fixed in tidyclip 1.4.2?")
    assert answer.answered and answer.excerpts
    # Named only in the section's heading, which the quotes carry; 2.1.0's lines are not quoted.
    assert all(e.section and e.section.startswith("[1.4.2]") for e in answer.excerpts), answer.excerpts
    assert any("A crash when copying" in e.text for e in answer.excerpts)
    never = notes.passages("what was fixed in tidyclip 1.4.7?")[0]
    assert never and all(p.numbers_missing == 1 for p in never)


def test_a_version_is_found_in_the_release_heading_above_a_chunk(tmp_path_factory, session_index):
    """In a changelog whose releases have several parts, "### Fixed" starts a chunk of its own: the release
    is named only in the "## [2.1.0]" above it, which must count, or the right lines are never quoted."""
    from embeddings import Turn

    added = "\n".join(f"- Added the option number {i} to the settings screen for power users." for i in range(12))
    text = (f"# Changelog\n\n## [2.1.0] - 2024-05-02\n\n### Added\n\n{added}\n\n### Fixed\n\n"
            "- A crash when the history file was locked by another process.\n\n"
            "## [2.0.0] - 2024-02-18\n\n### Fixed\n\n- A crash when the clipboard held an image.\n")
    engine = indexed_notes(tmp_path_factory.mktemp("releases"), {"CHANGELOG.md": text}, session_index)
    answer = engine.ask("what crash was fixed in 2.1.0?")
    assert answer.answered and answer.excerpts[0].text.startswith("A crash when the history file was locked"), answer
    assert answer.excerpts[0].section == SECTION_SEPARATOR.join(["[2.1.0] - 2024-05-02", "Fixed"])
    assert all("clipboard held an image" not in e.text for e in answer.excerpts)
    # A follow-up about "that release" keeps its version.
    more = engine.ask("and what was added in that release?", history=[Turn.of(answer)])
    assert more.answered and all(e.section and e.section.startswith("[2.1.0]") for e in more.excerpts), more
