"""The bot with PDF, Word and web-page documents: an admin uploads a PDF through the fake Discord's
CDN, the answer cites its page, and /source opens the cited passage showing that page."""

from __future__ import annotations

import re
from typing import Any

from .bot_fixtures import assert_uploads_refused, embed_text, sources_listed
from .doc_fixtures import FERRY_HTML, HARBOUR_PDF_SHOWN, KEEPER_FACT, KEEPER_QUESTION, make_docx, make_pdf


async def test_an_uploaded_pdf_is_answered_with_its_page(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    pdf = make_pdf()
    record = await h.slash("add-document", user=fake.admin, attachments={
        "file": ("Harbour Report 2024.PDF", pdf, "application/pdf")})
    final = record["original"]["content"]
    assert final.startswith("✅") and "1 added" in final and "`Harbour_Report_2024.pdf`" in final, final
    assert any("/attachments/" in r.get("path", "") for r in fake.cdn_requests), "downloaded from the CDN"
    saved = h.dirs.docs_dir / "Harbour_Report_2024.pdf"
    assert saved.read_bytes() == pdf, "stored as uploaded, with its own extension"

    reply = await h.reply_to(await fake.push_message(KEEPER_QUESTION, mention_bot=True))
    description = reply["embeds"][0]["description"]
    assert KEEPER_FACT in description and "**[1, p. 3]**" in description
    assert sources_listed(reply)[0] == f"[1] {HARBOUR_PDF_SHOWN}, p. 3 (2024-03-15)"

    # /source: the passage suggestions show each passage's page; the one on page 3 opens with its page
    iid = await fake.push_autocomplete("source", {"document": "Harbour_Report_2024.pdf", "passage": "p3"},
                                       "passage")
    choices = await fake.wait_until(lambda: fake.interactions[iid]["autocomplete_choices"])
    assert choices and all(re.match(r"\d+ · p\. 3 · ", c["name"]) for c in choices)
    passage = next(c["value"] for c in choices if "Maeve Donnelly" in c["name"] or "Lights and buoys" in c["name"])
    shown = await h.slash("source", {"document": "Harbour_Report_2024.pdf", "passage": passage})
    embed = shown["original"]["embeds"][0]
    assert KEEPER_FACT in embed["description"]
    assert embed["fields"][0]["name"] == f"Passage {passage} of Harbour_Report_2024.pdf, p. 3"
    assert "3 page(s)" in embed["fields"][0]["value"]


async def test_word_and_web_page_uploads_are_read_as_their_format(start_bot: Any) -> None:
    h = await start_bot()
    fake = h.fake
    docx = make_docx()
    for name, data, ctype in (
        ("handbook.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("ferry.HTML", FERRY_HTML.encode(), "text/html"),
    ):
        record = await h.slash("add-document", user=fake.admin, attachments={"file": (name, data, ctype)})
        assert "1 added" in record["original"]["content"], record["original"]["content"]
    assert (h.dirs.docs_dir / "handbook.docx").read_bytes() == docx
    assert (h.dirs.docs_dir / "ferry.html").read_bytes() == FERRY_HTML.encode()
    reply = await h.reply_to(await fake.push_message("When does the first ferry to Inishmore leave on weekdays?",
                                                     mention_bot=True))
    assert "7:15" in embed_text(reply)
    assert any(line.startswith("[1] New ferry timetable for Inishmore | Example Town News (2024-05-02) "
                               "<https://example.org/news/ferry-timetable>") for line in sources_listed(reply))


async def test_unreadable_pdf_uploads_are_refused_with_the_reason(start_bot: Any) -> None:
    h = await start_bot()
    await assert_uploads_refused(h, [
        (("locked.pdf", make_pdf(user_password="secret"), "application/pdf"), "protected by a password"),
        (("half.pdf", make_pdf()[:1500], "application/pdf"), "truncated"),
        (("report.pdf", b"<html>saved the wrong file</html>", "application/pdf"), "not a PDF file"),
    ])


def test_passage_suggestions_match_numbers_pages_and_words() -> None:
    from bot.cogs.sources import passage_choices
    from embeddings.models import ChunkView, DocumentInfo, SourceView

    texts = ["# Finances Mooring fees rose.", "The keeper retired in September.", "Buoy 12 was moved."]
    view = SourceView(
        document=DocumentInfo(doc_id="r.pdf", title="R", chunks=12, chars=90, pages=3), text="",
        chunks=[ChunkView(chunk=n, start=0, end=1, text=texts[n % 3], page=n // 4 + 1) for n in range(12)],
    )
    assert [c.value for c in passage_choices(view, "p2")] == [4, 5, 6, 7]
    assert [c.value for c in passage_choices(view, "page 3")] == [8, 9, 10, 11]
    assert [c.value for c in passage_choices(view, "1")] == [1, 10, 11]
    assert [c.value for c in passage_choices(view, "KEEPER retired")] == [1, 4, 7, 10]
    assert passage_choices(view, "")[1].name == "1 · p. 1 · The keeper retired in September."
    assert len(passage_choices(view, "", limit=5)) == 5
