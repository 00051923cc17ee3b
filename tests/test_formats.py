"""Reading PDF, HTML and Word files: the text that is stored, its metadata and pages, and the files
that are refused with a reason. The fixtures are written by the tests (tests/doc_fixtures.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
from pathlib import Path

import pytest

from embeddings import formats
from embeddings.documents import iter_files, page_at, parse, read_file, save_upload
from embeddings.errors import DocumentRejected
from embeddings.sentences import Kind, quotable_sentences

from .doc_fixtures import (
    FERRY_BOILERPLATE, FERRY_HTML, GYM_FOOTER, GYM_PAGE, HARBOUR_PAGES, HARBOUR_PDF_SHOWN, KEEPER_FACT, make_docx, make_ligature_pdf,
    make_lines_pdf, make_pdf, make_scanned_pdf,
)


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return make_pdf()


# ---------------------------------------------------------------------- PDF
def test_pdf_text_pages_title_and_date(report_pdf: bytes) -> None:
    doc = parse("reports/harbour.pdf", report_pdf)
    assert doc.title == HARBOUR_PDF_SHOWN and doc.date == dt.date(2024, 3, 15) and doc.url is None
    assert [n for n, _ in doc.pages] == [1, 2, 3]
    # every page's text is where its page says, and nothing of page 3 is on page 2
    at = doc.text.index(KEEPER_FACT)
    assert page_at(doc.pages, at) == 3
    assert page_at(doc.pages, doc.text.index("Mooring fees rose")) == 2
    assert page_at(doc.pages, doc.text.index("Dredging of the inner basin")) == 1


def test_pdf_lines_become_paragraphs_without_page_furniture(report_pdf: bytes) -> None:
    text = parse("harbour.pdf", report_pdf).text
    # the running header and the page numbers are gone; headings are Markdown headings
    assert "public report" not in text and "Page 1" not in text and "Page 3" not in text
    assert "# Lights and buoys\n\n" in text and text.startswith("# Annual report 2024\n\n")
    # a paragraph wrapped over several lines is one line again, so a sentence is quotable whole
    assert f"{KEEPER_FACT}. The light was automated the same month" in text
    sentences = [text[s.start:s.end] for s in quotable_sentences(text)]
    assert any(s.startswith(KEEPER_FACT) for s in sentences)
    assert all(text[s.start:s.end] != "Lights and buoys" or s.kind is Kind.HEADING for s in quotable_sentences(text))
    # list items stay one to a line
    assert "- Buoy 4 was replaced after a storm in February.\n- Buoy 7 was moved twenty metres north." in text


def test_pdf_without_metadata_title_is_titled_by_its_first_heading() -> None:
    assert parse("untitled.pdf", make_pdf(title=None, header="")).title == "Annual report 2024"
    placeholder = parse("x.pdf", make_pdf(title="Microsoft Word - report_final.docx", header=""))
    assert placeholder.title == "Annual report 2024"
    # with the running header's name added (formats.named), as a Word file's page header is
    assert parse("untitled.pdf", make_pdf(title=None)).title == "Annual report 2024 | Harbour authority"


def test_pdf_paragraph_rules() -> None:
    from embeddings.formats.pdf import _paragraphs

    full = "x" * 60
    lines = [
        "Safety rules", f"The harbour gate is locked at midnight and the {full}",
        f"night watchman keeps the only key, which is admini- {full}",
        "stered by the harbour office.", "",
        "- Wear a life jacket.", "- Never swim off the slipway.",
        "Visitors sign the book at the office.",
    ]
    assert _paragraphs(lines) == [
        "# Safety rules",
        f"The harbour gate is locked at midnight and the {full} night watchman keeps the only key, which is "
        f"admini- {full} stered by the harbour office.",
        "- Wear a life jacket.", "- Never swim off the slipway.",
        "Visitors sign the book at the office.",
    ]
    assert _paragraphs(["A line that ends with a hyphen-", "ated word and goes on."]) == [
        "A line that ends with a hyphenated word and goes on."]


_PUMPS = "The {} pumping station was inspected in May and its two pumps were found to be in good order."


def _quotes(text: str) -> dict[str, tuple[Kind, tuple[str, ...]]]:
    """Every sentence of ``text`` with its kind and the sections a quote of it is shown under."""
    from embeddings.sentences import section_paths

    found = quotable_sentences(text)
    return {text[s.start:s.end]: (s.kind, path) for s, path in zip(found, section_paths(text, [s.start for s in found]))}


def test_pdf_numbered_section_names_are_headings_and_numbered_clauses_are_lines() -> None:
    """"1. Overview" above a paragraph was read as a list item and glued to the first sentence ("Overview
    In 2023 the utility supplied ..."), with no section shown; clauses "2.2 ..." were glued to the one
    before; the heading was read as two sentences, "1." and "Overview". A numbered list stays a list."""
    data = make_lines_pdf([[
        "1. Overview",
        "In 2023 the utility supplied 48.6 million cubic metres of drinking water to 212,000 customers",
        "across 14 municipalities.",
        "2. Treatment works",
        "2.1 Commissioned a UV disinfection unit at the Millbrook treatment works in June of 2023.",
        "2.2 Upgraded the sludge dewatering presses at Lower Fenn.",
        "Visitors must bring:",
        "1. A photo ID",
        "2. A hard hat",
    ], [_PUMPS.format("north")], [_PUMPS.format("south")]], header="Riverbend Water - Annual Report")
    doc = parse("report.pdf", data)
    quotes = _quotes(doc.text)
    overview = "In 2023 the utility supplied 48.6 million cubic metres of drinking water to 212,000 customers across 14 municipalities."
    assert quotes[overview] == (Kind.PROSE, ("1. Overview",))
    assert quotes["2.2 Upgraded the sludge dewatering presses at Lower Fenn."][1] == ("2. Treatment works",)
    # The heading is one sentence, never quoted: it was two, "1." and "Overview".
    assert quotes["1. Overview"][0] is Kind.HEADING and "1." not in quotes and "Overview" not in quotes
    assert quotes["A photo ID"][0] is Kind.LIST and quotes["A hard hat"][0] is Kind.LIST
    # a numbered section's name is not the document's title; the running header names it
    assert doc.title == "Riverbend Water - Annual Report"


def test_a_pdf_numbered_list_whose_first_item_wraps_stays_a_list() -> None:
    """The first item of a numbered list, wrapped onto a second line, was read as a section's name: "# 1. Back
    up your database with the orbit backup command", and its second half quoted alone under it."""
    data = make_lines_pdf([[
        "Before you upgrade, do these steps in this order and do not skip any of them, as the migration",
        "needs a backup.",
        "1. Back up your database with the orbit backup command",
        "before you start the upgrade, and keep the file safe.",
        "2. Pull the new image with the orbit pull command and wait until it is done, then",
        "restart the stack.",
    ]])
    text = parse("upgrade.pdf", data).text
    backup = "Back up your database with the orbit backup command before you start the upgrade, and keep the file safe."
    assert _quotes(text)[backup] == (Kind.LIST, ())
    assert "#" not in text


def test_a_pdf_numbered_section_of_one_sentence_keeps_its_name_as_a_heading() -> None:
    """Sections whose body is one line ("1. Purpose" / "This policy sets out ..." / "2. Scope") were read
    as a list, the next numbered line being within two lines: "who does the policy apply to?" quoted
    "Scope It applies to all members and their guests." with no section shown."""
    data = make_lines_pdf([[
        "Room Booking Policy",
        "1. Purpose",
        "This policy sets out how members book the club rooms.",
        "2. Scope",
        "It applies to all members and their guests.",
        "3. Bookings",
        "Rooms are booked through the club office at least two days ahead.",
    ]])
    quotes = _quotes(parse("booking.pdf", data).text)
    assert quotes["It applies to all members and their guests."] == (Kind.PROSE, ("2. Scope",))
    assert quotes["This policy sets out how members book the club rooms."] == (Kind.PROSE, ("1. Purpose",))
    assert not any(q.startswith("Scope") for q in quotes if quotes[q][0] is not Kind.HEADING)


def _water_quality_text(*lines: str) -> str:
    """The text of a three-page report whose first page's "Water quality" section goes on with ``lines``."""
    data = make_lines_pdf([[
        "Annual Report 2023",
        "Water quality",
        "The utility took 5,175 drinking water samples in 2023, summarised in the table below.",
        *lines,
    ], [_PUMPS.format("north")], [_PUMPS.format("south")]], header="Riverbend Water - Annual Report")
    return parse("quality.pdf", data).text


def test_pdf_table_rows_are_quotable_lines_never_headings() -> None:
    """Rows of numbers ("Lead 845 99.6%") were headings: never quoted, and the last row shown as the section
    of the rest of the document."""
    text = _water_quality_text(
        "Parameter Samples Compliance",
        "E. coli 3,120 100.0%",
        "Lead 845 99.6%",
        "Nitrate 1,210 99.9%",
        "The single lead failure was traced to a private supply pipe at a school in Hallam.",
    )
    # The rows are list items: as one paragraph a short row grew by its neighbours into one quote of the
    # whole table ("Parameter Samples Compliance E. coli 3,120 100.0% Lead 845 99.6% ...").
    assert "Parameter Samples Compliance\n- E. coli 3,120 100.0%\n- Lead 845 99.6%\n- Nitrate 1,210 99.9%" in text
    quotes = _quotes(text)
    assert quotes["Lead 845 99.6%"] == (Kind.LIST, ("Water quality",))
    assert quotes["The single lead failure was traced to a private supply pipe at a school in Hallam."][1] == (
        "Water quality",)


def test_a_pdf_heading_above_a_table_stays_its_section() -> None:
    """Any short line above a table's rows was taken as its column names: the section heading "Results" was
    absorbed into the table, and the rows were quoted without it. Column names name every cell."""
    text = _water_quality_text(
        "Results", "Samples taken in 2023 2024", "Lead 845 99.6%", "Copper 840 100.0%", "Nitrate 1,210 99.9%")
    assert "# Results\n\n- Samples taken in 2023 2024\n- Lead 845 99.6%" in text
    assert _quotes(text)["Lead 845 99.6%"] == (Kind.LIST, ("Results",))


def test_a_pdf_two_word_heading_above_a_table_stays_its_section() -> None:
    """"Test results" above rows of three cells ("Lead 845 99.6%") was taken for the column names (a word
    fewer than the cells was allowed, for rows named "District 1"): quoted as if it were a row, and the
    rows were shown under the section above it."""
    text = _water_quality_text("Test results", "E. coli 3,120 100.0%", "Lead 845 99.6%", "Nitrate 1,210 99.9%")
    assert "# Test results\n\n- E. coli 3,120 100.0%\n- Lead 845 99.6%" in text
    quotes = _quotes(text)
    assert quotes["Lead 845 99.6%"] == (Kind.LIST, ("Test results",))
    assert quotes["Test results"][0] is Kind.HEADING


def test_a_pdf_table_whose_row_names_hold_a_number_keeps_its_column_names() -> None:
    """Rows named with a number ("District 1 107 95.1%") seemed to hold one cell more than the column names
    have words, so "District Samples Compliance" was glued to the sentence above it and quoted with it."""
    text = _water_quality_text(
        "District Samples Compliance", "District 1 107 95.1%", "District 2 98 97.0%", "District 3 120 100.0%")
    assert "District Samples Compliance\n- District 1 107 95.1%\n- District 2 98 97.0%" in text
    assert _quotes(text)["The utility took 5,175 drinking water samples in 2023, summarised in the table below."] == (
        Kind.PROSE, ("Water quality",))


def test_a_pdf_of_few_lines_keeps_its_heading_and_its_text() -> None:
    """A page of three lines: the page's own "full width" was its short lines, so its heading was glued to
    the text and the title fell back to the file name. A short form printed page after page, its lines
    differing only in digits, was all "running header" and skipped as "no text found"."""
    doc = parse("salary.pdf", make_lines_pdf([[
        "Salary bands",
        "The salary band for a senior engineer is 72,000 to 88,000 euros per year. This document is",
        "restricted."]]))
    assert doc.title == "Salary bands"
    assert doc.text == ("# Salary bands\n\nThe salary band for a senior engineer is 72,000 to 88,000 euros per "
                        "year. This document is restricted.")
    rooms = parse("rooms.pdf", make_lines_pdf([[f"Room {n}01", f"Capacity {n + 1}0 people", f"Floor {n}"]
                                               for n in (1, 2, 3)]))
    assert "Capacity 20 people" in rooms.text and "Room 301" in rooms.text


_VOLUNTEERS = "Volunteers from the angling club cleaned the banks of the reservoir in June and collected 40 bags of litter."


def test_a_pdf_page_set_in_a_narrow_column_keeps_its_paragraphs_whole() -> None:
    """A page narrower than the rest (a column, a sidebar) measured against the document's full width:
    each paragraph's first line was a heading, and the answer quoted "banks of the reservoir ..." under
    "Volunteers from the angling club cleaned the"."""
    pages = [*HARBOUR_PAGES, ("Community", [
        f"{_VOLUNTEERS} The club thanked the rangers for lending the boats.",
        "Members of the rowing club repaired the slipway at the north end of the reservoir over two weekends.",
    ])]
    text = parse("report.pdf", make_pdf(pages, narrow=frozenset({3}))).text
    assert _quotes(text)[_VOLUNTEERS] == (Kind.PROSE, ("Community",))
    assert "# Members" not in text


_HIKE_PROSE = [
    "The walking club meets at the car park by the church at nine on the first Sunday of each month,",
    "and the leader checks that everyone has signed the attendance sheet before the group sets off.",
    "Walks last about five hours, with a stop for lunch, and the leader decides the route on the day.",
]


@pytest.mark.parametrize("filling", [
    [f"- {item}" for item in ("Sun cream", "A hat", "Water", "Lunch", "A map", "A whistle", "Plasters",
                                   "A torch", "Gloves", "A fleece", "Rain gear", "Snacks")],
    [f"Route {n} {n + 4} {n * 3}.5" for n in range(1, 21)],
], ids=["list", "table"])
def test_a_pdf_page_filled_by_a_list_or_table_keeps_its_heading(filling: list[str]) -> None:
    """A page whose lines are mostly a list's items or a table's rows measured its full width from them: its
    heading was glued to the prose below ("What to bring on the hike Please pack the following ...")."""
    data = make_lines_pdf([_HIKE_PROSE, [
        "What to bring on the hike",
        "Please pack the following, and label your rucksack with your name.",
        *filling,
    ], _HIKE_PROSE])
    quotes = _quotes(parse("hike.pdf", data).text)
    assert quotes["Please pack the following, and label your rucksack with your name."] == (
        Kind.PROSE, ("What to bring on the hike",))


def test_a_short_pdf_page_drops_its_running_header_with_a_page_number() -> None:
    """On a page of four lines or fewer only a line repeated exactly was furniture, so the running header
    "Harbour report - page 4" stayed and was shown as the section of the page's quotes."""
    data = make_lines_pdf([[_PUMPS.format(name), "The pumps were serviced in June.", "The valves were replaced.",
                            "The meters were read in July.", "No faults were found."]
                           for name in ("north", "south", "east")] + [["Contact us at the harbour office."]],
                          header="Harbour report - page {page}")
    text = parse("harbour.pdf", data).text
    assert _quotes(text)["Contact us at the harbour office."] == (Kind.PROSE, ())
    assert "Harbour report" not in text


_SETTER_PAGES = [
    ["Route Setter Handbook", "This handbook is for the volunteers who set boulder problems on Tuesdays.",
     "Tools", "Use the impact drivers only with the 6 mm hex bit.", "Safety",
     "Helmets are mandatory for everyone on the mats during setting."],
    ["Safety", "Nobody climbs in a sector while it is being set.", "Washing holds",
     "Wash the old holds in the big sink, never in the dishwasher."],
]


@pytest.mark.parametrize("header", ["Kestrel Climbing Co-op - Route Setter Handbook v3",
                                    "Kestrel Climbing Co-op - handbook page {page} of 2"])
def test_a_two_page_pdf_drops_its_running_header_and_keeps_a_heading_that_repeats(header: str) -> None:
    """A running header needed three pages to be told: on a two-page handbook it was kept as a heading atop
    each page, and shown as the section of the quotes below it ("Kestrel Climbing Co-op - Route Setter
    Handbook v3" over "Nobody climbs in a sector ..."). It stands at the same place on both pages, as the
    page number does ("page 1 of 2"); "Safety", a real heading on both pages, stays one."""
    doc = parse("handbook.pdf", make_lines_pdf(_SETTER_PAGES, header=header))
    quotes = _quotes(doc.text)
    assert "Kestrel" not in doc.text and "Page 1" not in doc.text and "Page 2" not in doc.text
    assert doc.text.count("# Safety\n") == 2
    assert quotes["Nobody climbs in a sector while it is being set."] == (Kind.PROSE, ("Safety",))
    assert quotes["Helmets are mandatory for everyone on the mats during setting."] == (Kind.PROSE, ("Safety",))
    # the header names the document: its words are the title's (formats.named), not lost
    assert "Kestrel Climbing Co-op" in doc.title and "Route Setter Handbook" in doc.title, doc.title


def test_a_two_page_pdf_keeps_lines_that_differ_or_stand_elsewhere() -> None:
    """Only the outermost line, the same on both pages (or numbered as its page), is furniture: two pages of
    a form whose first lines differ in a number ("Room 101", "Room 204") keep them, and so does a line that
    is repeated but not at the same place."""
    data = make_lines_pdf([
        ["Room 101", "The projector is on the left wall.", "Bookings close at noon.", "Ask at the desk.",
         "Keep the windows shut."],
        ["Room 204", "The whiteboard is on the right wall.", "Ask at the desk.", "Bookings close at noon.",
         "Chairs are stacked at the back."],
    ])
    text = parse("rooms.pdf", data).text
    for line in ("Room 101", "Room 204", "Ask at the desk.", "Bookings close at noon."):
        assert text.count(line) == (1 if line.startswith("Room") else 2), line


def test_pdf_ligatures_are_stored_as_their_letters() -> None:
    """pdflatex sets "fi" as one glyph, which pypdf reads as U+FB01: "ﬁnancial oﬃcer" never matched
    "financial officer". The stored text, which quotes are sliced from, has the letters."""
    data = make_ligature_pdf([
        "The \ufb01nancial o\ufb03cer signs the a\ufb00idavit.",
        "Sta\ufb00 \ufb02oat the ra\ufb04e; \ufb05 \ufb06 are rare.",
    ])
    text = parse("minutes.pdf", data).text
    sentence = "The financial officer signs the affidavit."
    assert text == f"{sentence} Staff float the raffle; st st are rare."
    assert sentence in [text[s.start:s.end] for s in quotable_sentences(text)]


def test_pdf_readable_without_a_password_is_read_even_when_encrypted() -> None:
    # "Protected" PDFs often only restrict printing or copying: anyone may open and read them.
    doc = parse("protected.pdf", make_pdf(owner_password="only-the-owner"))
    assert KEEPER_FACT in doc.text


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: make_pdf(user_password="secret"), "protected by a password"),
        (lambda: make_scanned_pdf(3), "no text layer on its 3 page(s) (a scanned document?)"),
        (lambda: make_pdf()[: len(make_pdf()) // 2], "truncated"),
        (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "cannot be read as a PDF file"),
        (lambda: b"<html>not a pdf</html>", "not a PDF file"),
        (lambda: b"", "not a PDF file"),
    ],
    ids=["encrypted", "scanned", "truncated", "corrupt", "not-a-pdf", "empty"],
)
def test_bad_pdfs_are_refused_with_a_reason(make, reason: str) -> None:
    with pytest.raises(DocumentRejected) as caught:
        parse("bad.pdf", make())
    message = str(caught.value)
    assert message.startswith("bad.pdf: ") and reason in message and "\n" not in message


