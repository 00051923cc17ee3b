"""The index's sources: the folders and files it is built from, and which document came from which.

The index changes only when asked. The rules (README, "Sources"):

* ``index PATH…`` adds each PATH as a source and updates it. A PATH inside a folder that already is a
  source is part of that source (and brings back whatever ``remove`` had excluded under it). ``index``
  alone updates every source; an index without any starts from the documents folder (``DOCBOT_DOCS_DIR``).
* An update reads its sources again: new and changed files are indexed and files deleted from a source
  folder leave the index. A path that does not exist, given or recorded, is an error raised before
  anything is read. An update that would remove more than half of the index's documents is refused
  unless removals were asked for (``prune``): an emptied folder or a drive that came up empty is far
  more often an accident than a wish.
* Nothing else removes documents: ``remove`` drops a source with its documents, or excludes a document
  (or a path inside a folder source) from its source. Files on disk are left alone.
* A document's id is its path relative to its source (a file source: its name). It is given once and
  kept while the document stays indexed, so the ids of an index never change under it. A new document
  whose id is taken by a document of another source is named after its source instead
  (``notes/readme.md``, then ``notes~2/readme.md``), and the update's notes say so.
* Sources may nest; a file belongs to the innermost source that holds it.

This module decides; ``store`` records the table with every generation (atomically with the index) and
``indexer`` reads the files a plan lists. Indexes written before sources were recorded get a table
derived from their documents' paths (:func:`derive`), which the next update records.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from .documents import SUPPORTED_SUFFIXES, iter_files, shown
from .errors import DocumentRejected, PathNotFound, RemovalRefused, SourceNotFound
from .models import counted

if TYPE_CHECKING:
    from .settings import EngineSettings

log = logging.getLogger(__name__)

Kind = Literal["folder", "file"]


@dataclass(frozen=True)
class SourceEntry:
    """One source: an absolute, resolved path, and what ``remove`` excluded from it (relative paths)."""

    path: Path
    kind: Kind
    excluded: tuple[str, ...] = ()

    def relative(self, path: Path) -> str | None:
        """How a document at ``path`` (absolute) is named within this source, or None when outside it.

        A folder itself is ``""``; a file source names its file by its file name.
        """
        if self.kind == "file":
            return path.name if path == self.path else None
        if path == self.path:
            return ""
        if self.path in path.parents:
            return path.relative_to(self.path).as_posix()
        return None

    def is_excluded(self, rel: str) -> bool:
        return any(rel == e or rel.startswith(e + "/") for e in self.excluded)

    def excluding(self, rel: str) -> SourceEntry:
        """This source with ``rel`` (a file or folder inside it) kept out."""
        if self.is_excluded(rel):
            return self
        kept = [e for e in self.excluded if not e.startswith(rel + "/")]
        return replace(self, excluded=tuple(sorted([*kept, rel])))

    def including(self, rel: str) -> tuple[SourceEntry, list[str]]:
        """This source with the exclusions at, under or above ``rel`` lifted, and the lifted ones."""
        lifted = [e for e in self.excluded if e == rel or e.startswith(rel + "/") or rel.startswith(e + "/")]
        return replace(self, excluded=tuple(e for e in self.excluded if e not in lifted)), lifted

    @property
    def label(self) -> str:
        """What a document of this source is prefixed with when its own name is taken."""
        return (self.path if self.kind == "folder" else self.path.parent).name or "source"


@dataclass(frozen=True)
class SourceTable:
    """The sources, and for every indexed document its source (index into ``entries``) and relative path.

    ``recorded`` is False for a table derived from an index written before sources were recorded;
    ``moved`` lists the sources found where they were recorded relative to the data directory rather than
    at their recorded absolute path (the data directory was moved or copied with its documents). Either
    way the next change records the table as it is now. ``lost`` marks an empty table standing for an
    index whose every generation is damaged past reading its sources: it is not a new index, so a bare
    update must not start from the documents folder.
    """

    entries: tuple[SourceEntry, ...] = ()
    members: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    recorded: bool = True
    moved: tuple[tuple[Path, Path], ...] = ()
    lost: bool = False

    def owner(self, path: Path, *, skip: Collection[int] = ()) -> tuple[int, str] | None:
        """The innermost source holding ``path`` (absolute, resolved) and the name it gives it there;
        the sources in ``skip`` are not considered."""
        best: tuple[int, str] | None = None
        for i, entry in enumerate(self.entries):
            if i in skip:
                continue
            rel = entry.relative(path)
            if rel is not None and (best is None or len(entry.path.parts) > len(self.entries[best[0]].path.parts)):
                best = (i, rel)
        return best

    def source_of(self, doc_id: str) -> SourceEntry | None:
        member = self.members.get(doc_id)
        return self.entries[member[0]] if member is not None else None

    def counts(self) -> list[int]:
        """Documents per source, in ``entries`` order."""
        counts = [0] * len(self.entries)
        for i, _ in self.members.values():
            counts[i] += 1
        return counts

    def restricted(self, doc_ids: Iterable[str]) -> SourceTable:
        """The table for exactly these documents (those read; a new file that could not be read is not one)."""
        return replace(self, members={d: self.members[d] for d in doc_ids})

    def without(self, dropped: Collection[int]) -> SourceTable:
        """The table without the sources at these positions (which hold no document)."""
        kept = [i for i in range(len(self.entries)) if i not in dropped]
        position = {old: new for new, old in enumerate(kept)}
        return replace(self, entries=tuple(self.entries[i] for i in kept),
                       members={d: (position[i], rel) for d, (i, rel) in self.members.items()})


@dataclass
class Plan:
    """What one change of the index does, decided before any file is read.

    ``files`` are read (and embedded when new or changed), ``kept`` are carried over from the previous
    generation without reading (the documents of sources this change does not touch), ``removed`` leave.
    ``before`` is the table the plan started from: a different ``table`` is recorded even when no
    document changed.
    """

    before: SourceTable
    table: SourceTable
    files: list[tuple[str, Path]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The sources (positions in ``table.entries``) of the paths the change was asked for by name
    #: (``docbot index PATH``): when none of them gives a readable document the change is refused.
    named: tuple[int, ...] = ()


# ---------------------------------------------------------------------- updating
def _check_readable(paths: Sequence[Path], named: str = "") -> None:
    """Raise DocumentRejected, naming them, for paths that are neither a folder nor a file of a kind
    docbot reads (``/dev/null``, a socket; ``notes.xlsx``): a source of them would index nothing."""
    special = [p for p in paths if not p.is_dir() and not p.is_file()]
    if special:
        raise DocumentRejected(f"{', '.join(shown(p) for p in special)}{named}: neither a folder nor a file "
                               "(a device, a socket or a pipe); nothing was changed")
    unread = [p for p in paths if p.is_file() and p.suffix.lower() not in SUPPORTED_SUFFIXES]
    if unread:
        raise DocumentRejected(
            f"{', '.join(shown(p) for p in unread)}{named}: not a kind of document docbot reads (it reads "
            f"{', '.join(SUPPORTED_SUFFIXES)} files); nothing was changed"
        )


def plan_update(
    table: SourceTable, paths: Sequence[Path] | None, settings: EngineSettings, *, prune: bool = False
) -> Plan:
    """Add ``paths`` to the sources and update them (``None`` or empty: update every source).

    An index that never recorded a source (a new one, or one written before sources were) starts from
    the documents folder; one whose sources were all removed does not. Raises PathNotFound when a given
    path or a source to update does not exist, DocumentRejected for a given file of a format docbot does
    not read, and RemovalRefused when more than half of the documents would leave without ``prune``; in
    each case nothing was touched.
    """
    entries = list(table.entries)
    notes = _moved(table)
    if paths:
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise PathNotFound(_missing_paths(missing, entries))
        _check_readable(paths)
        targets = {_add(entries, p.resolve(), notes) for p in paths}
    else:
        if not entries and table.lost:
            raise PathNotFound("nothing to index: the index is damaged and its record of sources cannot be read; "
                               "name the folders to rebuild it from: `docbot index PATH ...`")
        if not entries and table.recorded:
            raise PathNotFound("nothing to index: every source was removed from the index; name what to index: "
                               "`docbot index PATH`")
        if not entries:
            docs = settings.docs_dir
            if not docs.exists():
                raise PathNotFound(
                    f"nothing to index: the index has no sources yet and the documents folder {shown(docs)} "
                    "(DOCBOT_DOCS_DIR) does not exist; name what to index: `docbot index PATH`"
                )
            _check_readable([docs], " (DOCBOT_DOCS_DIR)")
            entries.append(SourceEntry(docs.resolve(), "folder" if docs.is_dir() else "file"))
        targets = set(range(len(entries)))
    _check_sources_exist(entries, sorted(targets), table)

    skipped: list[str] = []
    scanned: dict[tuple[int, str], Path] = {}
    data_dir = settings.data_dir.resolve()
    for i in sorted(targets):
        scanned.update(_scan(entries, i, data_dir, skipped))

    by_key = {key: doc for doc, key in table.members.items()}
    removed = sorted(doc for doc, (i, rel) in table.members.items() if i in targets and (i, rel) not in scanned)
    if removed and not prune and 2 * len(removed) > len(table.members):
        raise RemovalRefused(_refusal(removed, table), removed, len(table.members))
    gone = set(removed)
    members = {doc: key for doc, key in table.members.items() if doc not in gone}
    taken = set(members)
    files = []
    for key in sorted(scanned):
        doc = by_key.get(key)
        if doc is None:
            doc = _new_id(entries[key[0]], key[1], scanned[key], taken, notes)
            taken.add(doc)
            members[doc] = key
        files.append((doc, scanned[key]))
    kept = sorted(doc for doc, (i, _) in members.items() if i not in targets)
    return Plan(table, SourceTable(tuple(entries), members), files, kept, removed, skipped, notes,
                named=tuple(sorted(targets)) if paths else ())


def _add(entries: list[SourceEntry], path: Path, notes: list[str]) -> int:
    """The source to update for ``path``: a known one, the folder source holding it, or a new one."""
    for i, entry in enumerate(entries):
        if entry.path == path:  # what `remove` excluded from it stays out: name the excluded path to bring it back
            return i
    owner = SourceTable(tuple(entries)).owner(path)
    if owner is not None and entries[owner[0]].kind == "folder":
        i, rel = owner
        updated, lifted = entries[i].including(rel)
        entries[i] = updated
        for e in lifted:
            if rel.startswith(e + "/"):
                notes.append(f"{shown(path)} is inside {shown(entries[i].path / e)}, which had been removed from "
                             "the index: all of it is indexed again")
        return i
    entries.append(SourceEntry(path, "folder" if path.is_dir() else "file"))
    return len(entries) - 1


def _missing_paths(missing: list[Path], entries: list[SourceEntry]) -> str:
    names = ", ".join(shown(p) for p in missing)
    known = ""
    if entries:
        listed = ", ".join(shown(e.path) for e in entries[:3]) + (", …" if len(entries) > 3 else "")
        known = f" (the index's sources: {listed}; `docbot sources` lists them)"
    return f"{names}: no such file or folder; nothing was changed{known}"


def _check_sources_exist(entries: list[SourceEntry], targets: list[int], table: SourceTable) -> None:
    counts = table.counts()
    gone = [i for i in targets if not entries[i].path.exists()]
    if not gone:
        return
    lines = []
    for i in gone:
        n = counts[i] if i < len(counts) else 0
        lines.append(f"the source {shown(entries[i].path)} does not exist (moved, renamed, or on a drive that is "
                     f"not mounted?); put it back, or drop it and its {counted(n, 'document')} with "
                     f"`docbot remove {shown(entries[i].path)}`")
    raise PathNotFound("; ".join(lines) + "; nothing was changed")


def _refusal(removed: list[str], table: SourceTable) -> str:
    where = sorted({shown(table.entries[table.members[d][0]].path) for d in removed})
    listed = ", ".join(where[:3]) + (", …" if len(where) > 3 else "")
    return (
        f"this update would remove {len(removed)} of the index's {len(table.members)} documents (their files "
        f"are no longer in {listed}), so it was refused and nothing was changed. If those files were deleted "
        "on purpose, run `docbot index --prune`; to drop particular documents or a whole source, "
        "`docbot remove DOC_ID|PATH`"
    )


def _scan(entries: list[SourceEntry], i: int, data_dir: Path, skipped: list[str]) -> dict[tuple[int, str], Path]:
    """Source ``i``'s files by (source, relative name), without what belongs elsewhere.

    Left out: what ``remove`` excluded, files of a source nested inside this one, and the data directory
    when it lies inside the folder (an index never reads itself).
    """
    entry = entries[i]
    inner = [e for j, e in enumerate(entries) if j != i and entry.relative(e.path)]
    table = SourceTable(tuple(entries)) if inner else None
    skip_data = entry.kind == "folder" and entry.path in data_dir.parents
    found: dict[tuple[int, str], Path] = {}
    for rel, path in iter_files([entry.path], skipped=skipped):
        if entry.is_excluded(rel):
            continue
        full = entry.path / rel if entry.kind == "folder" else entry.path
        if table is not None and (owner := table.owner(full)) is not None and owner[0] != i:
            continue
        if skip_data and data_dir in full.parents:
            continue
        found[(i, rel)] = path
    return found


def _new_id(entry: SourceEntry, rel: str, path: Path, taken: set[str], notes: list[str]) -> str:
    """A new document's id: its name in its source, unless another document has it (see the module doc)."""
    if rel not in taken:
        return rel
    candidate, n = f"{entry.label}/{rel}", 2
    while candidate in taken:
        candidate, n = f"{entry.label}~{n}/{rel}", n + 1
    notes.append(f"{shown(path)}: the name {rel} is taken by a document of another source; indexed as {candidate}")
    return candidate


