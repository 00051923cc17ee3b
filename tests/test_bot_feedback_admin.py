"""End to end: ``/feedback``, the answers people voted down in a server (paged) and the export of every
question asked there (CSV or JSON attachment).

Same harness as ``test_bot_e2e``: the real discord.py client against ``tests.fake_discord`` (with a second
server, whose questions must never show in the first) and a real index.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest

from tests.bot_fixtures import EPHEMERAL, PESKOV_QUESTION, SEED_ID, SEED_TITLE, custom_ids, embed_text
from tests.fake_discord import FakeDiscord

pytestmark = pytest.mark.slow

#: (question, who votes 👎, who votes 👍), asked in this order in the first server.
ASKED = [
    (PESKOV_QUESTION, ["human"], []),
    ("How long does the sourdough loaf bake?", ["human", "moderator"], ["admin"]),
    ("When does the reading room close on Fridays?", [], ["human"]),
    ("How many tonnes of corn did the Razoni carry?", ["moderator"], []),
    ("What happened to Tonga's internet cable?", ["human"], []),
    ("Which team won the 1950 football World Cup final?", ["moderator"], []),
    ("Who brokered the grain deal in Istanbul?", ["human"], []),
]
ELSEWHERE = "How is a sourdough starter fed?"


async def vote(h: Any, reply: dict[str, Any], which: str, user: dict[str, Any]) -> None:
    custom_id = next(c for c in custom_ids(reply) if c.endswith(f":{which}"))
    iid = await h.fake.click_button(reply["id"], custom_id, user=user)
    await h.fake.wait_until(lambda: h.fake.interactions[iid]["callbacks"])


async def export(h: Any, fmt: str, **options: Any) -> tuple[dict[str, Any], bytes]:
    record = await h.slash("feedback", {"export": fmt, **options}, user=h.fake.admin)
    message = h.reply(record)
    assert message["flags"] & EPHEMERAL
    (attachment,) = message["attachments"]
    return message, h.fake.attachment_data(attachment)


async def test_feedback_pages_voted_down_answers_and_exports_every_question(start_bot: Any) -> None:
    fake = await FakeDiscord().start()
    second = fake.add_guild("Second Guild", members=[fake.human], channels=["general"])
    h = await start_bot({"guild_ids": [int(fake.guild_id), int(second["id"])]}, fake=fake)
    users = {"human": fake.human, "moderator": fake.moderator, "admin": fake.admin}

    replies = {}
    for question, down, up in ASKED:
        reply = await h.reply_to(await fake.push_message(question, mention_bot=True))
        replies[question] = reply
        for who in down:
            await vote(h, reply, "down", users[who])
        for who in up:
            await vote(h, reply, "up", users[who])
    # the other server's answer, voted down there: never shown or exported here
    other = await h.reply_to(await fake.push_message(ELSEWHERE, mention_bot=True, channel_id=second["channel_ids"][0]))
    await vote(h, other, "down", fake.human)

    record = await h.slash("feedback", user=fake.admin)
    message = record["original"]
    assert record["callbacks"][0]["type"] == 4 and message["flags"] & EPHEMERAL
    voted_down = [q for q, down, _ in ASKED if down]
    latest_first = list(reversed(voted_down))
    embed = message["embeds"][0]
    assert [f["name"] for f in embed["fields"]] == latest_first[:4], "most recently voted down first, 4 a page"
    assert f"Page 1/2 · {len(voted_down)} answer(s) voted down" in embed["footer"]["text"]
    assert custom_ids(message) == ["docbot:feedback:0:prev", "docbot:feedback:1:next"]
    assert ELSEWHERE not in embed_text(message)

    click = await fake.click_button(message["id"], "docbot:feedback:1:next", user=fake.admin)
    await fake.wait_until(lambda: fake.interactions[click]["updates"])
    page2 = fake.get_message(message["id"])
    assert [f["name"] for f in page2["embeds"][0]["fields"]] == latest_first[4:]
    assert "Page 2/2" in page2["embeds"][0]["footer"]["text"]
    peskov = next(f["value"] for f in page2["embeds"][0]["fields"] if f["name"] == PESKOV_QUESTION)
    assert peskov.startswith("👎 1 · 👍 0 · asked <t:") and "via mention" in peskov
    assert f"**Cited:** {SEED_TITLE} (`{SEED_ID}#" in peskov, "cited sources by title, with their passages"
    assert "**Answer:** \\[1\\] “" in peskov  # the recorded answer shown as written (its brackets escaped)
    sourdough = next(f["value"] for f in page2["embeds"][0]["fields"] if f["name"] == ASKED[1][0])
    assert sourdough.startswith("👎 2 · 👍 1") and "Sourdough notes" in sourdough and "forty minutes" in sourdough
    back = await fake.click_button(message["id"], "docbot:feedback:0:prev", user=fake.admin)
    await fake.wait_until(lambda: fake.interactions[back]["updates"])
    assert "Page 1/2" in fake.get_message(message["id"])["embeds"][0]["footer"]["text"]
    not_covered = next(f["value"] for f in fake.get_message(message["id"])["embeds"][0]["fields"]
                       if f["name"] == ASKED[5][0])
    assert "no sources (the documents did not cover it)" in not_covered and "don't cover" in not_covered

    # The export: every question of this server (voted on or not), oldest first, as CSV and as JSON.
    sent, data = await export(h, "csv")
    assert sent["attachments"][0]["filename"].startswith(f"feedback-{fake.guild_id}-")
    assert sent["attachments"][0]["filename"].endswith(".csv")
    assert f"{len(ASKED)} question(s)" in sent["content"]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["question"] for r in rows] == [q for q, _, _ in ASKED]
    assert [(int(r["not_helpful"]), int(r["helpful"])) for r in rows] == [(len(d), len(u)) for _, d, u in ASKED]
    assert [r["answered"] for r in rows] == ["yes"] * 5 + ["no", "yes"]
    for row, (question, down, up) in zip(rows, ASKED):
        assert dt.datetime.fromisoformat(row["asked_at"]).tzinfo is not None
        assert row["via"] == "mention" and row["channel_id"] == fake.channel_id
        # what people read: Discord shows an escaped character ("the \*only\* cable" of a text file) as itself
        shown = re.sub(r"\\([\\*_~`\[\]|])", r"\1", embed_text(replies[question]))
        if row["answered"] == "yes":
            refs = row["cited"].split()
            assert refs and all(re.fullmatch(r".+#\d+", ref) for ref in refs), row["cited"]
            first_quote = row["answer"].split("“", 1)[1].split("”", 1)[0].removesuffix(" …")
            assert first_quote[:60] in shown, "the answer text is what people read"
            assert "\nSources:\n[1] " in row["answer"]
        else:
            assert row["cited"] == "" and "don't cover" in row["answer"]
        assert (row["last_vote_at"] != "") == bool(down or up)
    assert ELSEWHERE not in data.decode()

    sent, data = await export(h, "json", days=1)
    items = json.loads(data)
    assert sent["attachments"][0]["filename"].endswith(".json") and "the last 1 day(s)" in sent["content"]
    assert [(i["question"], i["not_helpful"], i["helpful"]) for i in items] == \
        [(r["question"], int(r["not_helpful"]), int(r["helpful"])) for r in rows]
    assert items[0]["cited"] and all(ref.startswith(f"{SEED_ID}#") for ref in items[0]["cited"])
    assert set(items[0]) == set(rows[0]), "the same columns in both formats"

    # /stats counts and lists this server's questions too
    stats = embed_text((await h.slash("stats", user=fake.admin))["original"])
    downs, ups = sum(len(d) for _, d, _ in ASKED), sum(len(u) for _, _, u in ASKED)
    assert f"{len(ASKED)} asked" in stats and f"👍 {ups} · 👎 {downs}" in stats and ELSEWHERE not in stats


async def test_feedback_is_for_admins_and_empty_at_first(start_bot: Any) -> None:
    h = await start_bot()
    for user in (h.fake.human, h.fake.moderator):
        for options in (None, {"export": "csv"}):
            record = await h.slash("feedback", options, user=user)
            text = record["callbacks"][0]["data"]["content"]
            assert text.startswith("🔒 /feedback is for admins") and record["callbacks"][0]["data"]["flags"] & EPHEMERAL
    record = await h.slash("feedback", user=h.fake.admin)
    assert "No answer in this server has been voted 👎 yet." in embed_text(record["original"])
    assert not record["original"]["components"], "one page: no buttons"
    _, data = await export(h, "json")
    assert json.loads(data) == []
