"""Reading documents from disk: which files are documents, and turning each into text (see ``formats``).

A folder of documents is the source of truth; the index mirrors it. Files that cannot be read are
reported and skipped so that one broken document never stops a whole run.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import json
import logging
import os
import re
import stat
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from . import entries, formats
from .errors import DocumentRejected
from .formats import DEFAULT_MAX_DOCUMENT_CHARS, SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

__all__ = ["SUPPORTED_SUFFIXES", "Document", "iter_files", "page_at", "parse", "read_file", "save_upload"]
try:
    _PATH_MAX = os.pathconf("/", "PC_PATH_MAX")
except (OSError, ValueError, AttributeError):  # not a POSIX system
    _PATH_MAX = 4096


@dataclass(frozen=True)
class Document:
    """A parsed document. ``text`` is the body that excerpts are sliced from."""

    doc_id: str
    title: str
    text: str
    content_hash: str
    date: date | None = None
    url: str | None = None
    path: str | None = None
    #: ``(page number, start offset)`` pairs of a paged document (PDF), ascending; empty otherwise.
    pages: tuple[tuple[int, int], ...] = ()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _extracted_hash(data: bytes, text: str) -> str:
    """The hash of a converted document: its file's bytes and the text extracted from them.

    Chunks are offsets into the extracted text, so an unchanged file whose extraction changed (a newer
    pypdf, a fixed reader) must count as changed, or its old offsets would be applied to the new text.
    """
    digest = hashlib.sha256(b"extracted\0")
    digest.update(hashlib.sha256(data).digest())
    digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


#: A date in a file's name: ISO ("2025-09-18", "2025_09_18") or compact ("20250918"), not inside a longer
#: number (a ticket's "120250918").
_NAME_DATE = re.compile(r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})(?P<sep>[-_]?)(?P<m>[0-9]{2})(?P=sep)(?P<d>[0-9]{2})(?![0-9])")


def _name_dates(stem: str) -> list[tuple[re.Match[str], date]]:
    """The valid dates a file's stem writes ("meeting-notes-2025-09-18"), each with where it is."""
    found = []
    for m in _NAME_DATE.finditer(stem):
        try:
            found.append((m, date(int(m["y"]), int(m["m"]), int(m["d"]))))
        except ValueError:  # "20251399", "2025-02-30": no day, so a number, not a date
            continue
    return found


def date_from_name(name: str) -> date | None:
    """The date a file's name gives its document ("meeting-notes-2025-09-18.txt": 18 September 2025), or None.

    Notes, minutes and reports are often dated only in their names; undated, ``ask --since`` left them
    out and the sources listed them "undated". A name is read only when it is unambiguous: it holds one
    date (a name with two, "2025-09-01-to-2025-09-30", says no single one), as ISO writes it with or
    without its hyphens, the year 1900-2099 and the month and day valid ("20251399" is a number).
    """
    days = {day for _, day in _name_dates(PurePosixPath(name).stem)}
    return days.pop() if len(days) == 1 else None


_MONTHS = entries.MONTHS  # one table of month names, which the dated entries read too
_MONTH_NAME = r"(?P<{g}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
#: A full date as a title writes it: "24 December 2025", "December 24, 2025", "2025-12-24", "24.12.2025" (day
#: first, as dots write it). Not a year alone ("Plans for the 2026 season"), a month and a year, or
#: "12/24/2025" (slashes write the month first as often as the day).
_TITLE_DATE = re.compile(
    r"(?<![\w.-])(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?[ \t]+" + _MONTH_NAME.format(g="m1") + r",?[ \t]+(?P<y1>(?:19|20)\d\d)"
    r"|" + _MONTH_NAME.format(g="m2") + r"[ \t]+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?[ \t]+(?P<y2>(?:19|20)\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d)"
    r"|(?P<d4>\d{1,2})\.(?P<m4>\d{1,2})\.(?P<y4>(?:19|20)\d\d))(?![\w-]|\.\d)",
    re.IGNORECASE)


def date_from_title(title: str | None) -> date | None:
    """The date a document's title gives it ("Gym closed - 24 December 2025": 24 December 2025), or None.

    A note whose first line is its title and its date ("Maintainers call - 18 September 2025") is titled by
    that line (``sentences.title_line``), which is then a heading, never quoted: undated, the date was
    nowhere a reader could see it, ``ask --since`` left the note out and "when" questions could not use
    it. Only one full date is read (a day, its month and its year: :data:`_TITLE_DATE`), and only when the
    title holds no other ("Plans for the 2026 season" mentions a year; "1 May 2025 - 3 May 2025" says no
    single day)."""
    if not title or not any(ch.isdigit() for ch in title):
        return None
    days = set()
    for m in _TITLE_DATE.finditer(title):
        for k in "1234":
            if m.group("y" + k):
                month = m.group("m" + k)
                try:
                    days.add(date(int(m.group("y" + k)), _MONTHS.get(month.lower().rstrip(".")) or int(month),
                                  int(m.group("d" + k))))
                except ValueError:  # "31 February 2025", "2025-13-01": no day
                    return None
    return days.pop() if len(days) == 1 else None


