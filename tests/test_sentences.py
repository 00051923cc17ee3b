"""Quotable sentences: markup never at a quote's edge, captions and link lines told apart."""

from __future__ import annotations

from embeddings.chunking import embedded_text, embedded_texts, split_sentences
from embeddings.sentences import Kind, headings, quotable_sentences, sections_above

NOTE = """# Release notes for Orbit 3.2

Orbit 3.2 was released on 3 March 2025. It adds albums.

## Onboarding
- **Badges** are issued by the moderators.
- Short item
1. First step: run the installer.
> Quoted advice stays quotable.

Read More
Long lines form for Covid-19 PCR tests December 28 in Stamford, Connecticut. John Moore/Getty Images
More: Here's how to apply for the rebate https://example.org/rebate
Follow Jordan Mendoza on Twitter: @jordan_mendoza5.
The AFP news agency reported the figures on Monday.
## Expense policy ##
Marta Kowalski approves expenses.
"""


def _units(text: str = NOTE) -> list[tuple[str, Kind]]:
    return [(text[s.start : s.end], s.kind) for s in quotable_sentences(text)]


def test_markup_is_never_part_of_a_quote_boundary():
    units = _units()
    for text, _ in units:
        assert not text.startswith(("#", "- ", "* ", "> ", "1. ")), text
        assert not text.endswith("#"), text
    assert ("Release notes for Orbit 3.2", Kind.HEADING) in units
    assert ("Expense policy", Kind.HEADING) in units
    assert ("**Badges** are issued by the moderators.", Kind.LIST) in units
    assert ("First step: run the installer.", Kind.LIST) in units
    assert ("Quoted advice stays quotable.", Kind.PROSE) in units
    assert ("Marta Kowalski approves expenses.", Kind.PROSE) in units


def test_offsets_stay_verbatim():
    for s in quotable_sentences(NOTE):
        assert NOTE[s.start : s.end].strip() == NOTE[s.start : s.end]
        assert s.end > s.start


def test_captions_and_link_lines_are_told_from_prose():
    kinds = dict(_units())
    assert kinds["Read More"] is Kind.LINK
    assert kinds["Long lines form for Covid-19 PCR tests December 28 in Stamford, Connecticut."] is Kind.CAPTION
    assert kinds["John Moore/Getty Images"] is Kind.CAPTION
    assert kinds["More: Here's how to apply for the rebate https://example.org/rebate"] is Kind.LINK
    assert kinds["Follow Jordan Mendoza on Twitter: @jordan_mendoza5."] is Kind.LINK
    assert kinds["The AFP news agency reported the figures on Monday."] is Kind.PROSE


GALLERY = (
    "Olivia Newton-John, who starred in the 1978 film \"Grease\", has died at 73.\n\n"
    "Photos: Olivia Newton-John's life in pictures Newton-John attends a screening of \"Grease\" in 2018. "
    "Hide Caption 26 of 29 Photos: Olivia Newton-John's life in pictures Newton-John performs in Sydney in 2020. "
    "Hide Caption 27 of 29\n\n"
    "Her husband said she died peacefully at her ranch.\n"
)


def test_a_photo_gallery_pasted_as_text_is_captions_not_prose():
    """A gallery's line of captions ("... Hide Caption 26 of 29 Photos: ...") is a caption, every sentence
    of it, so the article's own sentences win over it (chunker 12; 11 read it as prose)."""
    kinds = {t: k for t, k in _units(GALLERY)}
    gallery = [t for t in kinds if "Hide Caption" in t or t.startswith("Photos:")]
    assert gallery and all(kinds[t] is Kind.CAPTION for t in gallery), kinds
    assert kinds['Olivia Newton-John, who starred in the 1978 film "Grease", has died at 73.'] is Kind.PROSE
    assert kinds["Her husband said she died peacefully at her ranch."] is Kind.PROSE


def test_a_chunk_starting_inside_a_line_keeps_the_line_kind():
    start = NOTE.index("are issued")
    units = quotable_sentences(NOTE, start, NOTE.index("\n", start))
    assert [(NOTE[u.start : u.end], u.kind) for u in units] == [("are issued by the moderators.", Kind.LIST)]


def test_unbalanced_emphasis_is_trimmed_balanced_kept():
    text = "**Note:** bring water.\nThe end is near.**\n"
    units = _units(text)
    assert units[0][0] == "**Note:** bring water."
    assert units[1][0] == "The end is near."


