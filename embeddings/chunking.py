"""Sentence-aware chunking that remembers where every chunk came from.

Chunks are spans ``(start, end)`` of the document text, never copies that could drift from it: an
excerpt shown to a user is always ``text[start:end]`` of the source. Sentences are packed up to a
token budget measured with the embedding model's own tokenizer, with a little sentence overlap so a
statement cut between two chunks is still whole in one of them.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by space and a plausible start.
_BOUNDARY = re.compile(r"""[.!?]["'\u201d\u2019)\]]*\s+(?=["'\u201c\u2018(\[]?[A-Z0-9])""")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "sen", "rep", "gov", "lt", "col", "sgt",
    "capt", "cmdr", "adm", "maj", "no", "vs", "etc", "inc", "corp", "ltd", "co", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "e.g", "i.e",
    "a.m", "p.m", "approx", "dept", "est", "fig", "mt", "ft", "rev", "pres",
}
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
# How far back from a boundary to look for an abbreviation ("Sept.", "U.S."): a bounded window keeps
# splitting linear in the line's length (searching the whole prefix made a 400 KB line take 105 s).
_LOOKBEHIND = 32


@dataclass(frozen=True)
class Span:
    start: int
    end: int


# A line that ends a sentence (or introduces a list: "Bring:"), closing quotes and emphasis allowed.
_ENDS_LINE = re.compile(r"""[.!?:;]["'\u201d\u2019)\]*_`]*$""")
# Inline code ("`ps aux | grep lumenfeed`"): its pipes are a command's, not a table's cells.
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# A line that opens a block of its own: a list item (-, *, 1., a), iv., bullets), a heading, a block
# quote, a table row, a fence, a rule or a Markdown heading's underline ("-----").
_OPENS_BLOCK = re.compile(
    r"[ \t]*(?:[-*+\u2022\u25aa\u25e6\u25cf\u00b7\u2023][ \t]|\d{1,3}[.)][ \t]|\(?(?:[A-Za-z]|[ivxIVX]{2,4})[.)][ \t]"
    r"|#|>|\||```|~~~|[-=*_]{3,}$)"
)
# A "key: value" line (front matter, settings, a form): two of them in a row are records, not prose.
_KEY_VALUE = re.compile(r"[A-Za-z_][\w -]{0,30}:[ \t]")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+\u2022]|\d{1,3}[.)])[ \t]")
# Words a sentence cannot end on: a line that stops on one goes on below ("is led by" / "Priya Raman.").
_GOES_ON = frozenset(
    "a an the of to in on at by for with from into onto via per about over under between within without "
    "after before during and or but nor as than that which who whose whom is are was were be been has have "
    "had will would can could should may might must if when while because our your their its his her my".split()
)
# The line's last word, when it is a word in lower case or holds a digit ("60", "AGPL-3.0"): not a name,
# a URL or a credit.
_LAST_WORD = re.compile(r"""(?:^|\s)[("'\u201c\u2018]?([a-z]+(?:-[a-z]+)*|[\w.-]*\d[\w.-]*)$""")
# A line that opens with a short aside in brackets and goes on after it on the line: "(B-100), M-Z in Orr Hall
# 201." below "... A-L in Beckett Auditorium" (not "(AP Photo/Jose Luis Magana)", a caption's credit alone).
_ASIDE_GOES_ON = re.compile(r"\([^()\n]{1,60}\)\s*\S")
#: A line that opens or closes a fenced code block (```` ```python ````, ``~~~``) as chunkers 3 and 4
#: read it: any line starting so (``chunked_alike`` still asks it of an older index's documents).
FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)
#: A code fence as CommonMark reads it (chunker 5): three or more backticks with no backtick after them
#: on the line ("```x``` is inline code") or three or more tildes, indented at most three spaces.
FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}(?![^\n]*`)|~{3,})")
_YAML_KEY = re.compile(r"[ \t]*[A-Za-z_][\w -]{0,40}:(?:[ \t]|$)")


def front_matter_lines(lines: Sequence[str]) -> int:
    """How many of ``lines`` (a text's, from its first) a YAML front matter takes: "---", "key: value"
    records without a blank line, and a closing "---" or "..."; 0 when the text has none (a note that
    opens with a rule, or an unclosed "---", is not one)."""
    if len(lines) < 3 or lines[0].strip() != "---" or not _YAML_KEY.match(lines[1]):
        return 0
    for n in range(2, len(lines)):
        if lines[n].strip() in ("---", "..."):
            return n + 1
        if not lines[n].strip():
            return 0
    return 0


#: A line at least this long that stops mid-sentence was wrapped by an editor, not ended by its writer.
WRAPPED_LINE_CHARS = 50


def soft_wrap(line: str, below: str) -> bool:
    """Whether ``line`` only wraps into ``below``: one paragraph's sentence goes on across them.

    Notes written in an editor that wraps at 72 or 80 columns break sentences across lines: read line
    by line, "Receipts must be submitted within" and "60 days of purchase." are two quotes, neither of
    which answers. A newline wraps when its line, long enough to have been wrapped, stops mid-sentence
    (no closing punctuation, or a semicolon: "... start with a byte order mark;" / "upgrade first.") and
    the next line goes on in lower case; or when its line stops on a word
    in lower case or one with a digit ("60", "AGPL-3.0") and that word is one no sentence ends on
    ("led by"), or the line is long, or the next line goes on in lower case (both of several words);
    after a comma (a line of several words), a dash, or inside a list item indented, too. A line
    ending on a name, a URL or a credit ("John Moore/Getty Images") above a line that does not go on
    in lower case stays apart: a caption or a link more often than half a sentence, unless it is long and the
    next line opens with an aside in brackets that goes on after it ("... in Beckett Auditorium" / "(B-100),
    M-Z in Orr Hall 201.": ``_ASIDE_GOES_ON``; a credit in brackets alone on its line stays apart). Blank lines,
    headings (and their underlines), rules, list items, block quotes, tables (not a pipe in inline code:
    "Check with `ps aux | grep lumenfeed`" is prose), Markdown hard breaks,
    two lines that both begin with a number (logs, CSV) or both read "key: value", fenced code and
    front matter (``_line_ends``) always break, and so do short labels ("Contact" above "Email us at
    ...").
    """
    return _wraps(line, below)


def _wraps(line: str, below: str, *, code_aware: bool = True) -> bool:
    """``soft_wrap``; without ``code_aware``, as chunkers 12 and 13 read a semicolon at a line's end (``code_joins_before_14``)."""
    raw = line.rstrip("\r")
    if raw.endswith(("  ", "\\")) or "\t" in raw:
        return False  # a Markdown hard break; a table's cells
    body, nxt = raw.strip(), below.strip()
    if not nxt or not any(ch.isalnum() for ch in body):
        return False  # a blank line or a rule ("-----") ends a block as a full stop ends a sentence
    if (ends := _ENDS_LINE.search(body)) is not None and not (
            ends.group(0)[0] == ";" and _clause_goes_on(body, nxt, code_aware)):
        return False  # but a wrapped clause goes on after a semicolon ("... a byte order mark;" / "upgrade first.")
    if body.startswith(("#", "|")) or FENCE_LINE.match(body) or _table_row(body):
        return False
    if _OPENS_BLOCK.match(below.rstrip()):
        return False
    if (body[0].isdigit() and nxt[0].isdigit()) or (_KEY_VALUE.match(body) and _KEY_VALUE.match(nxt)):
        return False  # records, not prose: log lines, CSV rows, "key: value" lines
    if code_aware and code_line(body) and code_line(nxt):
        return False  # two lines of code ("total = total + 1" / "count = count + 1"), since chunker 14
    if body[-1] == ",":
        return len(body.split()) >= 4  # not "Best regards," above a name
    if body[-1] in "-\u2013\u2014(&":
        return True
    if below[:1] in (" ", "\t") and _LIST_ITEM.match(raw):
        return True  # a list item's next line, indented
    if nxt[0].islower() and len(body) >= WRAPPED_LINE_CHARS:
        return True  # "... The" / "maintainers are ...", "... 17:00 UTC" / "and last about one hour."
    if len(body) >= WRAPPED_LINE_CHARS and _ASIDE_GOES_ON.match(nxt):
        return True  # "... A-L in Beckett Auditorium" / "(B-100), M-Z in Orr Hall 201.": the name's aside
    last = _LAST_WORD.search(body)
    if last is None:
        return False  # a name, a URL or a credit above a line that starts anew
    return (
        last.group(1) in _GOES_ON
        or len(body) >= WRAPPED_LINE_CHARS
        or (nxt[0].islower() and len(body.split()) >= 3 and len(nxt.split()) >= 2)
    )


def _clause_goes_on(body: str, nxt: str, code_aware: bool = True) -> bool:
    """Whether the line ``body``, ending on a semicolon, was wrapped mid-sentence into ``nxt`` (both
    stripped): it is long enough to have been wrapped, the next line goes on in lower case (since chunker
    12), and neither is a line of code (since chunker 14: ``code_line``)."""
    return (nxt[0].islower() and len(body) >= WRAPPED_LINE_CHARS
            and not (code_aware and (code_line(body) or code_line(nxt))))


#: What prose does not write and code does, outside inline code: an assignment or a comparison
#: ("a = 1", "+=", "==", "!=", ":="), a call that ends a statement or the line (a name right before its
#: arguments: "printf("%d", total);", "load(path)"; not "healthy(ish): ..." or "Dragon(3 of 5), fair"), a
#: brace, or a comment's "//" (not a URL's).
_CODE_MARK = re.compile(r"(?:^|[\w\s)\]])[-+*/%|&^!<>:=]?=(?:\s|$)|[A-Za-z_][\w.]*\([^()\n]*\)[ \t]*(?:[;{)]|\.\w|$)"
                        r"|[{}]|(?:^|\s)//(?:\s|$)")
#: An SQL statement: a keyword in capitals and a clause ("SELECT id FROM users", "INSERT INTO t"), or in lower
#: case as statements open ("delete from sessions where", "select id, name from users", "insert into t").
_SQL = re.compile(r"(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH)\b.*\b(?:FROM|INTO|SET|TABLE|WHERE|VALUES|AS)\b"
                  r"|(?i:(?:select[ \t]+(?:\*|[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)[ \t]+from|delete[ \t]+from|insert[ \t]+into"
                  r"|(?:create|drop|alter)[ \t]+table)[ \t]+[\w.`\"]+(?:[ \t]+(?:where|order|group|join|values|limit)\b|[ \t]*[(;]|$))")


