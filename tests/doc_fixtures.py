"""Documents in every supported format, written by the tests themselves (no binary file is committed).

PDFs are written with fpdf2 (a running header and a page-number footer on every page, as reports
have), Word files with python-docx, web pages by hand. Each holds facts no other test document has,
so a test knows which page and which source an answer must cite.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

HARBOUR_PDF_TITLE = "Harbour authority annual report 2024"
#: The title docbot gives the report: its running header adds what the metadata title lacks (``formats.named``).
HARBOUR_PDF_SHOWN = f"{HARBOUR_PDF_TITLE} | public report"
#: Page 3 of the report: the only place the keeper's retirement is told.
KEEPER_FACT = "Maeve Donnelly, the keeper of the Carrickfin light, retired in September after thirty-one years"
KEEPER_QUESTION = "When did the keeper of the Carrickfin light retire?"
_FILLER = (
    "The harbour master reviewed the moorings along the eastern quay during the spring inspection and "
    "found that most of the chains needed replacement before the summer season. "
)
#: Three pages: the answer to KEEPER_QUESTION is on page 3 only.
HARBOUR_PAGES: list[tuple[str, list[str]]] = [
    ("Annual report 2024", [
        "This report covers the work of the harbour authority from January to December. " + _FILLER * 2,
        "Dredging of the inner basin was finished in March at a cost of 410,000 euros.",
    ]),
    ("Finances", [
        "Mooring fees rose by four percent, the first rise since 2019. " + _FILLER,
        "Fishing boats under ten metres pay half the fee.",
    ]),
    ("Lights and buoys", [
        f"{KEEPER_FACT}. The light was automated the same month, and its fog signal was switched off. " + _FILLER,
        "- Buoy 4 was replaced after a storm in February.",
        "- Buoy 7 was moved twenty metres north.",
    ]),
]


def _report(header: str, *, page_numbers: bool = True) -> Any:
    """An fpdf2 document with ``header`` atop every page (none when empty; "{page}" in it is the page's
    number) and a "Page N" footer."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 5, header.replace("{page}", str(self.page_no())), new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            if page_numbers:
                self.set_y(-15)
                self.set_font("Helvetica", size=8)
                self.cell(0, 10, f"Page {self.page_no()}", align="C")

    return Report()


def make_pdf(
    pages: list[tuple[str, list[str]]] = HARBOUR_PAGES,
    *,
    title: str | None = HARBOUR_PDF_TITLE,
    created: dt.datetime | None = dt.datetime(2024, 3, 15, 9, 30, tzinfo=dt.timezone.utc),
    header: str = "Harbour authority - public report",
    user_password: str | None = None,
    owner_password: str | None = None,
    narrow: frozenset[int] = frozenset(),
) -> bytes:
    """A text PDF: per page a heading and paragraphs, a running header and a "Page N" footer. The pages
    whose index is in ``narrow`` are set in a column 80 mm wide, as a sidebar or a column page is."""
    from fpdf.enums import EncryptionMethod

    pdf = _report(header)
    if title:
        pdf.set_title(title)
    if created:
        pdf.set_creation_date(created)
    if owner_password or user_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password,
                           encryption_method=EncryptionMethod.AES_128)
    for n, (heading, paragraphs) in enumerate(pages):
        pdf.add_page()
        if heading:
            pdf.set_font("Helvetica", "B", 16)
            pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(80 if n in narrow else 0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def make_lines_pdf(pages: list[list[str]], *, header: str = "", title: str | None = None) -> bytes:
    """A PDF that sets each string of ``pages`` as one line, as a report's lines are set (a heading, the
    lines of a paragraph, a table's rows), with an optional running header and a "Page N" footer."""
    pdf = _report(header, page_numbers=bool(header))
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_scanned_pdf(pages: int = 2) -> bytes:
    """What a scanner makes: pages that are pictures, with no text layer."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    for n in range(pages):
        pdf.add_page()
        pdf.image(Image.new("L", (400, 560), color=200 + n), x=10, y=10, w=190)
    return bytes(pdf.output())


def make_ligature_pdf(lines: list[str]) -> bytes:
    """One page of ``lines`` in Helvetica whose encoding puts the ligature glyphs (U+FB00-U+FB06 in
    ``lines``) at codes 1-7, named as pdflatex's fonts name them and mapped to U+FB00-U+FB06 by a
    ToUnicode map, as InDesign and Word's PDF export write it."""
    codes = {chr(0xFB00 + n): f"\\{n + 1:03o}" for n in range(7)}
    content = "BT /F1 11 Tf 72 720 Td 14 TL\n" + "".join(
        "(" + "".join(codes.get(ch, ch) for ch in line) + ") '\n" for line in lines) + "ET"
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n7 beginbfchar\n"
        + "".join(f"<{n + 1:02X}> <{0xFB00 + n:04X}>\n" for n in range(7))
        + "endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
         "/Contents 4 0 R >>"),
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        ("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
         "/BaseEncoding /WinAnsiEncoding /Differences [1 /ff /fi /fl /ffi /ffl /longst /st] >> "
         "/ToUnicode 6 0 R >>"),
        f"<< /Length {len(cmap)} >>\nstream\n{cmap}\nendstream",
    ]
    out = "%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