def test_headings_are_found_with_their_offsets():
    starts, titles = headings(NOTE)
    assert titles == ["Release notes for Orbit 3.2", "Onboarding", "Expense policy"]
    assert [NOTE[s : s + 2] for s in starts] == ["# ", "##", "##"]
    assert headings("no headings here") == ([], [])


def test_abbreviations_still_hold_with_a_bounded_look_behind():
    # The abbreviation check looks back a bounded window (linear splitting); it must still see
    # "Mr." and "U.S." right before a boundary, however long the line before them.
    line = "Word after word. " * 500 + "He met Mr. Smith in the U.S. Army. Then he left."
    spans = [line[s.start : s.end] for s in split_sentences(line)]
    assert spans[-2:] == ["He met Mr. Smith in the U.S. Army.", "Then he left."]
    assert len(spans) == 502


PLAIN = """CONTRIBUTING TO ORBIT

Orbit welcomes contributions of all sizes.

LICENSING

By contributing you agree that your work is released under the AGPL-3.0 license.
NASA SAID SO ON MONDAY.
The note ends here.

U.S. ARMY, 2022
"""


def test_plain_text_capital_headings_are_headings_not_quotes():
    units = dict(_units(PLAIN))
    assert units["CONTRIBUTING TO ORBIT"] is Kind.HEADING
    assert units["LICENSING"] is Kind.HEADING
    # a line in capitals within a paragraph, or ending like a sentence, is prose
    assert units["NASA SAID SO ON MONDAY."] is Kind.PROSE
    assert units["By contributing you agree that your work is released under the AGPL-3.0 license."] is Kind.PROSE
    starts, titles = headings(PLAIN)
    assert titles == ["CONTRIBUTING TO ORBIT", "LICENSING"]  # "U.S. ARMY, 2022" has full stops: not a heading
    assert [PLAIN[s : s + len(t)] for s, t in zip(starts, titles)] == titles


EVENTS = """# Community events 2025

## Berlin meetup

The first in-person meetup takes place on 14 June at c-base. Doors open at 10:00.
Space is limited to 60 people. The meetup is organised by Felix Brandt.

## Spring Photo Challenge

Submit up to three photos between 12 April and 3 May.
"""


def test_a_chunk_starting_mid_section_is_embedded_with_its_heading():
    # The chunk that begins after "## Berlin meetup" does not hold the heading; a reader of it still
    # knows which section it is in, so its embedded (and BM25-indexed) text carries the heading.
    mid = (EVENTS.index("Space is"), EVENTS.index("## Spring"))
    top = (0, EVENTS.index("Doors"))
    spring = (EVENTS.index("## Spring"), len(EVENTS))
    texts = embedded_texts("Community events 2025", EVENTS, [top, mid, spring])
    assert sections_above(EVENTS, [s for s, _ in (top, mid, spring)]) == ["", "Berlin meetup", ""]
    text, at = texts[1]
    assert text.splitlines()[:2] == ["Community events 2025", "Berlin meetup"]
    assert text[at:] == EVENTS[mid[0] : mid[1]]  # the passage itself is unchanged: offsets stay verbatim
    # A chunk that begins with its own heading, or a document's title repeated as its first heading, is
    # not given the heading twice.
    assert texts[0] == embedded_text("Community events 2025", EVENTS[top[0] : top[1]])
    assert texts[2][0] == "Community events 2025\n" + EVENTS[spring[0] :]
    assert embedded_text("Notes", "Body.", "Notes") == embedded_text("Notes", "Body.")


RELEASES = """# Changelog

## [2.4.1] - 2025-10-02

### Fixed
- Notes saved with a byte order mark no longer open as empty pages.

### Security
- Session cookies are now marked `SameSite=Lax`.

## [2.4.0] - 2025-08-19

Markdown tables can be edited cell by cell.
"""


