"""The units an answer may quote: sentences without markup, each with a kind.

Sentence spans come from :func:`chunking.split_sentences`; here they are trimmed so that Markdown
syntax (heading hashes, list markers, block quotes, unbalanced emphasis) never sits at a quote's
boundary, and classified so that the answer builder can prefer prose over what merely repeats a
question's words: a heading ("# Expense policy"), a photo caption ("... John Moore/Getty Images"),
a link or sign-up line ("More: Here's how...", "Read More", "Follow X on Twitter"). Offsets stay
offsets into the document, so a quote is always ``text[start:end]``.

This module is the one owner of that decision: the indexer stores these spans (and their vectors)
in the generation, and the answer builder reads them back instead of re-splitting at query time.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from .chunking import FENCE as _FENCE
from .chunking import FENCE_LINE as _FENCE_LINE
from .chunking import front_matter_lines
from .chunking import line_end as logical_line_end
from .chunking import line_start as logical_line_start
from .chunking import soft_wrap, split_sentences


class Kind(IntEnum):
    """What a sentence is; only PROSE and LIST are good quotes, HEADING never is."""

    PROSE = 0
    LIST = 1  # a list item's text, marker trimmed
    HEADING = 2  # a Markdown heading: context for embedding, never quoted
    CAPTION = 3  # a photo caption or credit line
    LINK = 4  # "Read more", "More: ...", newsletter and social-media lines


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    kind: Kind


# Leading Markdown block syntax: block quotes, list markers, numbered items, headings.
# A task list's box ("- [ ] Replace the bulb") and a footnote's label ("[^1]: Measured in 2019") are
# markers as much as the bullet is.
_LINE_PREFIX = re.compile(
    r"[ \t]*(?:>[ \t]?)*[ \t]*(?:(?P<heading>#{1,6})[ \t]+|(?P<list>(?:[-*+\u2022][ \t]+|\d{1,3}[.)][ \t]+)"
    r"(?:\[[ xX]\][ \t]+)?|\[\^[^\]\n]{1,40}\]:[ \t]*))?"
)
_EMPHASIS = ("**", "__", "~~", "*", "_", "`")  # double markers first
# A photo caption: a credit at the end of the line ("... John Moore/Getty Images", "(AP Photo/Evan
# Vucci)") or a credit label at its start. The whole line is the caption, not only its last sentence.
# A photo gallery pasted as text is one line of captions, each closed by its counter ("Photos: The
# life of Queen Elizabeth II Elizabeth was born ... Hide Caption 1 of 66 Photos: ...": ``_GALLERY``).
_GALLERY = r"Hide Caption \d+ of \d+\b"
_CAPTION = re.compile(
    r"(?:Getty Images|AP Photo[^)\n]*|/AFP|/Reuters|Reuters/[A-Z][^\n]*|/Bloomberg|Shutterstock|/EPA(?:-EFE)?"
    r"|/USA TODAY[^\n]*|/CNN|/The New York Times)\)?\s*$"
    r"|^\(?(?:Photo by |Photos?:|Photograph:|Image:|Credit:|Pictured:)|" + _GALLERY
)
# A dateline caption: "WASHINGTON, DC - OCTOBER 08: ..." (upper-case place and date, then a colon).
_DATELINE_CAPTION = re.compile(r"^[A-Z][A-Z .,'-]+ - [A-Z]+ \d{1,2}:")
_LINK_LINE = re.compile(
    r"^(Read [Mm]ore|More:|More AP|More news|MORE:|Related:|RELATED:|See also|SEE ALSO|Also read|"
    r"ALSO READ|Watch:|WATCH:|Click here|Sign up|Subscribe|Follow (?:every|us|USA|reporter|[A-Z][a-z]+ "
    r"[A-Z][a-z]+ on)|Listen:|Download the)"
)
_URL = re.compile(r"https?://\S+|www\.\S+")
# A plain-text heading: a short line in capitals standing alone between blank lines ("CONTRIBUTING TO
# ORBIT", "LICENSING"), as .txt notes and e-mails write them: no lower-case letter, no full stop.
_PLAIN_HEADING = re.compile(r"^[ \t]*([^\W\d_a-z](?:[^a-z\n.!?]{0,78}[^\W_a-z])?)[ \t]*$", re.MULTILINE)
_BLANK = re.compile(r"[ \t]*(?:\n|\Z)")
_AFTER_BLANK = re.compile(r"\n[ \t]*\n[ \t]*([^\W\d_a-z][^a-z\n]{0,80})(?=\n|\Z)")


# Lines that are Markdown syntax and nothing else: a table's delimiter row ("|---|:--:|", "--- | ---"),
# and a rule or a setext heading's underline ("-----", "=====", "***", "___").
# (Written so that no two runs of blanks can share the same blanks: a line of thousands of spaces is read
# in linear time, not quadratic.)
_DELIMITER_ROW = re.compile(r"[ \t]*(?:\|[ \t]*)?:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+(?:\|[ \t]*)?$")
_RULE = re.compile(r"[ \t]{0,3}(?:(?:=+|-{2,})[ \t]*|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")


@dataclass(frozen=True)
class Layout:
    """Where a text's Markdown block syntax is, by the start offsets of its lines (``layout``).

    A line-by-line reading cannot tell these apart: a ``# comment`` in a fenced code block is no
    heading, a line above "=====" is one, a table's header row names its columns and its other rows
    are records, and a YAML front matter is metadata.
    """

    syntax: frozenset[int]  # only syntax, never quoted: delimiter rows, rules and underlines, fences
    headings: frozenset[int]  # setext headings (the line above "=====" or "-----")
    header_rows: frozenset[int]  # a table's first row (above its delimiter row)
    table_rows: frozenset[int]  # every row of a table with a delimiter row, header included
    code: frozenset[int]  # inside a fenced code block: code as written, no section heading in it
    front: frozenset[int]  # inside a YAML front matter: "key: value" records
    # Lines that name what follows without a heading's syntax (``_label``): a bold line heading its
    # paragraph ("**Can I get a refund?**" above the answer) and a numbered section's name above its
    # numbered clauses ("3. Shifts" above "3.1 Shifts are booked..."). Sections, never quotes.
    labels: frozenset[int] = frozenset()
    front_title: int | None = None  # the front matter's ``title:`` record: the note's title, never a quote
    # Front matter records that configure a site generator ("tags: [a, b]", "layout: post", "draft: true"):
    # metadata, never quotes (``_METADATA_KEYS``). Others ("author:", "date:", "description:") may answer.
    front_meta: frozenset[int] = frozenset()
    # Lines of an HTML comment ("<!-- TODO: add the demo link -->"), and lines that are only images
    # ("![Architecture diagram](docs/arch.png)"): Markdown never shows a reader their text.
    comments: frozenset[int] = frozenset()
    # Numbered steps ("1. Download version 2.4.1", "2. Stop the service" above their explanations) that chunkers
    # 11 and 12 read as headings (``labels``) and 13 reads as list items (``_steps``): what ``stepped`` asks.
    unlabelled_steps: frozenset[int] = frozenset()


@functools.lru_cache(maxsize=8)
def layout(text: str) -> Layout:
    """The block syntax of ``text`` (see :class:`Layout`), found in one pass over its lines.

    Stricter than CommonMark where plain text writes alike: a line is underlined into a heading only
    when it stands alone (a blank line or the text's start above it), is at most 80 characters and
    does not end as a statement does ("It closes at 17." above "---" is a paragraph and a rule; "-- "
    above a signature is a rule; a question such as "Is Orbit free?" may be a heading). A table runs
    from its delimiter row to a blank line. Kept for the last few texts: the indexer reads every chunk
    of a document in turn."""
    syntax: set[int] = set()
    setext: set[int] = set()
    header_rows: set[int] = set()
    table_rows: set[int] = set()
    code: set[int] = set()
    front: set[int] = set()
    starts: list[int] = []
    pos = 0
    lines = text.split("\n")
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    front_lines = front_matter_lines(lines)
    labels: set[int] = set()
    named_numbers: dict[int, int] = {}  # the numbered labels ("2. Full-text extraction"): start, number
    numbered_lines: dict[int, str] = {}  # every numbered line after a blank one, stripped ("1. Download 2.4.1")
    numbered_names: dict[int, int] = {}  # numbered lines naming their prose but for a number in the name
    front_title = next((starts[n] for n in range(1, front_lines - 1) if _FRONT_TITLE.match(lines[n])), None)
    front_meta = _metadata_lines(lines[:front_lines], starts)
    comments: set[int] = set()
    in_comment = False
    fenced = False
    underlinable: int | None = None  # the line above, when an underline below would make it a heading
    table = False
    above_blank = True  # the line above is blank (or there is none)
    for n, (start, line) in enumerate(zip(starts, lines)):
        stripped = line.strip()
        if n < front_lines:
            (syntax if n == 0 or n == front_lines - 1 else front).add(start)
            continue
        if _FENCE.match(line):
            fenced = not fenced
            syntax.add(start)
            underlinable, table, above_blank = None, False, False
            continue
        if fenced:
            code.add(start)
            continue
        if in_comment or (stripped.startswith("<!--") and not table):
            closes = stripped.find("-->", 0 if in_comment else 4)
            in_comment = closes < 0
            if in_comment or closes + 3 == len(stripped):  # the line holds nothing but the comment
                comments.add(start)
                underlinable, above_blank = None, False
                continue
        if not stripped:
            underlinable, table, above_blank = None, False, True
            continue
        if stripped.startswith(("![", "[![")) and _IMAGE_LINE.fullmatch(stripped):
            comments.add(start)  # a picture: its markup and its address are no quote
            underlinable, above_blank = None, False
            continue
        was_blank, above_blank = above_blank, False
        if table:
            if not line.lstrip().startswith(("#", ">")):
                table_rows.add(start)
                continue
            table = False
        if "|" in line and _DELIMITER_ROW.match(line) and n and "|" in lines[n - 1] and starts[n - 1] not in syntax:
            syntax.add(start)
            header_rows.add(starts[n - 1])
            table_rows.add(starts[n - 1])
            underlinable, table = None, True
            continue
        if _RULE.match(line):
            syntax.add(start)
            if underlinable is not None and stripped[0] in "=-":
                setext.add(underlinable)  # "Opening hours" above "=====" or "-----"
                labels.discard(underlinable)  # "**Title**" above "-----": one heading
            underlinable = None
            continue
        opens = _LINE_PREFIX.match(line)
        if was_blank and not opens.group("heading"):
            below = lines[n + 1] if n + 1 < len(lines) else ""
            numbered = _NUMBERED_NAME.fullmatch(stripped)
            if numbered is not None and not _opens_clauses(numbered, below):  # "3. Install" above "3.1 ..." is a section
                numbered_lines[start] = stripped
            if _label(stripped, below):
                labels.add(start)
                if numbered is not None:
                    named_numbers[start] = int(numbered.group(1))
            elif numbered is not None and _label(stripped, below, numbers=True):
                numbered_names[start] = int(numbered.group(1))
        underlinable = start if (
            was_blank and not (opens.group("heading") or opens.group("list")) and len(stripped) <= 80
            and not line.startswith(("    ", "\t")) and not stripped.startswith((">", "|"))
            and not stripped.endswith((".", "!", ",", ";", ":"))) else None  # "Is Orbit free?" may be one
    # Before chunker 14 a numbered step was a heading as a topic is; steps are list items now (``_steps``).
    before_14 = labels | _agenda_items(numbered_names, set(named_numbers.values()))
    steps = _steps(numbered_lines) if numbered_lines else set()
    named = {number for start, number in named_numbers.items() if start not in steps}
    labels = (labels - steps) | (_agenda_items({s: n for s, n in numbered_names.items() if s not in steps}, named))
    return Layout(frozenset(syntax), frozenset(setext), frozenset(header_rows), frozenset(table_rows),
                  frozenset(code), frozenset(front), frozenset(labels), front_title, frozenset(front_meta),
                  frozenset(comments), frozenset(before_14 - labels))


# A Markdown image ("![Diagram](arch.png)"), or a linked one as badges are written ("[![CI](b.svg)](ci)").
_IMAGE = re.compile(r"\[?!\[[^\]\n]*\]\([^)\n]*\)(?:\]\([^)\n]*\))?")
# A line of Markdown images and nothing else (a diagram, a badge row).
_IMAGE_LINE = re.compile(rf"(?:{_IMAGE.pattern}[ \t]*)+")
_FRONT_TITLE = re.compile(r"title:[ \t]*[^\s>|]")  # not a folded or literal block ("title: >-")
#: Front matter keys that configure how a site generator (Jekyll, Hugo, MkDocs, Docusaurus...) files and
#: lays out a page: no reader asks about them, and "tags: [deployment, kubernetes]" was quoted as an answer.
#: A front matter record of the note's date as ``formats.plain`` reads it (since chunker 11): the source
#: shows it. Another date ("date: 20 January 2025", "updated: ...") is not shown, and stays a quote.
_DATE_RECORD = re.compile(r"[ \t]*date[ \t]*:[ \t]*['\"]?\d{4}-\d{2}-\d{2}", re.IGNORECASE)
_METADATA_KEYS = frozenset(
    "tags tag categories category keywords layout slug draft permalink aliases alias template type weight "
    "id uuid lang language toc comments sidebar sidebar_position nav_order parent has_children "
    "image cover thumbnail featured_image menu url redirect_from series hide".split())
_FRONT_KEY = re.compile(r"[ \t]*([A-Za-z_][\w-]*)[ \t]*:")


def _metadata_record(line: str) -> bool:
    """Whether a front matter ``line`` is a record of one of the :data:`_METADATA_KEYS`, or the note's date
    as the source shows it (:data:`_DATE_RECORD`)."""
    m = _FRONT_KEY.match(line)
    return m is not None and (m.group(1).lower() in _METADATA_KEYS or _DATE_RECORD.match(line) is not None)


def _metadata_lines(front: Sequence[str], starts: Sequence[int]) -> set[int]:
    """Where the front matter's metadata records start (``front``: its lines, fences included): a record
    of :data:`_METADATA_KEYS` and the lines that go on with its value, indented or a YAML list's items
    ("tags:" above "  - deployment", as Hugo and Jekyll write them), up to the next key."""
    out: set[int] = set()
    inside = False
    for n in range(1, len(front) - 1):
        line = front[n]
        if _FRONT_KEY.match(line) and not line[:1].isspace():
            inside = _metadata_record(line)
        elif not (line[:1].isspace() or line.lstrip().startswith("- ")):
            inside = False
        if inside:
            out.add(starts[n])
    return out
# A numbered section's name: "3. Shifts", "4) Safety" (a short name that does not end as a sentence does).
_NUMBERED_NAME = re.compile(r"(\d{1,3})[.)][ \t]+[^\W\d_][^\n]{0,58}")
_MAX_LABEL = 120
# A time of day or an amount of money: "7pm", "19:30", "9 a.m.", "€5", "12 EUR", "3 dollars". Not "19.30":
# "**Version 2.10**", "**Python 3.11**" and "**4.12 Termination**" are names.
_VALUE = re.compile(
    r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)(?!\w)|[$£€¥]\s?\d"
    r"|\d\s?(?:€|£|\$|eur|euros?|usd|gbp|chf|dollars?|pounds?|pence|cents?|kr)(?!\w)",
    re.IGNORECASE,
)
_MAX_LABEL_WORDS = 5
_ASKING = frozenset("how what when where which who whom whose why".split())
_STATING = frozenset("is are was were be been isn't aren't not no never do does don't doesn't did can can't cannot "
                     "will won't must should may might has have had".split())


def _label(line: str, below: str, *, numbers: bool = False) -> bool:
    """Whether ``line`` (stripped, after a blank line or at the text's start) names what follows it.

    * A line made of one bold span ("**Can I get a refund?**", "__Location__") asking or naming, not
      stating: it ends with "?" or ":", or, its paragraph going on below it, starts with a question
      word or is a name of at most five words without punctuation or a stating verb. "**Registration closes on
      1 June.**" and "**Deliveries arrive on Tuesdays and Fridays only**" are statements and stay quotes.
    * A numbered line with a short name ("3. Shifts") when the line below opens its first numbered
      clause ("3.1 ..."): in a policy or statutes that is a section's name, not a list item.
    * (Since chunker 11.) A short name on a line of its own whose paragraph goes on below it: plain,
      above a programme's records ("Sunday 19 May" above "10:00 ..."), or numbered, without a number in
      its name, above prose ("1. New mats" above the item's text in a meeting's minutes): see
      :func:`_heads_lines_below`. With ``numbers``, a numbered name may hold a number ("1. Release
      2.4.1"): what ``layout`` asks of an agenda's item whose neighbours are names (``_agenda_items``).
    """
    if len(line) > _MAX_LABEL:
        return False
    if (bold := _bold_span(line)) is not None:
        marker, inner = bold
        if marker in inner or inner != inner.strip():
            return False
        if inner.endswith(("?", ":")):
            return True
        if not inner[-1].isalnum() or not below.strip() or any(m in inner for m in (". ", "! ", "? ")):
            return False
        lowered = inner.lower().split()
        if lowered[0] in _ASKING:
            return True  # an FAQ's question without its question mark ("**How do I reset my password**")
        # Otherwise a name ("Location", "Prizes and awards", "What to bring"), not a statement that lacks
        # its full stop: no verb a statement is made with ("**Parking is free**", "**Dogs are not
        # allowed**", "**Refunds must be requested within 30 days of purchase**"), and no time of day
        # or amount of money, which a name does not give and a notice does ("**Doors open at 7pm**",
        # "**Entry €5 at the door**": since chunker 7).
        # "May" inside the line is the month ("**Saturday 18 May**"), not the verb (since chunker 7).
        return (len(lowered) <= _MAX_LABEL_WORDS and _STATING.isdisjoint(_verbs(inner.split()))
                and not _VALUE.search(inner))
    m = _NUMBERED_NAME.fullmatch(line)
    if m is not None and line[-1] in ".!?,;:":
        return False
    if _opens_clauses(m, below):
        return True
    # Above a list's items, a table's rows or a heading, a line is a list item, column names or a lead-in.
    opens = _LINE_PREFIX.match(below)
    if opens.group("list") or opens.group("heading") or below.lstrip().startswith("|"):
        return False
    if m is None:  # a plain line names only a programme's records below it ("Sunday 19 May" above "10:00 ...")
        return bool(_RECORD.match(below)) and _heads_lines_below(line, below)
    # a numbered one also the prose of an agenda's item ("1. New mats" above "The old mats are ..."), but
    # never a value ("1. Room 204", "2. Deadline 30 June"): a number in its name says it is a record
    name = line[_LINE_PREFIX.match(line).end():]
    return (numbers or not any(ch.isdigit() for ch in name)) and _heads_lines_below(name, below)


def _agenda_items(numbered: dict[int, int], named: set[int]) -> set[int]:
    """The lines of ``numbered`` (start offset: its number), numbered names of their prose but for a number
    in the name ("1. Release 2.4.1", "3. Budget 2026"), that are an agenda's items: their number's
    neighbour (2 for 1 and 3) is the number of a numbered name ``_label`` found (``named``), or of one of
    them, in turn (since chunker 12).

    Alone, a number in the name says the line is a record ("1. Room 204" above "Bring the keys."); in
    minutes whose "2. Full-text extraction" and "3. Hosting costs" head their paragraphs, "1. Release
    2.4.1" heads its own too. Read as a list item it was quoted alone for "when was 2.4.1 released" and
    its paragraph had no section."""
    named = set(named)
    found: set[int] = set()
    grown = bool(named and numbered)
    while grown:
        grown = False
        for start, number in numbered.items():
            if start not in found and (number - 1 in named or number + 1 in named):
                found.add(start)
                named.add(number)
                grown = True
    return found


#: Verbs a numbered line opens with when it tells the reader what to do ("1. Download version 2.4.1", "2. Stop
#: the service"): a step, to be quoted, never a heading. Only those seldom a minutes' topic ("1. Release 2.4.1",
#: "2. Update from the board", "3. Open issues" name topics): see :data:`_MAYBE_INSTRUCTIONS`.
_INSTRUCTIONS = frozenset(
    "activate add apply attach bring choose click clone configure connect copy create delete disable disconnect "
    "download drag edit enable enter extract fetch fill get go insert install let lock make mount navigate "
    "paste pick plug reboot reinstall remove rename replace rerun re-run reset restart restore save scroll select "
    "send stop submit turn uninstall unlock unpack unplug unzip upload verify wipe write".split())
#: Verbs that name a topic as often as they instruct ("Release 2.4.1", "Open issues", "Use of the hall", "Run
#: club", "Pull requests", "Press release"): an instruction when the next word is their object's article or
#: pronoun ("Open the settings", "Use a ladder", "Back up the database"); in a run of steps any line is a
#: step (``_steps``).
_MAYBE_INSTRUCTIONS = frozenset(
    "back book build call change charge check clean close confirm contact deploy drop empty ensure find follow "
    "keep launch leave log merge move open order place press print pull push read register release review run "
    "set share sign sort start store switch take tag tap tell test type update upgrade use visit wait wash".split())
_OBJECTS = frozenset("the a an your our my this that these those it them all each every any both some up".split())


def _instruction(name: str) -> bool:
    """Whether the numbered line's ``name`` (its marker left out) tells the reader what to do: it opens with
    a verb of :data:`_INSTRUCTIONS`, or of :data:`_MAYBE_INSTRUCTIONS` before an object ("Open the
    settings", "Use a ladder"; not "Open issues", "Release 2.4.1")."""
    words = name.lower().split()
    if not words:
        return False
    first = words[0].strip("*_`")
    if first in _INSTRUCTIONS:
        return True
    return first in _MAYBE_INSTRUCTIONS and len(words) > 1 and words[1] in _OBJECTS


def _steps(numbered: dict[int, str]) -> set[int]:
    """The lines of ``numbered`` (start offset: a numbered line after a blank one, stripped, in the text's
    order) that are steps of instructions, never headings (since chunker 14): each that is an instruction
    (``_instruction``), and every line of a run (1, 2, 3...) at least half of whose lines are.

    "1. Download version 2.4.1", "2. Stop the service" above their explanations are a how-to's steps: read
    as names of their paragraphs (chunkers 11 and 12) they were never quoted, and "what is the first
    step" could not be answered; "1. Release 2.4.1" above "2. Plugin API" in minutes stays a topic."""
    runs: list[list[tuple[int, str]]] = []
    last = None
    for start, line in numbered.items():
        number = int(_NUMBERED_NAME.fullmatch(line).group(1))
        if last is None or number != last + 1:
            runs.append([])
        runs[-1].append((start, line[_LINE_PREFIX.match(line).end():]))
        last = number
    found: set[int] = set()
    for run in runs:
        told = [start for start, name in run if _instruction(name)]
        found.update(told)
        if told and 2 * len(told) >= len(run):
            found.update(start for start, _ in run)  # "1. Backup first" among "2. Download ...", "3. Stop ..."
    return found


def _opens_clauses(numbered: re.Match[str] | None, below: str) -> bool:
    """Whether the numbered name ``numbered`` ("3. Shifts") has its first clause on the line ``below``
    ("3.1 ..."): a policy's section name (since chunker 6)."""
    return numbered is not None and below.lstrip().startswith(numbered.group(1) + ".1")


#: A line that opens with a time or a number: a programme's or a log's record ("10:00  Doors open").
_RECORD = re.compile(r"[ \t]*\d")
#: Hours as a range ("10-23", "9:00-17:30", "14 - 18"): a timetable's record, not a name.
_HOURS = re.compile(r"\b\d{1,2}(?:[:.]\d\d)?[ \t]*[-\u2013][ \t]*\d{1,2}(?:[:.]\d\d)?\b")
#: A line's first word that greets or signs off ("Best regards" above "Anja"): a letter's, not a name.
_SIGN_OFFS = frozenset("hi hello hey dear greetings thanks thank regards best cheers kind yours sincerely love".split())


def _heads_lines_below(name: str, below: str) -> bool:
    """Whether ``name``, a line after a blank one (or at the text's start) with no list marker, names the
    lines that follow it in its paragraph: "Sunday 19 May" above "10:00 Counter-Strike 2 playoffs",
    "New mats" above the minutes' "The old mats in sectors 2 and 3 are 11 years old."

    A name, as for a bold label: at most five words, opening with a capital, ending on a letter or a
    digit, without a verb a statement is made with, a time of day, an amount, a range of hours or a
    "key: value" colon ("Deadline: 30 June", "Present: Anja, Ben", "Anja: see you at 7" are records).
    That keeps a timetable's records ("Mon-Fri 10-23" above "Sat, Sun 9-22") and commands ("pipx
    install tidyclip") quotes, and a greeting or a sign-off is not a name; nor is a line an editor
    wrapped into the next ("Check the" above "schedule below."; ``chunking.soft_wrap``). ``_label``
    asks more of the lines below: a programme's records under a plain line, prose under a numbered one
    whose name holds no number ("Door code 4711" above a sentence stays a quote).
    """
    return bool(below.strip()) and not soft_wrap(name, below) and _a_name(name)


def _a_name(name: str) -> bool:
    """Whether ``name`` reads as a name (``_heads_lines_below`` says what one is), not a statement, a
    record, a greeting, a link's or a photo's line."""
    words = name.split()
    if not words or len(words) > _MAX_LABEL_WORDS:
        return False
    if not (name[0].isupper() and name[-1].isalnum()) or "|" in name or ":" in name:
        return False
    if words[0].lower().strip(",") in _SIGN_OFFS or _LINK_LINE.match(name) or _CAPTION.search(name):
        return False  # "Read More", "John Moore/Getty Images": a link's or a photo's line, not a name
    return _STATING.isdisjoint(_verbs(words)) and not _VALUE.search(name) and not _HOURS.search(name)


_MARKERS_5 = re.compile(r"^(?:[ \t]*>)*[ \t]*(?:(?:[-*+\u2022]|\d{1,3}[.)])[ \t]+\[[ xX]\]|\[\^)", re.MULTILINE)


def marked_up(text: str) -> bool:
    """Whether ``text`` holds block syntax that chunker version 5 reads and 4 did not (``layout``: a
    table's delimiter row, an underline or rule, a code block, a front matter; or a task box or a
    footnote label): its sentences may differ, so its vectors are not kept (``chunking.chunked_alike``)."""
    marks = layout(text)
    # Chunker 4 also took any line starting with ``` or ~~~ for a fence, and a first line "---" for a
    # front matter's opening, when it found a soft wrap (``chunking._line_ends``).
    return bool(marks.syntax or marks.front or marks.code or _MARKERS_5.search(text) or _FENCE_LINE.search(text)
                or text.split("\n", 1)[0].strip() == "---")


def relabelled(text: str) -> bool:
    """Whether chunker version 6 reads ``text``'s sentences otherwise than version 5 did: it has a line
    that names what follows (``Layout.labels``) or a front matter ``title:`` record, headings now, or an
    underlined heading in bold, whose section is read without its asterisks."""
    marks = layout(text)
    if marks.labels or marks.front_title is not None:
        return True
    # An underlined heading in bold: version 5 read its text with the asterisks ("**Opening hours**").
    return any(text[s : _physical_end(text, s)].strip()[:2] in ("**", "__") for s in marks.headings)


def unshown(text: str) -> bool:
    """Whether chunker version 9 reads ``text``'s sentences otherwise than version 8 did: it has a line of an
    HTML comment or of images only (``Layout.comments``; version 8 quoted "<!-- TODO: add the demo link
    -->" and "![Architecture diagram](docs/arch.png)") or a front matter record that configures a site
    generator ("tags: [...]", ``Layout.front_meta``), no longer quoted."""
    if "<!--" not in text and "![" not in text and not text.startswith("---"):
        return False
    marks = layout(text)
    return bool(marks.comments) or any(not _dates(text, start) for start in marks.front_meta)


def _dates(text: str, start: int) -> bool:
    """Whether the front matter record at ``start`` gives the note's date (:data:`_DATE_RECORD`, since chunker 11)."""
    return _DATE_RECORD.match(text, start) is not None


def named_lines(text: str) -> bool:
    """Whether chunker version 11 reads ``text``'s sentences otherwise than version 10 did: a short line
    names the lines below it in its paragraph (``_heads_lines_below``: "Sunday 19 May" above its
    programme, "1. New mats" above the minutes' prose; version 10 quoted them, run into the line below),
    or a front matter record gives the note's date ("date: 2025-01-20", quoted by version 10); or it
    holds a Markdown image, which version 10 cut out of the sentence it stood in."""
    if holds_image(text):
        return True  # version 10 cut an image inside a sentence out of it ("The board" / "meets on Fridays.")
    marks = layout(text)
    for start in marks.labels:  # a label of the older rules: a bold line, or a section above its clauses
        end = _physical_end(text, start)
        line, below = text[start:end].strip(), text[end + 1 : _physical_end(text, end + 1)]
        if _bold_span(line) is None and not _opens_clauses(_NUMBERED_NAME.fullmatch(line), below):
            return True
    return any(_dates(text, start) for start in marks.front_meta)


# A line that may be a Markdown heading (in a block quote or a code block too), and what a sentence
# boundary needs at the least (``chunking.split_sentences``): what ``recut`` looks for first.
_ATX_LINE = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*#", re.MULTILINE)
_MAY_SPLIT = re.compile(r"[.!?]\S*\s")


def regrouped(text: str, title: str | None = None) -> bool:
    """Whether chunker version 12 reads ``text``'s headings otherwise than version 11 did, beyond its
    wraps (``chunking.wraps_since_12``) and galleries (``gallery_lines``): a numbered item with a number
    in its name heads its paragraph among an agenda's items ("1. Release 2.4.1": ``_agenda_items``; 11
    read it as a list item), or the text opens with its ``title``, a name and a date in sentence case
    ("Maintainers call - 18 September 2025": ``_dated_name``; 11 quoted it, and titled the note by its
    file name)."""
    if titles_itself(text, title) and not _title_cased(_title_text(text)) and _dated_name(_title_text(text)):
        return True
    if not _NUMBERED_START.search(text):
        return False
    marks = layout(text)
    for start in marks.labels:
        end = _physical_end(text, start)
        line = text[start:end].strip()
        if (m := _NUMBERED_NAME.fullmatch(line)) is not None and any(ch.isdigit() for ch in line[m.end(1):]) and (
                not _opens_clauses(m, text[end + 1 : _physical_end(text, end + 1)])):
            return True
    return False


def stepped(text: str) -> bool:
    """Whether chunker version 13 reads ``text``'s headings otherwise than version 12 did: a numbered line
    that tells the reader what to do ("1. Download version 2.4.1", "2. Stop the service" above their
    explanations: ``_steps``) is a list item now, quoted; 11 and 12 read it as its paragraph's heading."""
    return bool(_NUMBERED_START.search(text)) and bool(layout(text).unlabelled_steps)


#: A line that may be a numbered item ("1. Release 2.4.1"): what ``regrouped`` looks for first.
_NUMBERED_START = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]", re.MULTILINE)


def gallery_lines(text: str) -> bool:
    """Whether chunker version 12 reads ``text``'s sentences otherwise than version 11 did: a line holds
    a photo gallery's captions ("... Hide Caption 26 of 29 Photos: ...", ``_GALLERY``) or opens with
    "Photos:", which 11 read as prose (an obituary's gallery line holding "Grease" was quoted over the
    article's sentences). The sentences are cut alike; only their kind differs."""
    return _GALLERY_OR_PHOTOS.search(text) is not None


_GALLERY_OR_PHOTOS = re.compile(_GALLERY + r"|^\(?Photos:", re.M)


def recut(text: str, title: str | None = None) -> bool:
    """Whether chunker version 10 reads ``text``'s sentences otherwise than version 9 did: it has a heading
    that 9 split into sentences ("1. Overview" as "1." and "Overview") or a line of text holding an image,
    which 9 quoted with its Markdown ("The board ![logo](img/logo.png) meets on Fridays.";
    ``_line_sentences``)."""
    if "![" not in text:
        # Only a heading can read otherwise: look further only when a line that may be one may hold two
        # sentences (reading every line's sentences took 6 s over the 4,816 news2022 articles).
        marks = layout(text)
        heads = {m.start() for m in _ATX_LINE.finditer(text)} | marks.headings | marks.labels | marks.header_rows
        heads |= marks.front | ({_text_start(text)} if titles_itself(text, title) else set())
        if not any(_MAY_SPLIT.search(text, at, _wrapped_end(text, at)) for at in heads):
            return False
    for line in _lines(text, 0, len(text), title):
        if line.block is Kind.HEADING or (not line.code and holds_image(text[line.body_start:line.body_end])):
            split = split_sentences(text, line.body_start, line.body_end) if line.body_end > line.body_start else []
            if _line_sentences(text, line) != [(span.start, span.end) for span in split]:
                return True
    return False


def _wrapped_end(text: str, at: int) -> int:
    """Where the line at ``at`` ends, with the lines it wraps into (``soft_wrap``): ``chunking.line_end``
    without reading the whole text's lines, for a few lines of it; it may read on further, never less."""
    end = _physical_end(text, at)
    while end < len(text) and soft_wrap(text[at:end].rsplit("\n", 1)[-1], text[end + 1 : _physical_end(text, end + 1)]):
        end = _physical_end(text, end + 1)
    return end


def _verbs(words: list[str]) -> set[str]:
    """``words`` lower-cased as :data:`_STATING` reads them, but for "May" after the first word: a month."""
    return {w.lower() for i, w in enumerate(words) if not (i and w == "May")}


def valued_labels(text: str) -> bool:
    """Whether chunker version 7 may read ``text``'s sentences otherwise than version 6 did: it has a line
    made of one bold span that names a time of day or an amount ("**Doors open at 7pm**": a name for
    version 6, a quote for 7) or the month May ("**Saturday 18 May**": a statement for 6, a name for 7)."""
    if "**" not in text and "__" not in text:
        return False
    for line in text.splitlines():
        bold = _bold_span(line.strip())
        if bold is not None and (_VALUE.search(bold[1]) or "May" in bold[1].split()[1:]):
            return True
    return False


def _stands_alone(text: str, line_start: int, line_end: int) -> bool:
    """Whether the line ``text[line_start:line_end]`` has a blank line (or the text's edge) on both sides."""
    before = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start else 0
    above = line_start == 0 or not text[before : line_start - 1].strip()
    below = line_end >= len(text) or _BLANK.match(text, line_end + 1) is not None
    return above and below


#: Words a title leaves in lower case ("Rules for the Spring Picnic"): articles, conjunctions, short prepositions.
_TITLE_SMALL_WORDS = frozenset(
    "a an the and but or nor for so yet of in on at to by up as via per vs with from into onto over off out".split())
_TITLE_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
#: What ends a sentence or a lead-in, not a title.
_NOT_TITLE_END = tuple(".!?:;,")
_TITLE_MAX_CHARS = 80
#: A short first line opening with one of these greets its reader: a message, not a title.
_GREETINGS = frozenset("hi hello hey dear greetings thanks".split())
#: One word on a line of its own that answers or thanks rather than names ("Agenda", "Minutes" do name).
_NOT_TITLES = frozenset("yes no ok okay thanks done sure hi hello hey".split())
#: A number of three digits or more that ends the line ("Door Code 4711", "Extension 2231"): a value.
_TITLE_VALUE = re.compile(r"(?<![\w.,/-])(\d{3,})[ \t]*$")
_YEAR = re.compile(r"(?:19|20)\d\d")


_FIRST_TEXT = re.compile(r"\S")


def _text_start(text: str) -> int:
    """Where ``text``'s first non-blank character is (``len(text)`` when it is all blank), found without
    copying it: ``text.lstrip()`` copies the whole text when it opens on a blank, which the indexer
    paid for every chunk of a long document (``quotable_sentences``)."""
    found = _FIRST_TEXT.search(text)
    return found.start() if found else len(text)


def title_line(text: str) -> tuple[int, int] | None:
    """Where ``text``'s first line is, when it is shaped like the title a person types above a note:
    short, no sentence's end, every word capitalised but the small ones ("Spring LAN Party 2024 -
    Schedule", "Harbour Food Bank - Volunteer Policy") or in capitals ("CONTRIBUTING TO ORBIT"), and
    set apart: a blank line below it, or one more short line (a version, a date) and then a blank
    line. None otherwise, and for a Markdown heading or a list item (Markdown names those itself).

    A plain-text note has no syntax for its title, yet any reader sees one there; read as prose it
    was quoted as an answer ("where is the LAN party?" -> "Spring LAN Party 2024 - Schedule") and the
    note was titled by its file name. A line in sentence case ("Meeting notes", "Doors open at 7pm")
    stays prose: it may be the first thing the note says, and so does a line that ends on a value (a
    number of three digits or more that is no year: "Clubhouse Door Code 4711"), a greeting ("Hi Team",
    "Dear John") or a word that answers ("Yes", "Thanks"). "Agenda", "Top 10 Hiking Trails", "Room 101
    Booking Rules" and "Windows 11 Upgrade Guide" are titles, and so is a name and its date in sentence
    case, as minutes are titled ("Maintainers call - 18 September 2025": ``_dated_name``; since chunker
    12, when it was quoted first for "when is the next maintainers call").
    """
    start = _text_start(text)
    end = _physical_end(text, start)
    line = text[start:end].rstrip()
    if not line or len(line) > _TITLE_MAX_CHARS or line.endswith(_NOT_TITLE_END):
        return None
    prefix = _LINE_PREFIX.match(line)
    if prefix.end() or line.startswith(("|", "---", "```", "~~~", "<", "[", "!", "*", "_")):
        return None
    titled = _TITLE_WORD.findall(line)
    if not titled or not titled[0][0].isupper() or not (_title_cased(line) or _dated_name(line)):
        return None
    words = line.split()
    if (len(words) == 1 and words[0].casefold() in _NOT_TITLES) or (
            len(words) <= 2 and titled[0].casefold() in _GREETINGS):
        return None  # "Yes", "Thanks"; "Hi Team", "Dear John": a message's first words
    last = _TITLE_VALUE.search(line)
    if last is not None and not _YEAR.fullmatch(last.group(1)):
        return None  # a value: "Clubhouse Door Code 4711" is the code, not a name for the note
    rest = text[end + 1 :] if end < len(text) else ""
    below = rest.split("\n", 2)
    if not rest.strip():
        return None  # the whole note: nothing under it
    if below[0].strip() and not (len(below) > 1 and not below[1].strip() and len(below[0].strip()) <= _TITLE_MAX_CHARS):
        return None  # a line of a block, not a title standing above one
    return start, start + len(line)


#: A date as a note's title gives it: "18 September 2025", "September 18, 2025", "2025-09-18", "18.09.2025".
_MONTH = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?|January|February|March|April|June|July"
          r"|August|September|October|November|December")
_FULL_DATE = (rf"\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:{_MONTH})[ \t]+\d{{4}}|(?:{_MONTH})[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}"
              r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}")
#: A name and its date, apart by a dash or a pipe: "Maintainers call - 18 September 2025", "2024-03-05 |
#: Board meeting". (Not a colon: "Date: 18 September 2025" is a record.)
_DATED_NAME = re.compile(rf"(?P<name>.+?)[ \t]+[-\u2013\u2014|][ \t]+(?:{_FULL_DATE})"
                         rf"|(?:{_FULL_DATE})[ \t]+[-\u2013\u2014|][ \t]+(?P<after>.+)")


def _dated_name(line: str) -> bool:
    """Whether ``line`` is a name and its full date ("Maintainers call - 18 September 2025", "2024-03-05 |
    Team sync"), as minutes and call notes are titled, in sentence case as often as not: a title, where
    a first line in sentence case is otherwise read as the first thing the note says ("Doors open at
    7pm"). The name is one as a minutes' topic is (``_a_name``): at most five words, no verb a statement
    is made with, no time of day or amount ("Entry is free - 5 May 2025" is a notice)."""
    m = _DATED_NAME.fullmatch(line)
    return m is not None and _a_name((m.group("name") or m.group("after")).strip())


def _title_cased(line: str) -> bool:
    """Whether every word of ``line`` is capitalised but the small ones ("Rules for the Spring Picnic")."""
    return all(w[0].isupper() or w.casefold() in _TITLE_SMALL_WORDS for w in _TITLE_WORD.findall(line))


def _title_text(text: str) -> str:
    """``text``'s first line with text, stripped."""
    start = _text_start(text)
    return text[start : _physical_end(text, start)].strip()


def item_number_start(text: str, start: int) -> int:
    """Where a quote that begins at ``start`` begins once it keeps its item's number: at the "3." of a numbered
    list item whose text begins at ``start`` ("3. Tag the commit"), else at ``start``. A sentence leaves its
    list marker out, but a step's number is what it says ("what is the third step?": quoted without it,
    step 3 could not be told from step 2)."""
    line = text.rfind("\n", 0, start) + 1
    prefix = _LINE_PREFIX.match(text, line, start)
    if prefix is None or prefix.end() != start or not (prefix.group("list") or "")[:1].isdigit():
        return start
    return prefix.start("list")


def titles_itself(text: str, title: str | None) -> bool:
    """Whether ``text`` opens with its own title (``title``, however the document's reader found it) on a
    line that is not a Markdown heading: that line is then a heading, not a quote (``quotable_sentences``)."""
    if not title:
        return False
    start = _text_start(text)
    end = _physical_end(text, start)
    if _LINE_PREFIX.match(text, start, end).group("heading") or start in layout(text).headings:
        return False
    return " ".join(text[start:end].split()).casefold() == " ".join(title.split()).casefold()


def _plain_heading(text: str, line_start: int, line_end: int) -> re.Match[str] | None:
    """The line ``text[line_start:line_end]`` matched as a plain-text heading (see ``_PLAIN_HEADING``): a
    section's name, never a quote; None when it is not one. Group 1 is the heading without its indent."""
    m = _PLAIN_HEADING.match(text, line_start, line_end)
    if m is not None and m.end() == line_end and any(ch.isupper() for ch in m.group(1)) and _stands_alone(
            text, line_start, line_end):
        return m
    return None


def _line_kind(line: str, block: Kind) -> Kind:
    if block is Kind.HEADING:
        return Kind.HEADING
    if _CAPTION.search(line) or _DATELINE_CAPTION.match(line):
        return Kind.CAPTION
    return block


def _classify(text: str, line_kind: Kind) -> Kind:
    if line_kind in (Kind.HEADING, Kind.CAPTION):
        return line_kind
    if _LINK_LINE.match(text):
        return Kind.LINK
    urls = sum(len(m.group()) for m in _URL.finditer(text))
    if urls and urls * 2 >= len(text):
        return Kind.LINK
    return line_kind


def _trim_emphasis(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop emphasis markers at the edges when they have no partner inside the span."""
    changed = True
    while changed and end > start:
        changed = False
        for marker in _EMPHASIS:
            if text.startswith(marker, start, end) and text.count(marker, start, end) % 2:
                start += len(marker)
                changed = True
            elif text.endswith(marker, start, end) and text.count(marker, start, end) % 2:
                end -= len(marker)
                changed = True
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


def quotable_sentences(text: str, start: int = 0, end: int | None = None, *, title: str | None = None) -> list[Sentence]:
    """The sentences of ``text[start:end]``, with markup trimmed from their edges and a kind each.

    Block syntax is read per line (a chunk may begin or end inside a line; the line's own start
    decides whether it is a heading or a list item), then the rest of the line is split into
    sentences (``_line_sentences``: a heading is one, and no sentence holds an image). A paragraph an
    editor wrapped is one line (``chunking.soft_wrap``), so a sentence that goes on below is quoted
    whole. A first line that is the document's ``title`` (``titles_itself``) is a heading: the source
    already shows it, and it answers nothing.
    """
    end = len(text) if end is None else end
    out: list[Sentence] = []
    for line in _lines(text, start, end, title):
        kinds: dict[tuple[int, int], Kind] = {}
        for a, b in _line_sentences(text, line):
            s, e = _trim_emphasis(text, a, b)
            if e > s:
                # A caption or credit marks the lines it is on, not a whole wrapped paragraph.
                lines = (max(text.rfind("\n", 0, s) + 1, line.body_from), _physical_end(text, e))
                if lines not in kinds:
                    kinds[lines] = _line_kind(text[lines[0] : lines[1]], line.block)
                out.append(Sentence(s, e, _classify(text[s:e], kinds[lines])))
    return out


class _Line(NamedTuple):
    """A logical line of a text as ``quotable_sentences`` reads it."""

    start: int
    block: Kind  # what the line is: a heading, a list item (a table row, a record) or prose
    body_from: int  # after the line's markers ("# ", "- ", "> ")
    body_start: int  # where its text to split begins and ends: within the chunk read, without the
    body_end: int  # closing hashes of a heading or the outer pipes of a table row
    code: bool  # inside a fenced code block: shown as written


def _lines(text: str, start: int, end: int, title: str | None) -> Iterator[_Line]:
    """The logical lines of ``text`` that ``text[start:end]`` holds text of, but for those a reader never
    sees as text (syntax, HTML comments, lines of images: ``Layout``), each with its kind and the span of
    its text."""
    marks = layout(text)
    first = _text_start(text)
    # Only a chunk that holds some of the first line reads the title (``titles_itself``).
    title_at = first if first < end and start <= logical_line_end(text, first) and titles_itself(text, title) else -1
    at = start
    while at < end:
        line_start, line_end = logical_line_start(text, at), logical_line_end(text, at)
        line, pos, at = (line_start, line_end), at, line_end + 1
        if line_start in marks.syntax or line_start in marks.comments:
            continue  # a fence, a delimiter row, a rule or an underline; an HTML comment, which no reader sees
        if line_start in marks.front:  # front matter records ("title: ..."): one line each
            hidden = line_start == marks.front_title or line_start in marks.front_meta
            m, block = None, Kind.HEADING if hidden else Kind.LIST
        else:
            # In a code block too: a "# install it" comment heads the lines below it and is never quoted,
            # though it opens no section (``headings``: no title, no chunk cut there).
            m = _LINE_PREFIX.match(text, *line)
            block = Kind.HEADING if m.group("heading") else Kind.LIST if m.group("list") else Kind.PROSE
            if line_start in marks.table_rows:
                block = Kind.HEADING if line_start in marks.header_rows else Kind.LIST
            elif line_start in marks.labels:
                block = Kind.HEADING
            elif block is Kind.PROSE and (line_start in marks.headings or line_start == title_at
                                          or _plain_heading(text, *line)):
                block = Kind.HEADING
        body_from = m.end() if m is not None else line_start  # after the line's markers
        body_start, body_end = max(body_from, pos), min(line_end, end)
        if block is Kind.HEADING:
            body_end = _before_closing_hashes(text, body_start, body_end)
        if line_start in marks.table_rows:  # a row's outer pipes are syntax; the ones between cells stay
            body_start, body_end = _inside_pipes(text, body_start, body_end)
        yield _Line(line_start, block, body_from, body_start, body_end, line_start in marks.code)


def _line_sentences(text: str, line: _Line) -> list[tuple[int, int]]:
    """The sentences of ``line``'s text (``chunking.split_sentences``), untrimmed. A heading is one,
    whatever it holds: it names its section ("1. Overview" was two, "1." and "Overview"). No sentence
    begins or ends with an image ("![logo](img/logo.png)", a badge): a reader sees a picture there, not its
    Markdown, so a line's text is split at the images between its sentences and at its edges
    (``_between_images``; not in a code block, shown as written), as a line of images only is never quoted
    (``Layout.comments``); an image inside a sentence stays in it."""
    if line.body_end <= line.body_start:
        return []
    runs = [(line.body_start, line.body_end)] if line.code else _between_images(text, line.body_start, line.body_end)
    out: list[tuple[int, int]] = []
    for a, b in runs:
        spans = split_sentences(text, a, b)
        if line.block is Kind.HEADING and spans:
            out.append((spans[0].start, spans[-1].end))
        else:
            out.extend((span.start, span.end) for span in spans)
    return out


def holds_image(text: str) -> bool:
    """Whether ``text`` holds a Markdown image (``_IMAGE``): between two sentences, one cuts them apart
    (``_line_sentences``), and no quote grows across it (``answer``)."""
    return "![" in text and _IMAGE.search(text) is not None


def _between_images(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` without the Markdown images (``_IMAGE``) that stand between its sentences or at
    its edges (a badge before a README's line, a picture after a paragraph): the runs of text around them.

    An image inside a sentence stays in it ("The board ![logo](img/logo.png) meets on Fridays."): cut out,
    it left "The board" as a quote of its own; kept, the sentence is quoted whole and verbatim, with no
    Markdown at its edges."""
    if text.find("![", start, end) < 0:
        return [(start, end)]
    runs = []
    for m in _IMAGE.finditer(text, start, end):
        before = text[start : m.start()].rstrip().rstrip(_CLOSING_MARKS)
        if before and text[m.end() : end].strip(" \t|") and not before.endswith(_SENTENCE_STOPS):
            continue  # inside a sentence
        runs.append((start, m.start()))
        start = m.end()
    runs.append((start, end))
    # A table's cell that held only the image leaves its pipe at the run's edge ("Mon | ![sun](sun.png) |").
    return [(a + len(text[a:b]) - len(text[a:b].lstrip(" \t|")), a + len(text[a:b].rstrip(" \t|"))) for a, b in runs]


#: What a sentence ends with before an image that stands between two sentences ("... church. ![map](map.png)"),
#: after any closing quote marks or brackets (``_CLOSING_MARKS``: "He said "go" ![img](a.png) and left." goes on).
_SENTENCE_STOPS = tuple(".!?:;\u2026")
_CLOSING_MARKS = "\"')]\u201d\u2019"


def _before_closing_hashes(text: str, start: int, end: int) -> int:
    """Where heading ``text[start:end]``'s text ends: before its closing hashes ("## Expense policy ##"),
    which follow a blank; ``end`` when it has none. (Read from the end, not searched for: a regular
    expression took quadratic time on a heading line holding a long run of spaces.)"""
    line = text[start:end].rstrip(" \t")
    core = line.rstrip("#")
    if len(core) < len(line) and core[-1:] in (" ", "\t"):
        return start + len(core.rstrip(" \t"))
    return end


def column_names(text: str, start: int) -> str | None:
    """The header row of the Markdown table whose body row holds ``start``, its cells as a reader sees
    them ("Ticket | Regular | Reduced*"); None outside a table's body rows, or under a header of empty cells.

    A row quoted alone ("Day pass | 12 | 8") does not say which figure is which; its table's header does,
    and it is shown with the quote as where it stands (``answer``), never quoted."""
    marks = layout(text)
    line = text.rfind("\n", 0, start) + 1
    if line not in marks.table_rows or line in marks.header_rows:
        return None
    header = max((h for h in marks.header_rows if h < line), default=None)
    if header is None:
        return None
    at = header
    while at < line:  # the rows between are the same table's: no blank line or paragraph cuts in
        if at not in marks.table_rows and at not in marks.syntax:
            return None
        at = _physical_end(text, at) + 1
    row = text[header : _physical_end(text, header)].strip()
    # One outer pipe off each side, empty cells kept: "| | Monday | Tuesday |" names no first column, and
    # dropping that cell would put "Yoga | - | 18:00" under the wrong days.
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    cells = [_LINK_TEXT.sub(r"\1", _unbolded(cell.strip())).strip("`") for cell in _CELL_SEPARATOR.split(row)]
    return " | ".join(cells).strip() if any(cells) else None


#: A pipe between two cells, not an escaped one ("a \\| b" is one cell).
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def _inside_pipes(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` (a table row) without its leading and trailing pipes and the blanks by them."""
    while start < end and text[start] in " \t|":
        start += 1
    while end > start and text[end - 1] in " \t|":
        end -= 1
    return start, end


def _physical_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


# Its text is read without its closing hashes and blanks (``_heading_text``): a lazy group before
# ``[ \t#]*$`` took quadratic time on a heading line holding a long run of spaces.
_HEADING_LINE = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(\S[^\n]*)$", re.MULTILINE)


def _heading_text(rest: str) -> str:
    """A Markdown heading's text without its closing hashes and blanks ("Expense policy ##"); a heading
    of hashes only keeps its first ("# ##" is "#")."""
    return rest.rstrip(" \t#") or rest[0]


def headings(text: str, *, plain: bool = True) -> tuple[list[int], list[str]]:
    """Start offsets and texts of the headings of ``text``: Markdown ones (``#`` and underlined, none
    inside a code block: ``layout``) and (unless ``plain`` is False) plain-text capitals standing
    alone ("LICENSING"; see ``_PLAIN_HEADING``), in order.

    A sentence's section heading is context a reader sees ("## Where do I report a bug?" above
    "Please open an issue on GitHub", "LICENSING" above "your work is released under the AGPL-3.0
    license"), so evidence scoring counts its words at a discount.
    """
    found = _found_headings(text, plain=plain)
    return [h.start for h in found], [h.name for h in found]


class _Heading(NamedTuple):
    start: int
    kind: str  # "atx" (# marks), "setext" (underlined), "label" (``Layout.labels``), "top" / "plain" (capitals)
    level: int  # the number of # marks; 1 or 2 for an underline of = or -; 0 for the others
    name: str


def _found_headings(text: str, *, plain: bool = True) -> list[_Heading]:
    """:func:`headings` with their kinds and Markdown levels (what :func:`section_paths` nests by)."""
    marks = layout(text)
    found = [_Heading(m.start(), "atx", len(m.group(0).lstrip(" \t")) - len(m.group(0).lstrip(" \t").lstrip("#")),
                      _heading_text(m.group(1)))
             for m in _HEADING_LINE.finditer(text)
             if m.start() not in marks.code and m.start() not in marks.front] if "#" in text else []
    for start in marks.headings:  # setext: "Opening hours" above "============="
        end = _physical_end(text, start)
        line = text[start:end]
        underline = text[end + 1 : _physical_end(text, end + 1)].strip()[:1] if end < len(text) else ""
        found.append(_Heading(start + len(line) - len(line.lstrip()), "setext", 1 if underline == "=" else 2,
                              _unbolded(line.strip())))
    if marks.headings:
        found.sort()
    if not plain:
        return found
    for start in marks.labels:  # "**Can I get a refund?**", "3. Shifts": sections, not titles
        line = text[start : _physical_end(text, start)]
        body = line.strip()
        name = _unbolded(body) if body[:1] in "*_" else _LINE_PREFIX.sub("", body, count=1)
        found.append(_Heading(start + len(line) - len(line.lstrip()), "label", 0, name))
    first = text.find("\n")
    first = len(text) if first < 0 else first
    top = _plain_heading(text, 0, first) if first <= 82 else None
    if top is not None:
        found.append(_Heading(top.start(1), "top", 0, top.group(1).rstrip()))
    # Only lines after a blank one are looked at: a regex over every line of a 9 kB article costs ~4x.
    for m in _AFTER_BLANK.finditer(text):
        line_start = text.rfind("\n", 0, m.start(1)) + 1
        if _plain_heading(text, line_start, m.end(1)):
            found.append(_Heading(m.start(1), "plain", 0, m.group(1).rstrip()))
    found.sort()
    return found


#: Nesting depth of a section that is not a Markdown heading: below every "######".
_INNER = 7
_LINK_TEXT = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_FOOTNOTE_REF = re.compile(r"[ \t]*\[\^[^\]\n]{1,40}\]")


def section_paths(text: str, starts: Sequence[int], title: str | None = None) -> list[tuple[str, ...]]:
    """For every offset of ``starts`` (a quote's start), the headings of the sections it lies in,
    outermost first: ``("[1.4.2] - 2023-11-30", "Fixed")`` for a changelog's line, ``("Refunds", "Can I
    get a refund?")`` for an FAQ's answer; empty above every heading. A document's title is not one:
    capitals on its first line, or a level-1 heading there that is its ``title`` (a web page's title
    may add the site's name: "Bin collections | Town Council") or, with no title given, any. A Word
    file titled "Handbook" in its properties whose one heading is "Vacation policy" has a section.

    A quote is verbatim and never holds a heading, so what a reader loses with it is where it stands:
    the version a fix shipped in, the question an FAQ line answers. A Markdown heading closes every
    section at its level or deeper. What is shown must never mislead, so the other kinds count only
    where they are sure:

    * a bold label ("**Can I get a refund?**") names only the paragraph it heads (up to a blank line
      or the next bold line): the free paragraph after an FAQ's last answer is not that answer's;
    * lines in capitals ("CODE STYLE") are sections of a plain-text outline only: two or more
      different ones, none in code or indented, the document without Markdown headings (in a
      Markdown file "IMPORTANT" is a callout, in news "USA TODAY" a credit and a repeated
      "ADVERTISEMENT" a slot); with Markdown headings they are labels of their paragraph.
    """
    found = _shown_headings(text, title)
    at = [h.start for h in found]
    out = []
    for start in starts:
        j = bisect.bisect_right(at, start) - 1
        cap = 99
        if j >= 0 and at[j] == start:  # a heading itself: inside the sections above its own level
            cap = found[j].level or _INNER
            j -= 1
        path: list[str] = []
        while j >= 0:  # walk up: each heading above that is shallower than the one below it
            h = found[j]
            depth = h.level or _INNER
            if depth < cap and (depth < _INNER or start < _paragraph_after(text, h.start)):
                path.append(h.name)
                cap = depth
            j -= 1
        out.append(tuple(reversed(path)))
    return out


def section_end(text: str, start: int, title: str | None = None) -> int | None:
    """Where the section headed by the heading on the line of ``start`` ends (None: no heading
    :func:`section_paths` shows is there): at the next Markdown heading of its level or shallower
    ("## [2.4.0]" ends "## [2.4.1]", its "### Fixed" does not), or the text's end; a label's or a
    plain line's at the end of the paragraph it heads, or at the next heading, whichever comes first.
    What lies between the heading's line and this is what the heading says of (the sentences
    ``section_paths`` puts under it)."""
    found = _shown_headings(text, title)
    at = [h.start for h in found]
    j = bisect.bisect_right(at, start) - 1  # the heading's text may start after its marks ("## ")
    if j < 0 or at[j] < text.rfind("\n", 0, start) + 1:
        return None
    depth = found[j].level or _INNER
    later = (h.start for h in found[j + 1:] if (h.level or _INNER) <= depth)
    end = next(later, len(text))
    return end if depth < _INNER else min(end, _paragraph_after(text, start))


def _shown_headings(text: str, title: str | None = None) -> list[_Heading]:
    """The headings :func:`section_paths` nests quotes under, their names as a reader sees them, and
    a level for plain-text capitals that make an outline (else dropped or a label: its docstring)."""
    found = _found_headings(text)
    marks = layout(text)
    first = _text_start(text)
    kept: list[_Heading] = []
    for h in found:
        line_start = text.rfind("\n", 0, h.start) + 1
        if line_start in marks.comments:
            continue  # inside an HTML comment, which no reader sees
        indent = text[line_start:h.start]
        if h.kind in ("plain", "top") and (line_start in marks.code or "\t" in indent or len(indent) >= 4):
            continue  # a command or a constant in a code block
        if h.kind == "atx" and (m := _HEADING_LINE.match(text, h.start)) is not None:
            # its text before closing hashes that follow a blank ("C#" keeps its "#")
            h = h._replace(name=_readable(text[m.start(1):_before_closing_hashes(text, m.start(1), m.end(1))].strip()))
        elif h.kind == "setext":
            h = h._replace(name=_readable(h.name))
        if h.start == first and h.level <= 1 and not _NUMBERED_NAME.match(h.name) and (
                h.kind == "top" or h.kind in ("atx", "setext") and (title is None or _names_title(h.name, title))):
            continue  # the document's title (a numbered section's name, "1. Overview", is no title)
        kept.append(h)
    # The first line's capitals count towards an outline ("MINUTES OF THE ANNUAL MEETING" above "APOLOGIES").
    capitals = {h.name for h in kept if h.kind == "plain"} | {h.name for h in found if h.kind == "top"}
    outline = len(capitals) >= 2 and not any(h.kind in ("atx", "setext") for h in kept)
    shown = []
    for h in kept:
        if h.kind == "plain":
            if outline:
                h = h._replace(level=1)
            elif any(k.kind in ("atx", "setext") for k in kept):
                h = h._replace(kind="label")
            else:
                continue  # one line of capitals, or one repeated: a credit or a slot, not an outline
        shown.append(h)
    return shown


_WORD_OR_NUMBER = re.compile(r"[^\W_]+")


def _names_title(name: str, title: str) -> bool:
    """Whether heading ``name`` (as shown) is the document's ``title`` or whole words of it: a web page's
    title adds the site's name ("Bin collections | Town Council"), and ``formats.plain.title_of`` keeps a
    heading's Markdown ("`orbit` Admin Guide"). "Pay" is not the title "Employee Handbook: Payroll"."""
    heading = " ".join(_WORD_OR_NUMBER.findall(name.casefold()))
    return bool(heading) and f" {heading} " in " " + " ".join(_WORD_OR_NUMBER.findall(_readable(title).casefold())) + " "


def _readable(name: str) -> str:
    """A heading's name without its Markdown: bold around it all, a link's address, code's backticks, a
    footnote's reference ("Budget[^1]" is shown "Budget")."""
    return _unbolded(_LINK_TEXT.sub(r"\1", _FOOTNOTE_REF.sub("", name).strip())).replace("`", "")


def _paragraph_after(text: str, start: int) -> int:
    """Where the paragraph a label at ``start`` heads ends: the blank line after it, or the next line
    made of one bold span (an FAQ written without blank lines), or the text's end."""
    line_end = _physical_end(text, start)
    pos = line_end + 1
    seen_body = False
    while pos < len(text):
        end = _physical_end(text, pos)
        line = text[pos:end].strip()
        if not line:
            if seen_body:
                return pos
        elif _bold_span(line) is not None and seen_body:
            return pos
        else:
            seen_body = True
        pos = end + 1
    return len(text)


def _bold_span(line: str) -> tuple[str, str] | None:
    """The marker and the text of a line made of one bold span ("**Opening hours**"), else None."""
    for marker in ("**", "__"):
        if len(line) > 2 * len(marker) and line.startswith(marker) and line.endswith(marker):
            return marker, line[len(marker):-len(marker)]
    return None


def _unbolded(line: str) -> str:
    """A heading's text without the bold markers around it all ("**Opening hours**" -> "Opening hours")."""
    bold = _bold_span(line)
    return bold[1].strip() if bold is not None else line


def sections_above(text: str, starts: Sequence[int]) -> list[str]:
    """For every offset of ``starts`` (a chunk's or a sentence's start), the heading of the section it
    lies in when that heading is above it, after the Markdown headings of the sections that one lies in
    (``nested_headings``), one a line, outermost first: "[2.4.1] - 2025-10-02\nFixed" within a
    changelog's "### Fixed", "[2.4.1] - 2025-10-02" where a chunk begins with that "### Fixed" (a
    reader of it knows which release it is in); "" above every heading, or at a heading no other holds."""
    found = _found_headings(text)
    at = [h.start for h in found]
    parents = _parent_headings(text, found)
    out = []
    for start in starts:
        j = bisect.bisect_right(at, start) - 1
        path: list[str] = []
        if j >= 0 and at[j] != start:
            path.append(found[j].name)
        j = parents[j] if j >= 0 else -1
        while j >= 0:
            path.append(found[j].name)
            j = parents[j]
        out.append("\n".join(reversed(path)))
    return out


def _parent_headings(text: str, found: list[_Heading]) -> list[int]:
    """For each heading of ``found`` (``_found_headings``, in order), the index of the Markdown heading
    whose section holds it (of a lower level; any, for a heading that is not Markdown's), -1 for none.
    A level-1 heading opening the text is its title, which holds no section of it (as ``section_paths``
    reads it); neither does one of another kind."""
    first = _text_start(text)
    open_: list[int] = []  # the Markdown headings whose sections hold what follows, outermost first
    parents = []
    for n, h in enumerate(found):
        markdown = h.kind in ("atx", "setext")
        while markdown and open_ and found[open_[-1]].level >= h.level:
            open_.pop()
        parents.append(open_[-1] if open_ else -1)
        if markdown and not (h.start == first and h.level == 1):
            open_.append(n)
    return parents


def nested_headings(text: str) -> bool:
    """Whether a heading of ``text`` lies in a Markdown heading's section (other than its title's): the
    sections :func:`sections_above` names above it, which chunker 12 did not (a chunk's embedded text)."""
    if "#" not in text and "\n-" not in text and "\n=" not in text:
        return False  # no Markdown heading, which a cheap look finds
    return any(p >= 0 for p in _parent_headings(text, _found_headings(text)))