def code_line(body: str) -> bool:
    """Whether the line ``body`` (stripped) is a line of code pasted without a fence ("int a = 1;", "b = a +
    2;", "SELECT id FROM users WHERE ...;"): its ";" ends a statement, not a clause, so the line below never
    goes on its sentence (``soft_wrap``; chunker 12 joined "total = total + offset;" into the line above).
    A sentence that quotes code in backticks is prose ("Set `retries = 3`; then restart it")."""
    bare = _INLINE_CODE.sub("`", body)
    return bool(_CODE_MARK.search(bare) or _SQL.match(bare))


def _table_row(body: str) -> bool:
    """Whether the line ``body`` (stripped) has a table's cells: " | " between them, outside inline code
    (a command quoted in a sentence, "Check with `ps aux | grep lumenfeed` and stop it", is no row)."""
    return " | " in body and (("`" not in body) or " | " in _INLINE_CODE.sub("", body))


@functools.lru_cache(maxsize=4)
def _line_ends(text: str) -> list[int]:
    """The offsets of the newlines of ``text`` that end a line, in order: every newline but the soft
    wraps, and every one inside a fenced code block or a YAML front matter.

    One pass over the document (the indexer asks for the lines of every chunk of the same text, so it
    is kept for the last few texts): walking from a chunk to its line's ends instead made a 800 kB log
    of wrapped-looking lines take minutes to index.
    """
    lines = text.split("\n")
    ends: list[int] = []
    pos = 0
    fenced = False
    front = front_matter_lines(lines)
    for n, line in enumerate(lines[:-1]):
        pos += len(line)
        if n >= front and FENCE.match(line):
            fenced = not fenced
        if fenced or n < front or not soft_wrap(line, lines[n + 1]):
            ends.append(pos)
        pos += 1
    return ends