#: A saved news page: navigation, a sidebar, a share bar, a footer and a cookie banner around the article.
FERRY_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Ferry timetable | Example Town News</title>
<meta property="og:title" content="New ferry timetable for Inishmore">
<meta property="article:published_time" content="2024-05-02T09:30:00+01:00">
<link rel="canonical" href="https://example.org/news/ferry-timetable">
<style>.nav { color: red }</style>
</head><body>
<header class="site-header"><a href="/">Example Town News</a>
<nav><ul><li><a href="/news">Latest headlines</a></li><li><a href="/weather">Weather forecast</a></li></ul></nav>
</header>
<div class="layout has-sidebar">
<main><article>
<header><h1>New ferry timetable for Inishmore</h1><p class="byline">By Ann Smith</p></header>
<p>From June the first ferry to Inishmore leaves the harbour at 7:15 on weekdays, the port authority said.
The first boat used to leave at eight.</p>
<h2>Weekend sailings</h2>
<p>On Saturdays and Sundays the first sailing is at nine.<br>A return ticket costs 25 euros.</p>
<ul><li>Cars must be booked ahead.</li><li>Bicycles travel free.</li></ul>
<div class="share-bar">Share on Facebook. Share by email.</div>
</article></main>
<aside class="sidebar"><h3>Most read</h3><p>Celebrity chef opens a seaweed restaurant on the pier.</p></aside>
</div>
<footer><p>Copyright 2024 Example Town News. Read our privacy policy and terms of use.</p></footer>
<div class="cookie-banner">We use cookies to improve your experience.</div>
<script>var tracking = "analytics snippet";</script>
</body></html>
"""
#: Words that only the page's navigation, sidebar, footer, banner and script contain.
FERRY_BOILERPLATE = ("Latest headlines", "Weather forecast", "seaweed restaurant", "privacy policy", "cookies",
                     "analytics", "Share on Facebook", "Example Town News")

#: A climbing gym's page whose footer holds its address, hours and contacts beside a menu, a cookie notice,
#: a newsletter box and a copyright line.
GYM_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Your first visit | Kestrel Climbing</title></head>
<body><header><nav><a href="/">Home</a> <a href="/prices">Prices</a> <a href="/hours">Opening hours</a></nav></header>
<main><h1>Your first visit</h1>
<p>Every new climber does a 20-minute intro with a member of staff. Intros start every full hour.</p>
<p>Wear comfy sports clothes you can move in; rental shoes cost three euros.</p></main>
<footer class="site-footer">
  <div class="footer-nav"><a href="/imprint">Imprint</a> | <a href="/privacy">Privacy</a> | <a href="/jobs">Jobs</a></div>
  <address>Kestrel Climbing eG<br>Gleisstra\u00dfe 7<br>04275 Leipzig</address>
  <p>Mon-Fri 10:00-23:00, Sat &amp; Sun 9:00-22:00</p>
  <p>Phone 0341 555 0199 \u00b7 <a href="mailto:office@kestrel.example">office@kestrel.example</a></p>
  <div class="cookie-notice">We use cookies. Questions to privacy@kestrel.example</div>
  <div class="newsletter">Get our newsletter every Monday</div>
  <p>Follow us: <a href="/ig">Instagram</a> <a href="/fb">Facebook</a> <a href="/yt">YouTube</a></p>
  <p>\u00a9 2025 Kestrel Climbing eG, Gleisstra\u00dfe 7. All rights reserved.</p>
</footer></body></html>"""
#: What the gym page's footer adds to its text, in its order.
GYM_FOOTER = ("Kestrel Climbing eG, Gleisstra\u00dfe 7, 04275 Leipzig\n\nMon-Fri 10:00-23:00, Sat & Sun 9:00-22:00"
              "\n\nPhone 0341 555 0199 \u00b7 office@kestrel.example")


def make_docx(*, title: str | None = "Rowing club volunteer handbook", header: str | None = None) -> bytes:
    """A Word file with a title, headings on two levels, a list and a table, and a page header if given."""
    import docx

    document: Any = docx.Document()
    if title:
        document.core_properties.title = title
    if header:
        document.sections[0].header.paragraphs[0].text = header
    document.add_heading("Volunteer handbook", 0)
    document.add_paragraph("Welcome to the rowing club. Every member helps out a few times a season.")
    document.add_heading("Opening the boathouse", 1)
    document.add_paragraph("The first volunteer of the day collects the boathouse key from the harbour office "
                           "and switches off the alarm with the code kept in the red folder.")
    document.add_paragraph("Check the weather board.", style="List Bullet")
    document.add_paragraph("Unlock the oar store.", style="List Bullet")
    document.add_heading("Safety boat", 2)
    document.add_paragraph("The safety boat must carry a radio, a first aid kit and a spare kill cord.")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Role", (0, 1): "Contact", (1, 0): "Captain", (1, 1): "Niamh"}.items():
        table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


#: Two plain-text articles alike but for their prime minister and their date: a question about "this
#: week" is answered by the one of the week it is asked in (``embeddings.recency``).
_RESIGNED = """{name} resigns as prime minister - News
{day}
https://example.com/{day}/resigns
Prime Minister {name} announced his resignation on {weekday}, after {why}. He will stay in office until
his party chooses a successor.
"""
RESIGNATIONS = {
    "berg-2019.txt": _RESIGNED.format(name="Anders Berg", day="20190319", weekday="Tuesday",
                                       why="months of protests over fuel prices"),
    "johnson-2022.txt": _RESIGNED.format(name="Boris Johnson", day="20220707", weekday="Thursday",
                                          why="dozens of ministers quit his government"),
}
RESIGNATION_QUESTION = "Which prime minister announced his resignation this week?"
