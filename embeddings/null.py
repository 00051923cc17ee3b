"""What a corpus's best evidence looks like when it holds no answer: the null the abstention reads against.

MiniLM gives a short question about a short note ("Who is the treasurer?") a cosine of about 0.3
with the sentence that answers it, and an off-topic question over 98,000 news passages finds a
sentence at 0.4-0.6 anyway. A raw cosine therefore means different things on different corpora. Asking
this corpus :data:`~embeddings.null_questions.NULL_QUESTIONS` (questions no ordinary collection
answers) shows where its chance matches lie; a question's best sentence cosine and word
:func:`~embeddings.evidence.surprise` are then read as their standing above that null (a z-score from
its median and upper spread, robust to the few null questions a large corpus does answer). Measured
once per generation (by the engine, when it first answers from it or right after indexing) and kept
with the generation, so a cold ``docbot ask`` reads it instead of asking 139 questions again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .null_questions import NULL_QUESTIONS

#: Changes when the null questions (or how they are summarised) change, so a stored profile is measured again.
VERSION = hashlib.sha256(("p90-2|" + "\n".join(NULL_QUESTIONS)).encode()).hexdigest()[:12]
#: The generation's stored-profile name (see ``store.DocumentTable.read_derived``).
STORED_AS = "null_profile"
# A spread never below these: a one-note corpus whose null questions all find nothing would otherwise
# divide by ~0 and call any match certain.
_MIN_COS_SPREAD = 0.05
_MIN_SURPRISE_SPREAD = 0.5
# The 90th percentile of a normal distribution lies 1.2816 standard deviations above its median.
_P90_SIGMAS = 1.2816


@dataclass(frozen=True)
class NullProfile:
    """Median and spread of the null questions' best sentence cosine and surprise over one corpus."""

    cos_mid: float
    cos_spread: float
    surprise_mid: float
    surprise_spread: float
    questions: int = 0
    version: str = VERSION

    @classmethod
    def of(cls, cos: Sequence[float], surprise: Sequence[float]) -> "NullProfile | None":
        """The profile of the null questions' best sentences (``cos[i]``, ``surprise[i]`` of question i).

        The spread is read from the upper tail, (90th percentile - median) / 1.2816, because the upper
        tail is where an off-topic question is mistaken for an answered one, and a standard deviation
        would be inflated by the few null questions a news archive happens to answer. None when no
        null question found a sentence (an empty corpus).
        """
        c, s = np.asarray(cos, dtype=np.float64), np.asarray(surprise, dtype=np.float64)
        if not len(c):
            return None
        c_mid, s_mid = float(np.median(c)), float(np.median(s))
        return cls(
            cos_mid=round(c_mid, 5),
            cos_spread=round(max(_MIN_COS_SPREAD, (float(np.percentile(c, 90)) - c_mid) / _P90_SIGMAS), 5),
            surprise_mid=round(s_mid, 5),
            surprise_spread=round(max(_MIN_SURPRISE_SPREAD, (float(np.percentile(s, 90)) - s_mid) / _P90_SIGMAS), 5),
            questions=len(c),
        )

    def cos_z(self, cos: np.ndarray | float) -> np.ndarray | float:
        """How many null spreads a cosine stands above this corpus's typical chance match."""
        return (cos - self.cos_mid) / self.cos_spread

    def surprise_z(self, surprise: float) -> float:
        """The same for :func:`~embeddings.evidence.surprise`."""
        return (surprise - self.surprise_mid) / self.surprise_spread

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "NullProfile | None":
        """A stored profile, or None when there is none or it was measured with other null questions."""
        if not data or data.get("version") != VERSION:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None

