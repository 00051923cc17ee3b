"""Word documents (.docx) through python-docx: paragraphs, headings, lists and tables in order.

Headings (the built-in Title and Heading 1-9 styles, and styles based on them) are written as ``#``
lines, list paragraphs as items numbered as Word shows them ("1.", "a)", ``_Numbering``) or ``-`` for
bullets, and table rows with ``|`` between cells (a table with a header
row as a Markdown table, else a block per row: ``_table_blocks``), so the sentence splitter treats
them as it treats Markdown. The title is the core properties' title, else the
first Title or heading paragraph, with what the first page header adds to it (``formats.named``: "Before
your appointment | Brightside Dental Clinic"). No date is taken: a .docx records when its file was created,
which for a document made from a template is the template's date, not the document's.

The text is every ``w:t`` of a paragraph, whatever wraps it: hyperlinks, content controls
(``w:sdt``, inline and around whole paragraphs or tables), tracked insertions, smart tags and simple
fields (python-docx's ``Paragraph.text`` and ``iter_inner_content`` see only direct runs, paragraphs
and tables, so a filled-in form read "The contract holder is and ..."). Deleted text (``w:del``,
``w:moveFrom``), field instructions (``w:instrText``), ruby annotations and the placeholder of a
content control left unfilled ("Click or tap here to enter text.") are never read. Not read either:
table rows wrapped in a content control (a repeating section), which python-docx's rows skip.

Old binary .doc files are not read; a password-protected .docx is an encrypted container, refused
with a reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import DocumentRejected
from . import Extracted, join_blocks, named

#: Compound-file signature: what an encrypted .docx (and an old .doc) starts with.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^heading ([1-9])$", re.IGNORECASE)
_P, _TBL, _T, _BR = qn("w:p"), qn("w:tbl"), qn("w:t"), qn("w:br")
_SDT, _SDT_PR, _SHOWING_PLACEHOLDER = qn("w:sdt"), qn("w:sdtPr"), qn("w:showingPlcHdr")
#: Block-level wrappers whose paragraphs and tables are part of the text where they stand.
_BLOCK_WRAPPERS = frozenset({qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")})
#: What a run holds besides ``w:t``, as python-docx writes it in ``Run.text``.
_RUN_TEXT = {qn("w:tab"): "\t", qn("w:ptab"): "\t", qn("w:cr"): "\n", qn("w:noBreakHyphen"): "-"}
#: Never text: deletions (tracked deletions, the old place of moved text), field instructions, properties,
#: drawings and embedded objects (text boxes are not read, as before), and the first choice of an
#: alternate content, whose fallback holds the same content again.
_NOT_TEXT = frozenset({
    *(qn(tag) for tag in ("w:del", "w:moveFrom", "w:delText", "w:instrText", "w:delInstrText", "w:pPr",
                          "w:rPr", "w:sdtPr", "w:sdtEndPr", "w:drawing", "w:pict", "w:object", "w:rt")),
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice",
})


def extract(name: str, data: bytes, *, max_chars: int) -> Extracted:
    """Paragraphs and tables as blocks, and the title (see the module docstring)."""
    if data.startswith(_OLE):
        raise DocumentRejected(
            f"{name}: an encrypted (password-protected) Word file or an old .doc renamed to .docx; "
            "save it as an unprotected .docx to index it"
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentRejected(f"{name}: not a Word .docx file (it is not a zip package); is it damaged?")
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile) as exc:
        raise DocumentRejected(f"{name}: not a Word .docx document ({exc})") from None
    blocks: list[str] = []
    first_heading = None
    size = 0
    numbering = _Numbering(document)
    for item in _block_items(document.element.body, document._body):
        if isinstance(item, Table):
            new = _table_blocks(item)
        else:
            block, level = _paragraph(item, numbering)
            if not block:
                continue
            if level and first_heading is None:
                first_heading = block.lstrip("# ")
            new = [block]
        blocks.extend(new)
        size += sum(len(block) + 2 for block in new)
        if size > max_chars * 1.25:
            break  # surely over the limit: the caller refuses it without reading the rest
    title = " ".join((document.core_properties.title or "").split()) or first_heading
    return Extracted(text=join_blocks(blocks), title=named(title or None, _running_header(document)))


def _running_header(document: Any) -> str | None:
    """The text of the first section's page header, and of its first page's when that differs, a line a
    paragraph or a table's row: the name a document carries on every page ("Brightside Dental Clinic -
    Patient Information Leaflet"), which is no part of its text (``formats.named`` adds it to the title).
    None when the first section has none."""
    if not document.sections:
        return None
    section = document.sections[0]
    headers = [section.header, *([section.first_page_header] if section.different_first_page_header_footer else [])]
    lines: list[str] = []
    for header in headers:
        if header.is_linked_to_previous:  # no header of its own (reading one would add an empty one)
            continue
        for item in _block_items(header._element, header):
            lines.extend(_table(item) if isinstance(item, Table) else [_text(item._p)])
    return "\n".join(lines) or None


def _block_items(container: Any, parent: Any) -> Iterator[Paragraph | Table]:
    """The paragraphs and tables of a body or cell in document order, including those inside block-level
    content controls (``w:sdt``) and custom XML, which python-docx's ``iter_inner_content`` skips."""
    for child in container.iterchildren():
        if child.tag == _P:
            yield Paragraph(child, parent)
        elif child.tag == _TBL:
            yield Table(child, parent)
        elif child.tag in _BLOCK_WRAPPERS and not _placeholder(child):
            yield from _block_items(child, parent)


