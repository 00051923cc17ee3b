"""Whether an answer quoted a question's phrase: the one judgement of every small-corpus benchmark
(``benchmarks.notes``, ``benchmarks.quality``'s community and seeds sets), so that their figures agree.

A phrase is judged as a reader sees the quotes: each quote on its own (a phrase cut between two
quotes was not quoted), without Markdown's emphasis, code ticks and table pipes (``**Day pass** | `12```
reads "Day pass 12"), its white space collapsed (a hard-wrapped note breaks a phrase across lines) and
its case ignored. A question may name other phrases that answer it as well (``alt_phrases``).
"""

from __future__ import annotations

import re


def plain(text: str) -> str:
    """Text compared as a reader sees it: without Markdown's emphasis, code ticks and table pipes, its
    white space collapsed, lower-cased."""
    return re.sub(r"\s+", " ", re.sub(r"[`*|]", " ", text)).strip().lower()


def phrase_quoted(question: dict, quotes: list[str]) -> tuple[bool, bool]:
    """Whether the question's phrase (or one of its ``alt_phrases``) is in a quote, and in the first."""
    phrases = [plain(p) for p in [question["phrase"], *question.get("alt_phrases", [])]]
    shown = [plain(q) for q in quotes]
    return (any(p in q for q in shown for p in phrases), bool(shown) and any(p in shown[0] for p in phrases))