def test_a_pdf_over_the_size_limit_stops_early_with_the_limit_named(report_pdf: bytes) -> None:
    with pytest.raises(DocumentRejected, match=r"over the limit of 500 \(DOCBOT_MAX_DOCUMENT_CHARS\)"):
        parse("harbour.pdf", report_pdf, max_chars=500)


def test_pypdf_repair_notes_stay_out_of_the_warnings(caplog: pytest.LogCaptureFixture, report_pdf: bytes) -> None:
    # A wrong cross-reference offset: pypdf repairs it and says so on its own logger.
    damaged = report_pdf.replace(b"startxref\n", b"startxref\n1", 1)
    with caplog.at_level(logging.INFO):
        doc = parse("sloppy.pdf", damaged)
    assert KEEPER_FACT in doc.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("sloppy.pdf: pypdf repaired" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------- HTML
def test_an_html_table_with_a_header_row_is_a_markdown_table() -> None:
    """A ``<th>`` header row names the columns: written above a delimiter row, it is never quoted by itself
    (the answer to "What talks are there?" is a row, not "Time | Talk"); a table without one keeps a
    paragraph per row."""
    html = (b"<html><body><main><h1>Star party</h1><p>Talks run all night.</p><table>"
            b"<tr><th>Time</th><th>Talk</th></tr><tr><td>20:00</td><td>Comets</td></tr>"
            b"<tr><td>21:00</td><td>Saturn's rings</td></tr></table>"
            b"<table><tr><td>Parking</td><td>free</td></tr></table></main></body></html>")
    text = parse("party.html", html).text
    assert "Time | Talk\n--- | ---\n20:00 | Comets\n21:00 | Saturn's rings" in text
    kinds = {text[s.start:s.end]: s.kind for s in quotable_sentences(text)}
    assert kinds["Time | Talk"] is Kind.HEADING
    assert kinds["20:00 | Comets"] is Kind.LIST and kinds["21:00 | Saturn's rings"] is Kind.LIST
    assert kinds["Parking | free"] is Kind.PROSE and "---" not in " ".join(kinds)


def test_html_keeps_the_article_and_its_metadata() -> None:
    doc = parse("news/ferry.html", FERRY_HTML.encode())
    assert doc.title == "New ferry timetable for Inishmore | Example Town News"  # og:title, the site's name added
    assert doc.url == "https://example.org/news/ferry-timetable" and doc.date == dt.date(2024, 5, 2)
    assert doc.pages == ()
    text = doc.text
    assert text.startswith("# New ferry timetable for Inishmore\n\n")
    assert "From June the first ferry to Inishmore leaves the harbour at 7:15 on weekdays" in text
    assert "## Weekend sailings" in text and "- Cars must be booked ahead.\n- Bicycles travel free." in text
    for boilerplate in FERRY_BOILERPLATE:
        assert boilerplate not in text, boilerplate


def test_html_footer_keeps_the_address_hours_and_contacts_not_its_menus_or_legal_lines() -> None:
    """The site's footer was dropped whole as furniture, and with it the gym's address: "what's the address?"
    was refused. What a person asks about is kept, after the article (an ``<address>`` as one line, opening
    hours, a phone number, an e-mail address); its menu, cookie notice, newsletter box, social links and
    copyright line are not. A page without ``<main>`` keeps them too, and a page whose article repeats its
    footer's line holds it once."""
    text = parse("visit.html", GYM_PAGE.encode()).text
    assert text.endswith("rental shoes cost three euros.\n\n" + GYM_FOOTER)
    for dropped in ("Imprint", "cookies", "privacy@kestrel.example", "newsletter", "Instagram", "\u00a9", "reserved"):
        assert dropped not in text, dropped
    bodied = parse("visit.html", GYM_PAGE.replace("<main>", "<div>").replace("</main>", "</div>").encode()).text
    assert bodied.endswith(GYM_FOOTER) and bodied.count("0341 555 0199") == 1
    twice = GYM_PAGE.replace("</main>", "<p>Phone 0341 555 0199 \u00b7 office@kestrel.example</p></main>")
    assert parse("visit.html", twice.encode()).text.count("0341 555 0199") == 1
    # the footer's own heading stays above what it heads; an article's byline is no fact
    headed = parse("visit.html", GYM_PAGE.replace("<address>", "<h4>Visit us</h4><address>").encode()).text
    assert "euros.\n\n#### Visit us\n\nKestrel Climbing eG, Gleisstra\u00dfe 7, 04275 Leipzig\n\n" in headed
    byline = GYM_PAGE.replace("</main>", "<footer><p>Posted by Anna on Monday, 3 March</p></footer></main>")
    assert "Anna" not in parse("visit.html", byline.encode()).text


def test_html_footer_keeps_no_link_list_or_company_number_that_reads_like_a_fact() -> None:
    """A footer's list of links named by no class ("2024 Annual Report", read as a postcode and a town) and
    its company number (read as a phone number) were kept as facts; a line of contact links still is."""
    footer = ('<footer><ul><li><a href="/about">About</a></li><li><a href="/report">2024 Annual Report</a></li>'
              '<li><a href="/jobs">Jobs</a></li></ul><p>Company no. 01234567, VAT GB 123 4567 89</p>'
              '<p><a href="tel:+4934155501">0341 555 01</a> | <a href="mailto:hi@x.example">hi@x.example</a> | '
              '<a href="/map">Map</a></p><p>Mon-Fri 10:00-23:00</p></footer>')
    text = parse("visit.html", GYM_PAGE.replace('<footer class="site-footer">', footer + "<footer>").encode()).text
    for dropped in ("Annual Report", "01234567"):
        assert dropped not in text, text
    for kept in ("hi@x.example", "Mon-Fri 10:00-23:00", GYM_FOOTER):
        assert kept in text, text


def test_a_pages_title_adds_its_name_to_its_headline() -> None:
    """A page headed "Our menu" whose <title> is "Le Petit Bistro – Menu" was titled "Our menu": the bistro's
    name was nowhere in the index. The title is the headline with what the <title> adds; a <title> that
    holds the headline is the title as it stands."""
    def title(head: str, body: str) -> str | None:
        return parse("page.html", f"<html><head>{head}</head><body>{body}<p>We are closed on Mondays.</p></body></html>"
                     .encode()).title

    assert title("<title>Le Petit Bistro \u2013 Menu</title>", "<h1>Our menu</h1>") == "Our menu | Le Petit Bistro"
    assert title("<title>Bin collections - Ashford Town Council</title>", "<h1>Bin collections</h1>") == (
        "Bin collections - Ashford Town Council")
    assert title("<title>Membership FAQ | Greenvale Library</title><meta property='og:title' "
                 "content='Membership FAQ \u2013 Greenvale Library'>", "<h1>Membership FAQ</h1>") == (
        "Membership FAQ \u2013 Greenvale Library")  # nothing to add
    assert title("<title>Page 2</title>", "<h1>Our menu</h1>") == "Our menu"
    # What names no document, or only sells it, adds nothing; a long <title> never replaces the headline.
    for junk in ("Microsoft Word - timetable.docx", "Our menu | Home", "Untitled Document", "Document1", "index.html"):
        assert title(f"<title>{junk}</title>", "<h1>Our menu</h1>") == "Our menu", junk
    assert title("<title>Blocwerk - Opening hours - Best bouldering gym in Berlin | Book now!</title>",
                 "<h1>Opening hours</h1>") == "Opening hours | Blocwerk"


def test_docx_page_header_is_added_to_its_title() -> None:
    """A Word file's page header names it on every page ("Brightside Dental Clinic - Patient Information
    Leaflet") and was never read: a question naming the clinic was refused. Its first part the title lacks
    is added; a page number is not, nor a mark of the copy ("CONFIDENTIAL", "Rev. 3", a date)."""
    leaflet = make_docx(title=None, header="Brightside Dental Clinic - Patient Information Leaflet")
    assert parse("leaflet.docx", leaflet).title == "Volunteer handbook | Brightside Dental Clinic"  # one part at most
    assert parse("h.docx", make_docx(header="Page 1")).title == "Rowing club volunteer handbook"
    assert parse("h.docx", make_docx(header="Rowing club")).title == "Rowing club volunteer handbook"
    assert parse("h.docx", make_docx(header="CONFIDENTIAL | Rev. 3 | 12 March 2024")).title == (
        "Rowing club volunteer handbook")


def test_html_metadata_fallbacks() -> None:
    page = """<html><head><title>Club rules</title>
    <script type="application/ld+json">{"@graph": [{"@type": "Article", "datePublished": "2023-11-05T10:00:00Z"}]}</script>
    <meta property="og:url" content="https://club.example/rules"></head>
    <body><div id="menu"><a href="/">Home</a></div><p>Members pay the fee by the end of January.</p></body></html>"""
    doc = parse("rules.htm", page.encode())
    assert doc.title == "Club rules" and doc.date == dt.date(2023, 11, 5) and doc.url == "https://club.example/rules"
    assert doc.text == "Members pay the fee by the end of January."


def test_html_menu_lines_and_privacy_banners_are_never_quoted() -> None:
    """A site's strip of links ("Home | News | ... | Log in") and its GDPR banner were kept and quoted: a
    block of three or more links and nothing else is a menu whatever its class, and "top-bar" and
    "gdpr-notice" name furniture. A paragraph with a link in it stays."""
    html = (b'<html><body><div class="links"><a href="/">Home</a> | <a href="/news">News</a> | '
            b'<a href="/bins">Bins and recycling</a> | <a href="/login">Log in</a></div>'
            b'<div class="top-bar">Call us on 01233 555 000, Monday to Friday</div>'
            b'<h1>Bin collections</h1><p>Bulky items are collected for a fee of 35 pounds.</p>'
            b'<p>Book a collection on the <a href="/bulky">bulky waste page</a>.</p>'
            b'<div id="gdpr-notice">This site uses cookies. Read our privacy notice to find out more.</div>'
            b'</body></html>')
    text = parse("bins.html", html).text
    assert text == ("# Bin collections\n\nBulky items are collected for a fee of 35 pounds.\n\n"
                    "Book a collection on the bulky waste page.")


def test_html_content_element_is_the_main_text() -> None:
    """A page without ``<main>`` or one ``<article>`` that marks its content with ``id="content"``: what
    stands outside it (a strapline, a banner) is not the article."""
    html = (b'<html><body><div class="strapline">Serving the borough since 1974</div>'
            b'<div id="content"><h1>Parking permits</h1><p>A resident permit costs 60 pounds a year.</p></div>'
            b'<div class="legal">Registered office: Town Hall, Ashford.</div></body></html>')
    assert parse("permits.html", html).text == "# Parking permits\n\nA resident permit costs 60 pounds a year."


_HALL_FACTS = ("The parish hall seats 120 people and has a kitchen with two ovens.",
               "Hire costs 25 pounds an hour for local groups.")


def test_html_page_wrapped_in_a_form_keeps_its_article() -> None:
    """ASP.NET writes the whole page inside ``<form id="aspnetForm">``: dropped as a form, the article went
    with it and the page was refused as "no text found". A search box, a login and a newsletter sign-up
    are still forms, dropped beside the article, inside the wrapper or outside it."""
    article = "<h1>Hall hire</h1>" + "".join(f"<p>{fact}</p>" for fact in _HALL_FACTS)
    search = '<form action="/search"><label>Search the site</label><input name="q"><button>Go</button></form>'
    login = ('<form action="/login"><label>Username</label><input name="u"><label>Password</label>'
             '<input type="password" name="p"><button>Log in</button></form>')
    signup = ('<form action="/subscribe"><p>Sign up for the parish newsletter and hear about events first.</p>'
              '<input type="email" name="email"><button>Subscribe</button></form>')
    wrapped = (f'<html><body><form name="aspnetForm" method="post" id="aspnetForm">'
               f'<input type="hidden" name="__VIEWSTATE" value="/wEPDwUKMTY1">{search}'
               f'<div id="pagebody">{article}</div>{signup}</form></body></html>')
    beside = f"<html><body>{search}{login}<div>{article}</div>{signup}</body></html>"
    for html in (wrapped, beside):
        text = parse("hall-hire.html", html.encode()).text
        assert text == "# Hall hire\n\n" + "\n\n".join(_HALL_FACTS), html
        assert _quotes(text)[_HALL_FACTS[1]][0] is Kind.PROSE


_GREEN_BINS = "Green bins are collected every second Tuesday from April to November."


@pytest.mark.parametrize("target", ['<a id="content"></a>', '<span id="content"></span>'])
def test_html_skip_link_target_is_not_the_content(target: str) -> None:
    """A "skip to content" link's target is an empty element with ``id="content"``: taken as the content,
    it left nothing and the page was skipped as "no text found"."""
    html = (f'<html><body><a href="#content">Skip to content</a>{target}<h1>Bin collections</h1>'
            f'<p>{_GREEN_BINS}</p></body></html>').encode()
    assert _quotes(parse("bins.html", html).text)[_GREEN_BINS] == (Kind.PROSE, ("Bin collections",))


def test_html_content_id_inside_the_main_element_does_not_win() -> None:
    """``<ul id="content">`` of two links inside ``<div id="main">``: "content" was tried first and won,
    so only "- Home - News" was kept. The outermost element that holds the text is the content."""
    html = (f'<html><body><div class="strapline">Serving the borough since 1974</div><div id="main">'
            f'<ul id="content"><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul>'
            f'<h1>Bin collections</h1><p>{_GREEN_BINS}</p></div></body></html>').encode()
    text = parse("bins.html", html).text
    assert _quotes(text)[_GREEN_BINS] == (Kind.PROSE, ("Bin collections",))
    assert "Serving the borough" not in text


def test_html_content_id_inside_the_main_id_wins_over_its_extras() -> None:
    """``<div id="content">`` inside ``<div id="main">``: the outer one was taken, so its "Popular" box
    beside the article was quoted ("Rated 4 stars by 120 readers."). The innermost element that holds a
    good share of the text is the content."""
    html = (f'<html><body><div id="main"><div id="content"><h1>Bin collections</h1><p>{_GREEN_BINS}</p>'
            f'<p>Brown bins are collected every Friday.</p></div><div id="extra"><h3>Popular</h3>'
            f'<p>Rated 4 stars by 120 readers.</p></div></div></body></html>').encode()
    text = parse("bins.html", html).text
    assert text == f"# Bin collections\n\n{_GREEN_BINS}\n\nBrown bins are collected every Friday."


def test_html_links_listed_in_the_article_are_kept() -> None:
    """A list of links inside ``<main>`` is the article's ("Calendars": the calendars to download), not a
    menu: it was deleted, and "where can I get a large print calendar?" was not covered. A strip of links
    and a privacy banner outside it are still dropped, and links in a sentence's list (", ") stay."""
    html = (b'<html><body><div class="top-bar"><a href="/">Home</a> | <a href="/news">News</a> | '
            b'<a href="/council">Your council</a> | <a href="/bins">Bins and recycling</a> | '
            b'<a href="/login">Log in</a></div>'
            b'<main><h1>Garden waste</h1><p>Garden waste is collected every two weeks from March to November.</p>'
            b'<h2>Calendars</h2><ul><li><a href="/cal.pdf">2024 collection calendar (PDF)</a></li>'
            b'<li><a href="/large">Large print calendar</a></li><li><a href="/cy">Welsh language calendar</a></li>'
            b'</ul></main><div id="gdpr-notice">This site uses cookies. Read our privacy notice.</div></body></html>')
    text = parse("garden.html", html).text
    assert _quotes(text)["Large print calendar"] == (Kind.LIST, ("Calendars",))
    assert "Log in" not in text and "cookies" not in text
    body = (b'<html><body><h1>Recycling</h1><p><a href="/b">Brown bins</a>, <a href="/g">green bins</a>, '
            b'<a href="/k">kerbside boxes</a></p></body></html>')
    assert parse("recycling.html", body).text == "# Recycling\n\nBrown bins, green bins, kerbside boxes"


_CALENDARS = ("2024 collection calendar", "Large print calendar", "Welsh language calendar")


def test_html_breadcrumbs_and_page_numbers_in_the_article_are_not_quoted() -> None:
    """Inside ``<main>`` every block of links was kept as the article's: the breadcrumbs "Home | Waste |
    Garden waste" and the page numbers "1 2 3 Next" were quoted. A list of links there still stays."""
    def links(tag: str, between: str, *names: str) -> str:
        return f"<{tag}>" + between.join(f'<a href="/{n}">{n}</a>' for n in names) + f"</{tag}>"

    calendars = "".join(f'<li><a href="/cal/{n}">{n}</a></li>' for n in _CALENDARS)
    html = "".join([
        "<html><body><main>", links("p", " | ", "Home", "Waste", "Garden waste"),
        links("div", " \u203a ", "Home", "Waste", "Bins"), "<h1>Garden waste</h1>",
        "<p>Garden waste is collected every two weeks from March to November.</p>", f"<ul>{calendars}</ul>",
        links("div", " ", "1", "2", "3", "Next"), "</main></body></html>"]).encode()
    text = parse("garden.html", html).text
    assert text == ("# Garden waste\n\nGarden waste is collected every two weeks from March to November.\n\n"
                    + "\n".join(f"- {n}" for n in _CALENDARS))


def test_html_names_its_own_encoding() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9 cr\xe8me at the pier.</p></body></html>'
    assert parse("cafe.html", page.encode("latin-1")).text == "Caf\u00e9 cr\u00e8me at the pier."


def test_html_line_break_inside_a_sentence_does_not_end_it() -> None:
    """A ``<br>`` in the middle of a sentence lets it go on (it was quoted as "Refunds are processed
    within 14 days"); one after a full sentence or below a label still ends the line's block."""
    html = (b"<html><body><p>Refunds are processed within 14 days<br/>of the request.</p>"
            b"<p>Opening hours<br>Monday to Friday, 9 to 5.<br>Closed on bank holidays.</p>"
            b"<ul><li>Returns are free for members of<br>the loyalty scheme.</li></ul></body></html>")
    text = parse("refunds.html", html).text
    sentence = "Refunds are processed within 14 days of the request."
    assert text.split("\n\n") == [
        sentence, "Opening hours", "Monday to Friday, 9 to 5.", "Closed on bank holidays.",
        "- Returns are free for members of the loyalty scheme."]
    assert sentence in [text[s.start:s.end] for s in quotable_sentences(text)]
    # Two breaks in a row end the paragraph, as a blank line does in a text file.
    letter = parse("letter.html", b"<p>Dear members of the Orbit community,<br><br>The office is closed on Monday.</p>")
    assert letter.text.split("\n\n") == ["Dear members of the Orbit community,", "The office is closed on Monday."]


def test_html_without_a_declared_encoding_is_utf8_else_windows_1252() -> None:
    """A page that names no encoding is read as browsers read it: UTF-8 when it is valid UTF-8, else
    windows-1252 (it was guessed as Windows-1250: "crčme brűlée")."""
    expected = "Cr\u00e8me br\u00fbl\u00e9e costs \u20ac5 \u2013 \u201clovely\u201d."
    page = f"<html><body><p>{expected}</p></body></html>"
    assert parse("menu.html", page.encode("cp1252")).text == expected
    assert parse("menu.html", page.encode("utf-8")).text == expected
    assert parse("menu.html", "<p>\u00c9t\u00e9 \u00e0 \u0141\u00f3d\u017a.</p>".encode()).text == (
        "\u00c9t\u00e9 \u00e0 \u0141\u00f3d\u017a.")
    # A page in another script that names no encoding is read in it (as windows-1252 it was all accents),
    russian = ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440. \u042d\u0442\u043e \u0442\u0435\u0441\u0442 "
               "\u0441\u0442\u0440\u0430\u043d\u0438\u0446\u044b, \u0438 \u043e\u043d \u0434\u043b\u0438\u043d\u043d\u044b\u0439 "
               "\u0434\u043e\u0441\u0442\u0430\u0442\u043e\u0447\u043d\u043e.")
    page = (f'<html><head><style>body {{ font-family: Arial, sans-serif; margin: 0 auto; }}</style>'
            f'<script>var tracking = "enabled"; function go() {{ return 1; }}</script></head>'
            f'<body><nav><a href="/">Home</a> <a href="/about">About us</a></nav><p>{russian}</p></body></html>')
    assert parse("ru.html", page.encode("cp1251")).text == russian  # its markup is Latin, its text is not
    assert parse("is.html", "<p>\u00dej\u00f3\u00f0h\u00e1t\u00ed\u00f0</p>".encode("cp1252")).text == (
        "\u00dej\u00f3\u00f0h\u00e1t\u00ed\u00f0")  # too short to leave windows-1252 for (read as Japanese)
    # and a <meta charset> after a long <head> is read where it stands, as browsers read it.
    late = "<html><head>" + "<!-- comment -->" * 300 + '<meta charset="windows-1251"></head><body><p>'
    assert parse("late.html", late.encode() + russian.encode("cp1251") + b"</p></body></html>").text == russian