def test_a_chunk_is_embedded_with_every_section_it_lies_in():
    """A changelog's "### Fixed" starts a chunk of its own, which was embedded (and BM25-indexed) with no
    section at all: the release it belongs to, "## [2.4.1] - 2025-10-02", is named now, and within it,
    the release and its part. The document's title ("# Changelog") is no section; a chunk directly under
    a release is embedded as before."""
    fixed, cookies, tables = (RELEASES.index("### Fixed"), RELEASES.index("- Session"), RELEASES.index("Markdown tables"))
    assert sections_above(RELEASES, [fixed, cookies, tables]) == [
        "[2.4.1] - 2025-10-02", "[2.4.1] - 2025-10-02\nSecurity", "[2.4.0] - 2025-08-19"]
    spans = [(fixed, RELEASES.index("### Security")), (cookies, RELEASES.index("## [2.4.0]")), (tables, len(RELEASES))]
    texts = embedded_texts("Changelog", RELEASES, spans)
    assert texts[0][0].splitlines()[:3] == ["Changelog", "[2.4.1] - 2025-10-02", "### Fixed"]
    assert texts[1][0].splitlines()[:3] == ["Changelog", "[2.4.1] - 2025-10-02", "Security"]
    assert texts[2][0].splitlines()[:2] == ["Changelog", "[2.4.0] - 2025-08-19"]
    assert all(text[at:] == RELEASES[a:b] for (text, at), (a, b) in zip(texts, spans))


WRAPPED = """Receipts must be submitted within 60 days of purchase, through the expenses
form on the wiki. Travel is booked by the office manager, Marta Kowalski, who
approves anything over 200 euros.

The support team is led by
Priya Raman.

Contact
Email us at help@example.org.

Bring:
- a laptop, charged, and the badge the moderators
  issued you
- Snacks
"""


def test_a_sentence_an_editor_wrapped_is_one_quote():
    units = [text for text, _ in _units(WRAPPED)]
    assert "Receipts must be submitted within 60 days of purchase, through the expenses\nform on the wiki." in units
    assert "Travel is booked by the office manager, Marta Kowalski, who\napproves anything over 200 euros." in units
    assert "The support team is led by\nPriya Raman." in units  # "by" ends no sentence
    first = quotable_sentences(WRAPPED)[0]
    span = split_sentences(WRAPPED)[0]
    assert (span.start, span.end) == (first.start, first.end) == (0, 93)  # chunks cut where quotes do


def test_labels_list_items_and_lines_that_end_a_sentence_stay_apart():
    units = _units(WRAPPED)
    assert ("Contact", Kind.PROSE) in units and ("Email us at help@example.org.", Kind.PROSE) in units
    assert ("Bring:", Kind.PROSE) in units
    assert ("a laptop, charged, and the badge the moderators\n  issued you", Kind.LIST) in units
    assert ("Snacks", Kind.LIST) in units


def test_rules_and_heading_underlines_are_never_joined_to_a_sentence():
    text = "Release notes\n-------------\nOrbit 3.2 adds albums\n\n---\nThe next release is due in May.\n"
    units = [t for t, _ in _units(text)]
    assert "Orbit 3.2 adds albums" in units and "The next release is due in May." in units
    assert not any("---" in t for t in units if t != "-------------" and t != "---")


def test_records_code_and_tables_are_not_taken_for_wrapped_prose():
    """Lines that merely lack a full stop are not a wrapped paragraph: a Word table's rows, fenced code,
    front matter, "key: value" lines, log lines, lettered lists, hard breaks and a signature each stay
    their own line, so the row or line that answers is quoted alone."""
    cases = {
        "Hotel | 150 euros a night | approved by the line manager\nMeals | 40 euros a day | receipts required":
            ["Hotel | 150 euros a night | approved by the line manager", "Meals | 40 euros a day | receipts required"],
        "```\npip install docbot and then run the\ndocbot index command over the folder\n```":
            ["pip install docbot and then run the", "docbot index command over the folder"],
        "---\ntitle: onboarding notes for the new members of the team\nauthor: the moderators\n---\nHi.":
            ["title: onboarding notes for the new members of the team", "author: the moderators"],
        "name: docbot\ndescription: a tool that answers questions about documents\nlicense: the MIT license":
            ["description: a tool that answers questions about documents", "license: the MIT license"],
        "2024-05-01 12:00:01 INFO started worker 3 of the pool for indexing\n2024-05-01 12:00:02 INFO done":
            ["2024-05-01 12:00:01 INFO started worker 3 of the pool for indexing", "2024-05-01 12:00:02 INFO done"],
        "We prefer, in this order, the ones listed below for the\na) the first one\nb) the second one":
            ["a) the first one", "b) the second one"],
        "Marta Kowalski  \noffice manager  \nroom 3.14": ["Marta Kowalski", "office manager", "room 3.14"],
        "Best regards,\nJohn Smith": ["Best regards,", "John Smith"],
    }
    for text, apart in cases.items():
        units = [t for t, _ in _units(text)]
        for line in apart:
            assert line in units, (line, units)