# ---------------------------------------------------------------------- removing
def plan_removal(table: SourceTable, targets: Sequence[str | Path]) -> Plan:
    """Remove documents (by id) or paths: a source with its documents, or a file or folder inside one.

    Each target is looked up as a document id first, then as a path (which need not exist any more: a
    source that was moved away can still be dropped). Raises SourceNotFound naming a target that is
    neither; then nothing is removed.
    """
    entries = list(table.entries)
    dropped: set[int] = set()
    for target in targets:
        text = str(target)
        if text in table.members:
            i, rel = table.members[text]
            if entries[i].kind == "file":
                dropped.add(i)
            else:
                entries[i] = entries[i].excluding(rel)
            continue
        path = _absolute(Path(text))
        match = next((i for i, e in enumerate(entries) if e.path == path), None)
        if match is not None:
            dropped.add(match)
            continue
        owner = SourceTable(tuple(entries)).owner(path)
        if owner is not None and owner[1]:
            i, rel = owner
            if not any(j == i and (r == rel or r.startswith(rel + "/")) for j, r in table.members.values()):
                raise SourceNotFound(f"no indexed document is under {shown(path)}; nothing was changed")
            entries[i] = entries[i].excluding(rel)
            continue
        raise SourceNotFound(
            f"{text!r} is neither an indexed document nor a source of the index or a path inside one "
            "(`docbot sources` lists them); nothing was changed"
        )
    for i in sorted(dropped):  # a source dropped from inside a folder source must not come back as part of it
        outer = SourceTable(tuple(entries)).owner(entries[i].path, skip=dropped)
        if outer is not None and outer[1]:
            entries[outer[0]] = entries[outer[0]].excluding(outer[1])
    removed = sorted(d for d, (i, rel) in table.members.items() if i in dropped or entries[i].is_excluded(rel))
    renumber = {}
    for i in range(len(entries)):
        if i not in dropped:
            renumber[i] = len(renumber)
    gone = set(removed)
    members = {d: (renumber[i], rel) for d, (i, rel) in table.members.items() if d not in gone}
    new = SourceTable(tuple(e for i, e in enumerate(entries) if i not in dropped), members)
    return Plan(table, new, kept=sorted(members), removed=removed, notes=_moved(table))


