"""``docbot``: the engine from a terminal. Each subcommand mirrors one Engine method.

    docbot index [PATH...]     add PATHs to the sources and update them; no PATH: update every source
                               (progress bar, then a summary); --prune lets it drop more than half
    docbot remove TARGET...    remove documents (DOC_ID) or sources (PATH) from the index
    docbot ask "QUESTION"      quoted, cited excerpts          (--json for scripts)
    docbot search "QUERY" -k N ranked passages with scores      (--json)
    docbot sources             the sources and their documents (--json)
    docbot source REF          a document, or DOC#N: one chunk with its neighbours (--json)
    docbot stats [--verify]    documents, chunks, model, size, last indexed; --verify checks every
                               file against its checksum (exit 1 when damaged)  (--json)
    docbot chat                ask questions interactively

``--data-dir`` (or DOCBOT_DATA_DIR) picks the index, so several corpora can live side by side.

Everyday failures end in one line on stderr, never a traceback: a usage error or a bad setting (exit 2),
an engine or file-system error (exit 1), Ctrl-C (exit 130), a reader that closed the pipe (exit 141).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shlex
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

from . import startup as _startup
from .console import counting_interrupts

# Made without the cyclic collector and then frozen out of its reach, as the package's public names are
# (``embeddings.startup``): the command line imports the engine directly.
with _startup.imports_outside_gc():
    from pydantic import ValidationError

    from .conversation import Turn
    from .encoder import require_installed
    from .engine import Engine
    from .errors import DataDirUnusable, EngineError, IndexDamaged, IndexNotFound, is_text, published_before
    from .models import (Answer, CollectionInfo, Hit, IndexProgress, IndexReport, IndexStats, SourceView, counted,
                         page_label)
    from .settings import EngineSettings, describe_invalid, unknown_variables
    from .store import Verification, refuse_a_file_as_data_dir

log = logging.getLogger(__name__)
_Settings = TypeVar("_Settings", bound=EngineSettings)


# ---------------------------------------------------------------------- rendering
_SHELL_SPECIAL = re.compile(r"[\s'\"$`\\;&|<>()*?!\[\]{}~]|^#")


def _date(d: date | None) -> str:
    return d.isoformat() if d else "undated"


def render_answer(ans: Answer, width: int = 100) -> str:
    """The terminal form of an answer: numbered quotes, then the sources they cite."""
    if not ans.answered:
        return ans.message
    lines = [ans.message, ""]
    for ex in ans.excerpts:
        # The page tag is one word to the wrapper (its spaces held as NULs, put back after): "(p." ended one
        # line and "1)" began the next.
        page = f" ({page_label([ex.page])})".replace(" ", "\0").replace("\0", " ", 1) if ex.page is not None else ""
        quote = textwrap.fill(f"\u201c{ex.text}\u201d{page}", width=width, initial_indent="    ",
                              subsequent_indent="    ").replace("\0", " ")
        lines.append(f"[{ex.number}]{quote[3:]}")
        if ex.section:  # the headings it lies under: the quote never holds them
            lines.append(textwrap.fill(f"under: {ex.section}", width=width, initial_indent="    ",
                                       subsequent_indent="      "))
    lines += ["", "Sources:"]
    for s in ans.sources:
        pages = f", {page_label(s.pages)}" if s.pages else ""
        lines.append(f"  [{s.number}] {s.title}{pages} ({_date(s.date)})" + (f"\n      {s.url}" if s.url else ""))
        ref = s.ref or s.doc_id
        # "--" before a ref that starts with a dash, or the shell's word is read as an option.
        lines.append(f"      docbot source {'-- ' if ref.startswith('-') else ''}{_shell_word(ref)}")
    return "\n".join(lines)


def _shell_word(ref: str) -> str:
    """A ref as it can be pasted into a shell: quoted only when it must be (``#`` inside a word is fine)."""
    return shlex.quote(ref) if _SHELL_SPECIAL.search(ref) else ref


def render_hits(hits: list[Hit]) -> str:
    if not hits:
        return "No passages found."
    out = []
    for h in hits:
        where = h.ref + (f", {page_label([h.page])}" if h.page is not None else "")
        out.append(f"{h.rank:>2}. score {h.score:.4f}  cosine {h.dense:.3f}  {h.title} ({_date(h.date)})  [{where}]")
        out.append(textwrap.indent(textwrap.fill(h.text, width=96), "    "))
    return "\n".join(out)


def render_source(view: SourceView) -> str:
    d = view.document
    size = (f"{d.doc_id}: {counted(d.chunks, 'chunk')}, {d.chars:,} characters"
            + (f", {counted(d.pages, 'page')}" if d.pages else ""))
    head = [f"{d.title} ({_date(d.date)})", d.url or "", size]
    if view.focus is None:
        body = view.text
    else:
        if view.page is not None:
            head.append(f"passage #{view.focus}, {page_label([view.page])}")
        parts = []
        for c in view.chunks:
            marker = ">>" if c.chunk == view.focus else "  "
            page = f" ({page_label([c.page])})" if c.page is not None else ""
            parts.append(f"{marker} #{c.chunk}{page}\n{textwrap.indent(textwrap.fill(c.text, 96), marker + ' ')}")
        body = "\n".join(parts)
    return "\n".join(line for line in head if line) + "\n\n" + body


def _shown_path(path: str) -> str:
    """A path as short as it can be said from here: relative below the current folder, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return rel if not rel.startswith("..") else path


def render_sources(c: CollectionInfo) -> str:
    """Each source (folder or file) with its documents, newest first; those of a damaged index's record
    (``c.damaged``) said to be recorded, not in a readable index."""
    if not c.sources and not c.documents:
        return "No documents indexed."
    counts = f"{counted(len(c.sources), 'source')}, {counted(len(c.documents), 'document')}"
    if c.damaged:
        head = (f"The index is damaged: {counts} recorded, not in a readable index (nothing is answered from "
                "them until `docbot index` rebuilds the index from these sources)")
    else:
        head = counts + ("" if c.recorded else " (sources derived from an older index; `docbot index` records them)")
    lines = [head + ":"]
    for s in c.sources:
        state = "" if s.exists else "; MISSING: restore it, or drop it with `docbot remove`"
        lines += ["", f"{_shown_path(s.path)}  ({s.kind}, {counted(s.documents, 'document')}{state})"]
        if s.excluded:
            lines.append(f"  removed from it: {', '.join(s.excluded)}")
        for d in c.documents:
            if d.source == s.path:
                lines.append(f"  {_date(d.date)}  {d.title}  [{d.doc_id}, {counted(d.chunks, 'chunk')}"
                             + (f", {counted(d.pages, 'page')}" if d.pages else "") + "]"
                             + (f"\n              {d.url}" if d.url else ""))
    return "\n".join(lines)


def render_stats(st: IndexStats) -> str:
    indexed = f"{st.indexed_at:%Y-%m-%d %H:%M:%S %Z}" if st.indexed_at else "never"
    return (
        f"documents   {st.documents}\nchunks      {st.chunks}\nmodel       {st.model} (dim {st.dimension})\n"
        f"index       {st.index_type}, {st.size_bytes / 2**20:.1f} MiB on disk in {st.data_dir}\n"
        f"indexed at  {indexed}"
    )


def render_verification(v: Verification) -> str:
    """What ``stats --verify`` found: each generation on disk, then one line on what to do."""
    lines = []
    if v.pointer_problem:
        lines.append(f"{v.pointer_name}  damaged: {v.pointer_problem}")
    for g in v.generations:
        name = g.name + (" (published)" if g.published else "")
        if g.problem is not None:
            lines.append(f"{name}  DAMAGED: {g.problem}")
        elif g.checked:
            lines.append(f"{name}  intact: {g.checked}")
        elif g.files:
            lines.append(f"{name}  intact: {counted(g.files, 'file')}, {g.bytes / 2**20:.1f} MiB match their checksums")
        else:
            lines.append(f"{name}  intact as far as sizes and counts tell (written before checksums were recorded)")
    if not v.generations:
        lines.append(f"no index generation in {v.data_dir}")
    if v.intact:
        lines.append("the index is intact.")
    else:
        serving = v.serving
        lines.append(
            "the index is damaged: run `docbot index` to repair it"
            + (f" (answers come from {serving.name} meanwhile)." if serving else "; nothing can be answered until then.")
        )
    return "\n".join(lines)


def _listed(ids: list[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more (--json lists them)" if len(ids) > limit else "")


def render_report(r: IndexReport) -> str:
    state = "published a new index" if r.published else "index unchanged"
    lines = [
        f"{counted(r.documents_total, 'document')}: {len(r.added):,} added, {len(r.changed):,} changed, "
        f"{len(r.removed):,} removed, {r.unchanged:,} unchanged; {state}.",
        f"{counted(r.chunks_embedded, 'chunk')} embedded, {r.chunks_total:,} in the index; {r.seconds:.1f} s.",
    ]
    if r.removed:
        lines.append(f"removed: {_listed(r.removed)}")
    lines += [f"replaced: {d.doc_id} ({d.title})" for d in r.replaced]
    lines += [f"note: {n}" for n in r.notes[:10]]
    if len(r.notes) > 10:
        lines.append(f"note: and {len(r.notes) - 10} more (--json lists them)")
    lines += [f"skipped: {s}" for s in r.skipped]
    return "\n".join(lines)


# ---------------------------------------------------------------------- progress
class _ProgressBar:
    """A tqdm bar fed from IndexProgress events (documents while scanning, chunks while embedding)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.stage = ""

    def __call__(self, p: IndexProgress) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if p.stage != self.stage:
            if self.stage == "scan" and self.bar is not None:
                # Reading is over once another stage starts, however often the indexer reported it.
                self.bar.update(self.bar.total - self.bar.n)
            self.close()
            self.stage = p.stage
            if p.stage == "scan":
                self.bar = tqdm(total=p.documents_total, desc="reading", unit="doc", file=sys.stderr)
            elif p.stage == "embed":
                self.bar = tqdm(total=p.chunks_total, desc="embedding", unit="chunk", file=sys.stderr)
            elif p.stage == "prepare":
                print("loading the model (a first index in a data directory also exports it: ~15 s)…", file=sys.stderr)
            elif p.stage == "write":
                print("writing the index…", file=sys.stderr)
        if self.bar is not None:
            done = p.documents_done if p.stage == "scan" else p.chunks_done
            self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def with_progress(job: Callable[[_ProgressBar], IndexReport], *, show: bool) -> IndexReport:
    """Run an index change with a progress bar on stderr (when ``show``); skip reasons are left to the summary."""
    bar = _ProgressBar(show)
    try:
        return job(bar)
    finally:
        bar.close()


def index_with_progress(engine: Engine, paths: list[Path] | None, *, show: bool, prune: bool = False) -> IndexReport:
    """``Engine.index`` with a progress bar (the CLI's ``index`` and the bot's start)."""
    return with_progress(lambda bar: engine.index(paths, prune=prune, progress=bar), show=show)


# ---------------------------------------------------------------------- chat
def chat(engine: Engine, *, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    """Ask questions in a loop: the same answers the bot gives, in a terminal, as one conversation, like a
    thread with the bot: a follow-up ("and what did Lavrov say?") is read with the questions before it."""
    stats = engine.stats()
    print(f"Ask about {counted(stats.documents, 'document')} ({counted(stats.chunks, 'passage')}); follow-up questions "
          "are read with the earlier ones. Empty line or Ctrl-D to quit.", file=stdout)
    history: list[Turn] = []
    if hasattr(stdin, "reconfigure"):
        # Bytes that are not UTF-8 (a Latin-1 terminal's "café") reach the engine, which refuses that line,
        # rather than a UnicodeDecodeError ending the chat (the C locale's stdin does so already).
        stdin.reconfigure(errors="surrogateescape")
    while True:
        print("\n? ", end="", file=stdout, flush=True)
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            print("", file=stdout)  # end the prompt line before the caller says "interrupted"
            raise
        if not line or not line.strip():
            print("", file=stdout)
            return 0
        try:
            answer = engine.ask(line.strip(), history=history, asked_on=date.today())
        except EngineError as exc:
            print(f"error: {exc}", file=stdout)
            continue
        if answer.follow_up is not None and answer.follow_up.earlier:
            print(f"(read as a follow-up to \u201c{answer.follow_up.earlier[-1]}\u201d)", file=stdout)
        print(render_answer(answer), file=stdout)
        history.append(Turn.of(answer))


def stats(engine: Engine, *, verify: bool, as_json: bool) -> int:
    """``docbot stats [--verify]``: exit 1 when verification finds the index damaged."""
    if not verify:
        st = engine.stats()
        print(_dump(st) if as_json else render_stats(st))
        return 0
    check = engine.verify()
    try:
        st: IndexStats | None = engine.stats()
    except IndexDamaged:  # nothing intact to describe: the verification says what is wrong
        st = None
    if as_json:
        print(json.dumps({"stats": st.model_dump(mode="json") if st else None, "intact": check.intact,
                          "verification": asdict(check)}, indent=2, ensure_ascii=False))
    else:
        print((render_stats(st) + "\n\n" if st else "") + render_verification(check))
    return 0 if check.intact else 1


# ---------------------------------------------------------------------- checks before work
def package_version() -> str:
    try:
        return metadata.version("docbot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def check_data_dir(data_dir: Path, *, write: bool) -> None:
    """Refuse a data directory that cannot work, in one line, before anything reads or writes it.

    Without this a file in its place reads as "no index yet" and a read-only folder ends `index` in an
    OSError traceback. ``write`` is for the commands that create or change the index.
    """
    refuse_a_file_as_data_dir(data_dir)
    if not write:
        return
    existing = data_dir.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DataDirUnusable(f"cannot create the data directory {data_dir}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == data_dir.absolute() else f" ({existing} is not writable)"
        raise DataDirUnusable(
            f"cannot write to the data directory {data_dir}{where}: it is read-only for this user; "
            "choose another with --data-dir or DOCBOT_DATA_DIR"
        )


def check_model(engine: Engine, *, indexing: bool) -> None:
    """Refuse, in one line, to go on with a model that would be looked for on the network.

    An index built with another model says so first (ModelMismatch, with the setting to use). Queries
    on an index with its ONNX export never load the model, so they need no check.
    """
    try:
        engine.load()
    except IndexNotFound:
        if not indexing:
            raise
    if not indexing and engine.uses_onnx_export:
        return
    require_installed(engine.settings.model)


# ---------------------------------------------------------------------- main
def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, not {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _nonblank(text: str) -> str:
    """A question, query or target: not blank (an empty PATH would mean the current folder) and text."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty")
    if not is_text(text):
        raise argparse.ArgumentTypeError(f"{text.encode('utf-8', 'surrogateescape')!r} is not UTF-8 text "
                                         "(is the terminal's encoding UTF-8?)")
    return text


def _path(text: str) -> Path:
    return Path(_nonblank(text))


class _VersionAction(argparse.Action):
    """``--version``, the package's version looked up only when asked: finding it in the installed
    packages' metadata took a cold ``docbot ask`` 4-10 ms for a flag it was not given."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0,
                         help="show program's version number and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser._print_message(f"{parser.prog} {package_version()}\n", sys.stdout)  # where argparse's own prints it
        parser.exit()


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr that names the help to read (exit 2).

    argparse printed the whole usage block, 3 to 5 lines, above the error: bad input gets one clear line
    here, as everywhere else. Subparsers are made of their parent's class, so every command reads alike, and
    an option no command knows (``docbot index --bogus``) is told by the command it was given to, whose
    ``--help`` lists the options there are. Shared with ``docbot-discord``.
    """

    _commands: argparse._SubParsersAction | None = None

    def add_subparsers(self, **kwargs: Any) -> argparse._SubParsersAction:
        self._commands = super().add_subparsers(**kwargs)
        return self._commands

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        """argparse's, with what no parser took told by the command given (argparse tells it at the top)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            teller: argparse.ArgumentParser = self
            if self._commands is not None:
                teller = self._commands.choices.get(getattr(parsed, self._commands.dest, None), self)
            teller.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options(parser: argparse.ArgumentParser) -> None:
    """The options every command takes, before or after its name."""
    parser.add_argument("--data-dir", type=_path, help="index directory (default: DOCBOT_DATA_DIR or ./data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="docbot", description="Ask questions about a folder of documents.",
        epilog="The index changes only when asked. It remembers the folders and files it was built from (its "
        "sources: `docbot sources`): `docbot index PATH` adds one, `docbot index` updates them all, and "
        "`docbot remove` takes documents or sources out. A path that does not exist is an error, and an update "
        "that would remove more than half of the index is refused unless --prune is given.",
    )
    p.add_argument("--version", action=_VersionAction)
    _common_options(p)
    # The same options after the command (`docbot ask --data-dir DIR "..."`), where users put them as
    # often as before it; SUPPRESS keeps a subcommand from resetting what was given before it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _common_options(common)
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, help: str, json_flag: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help, parents=[common])
        if json_flag:
            sp.add_argument("--json", action="store_true", help="print JSON for scripts")
        return sp

    sp = add("index", "add folders or files to the index's sources and update them; with no PATH, update "
                      "every source (a new index starts from DOCBOT_DOCS_DIR, default ./seeds)")
    sp.epilog = (
        "The index remembers its sources. Files deleted from a source folder leave the index, but an update "
        "that would remove more than half of the documents is refused unless --prune is given. A PATH that "
        "does not exist is an error, and nothing changes. Remove documents or sources with `docbot remove`."
    )
    sp.add_argument("paths", nargs="*", type=_path, metavar="PATH",
                    help="a folder or file to add to the sources (or inside one, to update it)")
    sp.add_argument("--prune", action="store_true",
                    help="let this update remove documents whose files are gone however many they are "
                         "(the summary lists them)")
    sp.add_argument("--no-progress", action="store_true", help="no progress bar")
    sp = add("remove", "remove documents or sources from the index (files on disk are left alone)")
    sp.epilog = (
        "TARGET is a document id (`docbot sources` lists them), a source's path (it is dropped with all its "
        "documents), or a file or folder inside a source folder (kept out of later updates; `docbot index "
        "PATH` brings it back). All or nothing: an unknown TARGET removes nothing."
    )
    sp.add_argument("targets", nargs="+", type=_nonblank, metavar="TARGET", help="a document id or a path")
    sp.add_argument("--no-progress", action="store_true", help="no progress bar")
    for name, help in (("ask", "answer with quoted, cited excerpts"), ("search", "ranked passages with scores")):
        sp = add(name, help)
        sp.add_argument("text", metavar="QUESTION" if name == "ask" else "QUERY", type=_nonblank)
        sp.add_argument("--doc", action="append", dest="doc_ids", metavar="DOC_ID", help="only this document (repeatable)")
        sp.add_argument("--since", type=_day, metavar="YYYY-MM-DD")
        sp.add_argument("--until", type=_day, metavar="YYYY-MM-DD")
        sp.add_argument("--asked-on", type=_day, metavar="YYYY-MM-DD", default=None,
                        help='the day it is asked, which "this week" or "recently" counts back from (default: '
                        "today; the collection's newest date when that is earlier)")
        if name == "search":
            sp.add_argument("-k", type=_positive_int, default=5, help="how many passages (default 5)")
    add("sources", "the folders and files the index is built from, and the documents each gave")
    sp = add("source", "show a document (DOC_ID) or one chunk with its neighbours (DOC_ID#N)")
    sp.add_argument("ref")
    sp = add("stats", "documents, chunks, model, index size, last indexed")
    sp.add_argument("--verify", action="store_true",
                    help="also check every file of the index against its checksum (reads all of it)")
    add("chat", "ask questions interactively", json_flag=False)
    return p


def _dump(obj: Any) -> str:
    if isinstance(obj, list):
        return json.dumps([o.model_dump(mode="json") for o in obj], indent=2, ensure_ascii=False)
    return obj.model_dump_json(indent=2)


def _os_error(exc: OSError) -> str:
    """An OSError as one line: what failed and on which path, without Python's errno prefix."""
    what = exc.strerror or str(exc)
    return f"{what}: {exc.filename}" if exc.filename else what


def _interrupted(prog: str, exc: BaseException) -> int:
    """Ctrl-C's one line: the index is as it was (nothing is published before a generation is complete),
    unless the change had been published when it came (``errors.published_before``)."""
    if published_before(exc):
        print(f"{prog}: interrupted after the new index was published: the change is made "
              f"(`{prog} stats` shows it)", file=sys.stderr)
    else:
        print(f"{prog}: interrupted", file=sys.stderr)
    return 130


def run_reporting(prog: str, body: Callable[[], int], *, count_interrupts: bool = True,
                  details: int = logging.INFO, as_json: bool = False) -> int:
    """Run a command's body; everyday failures become one line on stderr and a conventional status.

    Shared by ``docbot`` and the bot's entry point (``python -m bot``) so Ctrl-C, a closed pipe
    (``docbot sources | head``) and engine or file-system errors end the same way in both.
    ``count_interrupts`` wraps Python's Ctrl-C handler to tell an import that Ctrl-C broke from a
    broken install; the bot leaves it to ``asyncio.run``, which installs its own only over Python's.
    ``details`` is the level the traceback behind a file-system error is logged at: INFO for ``docbot``,
    whose -v shows INFO; DEBUG for the bot, which logs INFO by default and would follow its one line with
    the traceback. ``as_json`` (a command given ``--json``): an engine or file-system error is also printed
    on stdout as ``{"error": "...", "status": N}``, so a script reading the JSON gets a reason, not nothing.
    """
    interrupts = [0]
    try:
        with counting_interrupts(count_interrupts) as interrupts:
            status = body()
            if sys.stdout is not None:  # None when started with stdout closed (`docbot stats >&-`)
                sys.stdout.flush()  # a closed pipe shows up here rather than as a traceback at exit
        return status
    except KeyboardInterrupt as exc:
        return _interrupted(prog, exc)
    except ImportError as exc:
        # Ctrl-C while a compiled module (onnxruntime, numpy) is being imported surfaces as ImportError.
        if not interrupts[0]:
            raise
        return _interrupted(prog, exc)
    except BrokenPipeError:
        # The reader went away: stop quietly. stdout points at devnull so the flush at exit is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except EngineError as exc:
        return _failed(prog, str(exc), as_json)
    except OSError as exc:
        status = _failed(prog, _os_error(exc), as_json)
        log.log(details, "details of the error above", exc_info=exc)
        return status


def _failed(prog: str, message: str, as_json: bool) -> int:
    """A command's everyday failure: one line on stderr, and for ``--json`` the same reason as JSON on stdout."""
    print(f"{prog}: {message}", file=sys.stderr)
    if as_json and sys.stdout is not None:
        with contextlib.suppress(OSError):  # a closed pipe: the line on stderr is all that can be said
            print(json.dumps({"error": message, "status": 1}, ensure_ascii=False), flush=True)
    return 1


def _command(args: argparse.Namespace, settings: EngineSettings) -> int:
    writes = args.command in ("index", "remove")
    check_data_dir(settings.data_dir, write=writes)
    with no_empty_data_dir_left(settings.data_dir) if writes else contextlib.nullcontext():
        return _run(args, settings)


@contextlib.contextmanager
def no_empty_data_dir_left(data_dir: Path) -> Iterator[None]:
    """On the way out, remove the data directory made inside when it holds nothing but the re-index lock:
    a failed ``index`` or ``remove`` (a mistyped ``--data-dir``), or a bot with nothing to index, leaves no
    empty folder behind. One that existed before, or holds anything else, is not ours to judge."""
    creates = not data_dir.exists()
    try:
        yield
    finally:
        if creates:
            with contextlib.suppress(OSError):
                if {p.name for p in data_dir.iterdir()} <= {"reindex.lock"}:
                    (data_dir / "reindex.lock").unlink(missing_ok=True)
                    data_dir.rmdir()


def _run(args: argparse.Namespace, settings: EngineSettings) -> int:
    engine = Engine(settings)
    as_json = getattr(args, "json", False)
    if args.command in ("index", "ask", "search", "chat"):
        # The query encoder is made (and the question embedded) while the index opens.
        warming = engine.warm_up(getattr(args, "text", None)) if args.command != "index" else None
        try:
            check_model(engine, indexing=args.command == "index")
        finally:
            if warming is not None:
                warming.join()
    show = not (getattr(args, "no_progress", False) or as_json) and sys.stderr.isatty()
    if args.command == "index":
        report = index_with_progress(engine, args.paths or None, prune=args.prune, show=show)
        print(_dump(report) if as_json else render_report(report))
    elif args.command == "remove":
        report = with_progress(lambda bar: engine.remove(args.targets, progress=bar), show=show)
        print(_dump(report) if as_json else render_report(report))
    elif args.command == "ask":
        ans = engine.ask(args.text, doc_ids=args.doc_ids, since=args.since, until=args.until,
                         asked_on=args.asked_on or date.today())
        print(_dump(ans) if as_json else render_answer(ans))
    elif args.command == "search":
        hits = engine.search(args.text, args.k, doc_ids=args.doc_ids, since=args.since, until=args.until,
                             asked_on=args.asked_on or date.today())
        print(_dump(hits) if as_json else render_hits(hits))
    elif args.command == "sources":
        collection = engine.collection(recorded_if_damaged=True)
        print(_dump(collection) if as_json else render_sources(collection))
        if collection.damaged:  # listed from the record: the index itself is damaged
            print(f"docbot: {collection.damaged}", file=sys.stderr)
            return 1
    elif args.command == "source":
        view = engine.source(args.ref)
        print(_dump(view) if as_json else render_source(view))
    elif args.command == "stats":
        return stats(engine, verify=args.verify, as_json=as_json)
    elif args.command == "chat":
        return chat(engine)
    return 0


#: Commands that only read the index: once their output is written, nothing is left to finish.
READ_ONLY = frozenset({"ask", "search", "sources", "source", "stats", "chat"})


def leave(status: int) -> NoReturn:
    """End the process with ``status`` now, without the interpreter's teardown.

    After a question is answered, tearing down the engine (the ONNX session, the memory-mapped index)
    and ~460 modules took ~0.1 s of a cold ``docbot ask`` (~25 ms once the imports are frozen out of
    the collector's reach, see ``embeddings.startup``) that the user waits through for nothing. Log
    handlers and both streams are flushed first; only commands that write nothing come here.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with it closed
                stream.flush()
        except (OSError, ValueError):  # a reader that went away (status 141 says so already)
            pass
    os._exit(status)


def tolerant_output() -> None:
    """Let stdout and stderr write what they cannot encode as "?": a terminal or pipe in Latin-1 or ASCII
    (``PYTHONIOENCODING``, ``LANG=C`` on an old system) made every answer, with its curly quotes, a
    UnicodeEncodeError traceback."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if stream is not None and encoding not in ("utf8", "utf_8") and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


def read_settings(prog: str, kind: type[_Settings], **given: Any) -> _Settings | None:
    """``kind`` read from the environment and ``.env`` (``given`` first), or None once ``prog`` has said on
    stderr what is wrong: one line per bad variable, or why ``.env`` could not be read. The caller exits 2.
    Shared with ``docbot-discord``, so a bad setting reads the same in both, and so does a ``DOCBOT_``
    variable no setting reads (a typo: named once, with the setting meant, and otherwise ignored)."""
    try:
        settings = kind(**given)
    except ValidationError as exc:
        for line in describe_invalid(exc, kind):
            print(f"{prog}: {line}", file=sys.stderr)
        return None
    except (UnicodeDecodeError, OSError) as exc:  # a .env in another encoding, or unreadable
        why = "it is not UTF-8 text (save it as UTF-8)" if isinstance(exc, UnicodeDecodeError) else _os_error(exc)
        print(f"{prog}: cannot read the settings file .env: {why}", file=sys.stderr)
        return None
    for line in unknown_variables(_all_settings()):
        print(f"{prog}: {line}", file=sys.stderr)
    return settings


def run() -> NoReturn:
    """The ``docbot`` program (console script, ``python -m embeddings.cli``): :func:`main`, then a read-only
    command leaves at once (:func:`leave`). In-process callers (tests, scripts) call ``main``."""
    sys.exit(main(leave_when_done=True))


def _all_settings() -> type[EngineSettings]:
    """The settings a deployment's environment and .env hold: the bot's too (``BotSettings`` extends
    ``EngineSettings``), so that DOCBOT_DISCORD_TOKEN is not called unknown by ``docbot``."""
    try:
        from bot.settings import BotSettings
    except ImportError:  # the engine installed without the bot
        return EngineSettings
    return BotSettings


def main(argv: list[str] | None = None, settings: EngineSettings | None = None, *,
         leave_when_done: bool = False) -> int:
    """Run one ``docbot`` command and return its exit status. ``settings`` replaces the environment's
    (tests); ``leave_when_done`` ends the process after a read-only command (:func:`run`)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    tolerant_output()
    if settings is None:
        settings = read_settings("docbot", EngineSettings,
                                 **({"data_dir": args.data_dir} if args.data_dir is not None else {}))
        if settings is None:
            return 2
    chosen = settings
    status = run_reporting("docbot", lambda: _command(args, chosen), as_json=getattr(args, "json", False))
    if leave_when_done and args.command in READ_ONLY:
        leave(status)
    return status


if __name__ == "__main__":
    run()