def line_end(text: str, pos: int, end: int | None = None) -> int:
    """Where the (logical) line holding ``pos`` ends: the next newline that is not a soft wrap, or
    ``end``. A paragraph wrapped by an editor is one line here (see :func:`soft_wrap`)."""
    end = len(text) if end is None else end
    ends = _line_ends(text)
    i = bisect.bisect_left(ends, pos)
    return min(ends[i], end) if i < len(ends) else end


def line_start(text: str, pos: int) -> int:
    """Where the (logical) line holding ``pos`` starts: after the last newline before it that is not a
    soft wrap (see :func:`line_end`)."""
    ends = _line_ends(text)
    i = bisect.bisect_left(ends, pos)
    return ends[i - 1] + 1 if i else 0


def has_soft_wraps(text: str) -> bool:
    """Whether any newline of ``text`` wraps a paragraph's line (what chunker version 3 cut at)."""
    return text.count("\n") != len(_line_ends(text))


# A line that may end on a semicolon, closing quotes and emphasis allowed: what ``wraps_since_12`` looks for first.
_SEMICOLON_LINE = re.compile(r""";["'\u201d\u2019)\]*_`]*[ \t\r]*\n""")


def wraps_since_12(text: str) -> bool:
    """Whether a newline of ``text`` wraps a line that chunker 11 always ended (``soft_wrap``): after a
    semicolon, or on a line whose " | " is inline code's. Such a line was a sentence's end then, so the
    sentences around it are cut otherwise now."""
    if not (_SEMICOLON_LINE.search(text) or ("`" in text and " | " in text)):
        return False
    ends = set(_line_ends(text))
    pos = 0
    for line in text.split("\n")[:-1]:
        pos += len(line)
        if pos not in ends and (_ENDS_LINE.search(body := line.strip()) or " | " in body):
            return True
        pos += 1
    return False


