"""The document formats the engine reads, and the one registry of their file suffixes.

Each format is a module with ``extract(name, data, *, max_chars) -> Extracted``: it turns a file's
bytes into the text the engine stores (excerpts are slices of it, ``source`` shows it), plus the
metadata it can find (title, date, canonical URL, page starts). A file that cannot be a document
raises ``DocumentRejected`` with one line a person can act on, starting with the file's name.

Extracted text uses Markdown-like block syntax where the format has structure (``#`` headings, ``-``
list items, paragraphs separated by a blank line), so the sentence splitter treats headings and
lists the same way whatever the source format was.

Format modules are imported on first use: reading a PDF needs pypdf, but answering a question
(which loads ``documents`` through the store) must not pay for importing it.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from ..errors import DocumentRejected

log = logging.getLogger(__name__)

#: Suffix (lower case) -> the module in this package that reads it.
_READERS: dict[str, str] = {
    ".txt": "plain",
    ".md": "plain",
    ".markdown": "plain",
    ".pdf": "pdf",
    ".html": "web",
    ".htm": "web",
    ".docx": "word",
}
#: How a reader's format is named in a message ("cannot be read as a PDF file").
_LABELS = {"plain": "text", "pdf": "PDF", "web": "HTML", "word": "Word (.docx)"}
#: Every suffix a document may have: the folder walk, uploads and messages all use this.
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)
#: The default limit on a document's extracted text (``DOCBOT_MAX_DOCUMENT_CHARS``): about 5 MB.
DEFAULT_MAX_DOCUMENT_CHARS = 5_000_000
#: Formats whose text is the file's own bytes decoded (their content hash stays the file's hash).
VERBATIM_FORMATS = frozenset({"plain"})
#: Suffixes of documents written in Markdown: read as plain text (``_READERS``), but their ``*``, `` ` `` and
#: ``[..](..)`` are the author's formatting, not characters. ``.markdown`` is read as ``.md`` is: a folder's
#: ``syllabus.markdown`` was passed over by the folder walk without a word.
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})


@dataclass(frozen=True)
class Extracted:
    """What a format module read from a file. ``pages`` holds ``(page number, start offset)`` pairs in
    ascending order: page ``n`` runs from its start to the next page's (PDF only; empty elsewhere)."""

    text: str
    title: str | None = None
    date: date | None = None
    url: str | None = None
    pages: tuple[tuple[int, int], ...] = ()