def test_a_caption_marks_its_own_lines_not_the_wrapped_paragraph():
    text = ("Photo: the team at the 2023 offsite in Lisbon, where the roadmap was\n"
            "agreed. Priya Raman leads the roadmap work now.")
    units = dict(_units(text))
    assert units["Photo: the team at the 2023 offsite in Lisbon, where the roadmap was\nagreed."] is Kind.CAPTION
    assert units["Priya Raman leads the roadmap work now."] is Kind.PROSE


def test_code_fences_are_never_quoted():
    text = "Install it:\n\n```bash\npip install orbit\n```\n\n~~~\norbit serve\n~~~\n"
    assert [t for t, _ in _units(text)] == ["Install it:", "pip install orbit", "orbit serve"]


def test_a_tables_rows_are_quoted_without_their_outer_pipes_and_its_header_never():
    """A Markdown table (with or without outer pipes): the delimiter row is syntax, the header row names
    columns (a heading: context, never a quote), and each other row is a record quoted on its own line."""
    text = "# Prices\n\n| Ticket | Price |\n|--------|:-----:|\n| Adult | 12 euros |\n| Child | 6 euros |\n\nMaps cost 8 euros.\n"
    assert _units(text) == [("Prices", Kind.HEADING), ("Ticket | Price", Kind.HEADING), ("Adult | 12 euros", Kind.LIST),
                            ("Child | 6 euros", Kind.LIST), ("Maps cost 8 euros.", Kind.PROSE)]
    bare = "Day | Guide\n--- | ---\nTuesday | Pedro Alves\nFriday | Ana Lima\n"
    assert _units(bare) == [("Day | Guide", Kind.HEADING), ("Tuesday | Pedro Alves", Kind.LIST),
                            ("Friday | Ana Lima", Kind.LIST)]


def test_underlined_headings_are_headings_and_rules_are_never_quoted():
    text = ("Opening hours\n=============\n\nThe planetarium opens at 10 am.\n\nNight shows\n-----------\n\n"
            "Night shows last fifty minutes.\n\n***\n\nTickets are sold at the door.\n")
    assert _units(text) == [("Opening hours", Kind.HEADING), ("The planetarium opens at 10 am.", Kind.PROSE),
                            ("Night shows", Kind.HEADING), ("Night shows last fifty minutes.", Kind.PROSE),
                            ("Tickets are sold at the door.", Kind.PROSE)]
    assert headings(text, plain=False) == ([0, text.index("Night shows")], ["Opening hours", "Night shows"])
    assert sections_above(text, [text.index("Night shows last")]) == ["Night shows"]


def test_front_matter_is_records_and_its_fences_are_never_quoted():
    spelt = "---\ntitle: Volunteer guide\ndate: 1 May 2023\n---\n\nVolunteers attend a safety briefing first.\n"
    assert ("date: 1 May 2023", Kind.LIST) in _units(spelt)  # a date the source does not show stays a quote
    text = "---\ntitle: Volunteer guide\ndate: 2023-05-01\n---\n\nVolunteers attend a safety briefing first.\n"
    # The title record is the note's title (``formats.plain.title_of``), never a quote, and the date record
    # its date, which the source shows (chunker 11); the others are records.
    assert _units(text) == [("title: Volunteer guide", Kind.HEADING), ("date: 2023-05-01", Kind.HEADING),
                            ("Volunteers attend a safety briefing first.", Kind.PROSE)]
    folded = "---\ntitle: >-\n  Volunteer guide\n---\n\nVolunteers attend a safety briefing first.\n"
    assert all(kind is not Kind.HEADING for _, kind in _units(folded))  # a folded title is left to the heading


def test_task_boxes_and_footnote_labels_are_markers():
    text = "- [ ] Replace the projector bulb.\n- [x] Book the hall.\n1. [X] Print the flyers.\n\n[^1]: Measured in 2019.\n"
    assert [t for t, _ in _units(text)] == ["Replace the projector bulb.", "Book the hall.", "Print the flyers.",
                                            "Measured in 2019."]