def _placeholder(element: Any) -> bool:
    """Whether ``element`` is a content control still showing its placeholder ("Click or tap here to
    enter text."): a form left unfilled says nothing."""
    props = element.find(_SDT_PR) if element.tag == _SDT else None
    shown = props.find(_SHOWING_PLACEHOLDER) if props is not None else None
    return _on(shown)


def _text(element: Any) -> str:
    """The visible text under a paragraph (or any inline element): see the module docstring."""
    parts: list[str] = []
    for child in element.iterchildren():
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _BR:
            # a line break is a newline; a page or column break is nothing (python-docx's rule)
            parts.append("\n" if child.get(qn("w:type"), "textWrapping") == "textWrapping" else "")
        elif tag in _RUN_TEXT:
            parts.append(_RUN_TEXT[tag])
        elif tag not in _NOT_TEXT and not _placeholder(child):
            parts.append(_text(child))
    return "".join(parts)


def _heading_level(paragraph: Paragraph) -> int:
    """1-6 for Title and Heading styles (or styles based on them), 0 for anything else."""
    style = paragraph.style
    depth = 0
    while style is not None and depth < 10:
        name = style.name or ""
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return min(int(match.group(1)), 6)  # Markdown has six levels
        style = style.base_style
        depth += 1
    return 0


def _paragraph(paragraph: Paragraph, numbering: _Numbering) -> tuple[str, int]:
    """A paragraph as a block: "## " and a heading's text, a list item with its number as Word shows it
    ("3. Tag the commit"), or its text; and its heading level (0 for none)."""
    text = " ".join(_text(paragraph._p).split())
    if not text:
        return "", 0
    level = _heading_level(paragraph)
    if level:
        return "#" * level + " " + text, level
    label = numbering.label(paragraph)
    if label is None:
        style_name = (paragraph.style.name or "") if paragraph.style is not None else ""
        label = "-" if style_name.lower().startswith("list") else ""  # "List Paragraph" without numbering
    return (f"{label} {text}" if label else text), 0


_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    """Word's letter numbering: a-z, then aa, bb, ... (the letter repeated, not spreadsheet columns)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


#: How a level's ``w:numFmt`` writes its numbers; other formats ("ordinal", "cardinalText", ...) as decimals.
_FORMATS = {
    "decimalZero": lambda n: f"{n:02d}", "lowerLetter": _letters, "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": _roman, "upperRoman": lambda n: _roman(n).upper(),
}


def _val(element: Any, tag: str) -> str | None:
    """The ``w:val`` of ``element``'s child ``tag``, or None."""
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