def test_html_without_text_and_binary_html_are_refused() -> None:
    with pytest.raises(DocumentRejected, match="no text found"):
        parse("empty.html", b"<html><body><nav>Home</nav><script>x()</script></body></html>")
    with pytest.raises(DocumentRejected, match="binary"):
        parse("blob.html", b"\x00\x01\x02<html>")


# ---------------------------------------------------------------------- Word
def test_docx_paragraphs_headings_lists_and_tables_in_order() -> None:
    doc = parse("handbook.docx", make_docx())
    assert doc.title == "Rowing club volunteer handbook" and doc.pages == ()
    assert doc.text.split("\n\n") == [
        "# Volunteer handbook",
        "Welcome to the rowing club. Every member helps out a few times a season.",
        "# Opening the boathouse",
        "The first volunteer of the day collects the boathouse key from the harbour office and switches off "
        "the alarm with the code kept in the red folder.",
        "- Check the weather board.\n- Unlock the oar store.",
        "## Safety boat",
        "The safety boat must carry a radio, a first aid kit and a spare kill cord.",
        "Role | Contact", "Captain | Niamh",
    ]
    kinds = {doc.text[s.start:s.end]: s.kind for s in quotable_sentences(doc.text)}
    assert kinds["Opening the boathouse"] is Kind.HEADING and kinds["Unlock the oar store."] is Kind.LIST