def _title_from_name(name: str, dated: date | None = None) -> str:
    """A title made of a file's name: "meeting-notes-2025-09-18.txt" -> "Meeting notes" when the document is
    dated 2025-09-18 (the date is shown beside the title, and "2025 09 18" as words said it a second time,
    unreadably), else "Meeting notes 2025-09-18" (the name is then the only record of that date). An all
    lower-case name starts with a capital, as a title does; other names keep their letters ("iOS setup")."""
    stem = PurePosixPath(name).stem
    words: list[str] = []
    at = 0
    for m, day in _name_dates(stem):
        words += _NAME_JOINS.sub(" ", stem[at : m.start()]).split() + ([] if day == dated else [day.isoformat()])
        at = m.end()
    words += _NAME_JOINS.sub(" ", stem[at:]).split()
    title = " ".join(words)
    if not title:
        return dated.isoformat() if dated else name
    return title[0].upper() + title[1:] if title.islower() else title


_NAME_JOINS = re.compile(r"[_\-]+")  # what joins a file name's words


def parse(
    doc_id: str, data: bytes, *, path: str | None = None, max_chars: int = DEFAULT_MAX_DOCUMENT_CHARS
) -> Document:
    """Turn a file's bytes into a Document, read by its suffix (see ``formats``).

    Text and Markdown are stored as written (the news header becomes title, date and URL); PDF, HTML
    and Word files are stored as the text extracted from them. Untitled documents are titled by
    their file name. DocumentRejected says why a file cannot be a document, including text longer
    than ``max_chars``.
    """
    extracted = formats.extract(doc_id, data, max_chars=max_chars)
    verbatim = formats.reader_name(doc_id) in formats.VERBATIM_FORMATS
    # The format's own date (a news header, a front matter, a PDF's or a page's metadata), else the file
    # name's, else the title's (since chunker 14's docbot): a document has one date, the most deliberate.
    dated = extracted.date or date_from_name(doc_id) or date_from_title(extracted.title)
    return Document(
        doc_id=doc_id,
        title=extracted.title or _title_from_name(doc_id, dated),
        text=extracted.text,
        content_hash=content_hash(data) if verbatim else _extracted_hash(data, extracted.text),
        # A series of dated entries (announcements, a log of notices) with no other date is as new as its
        # newest entry (``entries``): undated, ``--since`` left it out and "this week" could not find it.
        date=dated or entries.newest(extracted.text),
        url=extracted.url,
        path=path,
        pages=extracted.pages,
    )


def page_at(pages: Sequence[tuple[int, int]], offset: int) -> int | None:
    """The page that ``offset`` of a document's text is on, given its ``(page, start)`` pairs."""
    if not pages:
        return None
    i = bisect.bisect_right([start for _, start in pages], offset) - 1
    return pages[max(i, 0)][0]