class _Numbering:
    """Numbers list paragraphs as Word shows them ("1.", "2.", "a)", "2.1."): a paragraph's numbering is its
    own ``w:numPr`` or its style's (the built-in "List Number" style carries one), which names a list
    (``w:num``) and its level; a list is an instance of an abstract numbering, whose levels say the format
    ("decimal", "lowerLetter", "bullet") and the text around the number ("%1.", "%1.%2."). Written as "-"
    items, numbered steps lost their numbers, and "what is the third step" was answered with the second.

    As in Word, lists of one abstract numbering count on together (steps interrupted by a note go on
    from 3), unless a list restarts a level (``w:startOverride``: Word's "Restart at 1"); a level starts
    again below each item of a higher one. A bullet level is "-", as before."""

    def __init__(self, document: Any) -> None:
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):  # a document without numbering
            root = None
        #: abstractNumId -> level -> (start, numFmt, lvlText); numId -> (abstractNumId, level -> start)
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        self.lists: dict[str, tuple[str, dict[int, int]]] = {}
        self.styled: dict[tuple[str, str], int] = {}  # (abstractNumId, style id) -> the level it numbers
        for abstract in root.iterchildren(qn("w:abstractNum")) if root is not None else ():
            key = abstract.get(qn("w:abstractNumId"))
            levels = self.levels.setdefault(key, {})
            for lvl in abstract.iterchildren(qn("w:lvl")):
                level = _int(lvl.get(qn("w:ilvl")), 0)
                levels[level] = (_int(_val(lvl, "w:start"), 1), _val(lvl, "w:numFmt") or "decimal",
                                 _val(lvl, "w:lvlText") or "")
                if (style := _val(lvl, "w:pStyle")) is not None:
                    self.styled[(key, style)] = level
        for num in root.iterchildren(qn("w:num")) if root is not None else ():
            overrides = {_int(o.get(qn("w:ilvl")), 0): _int(start, 1) for o in num.iterchildren(qn("w:lvlOverride"))
                         if (start := _val(o, "w:startOverride")) is not None}
            self.lists[num.get(qn("w:numId"))] = (_val(num, "w:abstractNumId") or "", overrides)
        self.counts: dict[str, dict[int, int]] = {}  # abstractNumId -> level -> its last number
        self.begun: set[str] = set()  # the lists whose restarts were applied (at their first item)

    def _numbered(self, paragraph: Paragraph) -> tuple[str, int | None, str | None] | None:
        """The list (numId), level and style id of ``paragraph``'s numbering, or None when it has none."""
        num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
        style, depth = paragraph.style, 0
        while num_pr is None and style is not None and depth < 10:
            p_pr = style.element.pPr
            num_pr = p_pr.numPr if p_pr is not None else None
            style, depth = (style if num_pr is not None else style.base_style), depth + 1
        if num_pr is None or num_pr.numId is None:
            return None
        level = num_pr.ilvl.val if num_pr.ilvl is not None else None
        return str(num_pr.numId.val), level, style.style_id if style is not None else None

    def label(self, paragraph: Paragraph) -> str | None:
        """What Word shows before ``paragraph``: "3.", "b)", "-" for a bullet; None when it is no list item
        (numId 0 takes a style's numbering away)."""
        found = self._numbered(paragraph)
        if found is None or found[0] == "0":
            return None
        num_id, level, style = found
        if num_id not in self.lists:
            return "-"  # a numbering the file does not define: a list item all the same
        key, overrides = self.lists[num_id]
        levels = self.levels.get(key, {})
        if level is None:  # set by a style: the level that names the style, else the first
            level = self.styled.get((key, style or ""), 0)
        counts = self.counts.setdefault(key, {})
        if num_id not in self.begun:
            self.begun.add(num_id)
            for at, start in overrides.items():
                counts[at] = start - 1
        for deeper in [at for at in counts if at > level]:
            del counts[deeper]
        start, fmt, text = levels.get(level, (1, "decimal", f"%{level + 1}."))
        counts[level] = counts.get(level, start - 1) + 1
        if fmt == "bullet":
            return "-"

        def number(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            at_start, at_fmt, _ = levels.get(at, (1, "decimal", ""))
            return _FORMATS.get(at_fmt, str)(counts.get(at, at_start))  # type: ignore[operator]

        return re.sub(r"%([1-9])", number, text).strip()


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _table_blocks(table: Table) -> list[str]:
    """A table as blocks, as ``web.py`` writes an HTML table: with a header row (``_header_row``), one
    Markdown table (header, delimiter row, rows), so the header names the columns and is never quoted by
    itself; else a block per row. Rows written one below the other as plain lines were one paragraph
    to the answer builder, which quoted them run together ("Check-up | 45 euros | Free Scale and
    polish | 60 euros | ...").

    The header is the first row's cells, an empty one included (an empty corner above the rows' names:
    "| | Adults | Children |", its outer pipes keeping the empty cell a column): the header named one
    column too few, so every name stood above the wrong column. An empty first row is no header, even
    marked as one: the first row of data was the header, and never quoted."""
    if len(table.rows) > 1 and _header_row(table.rows[0]._tr):
        header, nested = _row_cells(table.rows[0])
        body = _rows(table.rows[1:], columns=True)
        if len(header) > 1 and any(header) and body and not nested:
            return ["\n".join([_row_line(header), " | ".join(["---"] * len(header)), *body])]
    return _table(table)


def _header_row(tr: Any) -> bool:
    """Whether a table's first row is its header: marked to repeat as the header on every page
    (``w:tblHeader``), or every run of text in it bold. (Word's "header row" table look is on for nearly
    every table, whatever its first row holds, so it says nothing.)"""
    props = tr.find(qn("w:trPr"))
    marked = props.find(qn("w:tblHeader")) if props is not None else None
    if _on(marked):
        return True
    runs = [r for r in tr.iter(qn("w:r")) if any((t.text or "").strip() for t in r.iter(_T))]
    return bool(runs) and all(_bold(r) for r in runs)


def _on(toggle: Any) -> bool:
    """Whether an on/off property (``w:b``, ``w:tblHeader``, ``w:showingPlcHdr``) is present and on: without
    ``w:val`` it is on, and "0", "false" or "off" turn it off."""
    return toggle is not None and toggle.get(qn("w:val"), "true") not in ("0", "false", "off")


def _row_line(cells: list[str]) -> str:
    """A row of a table with columns, its empty cells kept: with outer pipes when its first or last cell is
    empty, which without them would not be read as a cell (the row's cells moved one column over)."""
    line = " | ".join(cells)
    return line if cells[0] and cells[-1] else "| " + line + " |"


def _bold(run: Any) -> bool:
    props = run.find(qn("w:rPr"))
    bold = props.find(qn("w:b")) if props is not None else None
    return _on(bold)


def _table(table: Table) -> list[str]:
    """One line per row, cells separated by `` | ``.

    A cell merged across columns (``gridSpan``) is given by python-docx once per column, as the same
    ``w:tc``: it is written once. Two neighbouring cells that only hold the same text are both kept
    ("Q1 | 100 | 100 | 250").

    A table nested in a cell (a layout table, a list of contacts inside a "Contacts" cell) is written
    the same way, its rows as lines below the row holding it: inside the row's line its rows would
    run together with the cells around it. A cell merged down several rows is given by python-docx in
    each of them: its text is repeated in every row, as before, its nested table written once.
    """
    return _rows(table.rows)


def _rows(rows: Any, *, columns: bool = False) -> list[str]:
    """The lines of ``rows`` (``_table``): a line per row that holds text, and the rows of its nested tables.
    With ``columns`` (the rows below a header) an empty cell is kept, as the header's are, and a row whose
    first or last cell is empty has outer pipes: without it a row's cells moved one column left, under
    the wrong names ("Ben | ben@club.org" below "Name | Phone | Email")."""
    lines = []
    for row in rows:
        cells, nested = _row_cells(row)
        if any(cells):
            lines.append(_row_line(cells) if columns else " | ".join(cell for cell in cells if cell))
        lines.extend(nested)
    return lines


def _row_cells(row: Any) -> tuple[list[str], list[str]]:
    """A row's cells' texts, an empty cell's as "" (a cell merged across columns once), and the lines of the
    tables nested in them (``_table``)."""
    cells: list[str] = []
    nested: list[str] = []
    last = None
    for cell in row.cells:
        if cell._tc is last:
            continue
        last = cell._tc
        items = list(_block_items(cell._tc, cell))
        cells.append(" ".join(" ".join(_text(item._p) for item in items if isinstance(item, Paragraph)).split()))
        if cell._tc.getparent() is row._tr:  # not a cell merged down from a row above
            nested.extend(line for item in items if isinstance(item, Table) for line in _table(item))
    return cells, nested