def test_a_comment_in_a_code_block_is_code_not_a_heading():
    """``# install it`` inside a fence is a shell comment: it opens no section (no title, no chunk cut
    there), and like a heading it is never quoted itself; the code below it is."""
    from embeddings.indexer import _section_starts

    text = "```bash\n# install the software\npip install stellarium-tools\n```\n\n# Usage\n\nRun it on the laptop.\n"
    assert headings(text) == ([text.index("# Usage")], ["Usage"])
    assert _section_starts(text) == [text.index("# Usage")]
    assert sections_above(text, [text.index("pip")]) == [""]
    units = dict(_units(text))
    assert units["install the software"] is Kind.HEADING and units["pip install stellarium-tools"] is Kind.PROSE
    assert units["Usage"] is Kind.HEADING


def test_plain_text_rules_are_not_underlines():
    """Only a line standing alone, short and not ending as a statement does, is underlined into a
    heading: a paragraph's last line above "---", a signature's "-- ", a quote's or an item's line above
    a rule stay what they are, and so does a paragraph an editor wrapped."""
    cases = {
        "The library opens at 9.\nIt closes at 17.\n---\n\nMore text here.\n":
            ["The library opens at 9.", "It closes at 17.", "More text here."],
        "Hi Anna,\n\nThe invoice was paid on 3 May.\n-- \nJohn Smith\n":
            ["Hi Anna,", "The invoice was paid on 3 May.", "John Smith"],
        "> The meeting moved to Friday.\n---\n": ["The meeting moved to Friday."],
        "- item one\n  continued here\n---\n": ["item one\n  continued here"],
        "Opening hours of the library and the\nreading room\n-----\n\nWe open at 9.\n":
            ["Opening hours of the library and the\nreading room", "We open at 9."],
    }
    for text, units in cases.items():
        assert [(t, k) for t, k in _units(text)] == [(u, Kind.LIST if u.startswith("item") else Kind.PROSE)
                                                    for u in units], text
        assert headings(text, plain=False) == ([], [])


def test_two_underlined_headings_in_a_row_are_one_section():
    from embeddings.indexer import _section_starts

    text = "Orbit FAQ\n=========\n\nIs Orbit free?\n--------------\n\nYes, it is free.\n"
    assert headings(text, plain=False)[1] == ["Orbit FAQ", "Is Orbit free?"]
    assert _section_starts(text) == [0]  # as "# Orbit FAQ" above "## Is Orbit free?": no chunk of a bare heading


def test_only_a_closed_front_matter_is_one_and_inline_code_opens_no_fence():
    unclosed = "---\n# Title\n\nSome text.\n\n## Section\n\nBody text.\n"
    assert _units(unclosed) == [("Title", Kind.HEADING), ("Some text.", Kind.PROSE), ("Section", Kind.HEADING),
                                ("Body text.", Kind.PROSE)]
    opened_by_a_rule = "---\n\nA note.\n\n# Heading\n\nBody.\n\n---\n\nEnd.\n"
    assert [t for t, _ in _units(opened_by_a_rule)] == ["A note.", "Heading", "Body.", "End."]
    inline = "```inline``` is how code is written.\n\n# Real\n\nText.\n"
    assert headings(inline, plain=False)[1] == ["Real"]
    assert ("Real", Kind.HEADING) in _units(inline)


def test_a_table_runs_to_a_blank_line():
    text = "| a | b |\n|---|---|\n| 1 | 2 |\nTotal\n\nAfter.\n"
    assert _units(text) == [("a | b", Kind.HEADING), ("1 | 2", Kind.LIST), ("Total", Kind.LIST), ("After.", Kind.PROSE)]


