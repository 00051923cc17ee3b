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


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (shown to the user as a warning)."""

    path: str
    reason: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _title_from_name(name: str) -> str:
    stem = PurePosixPath(name).stem
    return re.sub(r"[_\-]+", " ", stem).strip() or name


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (with or without BOM); raises DocumentRejected with a reason a person can act on."""
    if not data.strip():
        raise DocumentRejected(f"{name}: the file is empty")
    if b"\x00" in data[:8192]:
        raise DocumentRejected(f"{name}: looks like a binary file, not text")
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


def _doc_id(root: Path, file: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.name


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


def iter_files(paths: list[Path]) -> list[tuple[str, Path]]:
    """The (doc_id, path) pairs under the given files and folders, in a stable order.

    A folder's documents are named by their path relative to it; a file given directly, by its name.
    Hidden files and folders are ignored; other suffixes are ignored with a debug note. Symbolic links
    that loop, dangle or lead to a folder are skipped with a warning naming them.
    """
    found: dict[str, Path] = {}
    for root in paths:
        if root.is_file():
            found.setdefault(root.name, root)
            continue
        if not root.is_dir():
            problem = _link_problem(root) if root.is_symlink() else "no such file or folder"
            log.warning("%s: %s; skipped", root, problem)
            continue
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if file.is_symlink() and not file.is_file():
                log.warning("%s: %s; skipped", file, _link_problem(file))
                continue
            if not file.is_file():
                continue
            if file.suffix.lower() not in SUPPORTED_SUFFIXES:
                log.debug("%s: not a .txt or .md file; ignored", file)
                continue
            found.setdefault(_doc_id(root, file), file)
    return sorted(found.items())


def read_file(doc_id: str, path: Path) -> Document:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse(doc_id, data, path=str(path))


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
    """Validate an uploaded document and write it into ``docs_dir`` under a safe name.

    Nothing is written unless the file is acceptable, so a refused upload leaves the folder as it was.
    The file is written to a temporary name and renamed, so a half-written file is never indexed.
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
