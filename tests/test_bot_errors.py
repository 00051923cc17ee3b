"""What the bot tells a user for each engine error: one line that says what to do."""

from __future__ import annotations

from bot.errors import user_message
from embeddings import IndexDamaged, IndexNotFound


def test_a_damaged_index_is_not_called_empty():
    text = user_message(IndexDamaged("generation gen-1: vectors.npy is truncated (1,024 of 151,233,152 bytes)"))
    assert "damaged" in text and "vectors.npy is truncated" in text and "/reindex" in text
    assert "No documents are indexed" not in text
    assert "No documents are indexed yet" in user_message(IndexNotFound("no index yet"))
