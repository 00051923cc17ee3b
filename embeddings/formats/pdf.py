"""PDF through pypdf (pure Python): the text of every page, where each page starts, title and date.

A PDF has no paragraphs, only lines placed on a page, and the sentence splitter ends a sentence at
every newline. So each page's lines are put back into paragraphs (a line joins the one before
unless that one ended a sentence short of the page's usual line width, or the new line is a list
item or follows a heading), words hyphenated across lines are joined, and page furniture is dropped:
page numbers and the running header or footer repeated on most pages (on both, of two pages). The running
header names the document, and is added to its title (``formats.named``). Short stand-alone lines that
do not end like a sentence are written as ``#`` headings, and so are numbered sections' names ("1.
Overview"); a table's rows of numbers, and short "label: value" facts ("Final exam: 25%"), stay one to a
line, as list items, never headings. Pages are separated by a blank line; the
offset where each begins is kept, so every excerpt knows its page.

Refused with a reason: files that are not PDFs, truncated files (no end-of-file marker), files
protected by a password, and scanned documents whose pages hold no text at all (they need OCR).
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from ..chunking import soft_wrap
from ..errors import DocumentRejected
from . import JUNK_TITLE, PAGE_NUMBER, Extracted, join_blocks, named, too_long

log = logging.getLogger(__name__)

#: How far from the end of the file the end-of-file marker is looked for (writers may pad a little).
_EOF_WINDOW = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
#: Typographic ligatures (U+FB00-U+FB06) as their letters. pdflatex, InDesign and Word's PDF export set
#: "fi" or "ffi" as one glyph, which pypdf reads as one character: "ﬁnancial oﬃcer" matched neither the
#: words nor the embedding of "financial officer". The stored text holds the letters, so a quote (a slice
#: of it) reads as typed. Only PDFs need this: their text is glyphs the typesetter chose, while text,
#: HTML and Word files hold what was typed (fonts form ligatures when they are shown), and a text
#: file's stored text is its own bytes decoded, which a quote must be found in.
_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
})
_BULLET = re.compile(r"^(?:[-\u2013\u2022*\u25aa\u25e6\u25cf\u00b7]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")
_ENDS_CLAUSE = re.compile(r"[.,;:!?]$")
_DIGITS = re.compile(r"\d+")
#: A numbered section's name: "1. Overview", "4) Outlook" (its name is checked by ``_heading_like``).
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(?P<name>\S.*)$")
#: A numbered clause or sub-item: "1.1 Replaced 63 km of mains", "2.3.1 ...": after a full sentence it
#: starts a line of its own (not "... adding" / "2.4 million cubic metres", a number going on a sentence).
_SUB_ITEM = re.compile(r"^\d{1,3}(?:\.\d{1,3})+\.?\s+[^\W\d_a-z]")
#: A fact written as a label and its value ("Final exam: 25%", "Head TA: Tomasz Wi\u015bniewski"): a short label
#: that opens with a letter, a colon, and a value after it on the line (``_field_lines``).
_FIELD = re.compile(r"^(?P<label>[^\W\d_][^:]{0,48}?):\s+(?P<value>\S.*)$")
#: A label that numbers a part of the document ("Chapter 3", "Part II", "Appendix A", "Lecture 5b"): "Chapter
#: 3: Results" is a heading, its value a name, not a fact.
_PART_NUMBER = re.compile(r"(?:\b\d+[a-z]?|\b[IVXLC]+|\b[A-Z])$")
#: A number as a table's cell writes it: "845", "3,120", "99.6%", "1.87", "-4.2%", "EUR 5" is not one.
_CELL_NUMBER = re.compile(r"^[-+\u2212]?[$\u20ac\u00a3]?\d[\d,.]*%?$")
# pypdf reports the repairs it makes to broken files as warnings on its own loggers; they are
# collected while a file is read and logged once under this module (see _pypdf_warnings).
_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOCK = threading.Lock()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_warnings(name: str) -> Iterator[None]:
    """Keep pypdf's repair notes ("incorrect startxref pointer") out of a user's terminal.

    They describe how pypdf coped with a sloppy writer, not something the user can act on, and a
    folder of such PDFs would bury the summary. One INFO line per file keeps them for ``-v``.
    """
    collect = _Collect()
    with _PYPDF_LOCK:
        propagate = _PYPDF_LOG.propagate
        _PYPDF_LOG.addHandler(collect)
        _PYPDF_LOG.propagate = False
        try:
            yield
        finally:
            _PYPDF_LOG.removeHandler(collect)
            _PYPDF_LOG.propagate = propagate
    if collect.messages:
        log.info("%s: pypdf repaired %d problem(s) while reading, first: %s", name, len(collect.messages),
                 collect.messages[0])


def extract(name: str, data: bytes, *, max_chars: int) -> Extracted:
    """The text of every page (see the module docstring), the title and the creation date."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentRejected(f"{name}: not a PDF file (it does not start with a PDF header)")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise DocumentRejected(
            f"{name}: the PDF is truncated (no end-of-file marker; the copy or download stopped early); "
            "copy it again"
        )
    with _pypdf_warnings(name):
        reader = PdfReader(io.BytesIO(data), strict=False)
        _unlock(name, reader)
        raw_pages = _page_texts(name, reader, max_chars)
        title, when = _metadata(reader)
    if not any(text.strip() for text in raw_pages):
        raise DocumentRejected(
            f"{name}: no text layer on its {len(raw_pages)} page(s) (a scanned document?); "
            "run it through OCR (e.g. ocrmypdf) and add the result"
        )
    reflowed, header = _reflow_pages(raw_pages)
    text, pages = _assemble(reflowed)
    return Extracted(text=text, title=named(title or _first_heading(text), header), date=when, pages=pages)


