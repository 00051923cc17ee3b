"""The bot's admin commands on the index's sources (issue 8): /add-document refuses a name that is taken
unless ``replace:True`` and says what it replaced; /reindex updates every source and will not remove more
than half of the index unless ``prune:True``; the uploads folder is a source like any other.

End to end over the fake Discord, like ``test_bot_e2e.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot_fixtures import (
    EPHEMERAL,
    LIGHTHOUSE,
    LIGHTHOUSE_NAME,
    LIGHTHOUSE_QUESTION,
    PESKOV_FACT,
    PESKOV_QUESTION,
    SEED_ID,
    SEED_TITLE,
    TEST_DOCS,
    current_generation,
    docs_snapshot,
    embed_text,
)

pytestmark = pytest.mark.slow

LIGHTHOUSE_TITLE = "Fastnet lighthouse keeper retires after forty years"
#: The lighthouse story with another keeper: what an admin uploads to correct it.
CORRECTED = LIGHTHOUSE.replace("Brendan O'Driscoll", "Padraig Sullivan")


async def test_a_duplicate_name_is_refused_then_replaced_with_replace_true(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake

    # The case: an upload named like a shipped seed used to replace it silently.
    generation, docs = current_generation(h), docs_snapshot(h)
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": (SEED_ID, b"Other content entirely.\n", "text/plain")})
    text = record["original"]["content"]
    assert text == (f"⛔ Refused: `{SEED_ID}` already exists: the document “{SEED_TITLE}” (`{SEED_ID}`) has that "
                    "name. Nothing was changed. To replace it, run /add-document again with `replace:True`.")
    assert record["original"]["flags"] & EPHEMERAL
    assert current_generation(h) == generation and docs_snapshot(h) == docs, "the seed text is still there"
    assert PESKOV_FACT.search(embed_text(await h.reply_to(await fake.push_message(PESKOV_QUESTION, mention_bot=True))))

    # A new name is simply added; the stored file keeps its extension.
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": (LIGHTHOUSE_NAME, LIGHTHOUSE.encode(), "text/plain")})
    assert "1 added" in record["original"]["content"] and "Replaced" not in record["original"]["content"]
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": ("Picnic Plans.md", b"# Picnic plans\n\nThe picnic moves to Lake Nokomis in June.\n", "text/markdown")})
    assert "`Picnic_Plans.md`" in record["original"]["content"]
    assert (h.dirs.docs_dir / "Picnic_Plans.md").is_file() and (h.dirs.docs_dir / LIGHTHOUSE_NAME).is_file()

    # The same name again: refused, naming the document it would replace ...
    generation = current_generation(h)
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": (LIGHTHOUSE_NAME, CORRECTED.encode(), "text/plain")})
    assert (f"`{LIGHTHOUSE_NAME}` already exists: the document “{LIGHTHOUSE_TITLE}” (`{LIGHTHOUSE_NAME}`)"
            in record["original"]["content"]) and "replace:True" in record["original"]["content"]
    assert current_generation(h) == generation and (h.dirs.docs_dir / LIGHTHOUSE_NAME).read_text() == LIGHTHOUSE

    # ... and replaced when asked, the reply saying which document was replaced.
    record = await h.slash("add-document", {"replace": True}, user=fake.admin, attachments={
        "file": (LIGHTHOUSE_NAME, CORRECTED.encode(), "text/plain")})
    final = record["original"]["content"]
    assert final.startswith("✅") and "0 added, 1 changed, 0 removed" in final, final
    assert f"Replaced: “{LIGHTHOUSE_TITLE}” (`{LIGHTHOUSE_NAME}`)" in final
    assert (h.dirs.docs_dir / LIGHTHOUSE_NAME).read_text() == CORRECTED
    reply = embed_text(await h.reply_to(await fake.push_message(LIGHTHOUSE_QUESTION, mention_bot=True)))
    assert "Padraig Sullivan" in reply and "Brendan O'Driscoll" not in reply


async def test_reindex_will_not_remove_more_than_half_unless_asked(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    generation = current_generation(h)
    gone = sorted(TEST_DOCS)  # 4 of the 5 documents: a folder emptied by mistake
    for name in gone:
        (h.dirs.docs_dir / name).unlink()
    record = await h.slash("reindex", user=fake.admin)
    assert record["original"]["content"] == (
        "✋ Refused: this re-index would remove 4 of the 5 documents (their files are gone from the index's "
        "sources). Nothing was changed. If they were deleted on purpose, run /reindex again with `prune:True`.")
    assert current_generation(h) == generation
    reply = await h.reply_to(await fake.push_message("When does the reading room close on Fridays?", mention_bot=True))
    assert "nine in the evening" in embed_text(reply), "still answering from the whole index"

    record = await h.slash("reindex", {"prune": True}, user=fake.admin)
    final = record["original"]["content"]
    assert "0 added, 0 changed, 4 removed, 1 unchanged" in final and all(f"`{n}`" in final for n in gone)
    assert not h.engine.reindexing


async def test_the_uploads_folder_is_a_source_that_reindex_keeps(start_bot: Any, bot_dirs: Any) -> None:
    uploads = bot_dirs.root / "uploads"
    h = await start_bot({"uploads_dir": uploads})
    fake = h.fake
    docs = docs_snapshot(h)
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": (LIGHTHOUSE_NAME, LIGHTHOUSE.encode(), "text/plain")})
    assert "1 added" in record["original"]["content"]
    assert (uploads / LIGHTHOUSE_NAME).read_text() == LIGHTHOUSE and docs_snapshot(h) == docs
    sources = {s.path: s.documents for s in h.engine.collection().sources}
    assert sources == {str(h.dirs.docs_dir.resolve()): 5, str(uploads.resolve()): 1}

    (h.dirs.docs_dir / "tea.md").write_text("# Tea harvest\n\nDarjeeling growers picked the first flush in March.\n")
    record = await h.slash("reindex", user=fake.admin)
    assert "1 added, 0 changed, 0 removed, 6 unchanged" in record["original"]["content"]
    reply = await h.reply_to(await fake.push_message(LIGHTHOUSE_QUESTION, mention_bot=True))
    assert "Brendan O'Driscoll" in embed_text(reply)

    record = await h.slash("remove-document", {"document": LIGHTHOUSE_NAME}, user=fake.admin)
    assert "1 removed" in record["original"]["content"] and not (uploads / LIGHTHOUSE_NAME).exists()
