"""Reading documents from disk: the news format, plain text and Markdown.

A folder of documents is the source of truth; the index mirrors it. Files that cannot be read are
reported and skipped so that one broken document never stops a whole run.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from .errors import DocumentRejected

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>\S.*?)\s*#*\s*$", re.MULTILINE)
_DATE = re.compile(r"^\d{8}$")
_URL = re.compile(r"^https?://\S+$")
# Control characters other than tab/newline/carriage return/form feed mark a file as binary.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
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


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _title_from_name(name: str) -> str:
    stem = PurePosixPath(name).stem
    return re.sub(r"[_\-]+", " ", stem).strip() or name


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (with or without BOM); raises DocumentRejected with a reason a person can act on."""
    if not data.strip():
        raise DocumentRejected(f"{name}: the file is empty")
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


def parse(doc_id: str, data: bytes, *, path: str | None = None) -> Document:
    """Turn raw bytes into a Document, recognising the four-part news format.

    News format: line 1 title, line 2 date ``YYYYMMDD``, line 3 URL, then the body. Anything else is
    plain text or Markdown, titled by its first heading or, failing that, its file name.
    """
    text = decode(data, doc_id)
    digest = content_hash(data)
    lines = text.split("\n", 3)
    if len(lines) == 4 and _DATE.match(lines[1].strip()) and _URL.match(lines[2].strip()):
        try:
            when = datetime.strptime(lines[1].strip(), "%Y%m%d").date()
        except ValueError:
            when = None
        if when is not None and lines[3].strip():
            return Document(
                doc_id=doc_id,
                title=lines[0].strip() or _title_from_name(doc_id),
                text=lines[3],
                content_hash=digest,
                date=when,
                url=lines[2].strip(),
                path=path,
            )
    heading = _HEADING.search(text[:4000])
    title = heading.group("title") if heading else _title_from_name(doc_id)
    return Document(doc_id=doc_id, title=title, text=text, content_hash=digest, path=path)


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
    return PurePosixPath(name).suffix.lower() in SUPPORTED_SUFFIXES


def _link_problem(link: Path) -> str:
    """Why a symbolic link leads to no document: it loops, its target is gone, or it is a folder."""
    target = os.readlink(link)
    try:
        link.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop (-> {target})"
        return f"dangling symbolic link (-> {target}, which does not exist)"
    # Folders are walked without following links, so a linked folder cannot loop or be read twice.
    return f"symbolic link to a folder (-> {target}), not followed"


def iter_files(paths: list[Path], *, skipped: list[str] | None = None) -> list[tuple[str, Path]]:
    """The (doc_id, path) pairs under the given files and folders, in a stable order.

    A folder's documents are named by their path relative to it; a file given directly, by its name.
    Hidden files and folders are ignored, other suffixes with a debug note. What looks like a document
    but cannot be one is skipped with a reason: a symbolic link that loops, dangles or leads to a
    folder, a name that is not UTF-8, a path longer than PATH_MAX, a folder that cannot be listed, a
    name starting with ``..`` (hidden, but easily mistaken for a document). The reasons are appended
    to ``skipped`` when given (and logged at INFO: the caller shows them), else logged as warnings.
    One bad name never stops the walk.
    """

    def skip(path: Path | str, reason: str) -> None:
        line = f"{shown(path)}: {reason}; skipped"
        if skipped is None:
            log.warning("%s", line)
        else:
            skipped.append(line)
            log.info("%s", line)

    def consider(doc_id: str, file: Path) -> None:
        problem = _name_problem(file)
        if not _supported(file.name):
            log.debug("%s: not a .txt or .md file; ignored", shown(file))
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
    return sorted(found.items())


def read_file(doc_id: str, path: Path, *, attempts: int = 3) -> Document:
    """Read and parse one file; DocumentRejected, with the reason, when it cannot be a document.

    A file rewritten while it is read could otherwise be indexed half-written: its size, mtime and
    inode are compared before and after reading, and the read is retried while they move.
    """
    for attempt in range(attempts):
        try:
            before = path.stat()
            data = path.read_bytes()
            after = path.stat()
        except OSError as exc:
            raise DocumentRejected(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from None
        if _same_file(before, after) and len(data) == after.st_size:
            return parse(doc_id, data, path=str(path))
        time.sleep(0.05 * (attempt + 1))
    raise DocumentRejected(
        f"{shown(path)}: it changed while being read ({attempts} tries); index again once it is written"
    )


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_dev, b.st_size, b.st_mtime_ns)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name that cannot escape the documents folder: no directories, no dot-names, no odd bytes."""
    base = name.replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _SAFE_NAME.sub("_", stem).strip("._-")
    suffix = suffix.lower()
    if not stem:
        stem = "document"
    return f"{stem[:100]}.{suffix}" if suffix else stem[:100]


def save_upload(docs_dir: Path, filename: str, data: bytes, *, max_bytes: int) -> Path:
    """Validate an uploaded document and write it into ``docs_dir`` under a safe name (its extension kept).

    Nothing is written unless the file is acceptable, so a refused upload leaves the folder as it was.
    The file is written to a temporary name and renamed, so a half-written file is never indexed. A file
    of that name is replaced: whether it may be is the caller's decision (``Engine.add_document`` refuses
    a name that is taken unless asked to replace it).
    """
    name = safe_filename(filename)
    if PurePosixPath(name).suffix not in SUPPORTED_SUFFIXES:
        raise DocumentRejected(f"{filename}: only .txt and .md files can be added")
    if len(data) > max_bytes:
        raise DocumentRejected(
            f"{filename}: {len(data):,} bytes is over the limit of {max_bytes:,} bytes"
        )
    parse(name, data)  # raises DocumentRejected for empty, binary or undecodable files
    docs_dir.mkdir(parents=True, exist_ok=True)
    target = docs_dir / name
    tmp = docs_dir / f".{name}.upload"
    tmp.write_bytes(data)
    tmp.replace(target)
    return target