def _unlock(name: str, reader: PdfReader) -> None:
    """Open a PDF that is encrypted without a password to open it (only restricting, say, printing).

    A document that needs a password to be read is refused: the index cannot hold its password.
    """
    if not reader.is_encrypted:
        return
    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise DocumentRejected(
            f"{name}: the PDF is encrypted with AES, which needs the 'cryptography' package to read"
        ) from None
    if opened == PasswordType.NOT_DECRYPTED:
        raise DocumentRejected(
            f"{name}: the PDF is protected by a password; save a copy without the password to index it"
        )


def _page_texts(name: str, reader: PdfReader, max_chars: int) -> list[str]:
    """Every page's raw text; stops as soon as the text is surely over the limit."""
    texts: list[str] = []
    total = 0
    for number, page in enumerate(reader.pages, 1):
        try:
            raw = page.extract_text() or ""
        except DocumentRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged page
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
            raise DocumentRejected(f"{name}: page {number} of the PDF cannot be read ({first})") from None
        raw = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n"))
        raw = raw.translate(_LIGATURES)
        texts.append(raw)
        total += len(raw)
        if total > max_chars * 1.25:  # reflowing shortens a text by far less than this
            raise too_long(name, total, max_chars, more=True)
    return texts


def _metadata(reader: PdfReader) -> tuple[str | None, date | None]:
    """The document-information title (unless it is a placeholder or a file name) and creation date."""
    try:
        info = reader.metadata
    except Exception:  # noqa: BLE001 - a damaged information dictionary costs the metadata only
        return None, None
    if info is None:
        return None, None
    title = None
    try:
        raw = " ".join(str(info.title or "").split())
        if raw and len(raw) <= 200 and not JUNK_TITLE.match(raw):
            title = raw
    except Exception:  # noqa: BLE001
        pass
    when = None
    for attribute in ("creation_date", "modification_date"):
        try:
            stamp = getattr(info, attribute)
        except Exception:  # noqa: BLE001 - a malformed date string
            continue
        if stamp is not None:
            when = stamp.date()
            break
    return title, when