def _docx(*blocks: str) -> bytes:
    """A Word file whose body is these block-level XML fragments (written with :func:`_w`), in order."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    body = document.element.body
    for block in blocks:
        body.insert(len(body) - 1, parse_xml(block))  # before the section properties, which end a body
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _w(xml: str) -> str:
    """``xml`` with the WordprocessingML namespace declared on its first element."""
    from docx.oxml.ns import nsdecls

    return re.sub(r"^<([\w:]+)", lambda m: f"<{m.group(1)} {nsdecls('w')}", xml, count=1)


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_reads_content_controls_insertions_smart_tags_and_fields_but_not_deletions() -> None:
    """A filled-in form keeps its values: text in content controls (inline and around whole paragraphs
    and tables, in document order), tracked insertions, smart tags and simple fields is text; deleted
    text and a field's instruction are not."""
    form = _w(
        "<w:p>" + _r("The contract holder is ")
        + '<w:sdt><w:sdtPr><w:alias w:val="Holder"/></w:sdtPr><w:sdtContent>' + _r("Aoife Byrne")
        + "</w:sdtContent></w:sdt>" + _r(" and the renewal date is ")
        + '<w:fldSimple w:instr=" DOCPROPERTY RenewalDate "><w:r><w:t>1 March 2025</w:t></w:r></w:fldSimple>'
        + '<w:ins w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z">' + _r(", paid by ") + "</w:ins>"
        + '<w:del w:id="2" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>cheque or</w:delText>'
        "</w:r></w:del>"
        + '<w:smartTag w:uri="urn:x" w:element="place">' + _r("direct debit") + "</w:smartTag>"
        + '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> REF _Ref1 \\h </w:instrText></w:r>'
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + _r(" from the account") + '<w:r><w:fldChar '
        'w:fldCharType="end"/></w:r>' + _r(".") + "</w:p>"
    )
    wrapped = _w(
        "<w:sdt><w:sdtPr/><w:sdtContent><w:p>" + _r("Claims are made by phone.") + "</w:p>"
        "<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc><w:p>"
        + '<w:sdt><w:sdtContent><w:r><w:t>Phone 555 0101</w:t></w:r></w:sdtContent></w:sdt>'
        + "</w:p></w:tc></w:tr></w:tbl></w:sdtContent></w:sdt>"
    )
    data = _docx(_w("<w:p>" + _r("Policy summary.") + "</w:p>"), form, wrapped,
                 _w("<w:p>" + _r("Keep this letter.") + "</w:p>"))
    text = parse("policy.docx", data).text
    sentence = ("The contract holder is Aoife Byrne and the renewal date is 1 March 2025, paid by direct debit "
                "from the account.")
    assert text.split("\n\n") == [
        "Policy summary.", sentence, "Claims are made by phone.", "Phone 555 0101", "Keep this letter."]
    assert sentence in [text[s.start:s.end] for s in quotable_sentences(text)]


