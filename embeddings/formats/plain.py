"""Plain text and Markdown, with the four-part news header recognised.

The stored text is the file decoded as it is (line endings normalised), so a quote can be found in
the file itself. Markdown is left as written: the sentence splitter reads its headings and lists.
Files are UTF-8, or UTF-16 with a byte order mark (what Notepad saves as "Unicode").
"""

from __future__ import annotations

import codecs
import re
from datetime import date, datetime

from ..errors import DocumentRejected
from . import Extracted, too_long

# A YAML front matter's title (the front matter: ``chunking.front_matter_lines``).
_FRONT_TITLE = re.compile(r"^title:[ \t]*(?P<title>\S[^\n]*?)[ \t]*$", re.MULTILINE)
# Its date: an ISO date, quoted or not, maybe with a time ("2024-05-20", "2024-05-20T09:30:00+02:00",
# "'2024-05-20 09:30'"), as Jekyll, Hugo and the others write it.
_FRONT_DATE = re.compile(
    r"^date:[ \t]*[\"']?(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T \t][\d:.+\-Z \t]*)?[\"']?[ \t]*$", re.MULTILINE)
_DATE = re.compile(r"^\d{8}$")
_URL = re.compile(r"^https?://\S+$")
# Control characters other than tab/newline/carriage return/form feed mark a file as binary.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (with or without BOM), or UTF-16 with its BOM; raises DocumentRejected with a reason
    a person can act on.

    UTF-16 holds a NUL byte in every ASCII character, so the byte order mark is what tells it from a
    binary file; without one a UTF-16 file is refused as binary, as before (nothing says it is text).
    """
    if not data.strip():
        raise DocumentRejected(f"{name}: the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(codecs.BOM_UTF32_LE):
        try:
            text = data.decode("utf-16")  # reads the BOM for the byte order and drops it
        except UnicodeDecodeError as exc:
            raise DocumentRejected(
                f"{name}: not valid UTF-16 text (undecodable byte at offset {exc.start})"
            ) from None
        nul = text.find("\x00")
        if nul >= 0:
            raise DocumentRejected(f"{name}: looks like a binary file, not text (a NUL character at {nul:,})")
        if not text.strip():
            raise DocumentRejected(f"{name}: the file is empty")  # a byte order mark and nothing else
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            # Text never holds NUL; past the first bytes it would also cut the text short in SQLite.
            raise DocumentRejected(f"{name}: looks like a binary file, not text (a NUL byte at offset {nul:,})")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentRejected(
                f"{name}: not valid UTF-8 text (undecodable byte at offset {exc.start})"
            ) from None
    if len(_BINARY.findall(text[:8192])) > 8:
        raise DocumentRejected(f"{name}: looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract(name: str, data: bytes, *, max_chars: int) -> Extracted:
    """News format: line 1 title, line 2 date ``YYYYMMDD``, line 3 URL, then the body. Anything else
    is plain text or Markdown, titled by its first heading (the caller falls back to the file name) and
    dated by its front matter's ``date:``."""
    if len(data) > 4 * max_chars:  # UTF-8 takes at most 4 bytes a character: over the limit for sure
        raise too_long(name, 0, max_chars, more=True)
    text = decode(data, name)
    lines = text.split("\n", 3)
    if len(lines) == 4 and _DATE.match(lines[1].strip()) and _URL.match(lines[2].strip()):
        try:
            when = datetime.strptime(lines[1].strip(), "%Y%m%d").date()
        except ValueError:
            when = None
        if when is not None and lines[3].strip():
            return Extracted(text=lines[3], title=lines[0].strip() or None, date=when, url=lines[2].strip())
    return Extracted(text=text, title=title_of(text), date=date_of(text))


def _front_matter(head: str) -> str:
    """The YAML front matter at the start of ``head`` (its "---" lines included), or ""."""
    from ..chunking import front_matter_lines

    lines = head.split("\n")
    return "\n".join(lines[: front_matter_lines(lines)])


def date_of(text: str) -> date | None:
    """A note's date: its front matter's ``date:`` (an ISO date, maybe with a time), else None.

    Only the front matter is read, as for the title: a "date: 2024-05-20" line in a note's body may be
    any date it mentions. A note dated there was "undated" and ``ask --since`` left it out.
    """
    found = _FRONT_DATE.search(_front_matter(text[:_TITLE_WINDOW]))
    if found is None:
        return None
    try:
        return date(int(found.group("y")), int(found.group("m")), int(found.group("d")))
    except ValueError:
        return None


#: How far into a note its title is looked for.
_TITLE_WINDOW = 4000
# The title as chunker 4 read it (any first "#" line; ``\s`` also crossed a line break and matched
# Unicode spaces): ``chunking.chunked_alike`` compares it with today's.
_HEADING_BEFORE_5 = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>\S.*?)\s*#*\s*$", re.MULTILINE)


def title_before_5(text: str) -> str | None:
    """The title chunker 4's docbot gave a note (see ``_HEADING_BEFORE_5``)."""
    heading = _HEADING_BEFORE_5.search(text[:_TITLE_WINDOW])
    return heading.group("title") if heading else None


def title_of(text: str) -> str | None:
    """A note's title: its front matter's ``title:``, else a first line shaped like a title
    (``sentences.title_line``: "Spring LAN Party 2024 - Schedule" above a blank line), else its first
    heading (``#`` or underlined; a ``# comment`` in a code block is none: ``sentences.headings``)."""
    from ..sentences import headings, title_line

    head = text[:_TITLE_WINDOW]
    found_title = _FRONT_TITLE.search(_front_matter(head))
    title = found_title.group("title") if found_title else ""
    # A folded or literal block (`title: >-`) says its text is on the lines below: left to the heading.
    if title.strip("\"' ") and title[0] not in ">|":
        return title.strip("\"' ")
    top = title_line(head)
    if top is not None:
        return head[top[0] : top[1]]
    found = headings(head, plain=False)[1]
    return found[0].strip() or None if found else None
