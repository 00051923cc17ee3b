"""What an admin sees when adding and removing documents from Discord (found by a new admin's review,
played over the fake Discord): the operator's own files are never deleted, a failed upload can be
tried again, names in any script or of any length stay apart and can be picked, and replies name
files and commands as Discord shows them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot_fixtures import LIGHTHOUSE, LIGHTHOUSE_NAME, LIGHTHOUSE_QUESTION, current_generation, docs_snapshot, embed_text

pytestmark = pytest.mark.slow

VOLCANO_QUESTION = "Which volcano erupted near Tonga and what did the shock wave do?"


def text_of(record: dict[str, Any]) -> str:
    return embed_text(record["original"])


async def add(h: Any, name: str, data: bytes, *, user: Any = None, replace: bool | None = None) -> dict[str, Any]:
    options = None if replace is None else {"replace": replace}
    return await h.slash("add-document", options, user=user or h.fake.admin,
                         attachments={"file": (name, data, "text/plain")})


async def ask(h: Any, question: str, **kwargs: Any) -> str:
    return embed_text(await h.reply_to(await h.fake.push_message(question, mention_bot=True, **kwargs)))


async def choices(h: Any, command: str, typed: str, user: Any) -> list[str]:
    iid = await h.fake.push_autocomplete(command, {"document": typed}, "document", user=user)
    await h.fake.wait_until(lambda: h.fake.interactions[iid]["autocomplete_choices"] is not None)
    return [c["value"] for c in h.fake.interactions[iid]["autocomplete_choices"]]


async def test_removing_a_document_never_deletes_the_operators_own_file(start_bot: Any) -> None:
    """With the default DOCBOT_UPLOADS_DIR (= DOCBOT_DOCS_DIR) every file of the documents folder counted as
    uploaded, and /remove-document deleted the operator's own docs/volcano.txt. Only a file saved by
    /add-document (and unchanged since) is deleted; any other leaves the index and stays on disk, and the
    summary says so. An upload is deleted as before, so uploading it again starts afresh."""
    h = await start_bot()
    fake = h.fake
    original = (h.dirs.docs_dir / "volcano.txt").read_bytes()  # put there by the operator, never uploaded
    record = await h.slash("remove-document", {"document": "volcano.txt"}, user=fake.admin)
    summary = record["original"]["content"]
    assert "1 removed" in summary, summary
    assert "Tonga" not in await ask(h, VOLCANO_QUESTION), "it left the index, as asked"
    assert (h.dirs.docs_dir / "volcano.txt").read_bytes() == original
    assert "volcano.txt was not uploaded with /add-document, so its file stays on disk" in summary, summary
    await h.slash("reindex", user=fake.admin)  # and it does not come back
    assert "Tonga" not in await ask(h, VOLCANO_QUESTION)
    # An upload is the bot's own file: removing it deletes it.
    assert "1 added" in (await add(h, LIGHTHOUSE_NAME, LIGHTHOUSE.encode()))["original"]["content"]
    removed = await h.slash("remove-document", {"document": LIGHTHOUSE_NAME}, user=fake.admin)
    assert "1 removed" in removed["original"]["content"] and not (h.dirs.docs_dir / LIGHTHOUSE_NAME).exists()


async def test_an_upload_whose_indexing_failed_can_be_tried_again(start_bot: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk is nearly full: /add-document fails (the engine's own "no space left" check, after the
    upload was saved). The file used to stay in the documents folder, so the same /add-document, tried
    again once space was freed, was refused as a duplicate, and the next /reindex added it unannounced.
    The folder is put back as it was."""
    from embeddings import store
    from embeddings.errors import DataDirUnusable

    h = await start_bot()
    real_ensure_space = store.ensure_space
    full = {"disk": True}

    def ensure_space(data_dir: Any, need: int) -> None:
        if full["disk"]:
            raise DataDirUnusable(f"no space left in {data_dir} (need ~1 MB, 0 MB free); free some space")
        real_ensure_space(data_dir, need)

    monkeypatch.setattr(store, "ensure_space", ensure_space)
    generation, docs = current_generation(h), docs_snapshot(h)
    first = await add(h, LIGHTHOUSE_NAME, LIGHTHOUSE.encode())
    assert "no space left" in first["original"]["content"], first["original"]["content"]
    assert current_generation(h) == generation, "the index did not change"
    assert docs_snapshot(h) == docs, "the failed upload is not left in the documents folder"

    full["disk"] = False  # the admin freed some space
    retry = await add(h, LIGHTHOUSE_NAME, LIGHTHOUSE.encode())
    text = retry["original"]["content"]
    assert "1 added" in text and "Brendan O'Driscoll" in await ask(h, LIGHTHOUSE_QUESTION), text


async def test_names_in_other_scripts_stay_apart(start_bot: Any) -> None:
    """Every name written in another script used to become `document.md`, so a server's second Japanese or
    Russian upload was refused as a duplicate of an unrelated document, or with replace:True overwrote it.
    Letters of every script are kept."""
    h = await start_bot()
    first = await add(h, "灯台メモ.md", "# 灯台メモ\n\nThe Hokkaido lighthouse keeper feeds seven cats every morning.\n".encode())
    assert "1 added" in first["original"]["content"]
    second = await add(h, "Отчёт.md", "# Квартальный отчёт\n\nThe bakery sold nine hundred pies this quarter.\n".encode())
    refusal = second["original"]["content"]
    assert "1 added" in refusal, refusal
    assert {"灯台メモ.md", "Отчёт.md"} <= {p.name for p in h.dirs.docs_dir.iterdir()}


