"""Word documents (.docx) through python-docx: paragraphs, headings, lists and tables in order.

Headings (the built-in Title and Heading 1-9 styles, and styles based on them) are written as ``#``
lines, list paragraphs as ``-`` items and table rows with ``|`` between cells, so the sentence
splitter treats them as it treats Markdown. The title is the core properties' title, else the
first Title or heading paragraph. No date is taken: a .docx records when its file was created,
which for a document made from a template is the template's date, not the document's.

Old binary .doc files are not read; a password-protected .docx is an encrypted container, refused
with a reason.
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import DocumentRejected
from . import Extracted, join_blocks

#: Compound-file signature: what an encrypted .docx (and an old .doc) starts with.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^heading ([1-9])$", re.IGNORECASE)


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
    for item in document.iter_inner_content():
        block, level = (_table(item), 0) if isinstance(item, Table) else _paragraph(item)
        if not block:
            continue
        if level and first_heading is None:
            first_heading = block.lstrip("# ")
        blocks.append(block)
        size += len(block) + 2
        if size > max_chars * 1.25:
            break  # surely over the limit: the caller refuses it without reading the rest
    title = " ".join((document.core_properties.title or "").split()) or first_heading
    return Extracted(text=join_blocks(blocks), title=title or None)


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


def _paragraph(paragraph: Paragraph) -> tuple[str, int]:
    text = " ".join(paragraph.text.split())
    if not text:
        return "", 0
    level = _heading_level(paragraph)
    if level:
        return "#" * level + " " + text, level
    p_pr = paragraph._p.pPr
    style_name = (paragraph.style.name or "") if paragraph.style is not None else ""
    if (p_pr is not None and p_pr.numPr is not None) or style_name.lower().startswith("list"):
        return "- " + text, 0
    return text, 0


def _table(table: Table) -> str:
    """One line per row, cells separated by `` | `` (a merged cell once)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)