def aside_wraps(text: str) -> bool:
    """Whether a newline of ``text`` wraps a line that chunker 12 always ended: a long line above one that
    opens with an aside in brackets and goes on after it (``_ASIDE_GOES_ON``), where 12 ended the line on a
    name ("... in Beckett Auditorium" / "(B-100), M-Z in Orr Hall 201."). None of news2022's 4,816 articles."""
    if "\n(" not in text:
        return False
    ends = set(_line_ends(text))
    pos = 0
    lines = text.split("\n")
    for n, line in enumerate(lines[:-1]):
        pos += len(line)
        if pos not in ends and _ASIDE_GOES_ON.match(lines[n + 1].strip()):
            return True
        pos += 1
    return False


def code_joins_before_14(text: str) -> bool:
    """Whether chunkers 12 and 13 joined a line of ``text`` into the next where 14 does not: one of them is a line
    of code ending on a semicolon ("int total = compute(a, b);" above "total = total + offset;"), or both
    are lines of code ("total = total + 1" above "count = count + 1": ``code_line``), so the sentences
    around them are cut otherwise now."""
    lines = text.split("\n")
    fenced = False
    front = front_matter_lines(lines)
    code = [False] * len(lines)
    for n, line in enumerate(lines):
        if n >= front and FENCE.match(line):
            fenced = not fenced
        elif not fenced and n >= front:
            code[n] = code_line(line.strip())
    for n, line in enumerate(lines[:-1]):
        if ((code[n] or code[n + 1]) and _wraps(line, lines[n + 1], code_aware=False)
                and not _wraps(line, lines[n + 1])):
            return True
    return False