def _moved(table: SourceTable) -> list[str]:
    return [f"the source {shown(old)} is now {shown(new)} (moved with the data directory); recorded there"
            for old, new in table.moved]


def _absolute(path: Path) -> Path:
    """An absolute, resolved path, whether it exists or not."""
    return Path(os.path.abspath(path.expanduser())).resolve()


# ---------------------------------------------------------------------- uploads
def upload_conflict(table: SourceTable, uploads: Path, name: str) -> str | None:
    """The indexed document an upload saved as ``uploads/name`` would replace, if any.

    That is the document read from that very file, or else the one that already has the id the upload
    would get (a document of another source with the same name).
    """
    target = uploads.resolve() / name
    owner = table.owner(target)
    if owner is not None:
        for doc, key in table.members.items():
            if key == owner:
                return doc
    natural = owner[1] if owner is not None else name
    return natural if natural in table.members else None


# ---------------------------------------------------------------------- indexes written before sources
def derive(doc_ids: Sequence[str], paths: Sequence[str | None], settings: EngineSettings) -> SourceTable:
    """The sources of an index written before they were recorded, from its documents' stored paths.

    A document's path ends with its id (the id was its path relative to the folder indexed), so the
    rest is the folder it came from. Paths stored relative were relative to wherever `docbot` ran:
    they are looked for from the current folder, then from the data directory's parent, and the first
    place that holds the documents wins. A folder that gave one document while other documents beside
    it were never indexed was a file given on its own, and becomes a file source.
    """
    groups: dict[Path, list[str]] = {}
    for doc_id, raw in zip(doc_ids, paths):
        groups.setdefault(_root_of(doc_id, raw, settings), []).append(doc_id)
    located = {root: _locate(root, ids, settings) for root, ids in groups.items()}
    docs_dir = _absolute(settings.docs_dir)
    entries: list[SourceEntry] = []
    members: dict[str, tuple[int, str]] = {}
    for root, folder in sorted(located.items(), key=lambda item: str(item[1])):
        ids = groups[root]
        if _was_a_single_file(folder, ids, docs_dir):
            entries.append(SourceEntry(folder / ids[0], "file"))
        else:
            entries.append(SourceEntry(folder, "folder"))
        members.update({doc_id: (len(entries) - 1, doc_id) for doc_id in ids})
    return SourceTable(tuple(entries), members, recorded=False)