def test_docx_unfilled_content_controls_and_ruby_annotations_are_not_text() -> None:
    """A template's unfilled field shows "Click or tap here to enter text.": nothing the document says."""
    inline = _w("<w:p>" + _r("The contract holder is ")
                + "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>" + _r("Click or tap here to enter text.")
                + "</w:sdtContent></w:sdt>" + _r(" to be confirmed.") + "</w:p>")
    block = _w("<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p>"
               + _r("Click or tap here to enter text.") + "</w:p></w:sdtContent></w:sdt>")
    ruby = _w("<w:p><w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>kan</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>\u6f22</w:t>"
              "</w:r></w:rubyBase></w:ruby></w:r>" + _r(" is a character.") + "</w:p>")
    text = parse("template.docx", _docx(inline, block, ruby)).text
    assert text.split("\n\n") == ["The contract holder is to be confirmed.", "\u6f22 is a character."]


def test_docx_table_keeps_equal_neighbouring_cells_and_writes_a_merged_cell_once() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=4)
    for r, values in enumerate((["Quarter", "North", "South", "Total"], ["Q1", "100", "100", "250"])):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    merged = table.cell(2, 0).merge(table.cell(2, 2))  # one cell over three columns
    merged.text = "Figures in thousands of euros"
    table.cell(2, 3).text = "audited"
    buffer = io.BytesIO()
    document.save(buffer)
    assert parse("sales.docx", buffer.getvalue()).text == (
        "Quarter | North | South | Total\n\nQ1 | 100 | 100 | 250\n\nFigures in thousands of euros | audited")