def chunked_alike(version: int, current: int, text: str, title: str | None = None) -> bool:
    """Whether chunker ``version`` (``store.CHUNKER_VERSION`` of an older generation) cut ``text`` into
    the same chunks and sentences as ``current`` does, so that its vectors can be kept.

    Version 4 differs from 3 only at soft wraps (a sentence goes on across a wrapped line) and at the
    fences of code blocks (no longer quoted as "``"): a document without either was chunked alike,
    and a collection of articles with blank lines between paragraphs (the news2022 corpus: none of
    4,816) is not embedded again for it. Version 5 differs from 4 only where ``sentences.layout``
    finds block syntax (tables, underlined headings, rules, code blocks, front matter, task boxes
    and footnotes: ``sentences.marked_up``; 122 of the 4,816 news2022 articles have a rule), and
    where a note's title reads differently (``formats.plain.title_of``: the title is embedded with
    every chunk). Version 6 differs from 5 only where a line names what follows without a heading's
    syntax (a bold FAQ question, "3. Shifts" above "3.1 ...") or a front matter has a ``title:``
    record (``sentences.relabelled``): those are headings now, sections of the sentences below them.
    Version 7 differs from 6 only where a bold line names a time of day or an amount ("**Doors open at
    7pm**", ``sentences.valued_labels``): a notice to quote, no longer a paragraph's name. Version 8
    differs from 7 only where the text opens with its own ``title`` on a line that is no Markdown
    heading (``sentences.titles_itself``): that line is a heading now, and a plain note's title is
    read from it (``formats.plain.title_of``; the title is embedded with every chunk). News articles
    never do (none of news2022's 4,816: their title is in the file's header, not the body). Version 9
    differs from 8 only where a line is an HTML comment or a front matter record names a site
    generator's metadata ("tags:", "layout:", ``sentences.unshown``): those are never quoted now. Version
    10 differs from 9 only where a heading holds what 9 split into sentences ("1. Overview") or a line of
    text holds a Markdown image (``sentences.recut``): a heading is one sentence now, and no sentence
    holds an image. Version 11 differs from 10 only where a short line names the lines below it in its paragraph
    ("Sunday 19 May" above a day's programme) or a front matter record dates the note
    (``sentences.named_lines``): headings now, and the date is no quote. Version 12 differs from 11 only
    where a line holds a photo gallery's captions (``sentences.gallery_lines``, 43 of news2022's 4,816
    articles): captions now, which lose to prose; and where a sentence goes on across a line's end
    that 11 did not wrap (after a semicolon, or on a line holding inline code's " | ": ``wraps_since_12``),
    a minutes' numbered item with a number in its name is a heading between headings ("1. Release 2.4.1"
    above "2. Full-text extraction") or a first line that is a name and a date titles the note
    ("Maintainers call - 18 September 2025": ``sentences.regrouped``), or where a heading lies in
    another's section (``sentences.nested_headings``): a chunk's embedded text names that section too
    (a changelog's "[2.4.1] - 2025-10-02" above its "Fixed"). Version 13 differs from 12 only where a long
    line wraps into one that opens with an aside in brackets (``aside_wraps``: "... in Beckett Auditorium" /
    "(B-100), M-Z in Orr Hall 201."; none of news2022's 4,816 articles). Version 14 differs from 13 only
    where a numbered line tells the reader what to do ("1. Download version 2.4.1", "2. Stop the service"
    above their explanations: ``sentences.stepped``), a list item now where 11 to 13 read a heading, or
    where 13 joined a line of code ending on a semicolon into the next (``code_joins_before_14``; none of
    news2022's articles either).
    """
    if version == current:
        return True
    if current == 14 and version in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13):
        from .sentences import stepped  # sentences splits with this module's split_sentences

        return not stepped(text) and not code_joins_before_14(text) and chunked_alike(version, 13, text, title)
    if current == 13 and version in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12):
        return not aside_wraps(text) and chunked_alike(version, 12, text, title)
    if current == 12 and version in (3, 4, 5, 6, 7, 8, 9, 10, 11):
        # sentences splits with this module's split_sentences
        from .sentences import gallery_lines, nested_headings, regrouped

        return (not gallery_lines(text) and not wraps_since_12(text) and not regrouped(text, title)
                and not nested_headings(text) and chunked_alike(version, 11, text, title))
    if current == 11 and version in (3, 4, 5, 6, 7, 8, 9, 10):
        from .sentences import named_lines  # sentences splits with this module's split_sentences

        return not named_lines(text) and chunked_alike(version, 10, text, title)
    if current == 10 and version in (3, 4, 5, 6, 7, 8, 9):
        from .sentences import recut  # sentences splits with this module's split_sentences

        return not recut(text, title) and chunked_alike(version, 9, text, title)
    if current == 9 and version in (3, 4, 5, 6, 7, 8):
        from .sentences import unshown  # sentences splits with this module's split_sentences

        return not unshown(text) and chunked_alike(version, 8, text, title)
    if current == 8 and version in (3, 4, 5, 6, 7):
        from .sentences import titles_itself  # sentences splits with this module's split_sentences

        return not titles_itself(text, title) and chunked_alike(version, 7, text)
    if current == 7 and version in (3, 4, 5, 6):
        from .sentences import valued_labels  # sentences splits with this module's split_sentences

        return not valued_labels(text) and chunked_alike(version, 6, text)
    if current == 6 and version in (3, 4, 5):
        from .sentences import relabelled  # sentences splits with this module's split_sentences

        return not relabelled(text) and chunked_alike(version, 5, text)
    if version == 3 and (has_soft_wraps(text) or FENCE_LINE.search(text)):
        return False
    if version in (3, 4) and current == 5:
        from .formats.plain import title_before_5, title_of  # formats reads with sentences, which splits here
        from .sentences import marked_up

        return not marked_up(text) and title_before_5(text) == title_of(text)
    return version == 3 and current == 4


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of ``text[start:end]``, trimmed of surrounding white space.

    A newline ends a sentence (paragraphs, headings, list items) unless it only wraps a paragraph's
    line (:func:`soft_wrap`): then the sentence goes on across it, newline and all, still a verbatim
    slice. Abbreviations such as "Mr." and initials such as "J." do not end a sentence.
    """
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    while pos < end:
        stop = line_end(text, pos, end)
        at, segment = pos, text[pos:stop]
        pos = stop + 1
        if not segment.strip():
            continue
        cut = 0
        for m in _BOUNDARY.finditer(segment):
            before = _WORD_BEFORE.search(segment, max(0, m.start() - _LOOKBEHIND), m.start())
            if before:
                word = before.group(1).lower().rstrip(".")
                if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                    continue
            _add(spans, text, at + cut, at + m.end())
            cut = m.end()
        _add(spans, text, at + cut, at + len(segment))
    return spans


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


TokenCounter = Callable[[Sequence[str]], list[int]]


def embedded_text(title: str, passage: str, section: str = "") -> tuple[str, int]:
    """The text embedded and BM25-indexed for a passage, and where the passage starts in it.

    The title gives a chunk its context ("he said" in an article about Peskov), and so does the
    heading of the section the passage starts in when the passage does not hold it ("## Berlin
    meetup" above a chunk that begins mid-section with "Doors open at 10:00 ... The meetup is
    organised by Felix Brandt."): a reader of that chunk knows which section it is in, and so should
    its vector, its sentences' vectors (pooled from the same pass) and its BM25 terms. This is the one
    place that decides it: if the dense and the lexical index saw different text, they would
    silently disagree. Call it through :func:`embedded_texts`, which finds the sections: ``section`` holds
    the headings of the sections the passage lies in, one a line, outermost first ("[2.4.1] - 2025-10-02"
    above "Fixed": ``sentences.sections_above``); one that is the title is not said twice.
    """
    section = "\n".join(line for line in section.split("\n") if line != title) if section else ""
    head = f"{title}\n{section}\n" if section else f"{title}\n"
    return f"{head}{passage}", len(head)


def embedded_texts(title: str, text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, int]]:
    """:func:`embedded_text` of every chunk ``text[start:end]`` of one document, each with its section."""
    from .sentences import sections_above  # sentences splits with this module's split_sentences

    sections = sections_above(text, [s for s, _ in spans])
    return [embedded_text(title, text[s:e], section) for (s, e), section in zip(spans, sections)]


def approximate_token_counts(texts: Sequence[str]) -> list[int]:
    """A tokenizer-free estimate (about 1.3 word pieces a word), for tests and quick tools."""
    return [max(1, round(len(t.split()) * 1.3)) for t in texts]


def _split_long(text: str, span: Span, tokens: int, budget: int) -> list[Span]:
    """Cut a sentence longer than the budget at word boundaries into roughly equal pieces."""
    pieces = -(-tokens // budget)
    words = [m.span() for m in re.finditer(r"\S+", text[span.start : span.end])]
    per_piece = -(-len(words) // pieces)
    out = []
    for i in range(0, len(words), per_piece):
        group = words[i : i + per_piece]
        out.append(Span(span.start + group[0][0], span.start + group[-1][1]))
    return out


def chunk_text(
    text: str,
    *,
    max_tokens: int,
    overlap_tokens: int,
    count_tokens: TokenCounter = approximate_token_counts,
    breaks: Sequence[int] = (),
) -> list[Span]:
    """Pack sentences into chunks of at most ``max_tokens`` with up to ``overlap_tokens`` overlap.

    No chunk crosses one of the ``breaks`` (offsets where a PDF's pages start, or a section's heading:
    ``indexer.chunk_document``), so every chunk lies on one page and in one section.
    """
    sentences = split_sentences(text)
    if not sentences:
        return []
    counts = count_tokens([text[s.start : s.end] for s in sentences])
    units: list[tuple[Span, int]] = []
    for span, n in zip(sentences, counts):
        if n > max_tokens:
            for piece in _split_long(text, span, n, max_tokens):
                units.append((piece, max(1, n * (piece.end - piece.start) // (span.end - span.start))))
        else:
            units.append((span, n))
    starts = sorted(breaks)
    chunks: list[Span] = []
    for _, group in itertools.groupby(units, key=lambda u: bisect.bisect_right(starts, u[0].start)):
        chunks += _pack(list(group), max_tokens, overlap_tokens)
    return chunks


def _pack(units: list[tuple[Span, int]], max_tokens: int, overlap_tokens: int) -> list[Span]:
    """Consecutive sentences (with their token counts) packed into overlapping chunks."""
    chunks: list[Span] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][1] <= max_tokens):
            total += units[j][1]
            j += 1
        chunks.append(Span(units[i][0].start, units[j - 1][0].end))
        if j >= len(units):
            break
        # Start the next chunk with trailing sentences of this one that fit the overlap budget,
        # but always move forward by at least one sentence.
        k, carried = j, 0
        while k - 1 > i and carried + units[k - 1][1] <= overlap_tokens:
            k -= 1
            carried += units[k][1]
        i = k
    return chunks