_LIST_ITEM = re.compile(r"(?:[-*\u2022\u2013]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s")
#: A page number as a page's header or footer writes it: "3", "Page 3", "- 3 -", "Page 3 of 10", "p. 3".
PAGE_NUMBER = re.compile(
    r"^(?:page\s+|p\.\s*)?[-\u2013\u2014]?\s*\d{1,4}\s*[-\u2013\u2014]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
#: What separates the parts of a page's name ("Bin collections | Ashford Town Council", "Le Petit Bistro –
#: Menu"); a running header's lines and tab stops separate its parts too (``_LINES_AND_TABS``).
_NAME_SEPARATOR = re.compile(r" +(?:[|\u00b7\u00bb:/]+|[-\u2013\u2014]+) +")
_LINES_AND_TABS = re.compile(r"[ \t]*[\t\n][ \t\n]*")
_NAME_WORD = re.compile(r"[^\W_]+")
#: A title made longer than this by a page's name keeps to its own words.
_MAX_NAMED_TITLE = 200
#: A name that names no document: a word processor's or an editor's placeholder, a file's name, a site's
#: "Home" (a PDF's metadata title and a page's ``<title>`` alike).
JUNK_TITLE = re.compile(
    r"^(?:untitled(?: document)?|title|document\d*|slide \d+|home(?: ?page)?|welcome|index|microsoft word\b.*"
    r"|.*\.(?:docx?|pdf|pptx?|xlsx?|odt|rtf|txt|tex|indd|html?|php|aspx?))$",
    re.IGNORECASE,
)
#: Parts of a running header or a ``<title>`` that mark the copy, not what it is about: "CONFIDENTIAL",
#: "Internal use only", "Draft v2", "Rev. 3", a date, a call to action ("Book now!").
_MARKING = re.compile(
    r"^(?:confidential|internal(?: use)?(?: only)?|draft\b.*|rev(?:ision)?\.? ?\d.*|v(?:ersion)? ?\d[\d.]*"
    r"|.*\d{4}.*|.*!)$",
    re.IGNORECASE,
)


def _name_words(text: str) -> set[str]:
    return {w.casefold() for w in _NAME_WORD.findall(text)}


def named(title: str | None, name: str | None) -> str | None:
    """``title`` with what ``name`` adds to it: the name a document carries on every page or in the browser's
    tab (an HTML page's ``<title>``, a Word file's running header), which people ask by ("is the bistro
    open on Monday?", where "bistro" is only in "Le Petit Bistro – Menu" above a page headed "Our menu").

    The title is embedded with every chunk, so its words count as the document's; a word the document
    held nowhere else was charged as absent (``evidence.absent_words``) and the question refused. The
    name's parts the title's words do not hold are added after " | " ("Our menu | Le Petit Bistro"); a
    name that holds the title's words is the title with its site's name, and is the title as it stands
    ("Bin collections - Ashford Town Council"). Parts without two letters, that number a page ("Page 2
    of 5"), name no document (``JUNK_TITLE``: "Microsoft Word - timetable.docx", "Home") or mark the copy
    (``_MARKING``: "CONFIDENTIAL", "Rev. 3", a date, "Book now!") name nothing. A title gains at most one
    part: the site's or the organisation's name, not a headline's worth of words."""
    line = " ".join(_LINES_AND_TABS.sub(" | ", name.strip()).split()) if name else ""
    if JUNK_TITLE.match(line):
        return title
    split = _NAME_SEPARATOR.split(line) if line else []
    parts = [p for p in split if sum(c.isalpha() for c in p) >= 2 and not PAGE_NUMBER.match(p)
             and not JUNK_TITLE.match(p) and not _MARKING.match(p)]
    if not parts:
        return title
    whole = line if len(parts) == len(split) else " | ".join(parts)
    if title is None:
        return whole if len(whole) <= _MAX_NAMED_TITLE else None
    held = _name_words(title)
    if _name_words(whole) <= held:
        return title  # nothing to add
    if len(parts) == len(split) <= 2 and held <= _name_words(whole) and len(whole) <= _MAX_NAMED_TITLE:
        return whole  # the title with its site's name: "Bin collections - Ashford Town Council"
    added = next((p for p in parts if not _name_words(p) <= held), None)
    longer = f"{title} | {added}"
    return longer if added is not None and len(longer) <= _MAX_NAMED_TITLE else title


def join_blocks(blocks: list[str]) -> str:
    """Blocks of extracted text, separated by a blank line, except consecutive list items (one a line).

    A blank line ends a paragraph for the answer builder, which never grows a quote across it; list
    items stay on their own lines, which ends a list item's quote at its line.
    """
    text = ""
    last = ""
    for block in blocks:
        if text:
            text += "\n" if _LIST_ITEM.match(block) and _LIST_ITEM.match(last) else "\n\n"
        text += block
        last = block
    return text


def supported(name: str) -> bool:
    """Whether a file name has a suffix the engine reads."""
    return PurePosixPath(name).suffix.lower() in _READERS


def written_in_markdown(name: str) -> bool:
    """Whether the document ``name`` (a file name or doc id) is Markdown, so a client may draw its inline
    formatting as its author's renderer would. Text, PDF, Word and HTML text are not: a ``*`` there is a
    character (HTML's and Word's structure is written as Markdown-like blocks, never as inline markup)."""
    return PurePosixPath(name).suffix.lower() in MARKDOWN_SUFFIXES


def supported_list(conjunction: str = "and") -> str:
    """The suffixes for a message: ``.txt, .md, .markdown, .pdf, .html, .htm and .docx``."""
    return ", ".join(SUPPORTED_SUFFIXES[:-1]) + f" {conjunction} {SUPPORTED_SUFFIXES[-1]}"


def reader_name(name: str) -> str:
    """The module that reads ``name`` (``plain``, ``pdf``, ...); DocumentRejected for other suffixes."""
    suffix = PurePosixPath(name).suffix.lower()
    try:
        return _READERS[suffix]
    except KeyError:
        raise DocumentRejected(
            f"{name}: {suffix or 'a file without a suffix'} is not a supported format "
            f"(supported: {supported_list('or')})"
        ) from None


def _reader(name: str) -> Callable[..., Extracted]:
    module = importlib.import_module(f".{reader_name(name)}", __name__)
    return module.extract  # type: ignore[no-any-return]


def too_long(name: str, chars: int, max_chars: int, *, more: bool = False) -> DocumentRejected:
    """The refusal for a document whose text is over the size limit."""
    amount = f"more than {max_chars:,}" if more else f"{chars:,}"
    return DocumentRejected(
        f"{name}: {amount} characters of text, over the limit of {max_chars:,} "
        f"(DOCBOT_MAX_DOCUMENT_CHARS); split it into smaller documents or raise the limit"
    )


def extract(name: str, data: bytes, *, max_chars: int) -> Extracted:
    """Read one file's bytes by its suffix; refuse text longer than ``max_chars`` characters.

    Embedding time and memory grow with the text: a 30 MB text file took about an hour and 1.8 GB.
    Readers that can stop early (a PDF page by page, a text file by its byte count) do so; the final
    check here covers the rest.
    """
    reader = _reader(name)
    try:
        extracted = reader(name, data, max_chars=max_chars)
    except DocumentRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser's failure on a damaged file must not stop a run
        log.debug("%s: the reader failed", name, exc_info=exc)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        label = _LABELS[reader_name(name)]
        raise DocumentRejected(f"{name}: cannot be read as a {label} file ({first}); is it damaged?") from None
    if len(extracted.text) > max_chars:
        raise too_long(name, len(extracted.text), max_chars)
    if not extracted.text.strip():
        raise DocumentRejected(f"{name}: no text found in the file")
    return extracted