def test_docx_table_with_a_header_row_is_a_markdown_table() -> None:
    """A table whose first row is its header (bold, or marked to repeat on every page) is written as HTML's
    ``<th>`` tables are: the header names the columns and is never quoted by itself, and each row is
    quoted on its own line (rows were quoted run together: "Check-up | 45 euros | Free Scale and polish
    | 60 euros | ...")."""
    import docx

    document = docx.Document()
    document.add_heading("Prices", 1)
    for header_row in ("bold", "repeated"):
        table = document.add_table(rows=3, cols=3)
        rows = [("Treatment", "Adults", "Children"), ("Check-up", "45 euros", "Free"),
                ("Scale and polish", "60 euros", "35 euros")]
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                run = table.cell(r, c).paragraphs[0].add_run(value)
                run.bold = r == 0 and header_row == "bold"
        if header_row == "repeated":
            from docx.oxml import OxmlElement

            table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        document.add_paragraph("Children under 18 are seen free of charge.")
    buffer = io.BytesIO()
    document.save(buffer)
    text = parse("leaflet.docx", buffer.getvalue()).text
    table = "Treatment | Adults | Children\n--- | --- | ---\nCheck-up | 45 euros | Free\nScale and polish | 60 euros | 35 euros"
    assert text == f"# Prices\n\n{table}\n\nChildren under 18 are seen free of charge.\n\n{table}\n\n" + (
        "Children under 18 are seen free of charge.")
    kinds = {text[s.start:s.end]: s.kind for s in quotable_sentences(text)}
    assert kinds["Treatment | Adults | Children"] is Kind.HEADING and kinds["Check-up | 45 euros | Free"] is Kind.LIST