def shown(path: Path | str) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 as ``\\xe9`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _name_problem(path: Path) -> str | None:
    """Why a path cannot name a document, or None: its name must be UTF-8 and fit in PATH_MAX."""
    raw = os.fsencode(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "the file name is not valid UTF-8; rename it"
    if len(raw) >= _PATH_MAX:
        return f"the path is longer than the system allows ({len(raw):,} bytes, PATH_MAX {_PATH_MAX:,})"
    return None


def _supported(name: str) -> bool:
    return formats.supported(name)


def _link_problem(link: Path) -> str:
    """Why a symbolic link leads to no document: it loops, its target is gone, it is a folder, or it is
    a device, a socket or a pipe (``zero.txt -> /dev/zero``)."""
    target = os.readlink(link)
    try:
        st = link.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop (-> {target})"
        return f"dangling symbolic link (-> {target}, which does not exist)"
    if not stat.S_ISDIR(st.st_mode):
        return f"symbolic link to a device, a socket or a pipe (-> {target}), not a file"
    # Folders are walked without following links, so a linked folder cannot loop or be read twice.
    return f"symbolic link to a folder (-> {target}), not followed"


def iter_files(paths: list[Path], *, skipped: list[str] | None = None) -> list[tuple[str, Path]]:
    """The (doc_id, path) pairs under the given files and folders, in a stable order.

    A folder's documents are named by their path relative to it; a file given directly, by its name.
    Hidden files and folders are ignored, other suffixes with a debug note. What looks like a document
    but cannot be one is skipped with a reason: a symbolic link that loops, dangles or leads to a
    folder, a name that is not UTF-8, a path longer than PATH_MAX, a folder that cannot be listed, a
    name starting with ``..`` (hidden, but easily mistaken for a document). The reasons ("PATH: why",
    as a reader's refusal reads, since whoever shows a list of skips says "skipped" once: the CLI's
    ``skipped:`` lines) are appended to ``skipped`` when given (and logged at INFO: the caller shows
    them), else logged as warnings. One bad name never stops the walk.
    """

    def skip(path: Path | str, reason: str) -> None:
        line = f"{shown(path)}: {reason}"
        if skipped is None:
            log.warning("skipped %s", line)
        else:
            skipped.append(line)
            log.info("skipped %s", line)

    def consider(doc_id: str, file: Path) -> None:
        problem = _name_problem(file)
        if not _supported(file.name):
            log.debug("%s: not a supported format; ignored", shown(file))
        elif problem is not None:
            skip(file, problem)
        else:
            found.setdefault(doc_id, file)

    found: dict[str, Path] = {}
    for root in paths:
        if root.is_file():
            consider(root.name, root)
            continue
        if not root.is_dir():
            skip(root, _link_problem(root) if root.is_symlink() else "no such file or folder")
            continue

        def unlistable(exc: OSError) -> None:
            skip(exc.filename or root, f"cannot be listed ({exc.strerror or exc})")

        for folder, dirnames, filenames in os.walk(root, onerror=unlistable):
            here = Path(folder)
            entries = sorted([(n, True) for n in dirnames] + [(n, False) for n in filenames])
            dirnames.clear()
            for name, is_dir in entries:
                path = here / name
                if name.startswith(".."):
                    skip(path, "the name starts with '..', so it is treated as hidden")
                    continue
                if name.startswith("."):
                    continue
                problem = _name_problem(path)  # first: a path over PATH_MAX cannot even be stat()ed
                if problem is not None:
                    if is_dir or _supported(name):
                        skip(path, problem)
                    continue
                try:
                    if path.is_symlink() and not path.is_file():
                        skip(path, _link_problem(path))
                    elif is_dir:
                        dirnames.append(name)
                    elif path.is_file():
                        consider(path.relative_to(root).as_posix(), path)
                except OSError as exc:
                    skip(path, f"cannot be read ({exc.strerror or exc})")
    return _once_each(sorted(found.items()), skip)


def _once_each(found: list[tuple[str, Path]], skip: Callable[[Path, str], None]) -> list[tuple[str, Path]]:
    """``found`` with each file once: a symbolic link to a file that is found under its own name too
    ("alias.md -> real.md" beside real.md) would make the same document twice, citing two sources for
    one text. The file's own name is kept, and the link is skipped with the reason."""
    by_target: dict[Path, str] = {}
    links: list[tuple[str, Path, Path]] = []
    for doc_id, path in found:
        try:
            target = path.resolve()
        except OSError:
            continue
        if path.is_symlink():
            links.append((doc_id, path, target))
        else:
            by_target.setdefault(target, doc_id)
    dropped: set[str] = set()
    for doc_id, path, target in links:
        if target in by_target:
            skip(path, f"a symbolic link to the same file as {by_target[target]}, which is indexed once")
            dropped.add(doc_id)
        else:
            by_target[target] = doc_id  # the first link to a file found only through links
    return [(doc_id, path) for doc_id, path in found if doc_id not in dropped]


def read_file(
    doc_id: str, path: Path, *, attempts: int = 3, max_chars: int = DEFAULT_MAX_DOCUMENT_CHARS
) -> Document:
    """Read and parse one file; DocumentRejected, with the reason, when it cannot be a document.

    A file rewritten while it is read could otherwise be indexed half-written: its size, mtime and
    inode are compared before and after reading, and the read is retried while they move. A text
    file that must hold more than ``max_chars`` characters is refused before it is read.
    """
    for attempt in range(attempts):
        try:
            before = path.stat()
            if before.st_size > 4 * max_chars and formats.reader_name(doc_id) in formats.VERBATIM_FORMATS:
                raise formats.too_long(doc_id, 0, max_chars, more=True)
            data = path.read_bytes()
            after = path.stat()
        except OSError as exc:
            raise DocumentRejected(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from None
        if _same_file(before, after) and len(data) == after.st_size:
            return parse(doc_id, data, path=str(path), max_chars=max_chars)
        time.sleep(0.05 * (attempt + 1))
    raise DocumentRejected(
        f"{shown(path)}: it changed while being read ({attempts} tries); index again once it is written"
    )


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_dev, b.st_size, b.st_mtime_ns)


_SAFE_NAME = re.compile(r"/+")  # the characters ``_kept`` refused, each run one "_"


#: The longest name an upload is saved under: a document id Discord can offer as a choice (at most 100
#: characters), and well within a file system's 255 bytes for names in any script.
MAX_UPLOAD_NAME = 100
_MAX_NAME_BYTES = 240


def _kept(ch: str) -> bool:
    """Whether a file name keeps ``ch``: a letter or digit of any script, the combining marks that
    spell Hindi or vowelled Arabic ("नमस्ते"), the joiners Persian writes with, and "_", "." and "-"."""
    return ch.isalnum() or ch in "_.-\u200c\u200d" or unicodedata.category(ch) in ("Mn", "Mc")


def safe_filename(name: str) -> str:
    """A file name that cannot escape the documents folder: no directories, no dot-names, no odd bytes.

    Letters and digits of every script are kept ("灯台メモ.md", "Café notes.md" -> "Café_notes.md"):
    reduced to ASCII, every Japanese or Russian name became "document.md" and each upload refused the
    next. A name too long for :data:`MAX_UPLOAD_NAME` keeps its start and ends in a digest of the whole,
    so two long names that share their first 100 characters stay two documents.
    """
    base = unicodedata.normalize("NFC", name.replace("\\", "/").split("/")[-1])
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _SAFE_NAME.sub("_", "".join(ch if _kept(ch) else "/" for ch in stem)).strip("._-")
    suffix = suffix.lower()
    if not stem:
        stem = "document"
    tail = f".{suffix}" if suffix else ""

    def fits(s: str) -> bool:
        return len(s + tail) <= MAX_UPLOAD_NAME and len((s + tail).encode()) <= _MAX_NAME_BYTES

    if not fits(stem):
        digest = "-" + hashlib.sha256(stem.encode()).hexdigest()[:8]
        cut = len(stem)
        while cut and not fits(stem[:cut].rstrip("._-") + digest):
            cut -= 1
        stem = stem[:cut].rstrip("._-") + digest
    return stem + tail


#: What ``save_upload`` saved into an uploads folder: file name -> SHA-256 of its bytes. A dot-name, so
#: the folder walk never indexes it. The uploads folder is the documents folder unless set apart, and
#: only a file recorded here (and unchanged since) is the bot's to delete (``Engine.remove_document``).
UPLOAD_RECORD = ".docbot-uploads.json"


def _read_record(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / UPLOAD_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(data, dict) else {}


def _write_record(folder: Path, record: dict[str, str]) -> None:
    tmp = folder / f"{UPLOAD_RECORD}.tmp"
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(folder / UPLOAD_RECORD)


def record_upload(folder: Path, name: str, data: bytes) -> None:
    """Note that ``name`` in ``folder`` was saved from an upload, with these bytes."""
    record = _read_record(folder)
    record[name] = hashlib.sha256(data).hexdigest()
    _write_record(folder, record)


def uploaded_here(folder: Path, file: Path) -> bool:
    """Whether ``file`` (in ``folder``) was saved from an upload and is as it was saved: the person who
    runs the bot may keep their own files in the same folder, and may have edited an upload since."""
    digest = _read_record(folder).get(file.name)
    try:
        return digest is not None and file.parent.resolve() == folder.resolve() and (
            hashlib.sha256(file.read_bytes()).hexdigest() == digest)
    except OSError:
        return False


def forget_upload(folder: Path, name: str) -> None:
    """Drop ``name`` from the uploads record (its file was deleted)."""
    record = _read_record(folder)
    if record.pop(name, None) is not None:
        _write_record(folder, record)


def save_upload(
    docs_dir: Path, filename: str, data: bytes, *, max_bytes: int, max_chars: int = DEFAULT_MAX_DOCUMENT_CHARS
) -> Path:
    """Validate an uploaded document and write it into ``docs_dir`` under a safe name (its extension kept).

    Nothing is written unless the file is acceptable, so a refused upload leaves the folder as it was.
    The file is written to a temporary name and renamed, so a half-written file is never indexed. It
    keeps its suffix (lower-cased), which says how it is read. A file of that name is replaced: whether
    it may be is the caller's decision (``Engine.add_document`` refuses a name that is taken unless asked
    to replace it).
    """
    name = safe_filename(filename)
    if not formats.supported(name):
        raise DocumentRejected(f"{filename}: only {formats.supported_list()} files can be added")
    if len(data) > max_bytes:
        raise DocumentRejected(
            f"{filename}: {len(data):,} bytes is over the limit of {max_bytes:,} bytes"
        )
    parse(name, data, max_chars=max_chars)  # DocumentRejected for empty, binary, unreadable or too long files
    docs_dir.mkdir(parents=True, exist_ok=True)
    target = docs_dir / name
    tmp = docs_dir / f".{name}.upload"
    tmp.write_bytes(data)
    tmp.replace(target)
    return target