def test_a_bold_line_naming_its_paragraph_is_its_heading():
    """An FAQ written with bold questions: each question heads its answer (a section, never a quote, so
    no quote opens on "**"); a bold statement, or a bold phrase inside a sentence, stays prose."""
    text = ("**Can I get a refund?**\nNew customers can cancel within 14 days.\n\n"
            "__Location__\nRoom B12, Science Building.\n\n"
            "**Registration closes on 1 June.**\nLate entries are not accepted.\n\n"
            "**Note:** bring your own laptop.\n\n"
            "**Refunds must be requested within 30 days of purchase**\nContact the front desk to start one.\n")
    units = _units(text)
    assert units[:4] == [("**Can I get a refund?**", Kind.HEADING), ("New customers can cancel within 14 days.", Kind.PROSE),
                         ("__Location__", Kind.HEADING), ("Room B12, Science Building.", Kind.PROSE)]
    assert ("**Registration closes on 1 June.**", Kind.PROSE) in units
    assert ("**Note:** bring your own laptop.", Kind.PROSE) in units
    assert ("**Refunds must be requested within 30 days of purchase**", Kind.PROSE) in units  # a statement
    underlined = "**Opening hours**\n-----\n\nThe planetarium opens at 10 am.\n"
    assert headings(underlined)[1] == ["Opening hours"], "one heading, not a label as well"
    short = "**Parking is free**\nThe car park is behind the hall.\n\n**How do I reset my password**\nUse the link.\n"
    assert [k for _, k in _units(short)] == [Kind.PROSE, Kind.PROSE, Kind.HEADING, Kind.PROSE]
    # A time of day or an amount makes a short bold line a notice, not a name (chunker 7).
    notices = ("**Doors open at 7pm**\nBring your own PC.\n\n**Entry €5 at the door**\nCash only.\n\n"
               "**Day 2**\nFinals and prize giving.\n\n**Saturday 18 May**\nSet-up from noon.\n")
    assert [k for _, k in _units(notices)] == [Kind.PROSE, Kind.PROSE, Kind.PROSE, Kind.PROSE,
                                                Kind.HEADING, Kind.PROSE, Kind.HEADING, Kind.PROSE]
    versions = "**Version 2.10**\nFixes the crash.\n\n**4.12 Termination**\nEither side may end it.\n"
    assert [k for _, k in _units(versions)] == [Kind.HEADING, Kind.PROSE, Kind.HEADING, Kind.PROSE]
    assert sections_above(text, [text.index("New customers"), text.index("Room B12")]) == ["Can I get a refund?", "Location"]
    assert headings(text, plain=False) == ([], [])  # a section, not the note's title


def test_a_numbered_sections_name_above_its_clauses_is_a_heading():
    text = ("3. Shifts\n3.1 Shifts are booked on the rota.\n3.2 Warehouse shifts last four hours.\n\n"
            "Shopping list:\n\n1. Flour\n2. Sugar\n")
    assert _units(text) == [("Shifts", Kind.HEADING), ("3.1 Shifts are booked on the rota.", Kind.PROSE),
                            ("3.2 Warehouse shifts last four hours.", Kind.PROSE), ("Shopping list:", Kind.PROSE),
                            ("Flour", Kind.LIST), ("Sugar", Kind.LIST)]
    assert sections_above(text, [text.index("3.2")]) == ["Shifts"]


def test_a_heading_is_one_sentence_whatever_it_holds():
    """A numbered section's name ("1. Overview", as a PDF's heading is written) was split into two heading
    sentences, "1." and "Overview": the number alone got a sentence of its own (and a vector)."""
    text = "# 1. Overview\n\nIn 2023 the utility supplied water to 212,000 customers.\n\nPart 2. Basics\n==============\n"
    assert _units(text) == [("1. Overview", Kind.HEADING),
                            ("In 2023 the utility supplied water to 212,000 customers.", Kind.PROSE),
                            ("Part 2. Basics", Kind.HEADING)]


def test_no_sentence_begins_or_ends_with_a_markdown_image():
    """A badge before a line's text or a picture after a paragraph was quoted with its Markdown. A reader
    sees a picture there: the text is read around it, offsets still the document's. An image inside a
    sentence stays in it (cut out, "The board" was a quote of its own). In a code block it is code."""
    text = ("[![CI](https://ci.example/badge.svg)](https://ci.example) The choir rehearses every Wednesday.\n\n"
            "The board ![logo](img/logo.png) meets on Fridays.\n\n"
            "Our hall is behind the church. ![map](map.png)\n\n"
            "```md\nSee ![the icon](i.png) here.\n```\n")
    units = _units(text)
    assert units == [("The choir rehearses every Wednesday.", Kind.PROSE),
                     ("The board ![logo](img/logo.png) meets on Fridays.", Kind.PROSE),
                     ("Our hall is behind the church.", Kind.PROSE), ("See ![the icon](i.png) here.", Kind.PROSE)]
    between = "The hall is open. ![map](map.png) Parking is free.\n"
    assert _units(between) == [("The hall is open.", Kind.PROSE), ("Parking is free.", Kind.PROSE)]
    # A quote mark closing a word is no sentence's end; a cell that held only the image leaves no pipe.
    assert _units('He said "go" ![img](a.png) and left.\n') == [('He said "go" ![img](a.png) and left.', Kind.PROSE)]
    assert ("Mon", Kind.LIST) in _units("| Day | Icon |\n|---|---|\n| Mon | ![sun](sun.png) |\n")
    for s in quotable_sentences(text):
        assert text[s.start:s.end].strip() == text[s.start:s.end]


