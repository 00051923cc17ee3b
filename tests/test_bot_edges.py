"""End to end, the edges of everyday use: what the bot says when input is odd, Discord is busy, or a
command arrives where it does not belong.

Same harness as ``test_bot_e2e``: the real discord.py client against ``tests.fake_discord`` and a real
index. The fixture also fails a test when Discord would have refused any request the bot made (a message
over its limits is refused whole, and the user sees "The application did not respond").
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot_fixtures import EPHEMERAL

pytestmark = pytest.mark.slow

#: What someone gets by pasting a paragraph into a document option (Discord allows 6,000 characters).
PASTED = "x" * 3000


# --------------------------------------------------------------------------- texts within Discord's limits
async def test_a_pasted_document_name_gets_a_short_no_such_document(start_bot: Any) -> None:
    h = await start_bot()
    for options in ({"document": PASTED}, {"document": PASTED, "passage": 3}):
        record = await h.slash("source", options)
        text = record["original"]["content"]
        assert "no document" in text and len(text) <= 400, text[:200]
        assert record["original"]["flags"] & EPHEMERAL
        assert text.rstrip().endswith("in the index (see `sources`)"), "the end of the sentence survives"


async def test_removing_a_pasted_document_name_says_no_such_document(start_bot: Any) -> None:
    h = await start_bot()
    record = await h.slash("remove-document", {"document": PASTED}, user=h.fake.admin)
    text = record["original"]["content"]
    assert "no document" in text and len(text) <= 400, text[:200]
    assert "Something went wrong" not in text
    assert not h.engine.reindexing
