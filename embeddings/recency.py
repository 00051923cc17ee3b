"""Recency: a question about recent events prefers the newer of two articles that answer it equally.

A news collection holds several articles on one subject written years apart ("how much does it cost
to raise a child?" in 2017 and in 2022); a question that says "this week", "recently" or "a new
estimate" asks about the latest of them, which the text alone cannot tell apart. Only such a question
is touched, and only documents that carry a date: a collection without dates (a community's notes)
ranks exactly as before. The weight per year (``evidence.Params.recency``) is chosen by
``benchmarks.quality --cv`` like the other evidence weights.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import numpy as np

# Words that place a question's subject in the recent past or the present. "new" only in lower case:
# "New York" and "New Zealand" say nothing about time.
_RECENT = re.compile(
    r"(?i:\b(this (week|month|year|summer|fall|autumn|winter|spring|season|weekend)|recent(ly)?|latest|"
    r"newly|current(ly)?|right now|nowadays|today|tonight|yesterday|last (week|month|night|weekend)|"
    r"upcoming|soon)\b)|\bnew(est)?\b"
)

DAYS_PER_YEAR = 365.25


def asks_recent(question: str) -> bool:
    """Whether ``question`` asks about recent events ("this week", "recently", "the latest", "a new study")."""
    return bool(_RECENT.search(question))


def ages(dates: Sequence[date | None]) -> np.ndarray:
    """Each document's age in years behind the newest dated one of ``dates``; 0 for an undated one.

    Measured from the newest candidate, not from today: only differences between candidates move a
    ranking, and a collection indexed long ago is not older for every question alike."""
    dated = [d for d in dates if d is not None]
    if not dated:
        return np.zeros(len(dates))
    newest = max(dated)
    return np.array([(newest - d).days / DAYS_PER_YEAR if d is not None else 0.0 for d in dates])