async def test_replacing_by_a_name_in_another_script_leaves_other_documents_alone(start_bot: Any) -> None:
    h = await start_bot()
    await add(h, "灯台メモ.md", "# 灯台メモ\n\nThe Hokkaido lighthouse keeper feeds seven cats every morning.\n".encode())
    record = await add(h, "Отчёт.md", "# Квартальный отчёт\n\nThe bakery sold nine hundred pies this quarter.\n".encode(),
                       replace=True)
    cats = await ask(h, "How many cats does the Hokkaido lighthouse keeper feed?")
    assert "seven cats" in cats, record["original"]["content"]


async def test_a_long_upload_name_can_be_picked_and_copied(start_bot: Any) -> None:
    """A file name over ~100 characters (meeting minutes, report titles) became a 101-104 character
    document id, which autocomplete (Discord's choices hold at most 100) never offered and /sources cut
    with "…". Upload names are kept within 100 characters."""
    h = await start_bot()
    fake = h.fake
    name = ("Minutes of the harbour committee meeting held on the third of March about the new breakwater "
            "and the ferry timetable.md")
    record = await add(h, name, b"# Harbour minutes\n\nThe committee approved a new breakwater for the ferry pier.\n")
    assert "1 added" in record["original"]["content"]
    doc_id = next(p.name for p in h.dirs.docs_dir.iterdir() if p.name.startswith("Minutes"))
    found = {cmd: await choices(h, cmd, "harbour", fake.admin) for cmd in ("source", "remove-document")}
    listing = text_of(await h.slash("sources", user=fake.admin))
    assert len(doc_id) <= 100 and found == {"source": [doc_id], "remove-document": [doc_id]}, (doc_id, found)
    assert f"`{doc_id}`" in listing, listing


async def test_long_upload_names_that_start_alike_stay_apart(start_bot: Any) -> None:
    h = await start_bot()
    stem = ("Quarterly safety inspection report of the northern pier, the southern pier, the old lighthouse "
            "and the ferry slipway")  # over 100 characters, as report titles are
    first = await add(h, stem + " - March.md", b"# March inspection\n\nIn March the inspectors found loose railings.\n")
    assert "1 added" in first["original"]["content"]
    second = await add(h, stem + " - June.md", b"# June inspection\n\nIn June the inspectors found a cracked bollard.\n")
    assert "1 added" in second["original"]["content"], second["original"]["content"]


async def test_replies_point_to_slash_sources_not_the_command_line(start_bot: Any) -> None:
    """A /source or /remove-document of a document that is not indexed said "(see `sources`)", the
    command line's command; on Discord it is /sources."""
    h = await start_bot()
    for name, options, user in (("source", {"document": "lighthouse.txt"}, h.fake.human),
                                ("remove-document", {"document": "lighthouse.txt"}, h.fake.admin)):
        text = (await h.slash(name, options, user=user))["original"]["content"]
        assert "no document 'lighthouse.txt'" in text
        assert "`sources`" not in text and "(see /sources)" in text, f"/{name}: {text!r}"


async def test_a_backtick_in_a_file_name_keeps_the_reply_readable(start_bot: Any) -> None:
    h = await start_bot()
    record = await add(h, "notes `draft`.md", b"# Draft notes\n\nThe otter sanctuary opens at dawn on Sundays.\n")
    text = record["original"]["content"]
    assert "1 added" in text
    first_line = text.splitlines()[0]
    assert "`` notes `draft`.md ``" in first_line, first_line  # two backticks fence a name holding one




def test_upload_names_keep_the_marks_that_spell_them() -> None:
    """Hindi and vowelled Arabic are spelt with combining marks: dropping them turned किताब and कोतोब into
    one name, and नमस्ते into नमस_त."""
    from embeddings.documents import safe_filename

    assert safe_filename("नमस्ते दुनिया.md") == "नमस्ते_दुनिया.md"
    assert safe_filename("किताब.md") != safe_filename("कोतोब.md")
    assert safe_filename("می\u200cخواهم.md") == "می\u200cخواهم.md"  # Persian's zero-width non-joiner
    assert safe_filename("../../etc/passwd") == "passwd" and safe_filename("x\u202eevil.md") == "x_evil.md"


def test_a_name_with_backticks_in_a_row_stays_inline_code() -> None:
    from bot.render import code

    assert code("a```b.md").count("``") == 2  # only the fence's own pairs


async def test_uploads_kept_apart_are_deleted_whatever_version_saved_them(start_bot: Any, tmp_path_factory) -> None:
    """With DOCBOT_UPLOADS_DIR apart from the documents folder, every file there is an upload, also one saved
    before uploads were recorded: the first recorded upload used to make the older ones the operator's."""
    uploads = tmp_path_factory.mktemp("uploads")
    h = await start_bot(lambda fake: {"uploads_dir": uploads})
    (uploads / "old.md").write_text("# Old notes\n\nThe old pier was rebuilt in 1998.\n")  # an earlier version's upload
    added = (await add(h, "new.md", b"# New notes\n\nThe new pier opens in May.\n"))["original"]["content"]
    assert "`new.md`, `old.md`" in added, added  # the uploads folder became a source with both
    removed = await h.slash("remove-document", {"document": "old.md"}, user=h.fake.admin)
    assert "1 removed" in removed["original"]["content"] and not (uploads / "old.md").exists()