# ---------------------------------------------------------------------- lines back into paragraphs
def _furniture_key(line: str) -> str:
    return _DIGITS.sub("#", _exact_key(line))


def _edges(lines: list[str]) -> list[int]:
    """Indexes of a page's first two and last two non-empty lines: where headers and footers sit."""
    filled = [i for i, line in enumerate(lines) if line]
    return sorted(set(filled[:2] + filled[-2:]))


#: A page of at most this many lines is all edges: only a line repeated as it is, or one numbered as its
#: page is (``_paged_keys``), can be its furniture; and its own lines are too few to tell a full line's width.
_SHORT_PAGE = 4


def _exact_key(line: str) -> str:
    return " ".join(line.lower().split())


def _paged_keys(pages: list[list[str]], keys: set[str]) -> set[str]:
    """Of the furniture ``keys`` (``_furniture_key``), those whose lines hold a number that goes up with the
    page, as a page number does ("Harbour report - page 4", "Annual report 2023 | 4"), and that stand at
    the edge of a page of more than four lines too. A short form's fields change from page to page too
    ("Room 101", "Room 201"), but not in step with the page; and a form of short pages only, whose
    "Floor 1", "Floor 2" do, has no long page to tell its furniture by."""
    numbers: dict[str, dict[int, list[int]]] = {}
    long = {n for n, lines in enumerate(pages) if sum(1 for line in lines if line) > _SHORT_PAGE}
    for n, lines in enumerate(pages):
        for i in _edges(lines):
            key = _furniture_key(lines[i])
            if key in keys:
                numbers.setdefault(key, {}).setdefault(n, [int(d) for d in _DIGITS.findall(lines[i])])
    paged = set()
    for key, by_page in numbers.items():
        width = min(len(found) for found in by_page.values())
        for j in range(width):
            if len({found[j] - n for n, found in by_page.items()}) == 1 and len(by_page) > 1 and long & by_page.keys():
                paged.add(key)
    return paged


def _reflow_pages(raw_pages: list[str]) -> tuple[list[str], str | None]:
    """Each page's text as paragraphs, without page numbers and running headers or footers
    (``_furniture``), and the running header (``_running_header``), which names the document.

    A full line's width is the page's own (a page set in a narrow column had each paragraph's first line
    read as a heading) when the page is set narrow (``_page_width``), else the document's: on a page of
    three lines, or one filled by a list or a table, the page's own "usual width" was its short ones, and
    its heading was glued to the text below it.
    """
    pages = [[line.strip() for line in raw.split("\n")] for raw in raw_pages]
    furniture = _furniture(pages)
    header = _running_header(pages, furniture)
    for n, i in furniture:
        pages[n][i] = ""
    width = _full_width([line for lines in pages for line in lines if line])
    return [join_blocks(_paragraphs(lines, _page_width(lines, width))) for lines in pages], header


def _furniture(pages: list[list[str]]) -> set[tuple[int, int]]:
    """Where the page furniture is, as (page index, line index): page numbers, and running headers or footers.

    A running header or footer is a line at a page's edge repeated on most pages, read with its digits
    as placeholders ("Annual report 2023 - page 3"). On a page of four lines or fewer every line is at
    an edge, and a short form or certificate printed page after page ("Room 101" / "Capacity 12") differs
    from its other pages only in digits: there a line is furniture only when it is repeated exactly or
    its number goes up with the page (``_paged_keys``: "Harbour report - page 4" was the section of the
    page's quotes), not when it merely differs (the whole file was skipped as "no text found"). A document
    of two pages is read by ``_paired_edges``: "most pages" needed three, so a two-page handbook kept its
    running header as a heading on each page, shown as the section of its quotes.
    """
    with_text = [p for p in pages if any(p)]
    repeated: set[str] = set()
    repeated_exactly: set[str] = set()
    if len(with_text) >= 3:
        least = max(3, 0.6 * len(with_text))
        counts = Counter(key for p in with_text for key in {_furniture_key(p[i]) for i in _edges(p)})
        exact = Counter(key for p in with_text for key in {_exact_key(p[i]) for i in _edges(p)})
        repeated = {k for k, n in counts.items() if n >= least}
        repeated_exactly = {k for k, n in exact.items() if n >= least}
    paged = _paged_keys(pages, repeated)
    found = _paired_edges(pages) if len(with_text) == 2 else set()
    for n, lines in enumerate(pages):
        short = sum(1 for line in lines if line) <= _SHORT_PAGE
        for i in _edges(lines):
            if PAGE_NUMBER.match(lines[i]) or (
                    _exact_key(lines[i]) in repeated_exactly or _furniture_key(lines[i]) in paged
                    if short else _furniture_key(lines[i]) in repeated):
                found.add((n, i))
    return found