def test_docx_header_row_with_an_empty_corner_names_every_column_and_an_empty_one_is_no_header() -> None:
    """A header row whose first cell is empty named one column too few ("Adults | Children" above
    "Check-up | 45 euros | Free"): the empty cell is a column of the header. An empty first row marked as
    the header made the first row of data the header, which is never quoted."""
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    prices = [("Check-up", "45 euros", "Free"), ("Scale and polish", "60 euros", "35 euros")]
    for first in (("", "Adults", "Children"), ("", "", "")):
        table = document.add_table(rows=3, cols=3)
        for r, row in enumerate([first, *prices]):
            for c, value in enumerate(row):
                table.cell(r, c).paragraphs[0].add_run(value).bold = r == 0
        if not any(first):
            table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        document.add_paragraph("Children under 18 are seen free of charge.")
    buffer = io.BytesIO()
    document.save(buffer)
    text = parse("prices.docx", buffer.getvalue()).text
    assert text.startswith("|  | Adults | Children |\n--- | --- | ---\nCheck-up | 45 euros | Free\n")
    assert text.endswith("charge.\n\nCheck-up | 45 euros | Free\n\nScale and polish | 60 euros | 35 euros\n\n"
                         "Children under 18 are seen free of charge.")
    found = [(text[s.start:s.end], s.kind) for s in quotable_sentences(text)]
    assert ("Adults | Children", Kind.HEADING) in found
    assert found.count(("Check-up | 45 euros | Free", Kind.LIST)) == 1  # a row of the first table
    assert found.count(("Check-up | 45 euros | Free", Kind.PROSE)) == 1  # a row of the second, quoted


def test_docx_header_table_keeps_empty_cells_in_its_rows() -> None:
    """In a table with a header row a row's empty cell was dropped, so its next cells moved one column left:
    Ben's email stood under "Phone" ("Ben | ben@club.org" below "Name | Phone | Email")."""
    import docx

    document = docx.Document()
    rows = [("Name", "Phone", "Email"), ("Ann", "555 0101", "ann@club.org"), ("Ben", "", "ben@club.org"),
            ("", "555 0199", "office@club.org")]
    table = document.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).paragraphs[0].add_run(value).bold = r == 0
    buffer = io.BytesIO()
    document.save(buffer)
    text = parse("contacts.docx", buffer.getvalue()).text
    assert text == ("Name | Phone | Email\n--- | --- | ---\nAnn | 555 0101 | ann@club.org\nBen |  | ben@club.org\n"
                    "|  | 555 0199 | office@club.org |")
    assert _quotes(text)["Ben |  | ben@club.org"][0] is Kind.LIST


def test_docx_table_nested_in_a_cell_keeps_its_rows() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Team", "Contacts"
    table.cell(1, 0).text = "Lifeguards"
    inner_cell = table.cell(1, 1)
    inner_cell.text = "Call in this order:"
    inner = inner_cell.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "Ciara", (0, 1): "087 111 2222", (1, 0): "Dara", (1, 1): "087 333 4444"}.items():
        inner.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    assert parse("rota.docx", buffer.getvalue()).text == (
        "Team | Contacts\n\nLifeguards | Call in this order:\n\nCiara | 087 111 2222\n\nDara | 087 333 4444")


def test_docx_without_core_title_is_titled_by_its_first_heading() -> None:
    assert parse("h.docx", make_docx(title=None)).title == "Volunteer handbook"


def test_bad_docx_files_are_refused_with_a_reason() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    with pytest.raises(DocumentRejected, match="encrypted \\(password-protected\\) Word file"):
        parse("locked.docx", ole)
    with pytest.raises(DocumentRejected, match="not a zip package"):
        parse("fake.docx", b"plain text pretending")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "a zip, but no Word document inside")
    with pytest.raises(DocumentRejected, match="fake.docx: not a Word .docx document"):
        parse("fake.docx", buffer.getvalue())
    truncated = make_docx()[:2000]
    with pytest.raises(DocumentRejected, match="cut.docx: "):
        parse("cut.docx", truncated)