def test_a_short_line_names_the_lines_below_it_in_its_paragraph():
    """Chunker 11: "Sunday 19 May" above that day's programme and "1. New mats" above the minutes' prose
    are headings, never quoted (version 9 quoted "New mats The old mats ...") and the section of what
    follows; a timetable's records, commands, wrapped prose, greetings, notices and a numbered list's
    items stay quotes."""
    schedule = "Doors open at 9.\n\nSunday 19 May\n10:00  Counter-Strike 2 playoffs\n16:00  Venue closes\n"
    units = _units(schedule)
    assert ("Sunday 19 May", Kind.HEADING) in units and ("16:00  Venue closes", Kind.PROSE) in units
    assert sections_above(schedule, [schedule.index("16:00")]) == ["Sunday 19 May"]
    minutes = ("Present: Anja, Tomasz.\n\n1. New mats\nThe old mats are 11 years old. The board approved the offer."
               "\n\n2. Noise complaints\nTwo neighbours complained.\n")
    units = _units(minutes)
    assert ("New mats", Kind.HEADING) in units and ("Noise complaints", Kind.HEADING) in units
    assert ("The old mats are 11 years old.", Kind.PROSE) in units
    assert sections_above(minutes, [minutes.index("Two neighbours")]) == ["Noise complaints"]
    for text in ("Hours:\n\nMon-Fri 10-23\nSat, Sun & public holidays 9-22\n",
                 "Install it.\n\npipx install tidyclip\ntidyclip --version\n",
                 "Intro.\n\nCheck the\nschedule below for times.\n",
                 "Hi all\nThe meeting moved to Friday.\n",
                 "Best regards\nAnja\n",
                 "Steps:\n\n1. Bring shoes\n2. Bring chalk\n",
                 "Notice.\n\nDoors open at 7pm\nBring a torch.\n",
                 "Read More\nThe AFP news agency reported the figures on Monday.\n",
                 # values and records, not names: they answer "what is the door code?", "who was present?"
                 "Notes.\n\nDoor code 4711\nThe key box is left of the door.\n",
                 "Minutes.\n\nPresent: Anja, Ben, Carla\nApologies: Dan\n",
                 "Minutes.\n\nAnja: see you at 7\nBen: fine\n",
                 "CV.\n\nMaria Lopez\nSenior engineer at Acme since 2019.\n",
                 "Agenda.\n\n1. Room 204\nBring the keys.\n",
                 "Status.\n\nStatus Approved\nOwner Ben\n"):
        assert all(kind is not Kind.HEADING for _, kind in _units(text)), text


def test_a_tables_row_is_read_under_its_column_names():
    """"Day pass | 12 | 8" quoted alone does not say which figure is the reduced price; its header does."""
    from embeddings.sentences import column_names

    text = ("# Prices\n\n| Ticket | Regular | Reduced* |\n|---|---|---|\n| Day pass | 12 | 8 |\n| Shoe rental | 3 | 3 |\n\n"
            "Prices include VAT.\n\n| | |\n|---|---|\n| a | b |\n")
    assert column_names(text, text.index("Shoe rental")) == "Ticket | Regular | Reduced*"
    assert column_names(text, text.index("Day pass")) == "Ticket | Regular | Reduced*"
    assert column_names(text, text.index("Ticket")) is None  # the header itself
    assert column_names(text, text.index("Prices include")) is None  # prose after the table
    assert column_names(text, text.index("a | b")) is None  # a header of empty cells names nothing
    # An empty first cell is kept, or the days would shift one column; the cells read without their markup.
    week = "| | Monday | Tuesday |\n|---|---|---|\n| Yoga | - | 18:00 |\n"
    assert column_names(week, week.index("Yoga")) == "| Monday | Tuesday"
    marked = "| **Ticket** | `Regular` | [Reduced](#r)* |\n|---|---|---|\n| Day | 1 | 2 |\n"
    assert column_names(marked, marked.index("Day |")) == "Ticket | Regular | Reduced*"