def _paired_edges(pages: list[list[str]]) -> set[tuple[int, int]]:
    """The running header and footer of a document of two pages with text: the outermost line at the top of
    both pages, and at their bottom (a page number aside, ``PAGE_NUMBER``), when it stands at the same place
    on both and is the same line, or one whose number goes up with the page ("Handbook - page 1 of 2",
    ``_paged_keys``). Only the outermost line: a heading that repeats stands below the header, or elsewhere
    on the other page, and stays a heading. A line that merely differs in its digits ("Room 101", "Room
    201") is a page's own."""
    first, second = [n for n, lines in enumerate(pages) if any(lines)]
    found: set[tuple[int, int]] = set()
    for top in (True, False):
        at = [_outermost(pages[n], top) for n in (first, second)]
        if at[0] is None or at[1] is None:
            continue
        one, two = pages[first][at[0]], pages[second][at[1]]
        key = _furniture_key(one)
        if _exact_key(one) == _exact_key(two) or (key == _furniture_key(two) and _paged_keys(pages, {key})):
            found.update({(first, at[0]), (second, at[1])})
    return found


def _outermost(lines: list[str], top: bool) -> int | None:
    """The index of a page's outermost line at its top (or bottom) edge that is not a page number, if any."""
    edges = [i for i in _edges(lines) if not PAGE_NUMBER.match(lines[i])]
    return (edges[0] if top else edges[-1]) if edges else None


def _running_header(pages: list[list[str]], furniture: set[tuple[int, int]]) -> str | None:
    """The running header, one line a part: the furniture atop the first page that has some (its first two
    lines), page numbers aside. It names the document on every page ("Blocwerk - Route Setter Handbook
    v3"), as a Word file's page header does, and ``formats.named`` adds it to the title: dropped from the
    text, a word only it held (the organisation's name) was in no document, and a question naming it was
    refused (``evidence.absent_words``). The footer is not read: it holds page numbers, legal lines and
    markings more often than a name."""
    for n, lines in enumerate(pages):
        top = [i for i in sorted(furniture) if i[0] == n and i[1] in _edges(lines)[:2]]
        parts = [lines[i] for _, i in top if not PAGE_NUMBER.match(lines[i])]
        if parts:
            return "\n".join(parts)
    return None


#: A page whose longest line is shorter than this share of the document's full line is set narrow.
_NARROW = 0.75


def _page_width(lines: list[str], width: int) -> int:
    """A full line's width on a page: the document's ``width``, unless the page is set narrow (a column, a
    sidebar: its longest line is under three quarters of it) and has more than four lines; then the page's
    own, measured on its prose (not its list items or table rows, which are short by nature). A page that
    a list or a table fills measured its width on them, and its heading was glued to the prose below it
    ("What to bring on the hike Please pack the following ...")."""
    filled = [line for line in lines if line]
    if len(filled) <= _SHORT_PAGE or max(map(len, filled)) >= _NARROW * width:
        return width
    prose = [line for line in filled if not _BULLET.match(line) and not _row_like(line)]
    return _full_width(prose or filled)