def _root_of(doc_id: str, raw: str | None, settings: EngineSettings) -> Path:
    if not raw:
        return settings.docs_dir
    path, parts = Path(raw), PurePosixPath(doc_id).parts
    if len(path.parts) >= len(parts) and tuple(path.parts[len(path.parts) - len(parts):]) == parts:
        return Path(*path.parts[: len(path.parts) - len(parts)]) if len(path.parts) > len(parts) else Path(".")
    return path.parent


def _locate(root: Path, ids: list[str], settings: EngineSettings) -> Path:
    if root.is_absolute():
        return _absolute(root)
    candidates = [Path.cwd() / root, _absolute(settings.data_dir).parent / root]
    for candidate in candidates:
        if any((candidate / doc_id).is_file() for doc_id in ids[:20]):
            return _absolute(candidate)
    log.info("the documents of %s were not found from here; recording it as %s", root, _absolute(candidates[0]))
    return _absolute(candidates[0])


def _was_a_single_file(folder: Path, ids: list[str], docs_dir: Path) -> bool:
    if len(ids) != 1 or "/" in ids[0] or folder == docs_dir:
        return False
    try:
        others = [p for p in folder.iterdir() if p.is_file() and p.name != ids[0] and not p.name.startswith(".")
                  and p.suffix.lower() in SUPPORTED_SUFFIXES]
    except OSError:
        return False
    return bool(others)
