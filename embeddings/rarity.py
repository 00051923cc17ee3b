"""How rare an English word is (wordfreq's Zipf frequency), without wordfreq's cold start.

``wordfreq.zipf_frequency`` unpacks its whole English list (a 1.5 MB msgpack of 320,000 words) on
first use: about 0.3 s of every cold ``docbot ask``. The indexer therefore writes the list's plain
lower-case ASCII words once per data directory as a sorted, memory-mapped table with their Zipf
values, computed by ``wordfreq.zipf_frequency`` itself; :func:`zipf` answers from it by binary
search and asks wordfreq only for other words (accents, digits mixed with letters, longer than the
table's width) or when no table matches the installed wordlist. Numbers of up to four digits and
their ordinals ("19", "2022", "400", "17th": a fifth of the news2022 dev questions hold one) are in
the table too, each with the value wordfreq gives it (its estimate for digit strings, which favours
recent years): before, such a question cost a cold ``docbot ask`` wordfreq's 0.3 s. A test checks
that both give the same values.

The table depends on the wordlist, not on the documents: one process-wide table serves every index.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .arrays import load_mapped

log = logging.getLogger(__name__)

_WIDTH = 24  # bytes of the longest word kept in the table; longer words ask wordfreq
_DIGITS = 4  # numbers of up to this many digits are in the table (tables named "-n4"; older ones have none)
_table: "_Table | None" = None


class _Table:
    def __init__(self, array: np.ndarray, *, numbers: bool) -> None:
        self._words, self._centi = array["word"], array["zipf100"]
        self.numbers = numbers  # whether it holds the numbers (tables written before did not)

    def get(self, word: str) -> float:
        key = word.encode("ascii")
        at = int(np.searchsorted(self._words, key))
        if at < len(self._words) and self._words[at] == key:
            return int(self._centi[at]) / 100
        return 0.0  # not in the list: wordfreq's minimum


def _wordlist() -> Path | None:
    """wordfreq's large English list (what ``zipf_frequency(word, "en")`` reads), found without importing it."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "large_en.msgpack.gz"
    return path if path.exists() else None


def table_path(data_dir: Path, *, numbers: bool = True) -> Path | None:
    """Where the table for the installed wordlist lives (named by the list's size), None without wordfreq;
    ``numbers=False``: the name of a table written before numbers were added (still read)."""
    source = _wordlist()
    if source is None:
        return None
    suffix = f"-n{_DIGITS}" if numbers else ""
    return data_dir / "wordfreq" / f"en-{source.stat().st_size}{suffix}.npy"


def _in_table(word: str, numbers: bool = True) -> bool:
    if not word.isascii():
        return False
    if word.isdigit():
        return numbers and len(word) <= _DIGITS
    if word[:1].isdigit():  # "17th": the table holds each number's own ordinal
        digits = word.rstrip("abcdefghijklmnopqrstuvwxyz")
        return (numbers and len(digits) <= _DIGITS and digits.isdigit() and digits[0] != "0"
                and word == _ordinal(int(digits)))
    return word.isalpha() and word.islower() and len(word) <= _WIDTH


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _numbers() -> list[str]:
    """Every string of 1 to ``_DIGITS`` digits ("0", "07", "2022") and the ordinals of those numbers."""
    digits = [f"{i:0{n}d}" for n in range(1, _DIGITS + 1) for i in range(10**n)]
    return digits + [_ordinal(i) for i in range(1, 10**_DIGITS)]


def write_table(data_dir: Path) -> None:
    """Write the table for the installed wordlist into ``data_dir`` unless it is there (a few seconds)."""
    path = table_path(data_dir)
    if path is None or path.exists():
        return
    from wordfreq import get_frequency_list, zipf_frequency

    # The list is a list of buckets, one per centibel of frequency: every word of a bucket has the
    # same value, which wordfreq itself computes for the bucket's first word.
    rows: dict[str, int] = {}
    for bucket in get_frequency_list("en"):
        words = [w for w in bucket if _in_table(w, numbers=False)]  # numbers: below
        if words:
            value = round(zipf_frequency(words[0], "en") * 100)
            rows.update((w, value) for w in words)  # a repeated word: the last bucket, as wordfreq reads it
    # wordfreq keeps one entry for all numbers of a length and spreads it by its own estimate of each.
    rows.update((n, round(zipf_frequency(n, "en") * 100)) for n in _numbers())
    table = np.array(
        [(w.encode("ascii"), rows[w]) for w in sorted(rows)], dtype=[("word", f"S{_WIDTH}"), ("zipf100", "<u2")]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npy")
    try:
        np.save(tmp, table)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    for old in path.parent.glob("en-*.npy"):  # tables of wordlists no longer installed
        if old != path:
            old.unlink(missing_ok=True)
    log.info("wrote the word-frequency table %s (%d words)", path, len(table))


def use_table(data_dir: Path) -> None:
    """Answer :func:`zipf` from ``data_dir``'s table when it matches the installed wordlist."""
    global _table
    if _table is not None:
        return
    path = table_path(data_dir)
    numbers = True
    if path is not None and not path.exists():  # written by an older docbot: words only
        path, numbers = table_path(data_dir, numbers=False), False
    if path is None or not path.exists():
        return
    try:
        _table = _Table(load_mapped(path), numbers=numbers)
    except (OSError, ValueError) as exc:  # damaged: wordfreq still answers, only slower to start
        log.info("word-frequency table %s unreadable (%s); using wordfreq", path, exc)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """``wordfreq.zipf_frequency(word, "en")``: from the table when it holds the word's kind."""
    table = _table
    if table is not None and _in_table(word, table.numbers):
        return table.get(word)
    from wordfreq import zipf_frequency  # lazy: 0.3 s to import and load, only for other words

    return zipf_frequency(word, "en")