def _full_width(lines: list[str]) -> int:
    """The length of a full line: most lines of a paragraph reach it (the 90th percentile, rounded up, so
    that of three lines it is the longest, not the middle one)."""
    lengths = sorted(len(line) for line in lines)
    return lengths[min(len(lengths) - 1, -(-9 * (len(lengths) - 1) // 10))] if lengths else 0


def _heading_like(line: str) -> bool:
    """A short line that does not read as a sentence: a title, a heading, a caption. Not a list item,
    and not a table's row ("Lead 845 99.6%": ``_row_like``), which holds facts to quote."""
    words = line.split()
    return (
        0 < len(words) <= 12
        and len(line) <= 90
        and not _ENDS_CLAUSE.search(line)
        and (line[0].isupper() or line[0].isdigit())
        and sum(c.isalpha() for c in line) >= 2
        and not _BULLET.match(line)
        and not _row_like(line)
    )


def _row_like(line: str) -> bool:
    """A table's row as pypdf reads it: a short line whose last two words or more are numbers ("Lead 845
    99.6%", "E. coli 3,120 100.0%"). A heading ends in one number at most ("Annual Report 2023")."""
    words = line.split()
    return len(words) <= 12 and len(words) >= 2 and all(_CELL_NUMBER.match(w) for w in words[-2:])


def _field_like(line: str) -> bool:
    """Whether ``line`` has the shape of a "label: value" fact (``_FIELD``): a label of at most six words and a
    value that does not itself lead in (``"Bring:"`` is no value)."""
    m = _FIELD.match(line)
    return m is not None and len(m.group("label").split()) <= 6 and not m.group("value").endswith(":")


def _field_lines(lines: list[str], skip: set[int]) -> set[int]:
    """The indexes of a page's short "label: value" lines that state a fact, not name a section: "Final exam:
    25%", "Labs: 10%" were written as headings ("# Final exam: 25%"), so the weight was never quoted and "how
    much is the final worth" was refused, the weight shown only as the section of the sentences below it.

    A short line (``_heading_like``) with a label and a value (``_field_like``) is a fact when its value holds
    a number and its label does not number a part ("Final exam: 25%", not "Chapter 3: Results", whose label
    ends in a number: ``_PART_NUMBER``), or when a line beside it has that shape too: a block of fields
    ("Instructor: Dr. Priya Raman" above "Head TA: Tomasz Wi\u015bniewski"), where a heading stands alone ("Case
    study: Harbour Water" above its prose stays a heading). Not when the next line goes on in lower case (the
    value wraps onto it), nor the lines in ``skip`` (a table's rows, numbered sections' names)."""
    shaped = [bool(line) and i not in skip and _field_like(line) for i, line in enumerate(lines)]
    found: set[int] = set()
    for i, line in enumerate(lines):
        if not shaped[i] or not _heading_like(line):
            continue
        below = lines[i + 1] if i + 1 < len(lines) else ""
        if below[:1].islower():
            continue
        label, value = line.split(":", 1)  # shaped: the label holds no colon
        valued = any(c.isdigit() for c in value) and not _PART_NUMBER.search(label)
        if valued or (i and shaped[i - 1]) or (i + 1 < len(lines) and shaped[i + 1]):
            found.add(i)
    return found


#: A numbered line this many lines below another says both are items of one list.
_LIST_REACH = 2


def _numbered_heading(line: str, above: str, below: list[str], width: int) -> bool:
    """Whether ``line`` is a numbered section's name ("1. Overview", "2. Tariffs"), not a list item: a short
    heading-like name after its number, and no list around it: neither line beside it is a list item,
    the one above does not announce one ("... the following programmes:"), the one below does not go on
    in lower case (an item wrapped onto it) and no other numbered line follows as a list's next item
    (``_numbered_next``). Its
    first numbered clause below it ("1.1 ...") says so too. A report's sections were read as list items
    and their names glued to their first sentence ("1. Overview In 2023 the utility supplied ..."); a
    list whose first item wrapped was read as a heading and an orphaned fragment ("before you start the
    upgrade, and keep the file safe.")."""
    m = _NUMBERED.match(line)
    if m is None or not _heading_like(m.group("name")) or len(line) > 60 or len(line) >= 0.7 * width:
        return False
    after = below[0] if below else ""
    if after.startswith(line.split(None, 1)[0].rstrip(".)") + ".1"):
        return True
    return not (
        _BULLET.match(above) or _BULLET.match(after) or above.endswith(":") or after[:1].islower()
        or _numbered_next(below)
    )


def _numbered_next(below: list[str]) -> bool:
    """Whether a numbered line follows within two lines as the next item of a list would: right below, or
    after one line that does not end a sentence (the first item wrapped onto it). After a full sentence it
    is the next section ("1. Purpose" / "This policy sets out how members book rooms." / "2. Scope"): as a
    list item, each section's name was glued to its one sentence ("Scope It applies to all members.")."""
    for x in below[:_LIST_REACH]:
        if _NUMBERED.match(x):
            return True
        if _ENDS_SENTENCE.search(x):
            return False
    return False


def _cells(row: str, numbered: bool = False) -> int:
    """How many cells a table's row holds: its numbers at the end, and the name before them if any; with
    ``numbered`` (``_numbered_names``) the first of its numbers is its name's ("District 1 107 95.1%": 3)."""
    words = row.split()
    numbers = 0
    while numbers < len(words) and _CELL_NUMBER.match(words[-1 - numbers]):
        numbers += 1
    if numbered and numbers == len(words) - 1:
        numbers -= 1
    return numbers + (numbers < len(words))


def _numbered_names(rows: list[str]) -> bool:
    """Whether a table's rows are named by one word and a number ("District 1 107 95.1%", "District 2 98
    97.0%"): the same word begins every row and a number follows it, so the number names the row."""
    firsts = [row.split()[:2] for row in rows]
    return (len({first[0] for first in firsts}) == 1 and not _CELL_NUMBER.match(firsts[0][0])
            and all(_CELL_NUMBER.match(first[1]) for first in firsts))


def _table_lines(lines: list[str]) -> set[int]:
    """The indexes of a page's table: two rows or more in a row (``_row_like``), and the one line above them
    when it names the columns ("Parameter Samples Compliance": short, not a sentence, and a word at least
    for each cell of the rows, a row's name counted as one cell when it holds a number: "District 1 107
    95.1%", ``_numbered_names``). They are kept one to a line, never headings: each row is a fact to quote
    ("Lead 845 99.6%" was a heading, and the last row the section of the rest of the document). A section's
    name above a table ("Results", "Test results" above "Lead 845 99.6%") stays a heading: a word fewer than
    the cells was allowed for rows named with a number, and took a two-word heading for column names."""
    found: set[int] = set()
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j] and _row_like(lines[j]):
            j += 1
        if j - i >= 2:
            found.update(range(i, j))
            above = lines[i - 1] if i else ""
            numbered = _numbered_names(lines[i:j])
            if (above and not _ENDS_CLAUSE.search(above)
                    and min(_cells(row, numbered) for row in lines[i:j]) <= len(above.split()) <= 12):
                found.add(i - 1)
        i = max(j, i + 1)
    return found


def _paragraphs(lines: list[str], width: int | None = None) -> list[str]:
    """Join a page's lines into paragraphs; a stand-alone heading-like line becomes ``# heading``, a
    table's rows (``_table_lines``) stay one to a line. ``width`` is a full line's (``_full_width``;
    by default this page's)."""
    if not any(lines):
        return []
    width = width or _full_width([line for line in lines if line])
    table = _table_lines(lines)
    numbered: set[int] = set()
    above = ""  # the last line with text before this one
    for i, line in enumerate(lines):
        if not line:
            continue
        if i not in table and _NUMBERED.match(line):  # the cheap test first: most lines are not numbered
            below = [x for x in lines[i + 1 : i + 1 + 2 * _LIST_REACH] if x][:_LIST_REACH]
            if _numbered_heading(line, above, below, width):
                numbered.add(i)
        above = line
    fields = _field_lines(lines, table | numbered)
    paragraphs: list[tuple[list[str], str]] = []  # lines, and "text", "heading", "table" or "fields"
    current: list[str] = []
    kind = "text"

    def flush() -> None:
        if current:
            paragraphs.append((current.copy(), kind))
            current.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        this = "table" if i in table else "heading" if i in numbered else "fields" if i in fields else "text"
        if current:
            prev = current[-1]
            lone_heading = len(current) == 1 and (kind == "heading" or _heading_like(prev)) and len(prev) < 0.7 * width
            ended = _ENDS_SENTENCE.search(prev) is not None
            if (
                this != kind or this == "heading"
                or (this == "text" and (
                    _BULLET.match(line)
                    or (ended and _SUB_ITEM.match(line))
                    or lone_heading
                    or (ended and len(prev) < 0.8 * width)
                    or (ended and _heading_like(line) and len(line) < 0.7 * width)))
            ):
                flush()
        kind = this
        current.append(line)
    flush()
    return [_format_paragraph(p, k) for p, k in paragraphs]


def _format_paragraph(lines: list[str], kind: str = "text") -> str:
    if kind == "table":
        # The column names as a line, each row a list item, as Markdown writes items: read as one paragraph,
        # rows ending on numbers went on into each other ("... E. coli 3,120 100.0% Lead 845 99.6% ...").
        names = [] if _row_like(lines[0]) else lines[:1]
        return "\n".join(names + [f"- {row}" for row in lines[len(names):]])
    if kind == "fields":
        # One fact a line, as a list's items: a paragraph of them ran on ("Labs: 10% Group project: 15% ...").
        return "\n".join(f"- {line}" for line in lines)
    if kind == "heading" or (len(lines) == 1 and _heading_like(lines[0])):
        return "# " + lines[0]
    text = lines[0]
    for line in lines[1:]:
        if len(text) > 1 and text[-1] == "-" and text[-2].isalpha() and text[-2].islower() and line[0].islower():
            text = text[:-1] + line  # a word hyphenated at the line's end: "exam-" + "ple"
        else:
            text += " " + line
    return text


def _assemble(pages: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Pages joined by a blank line, and the offset where each page starts (empty pages included).

    A sentence that goes on across the page break ("... Complaints about" / "water pressure fell by a
    third ...") is joined by a newline instead, which the sentence splitter reads as a wrapped line
    (``chunking.soft_wrap``): it is one sentence, quoted whole and citing both pages. Split at the
    break, the second page's half was quoted as if it were a sentence, which inverted its meaning.
    """
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    at = 0
    for number, page in enumerate(pages, 1):
        if page and parts:
            separator = "\n" if _goes_on(parts[-1], page) else "\n\n"
            parts.append(separator)
            at += len(separator)
        starts.append((number, at))
        if page:
            parts.append(page)
            at += len(page)
    return "".join(parts), tuple(starts)


def _goes_on(page: str, next_page: str) -> bool:
    """Whether ``page``'s last paragraph goes on at the top of ``next_page``: it is prose (no list item or
    table row, which ``chunking.soft_wrap`` does not know as a PDF writes them) and the next page's text
    goes on in lower case, as a wrapped line does (``soft_wrap``, which also says a heading or a line that
    ends a sentence does not)."""
    last = page[page.rfind("\n") + 1 :]
    first = next_page.split("\n", 1)[0]
    return first[:1].islower() and not (_BULLET.match(last) or _row_like(last)) and soft_wrap(last, first)


def _first_heading(text: str) -> str | None:
    """The first heading-like line of the first page with text (the caller falls back to the name); not a
    numbered section's ("1. Overview" names a section, not the document)."""
    for line in text[:4000].split("\n"):
        if line.startswith("# ") and not _NUMBERED.match(line[2:]):
            return line[2:].strip()
    return None