# ---------------------------------------------------------------------- text
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_text_with_a_byte_order_mark_is_read(encoding: str) -> None:
    """What Notepad saves as "Unicode" (UTF-16 with a BOM) is text: it was skipped as "looks like a binary
    file (a NUL byte at offset 3)". Without a BOM nothing says it is text, and it is refused as before."""
    note = "# Claims\r\n\r\nThe deductible is 250 \u20ac per claim, paid by the member.\r\n"
    bom = "\ufeff".encode(encoding)
    doc = parse("claims.txt", bom + note.encode(encoding))
    assert doc.text == "# Claims\n\nThe deductible is 250 \u20ac per claim, paid by the member.\n"
    assert doc.title == "Claims"
    with pytest.raises(DocumentRejected, match="claims.txt: looks like a binary file"):
        parse("claims.txt", note.encode(encoding))
    with pytest.raises(DocumentRejected, match=r"claims.txt: not valid UTF-16 text"):
        parse("claims.txt", bom + note.encode(encoding)[:-1])
    with pytest.raises(DocumentRejected, match=r"claims.txt: the file is empty"):
        parse("claims.txt", bom + " \r\n".encode(encoding))


# ---------------------------------------------------------------------- shared rules
def test_one_registry_of_suffixes_drives_the_walk_and_uploads(tmp_path: Path) -> None:
    assert formats.SUPPORTED_SUFFIXES == (".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".docx")
    for name in ("a.txt", "b.md", "c.PDF", "d.html", "e.htm", "f.docx", "g.png", "h.doc"):
        (tmp_path / name).write_bytes(b"x")
    assert [d for d, _ in iter_files([tmp_path])] == ["a.txt", "b.md", "c.PDF", "d.html", "e.htm", "f.docx"]
    with pytest.raises(DocumentRejected, match=r"only \.txt, \.md, \.markdown, \.pdf, \.html, \.htm and \.docx files"):
        save_upload(tmp_path / "docs", "old.doc", b"x", max_bytes=100)


def test_uploads_keep_their_extension_and_are_checked_as_their_format(tmp_path: Path, report_pdf: bytes) -> None:
    docs = tmp_path / "docs"
    saved = save_upload(docs, "Harbour Report (2024).PDF", report_pdf, max_bytes=10**7)
    assert saved == docs / "Harbour_Report_2024.pdf" and saved.read_bytes() == report_pdf
    with pytest.raises(DocumentRejected, match="protected by a password"):
        save_upload(docs, "locked.pdf", make_pdf(user_password="pw"), max_bytes=10**7)
    with pytest.raises(DocumentRejected, match="over the limit of 100 "):
        save_upload(docs, "ferry.html", FERRY_HTML.encode(), max_bytes=10**7, max_chars=100)
    assert sorted(p.name for p in docs.iterdir()) == ["Harbour_Report_2024.pdf"], "refused uploads leave nothing"


def test_oversized_text_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)  # 5,000 bytes
    with pytest.raises(DocumentRejected, match=r"big.txt: more than 1,000 characters of text, over the limit"):
        read_file("big.txt", big, max_chars=1000)
    with pytest.raises(DocumentRejected, match=r"big.txt: 5,000 characters of text, over the limit of 4,999"):
        read_file("big.txt", big, max_chars=4999)
    assert len(read_file("big.txt", big, max_chars=5000).text) == 5000


def test_converted_documents_change_hash_when_their_extraction_changes(
    report_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks are offsets into the extracted text: the same bytes read differently (a newer pypdf, a
    # fixed reader) must count as changed, or old offsets would be applied to the new text.
    from embeddings.formats import pdf

    before = parse("h.pdf", report_pdf).content_hash
    assert parse("h.pdf", report_pdf).content_hash == before
    reflow = pdf._reflow_pages
    monkeypatch.setattr(pdf, "_reflow_pages", lambda pages: ([p.upper() for p in reflow(pages)[0]], None))
    assert parse("h.pdf", report_pdf).content_hash != before
    # text files keep the file's own hash, as indexes written before other formats existed have it
    assert parse("h.txt", b"same bytes").content_hash == hashlib.sha256(b"same bytes").hexdigest()


def test_page_at_resolves_offsets_and_empty_pages() -> None:
    pages = ((1, 0), (2, 10), (3, 10), (4, 30))  # page 2 is empty: page 3 starts where it does
    assert [page_at(pages, o) for o in (0, 9, 10, 29, 30, 99)] == [1, 1, 3, 3, 4, 4]
    assert page_at((), 5) is None


def _numbered_steps_docx() -> bytes:
    """Release steps as Word numbers them: "List Number" paragraphs, a note between them (the list goes
    on), a list restarted at 1 ("Restart at 1": a ``w:num`` with a ``w:startOverride``) and bullets."""
    import docx

    document = docx.Document()
    document.add_heading("Steps", 1)
    for step in ("Move the Unreleased entries under the new version.", "Bump the version in pyproject.toml.",
                 "Tag the commit with git tag -s; tags must be signed with the maintainer's GPG key."):
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("Wait for the checks to pass before going on.")
    document.add_paragraph("Push the tag to start the release workflow.", style="List Number")
    document.add_heading("Announcing", 1)
    numbering = document.part.numbering_part.element
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    restarted = numbering.add_num(numbering.num_having_numId(style_num).abstractNumId.val)
    restarted.add_lvlOverride(ilvl=0).add_startOverride(1)
    for step in ("Post the announcement on Discord.", "Post it on Mastodon too."):
        paragraph = document.add_paragraph(step, style="List Number")
        paragraph._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = restarted.numId
    document.add_paragraph("Thank the contributors.", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_numbered_list_items_keep_their_numbers_and_a_restarted_list_restarts() -> None:
    """Word's numbered steps were read as "-" bullets, so "what is the third step of a release" was answered
    with step 2 and nothing showed which step it was."""
    text = parse("release.docx", _numbered_steps_docx()).text
    assert text.split("\n\n")[1:] == [
        "1. Move the Unreleased entries under the new version.\n2. Bump the version in pyproject.toml.\n"
        "3. Tag the commit with git tag -s; tags must be signed with the maintainer's GPG key.",
        "Wait for the checks to pass before going on.",
        "4. Push the tag to start the release workflow.",  # the same list, as Word counts it on
        "# Announcing",
        "1. Post the announcement on Discord.\n2. Post it on Mastodon too.\n- Thank the contributors.",
    ]


def test_a_quoted_numbered_step_shows_its_number(tmp_path, session_index) -> None:
    """A sentence leaves its list marker out; the quote of a numbered item keeps it ("3. Tag the commit ..."),
    in a Word file and in Markdown alike, so the reader sees which step it is."""
    from .conftest import indexed_engine

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "release.docx").write_bytes(_numbered_steps_docx())
    (docs / "upgrade.md").write_text("# Upgrading\n\n1. Back up your database with `orbit backup`.\n"
                                     "2. Pull the new image with docker pull.\n")
    engine = indexed_engine(tmp_path, docs, session_index)
    answer = engine.ask("do release tags have to be signed")
    assert answer.answered and answer.excerpts[0].text == (
        "3. Tag the commit with git tag -s; tags must be signed with the maintainer's GPG key.")
    first = engine.ask("how do I back up the database before upgrading")
    assert first.answered and first.excerpts[0].text == "1. Back up your database with `orbit backup`."
    excerpt = first.excerpts[0]
    assert engine.source("upgrade.md").text[excerpt.start : excerpt.end] == excerpt.text  # still verbatim
