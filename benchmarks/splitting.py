"""Sentence splitting and quotable sentences on pathological inputs: one long line, many lines.

    python -m benchmarks.splitting [--mb 10]

Prints seconds and sentences for a one-line file of ``--mb`` megabytes and for the same text with a
newline after every sentence. Splitting used to re-scan the line before every boundary (a 400 KB
line took 105 s, a 50 MB one never finished, holding the re-index lock meanwhile); it is linear now,
so both figures grow with the size alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from embeddings.chunking import split_sentences
from embeddings.sentences import quotable_sentences

SENTENCE = "Mr. Smith met the U.S. delegation in Istanbul on June 8, said spokesman Dmitry Peskov. "


def _time(fn, text: str) -> dict:
    t = time.perf_counter()
    n = len(fn(text))
    return {"seconds": round(time.perf_counter() - t, 3), "sentences": n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=10.0)
    args = ap.parse_args(argv)
    one_line = SENTENCE * int(args.mb * 2**20 / len(SENTENCE))
    lines = one_line.replace("Peskov. ", "Peskov.\n")
    print(json.dumps({
        "megabytes": round(len(one_line) / 2**20, 2),
        "split_sentences_one_line": _time(split_sentences, one_line),
        "split_sentences_with_newlines": _time(split_sentences, lines),
        "quotable_sentences_one_line": _time(quotable_sentences, one_line),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
