"""Unit tests of ``bot.render_server``: /config and /feedback within Discord's limits, and the export files."""

from __future__ import annotations

import csv
import io
import json

from bot.config_store import ConfigChange
from bot.feedback import AnswerRecord
from bot.render_server import export_csv, export_json, render_config, render_feedback_page, setting_value
from bot.server_config import ServerConfig
from tests.test_bot_render import limit_violations


def record(i: int, *, question: str = "Where?", answer: str = "[1] “quote”", refs: list[str] | None = None,
           down: int = 1) -> AnswerRecord:
    return AnswerRecord(answer_id=i, asked_at=1_700_000_000.0 + i, question=question, answer=answer,
                        answered=bool(refs), refs=refs or [], via="mention", channel_id=3, up=0, down=down,
                        last_vote_at=1_700_000_100.0 + i)


def test_feedback_pages_fit_discord_even_when_everything_is_huge() -> None:
    huge = [record(i, question="why " * 2000, answer="word " * 5000, refs=[f"doc{j}.txt#{j}" for j in range(200)])
            for i in range(4)]
    titles = {f"doc{j}.txt": "A very long title " * 20 for j in range(200)}
    embed = render_feedback_page(huge, page=0, pages=3, total=12, titles=titles)
    assert limit_violations(embed=embed) == []
    assert len(embed.fields) == 4 and "Page 1/3 · 12 answer(s) voted down" in embed.footer.text
    small = render_feedback_page([record(1, refs=["a.txt#0", "a.txt#2", "b.md#1"])], page=0, pages=1, total=1,
                                 titles={"a.txt": "Alpha"})
    assert "**Cited:** Alpha (`a.txt#0`, `a.txt#2`); b.md (`b.md#1`)" in small.fields[0].value, "unknown: by id"


def test_config_fits_with_many_channels_and_shows_origin_and_history() -> None:
    config = ServerConfig(answer_channels=frozenset(range(10**17, 10**17 + 200)), cooldown_questions=0,
                          channel_reply_modes={5: "thread"})
    history = [ConfigChange(1, "cooldown_questions", None, 0, 99, 1_700_000_000.0)] * 50
    embed = render_config(config, overridden={"answer_channels"}, history=history, defaults=ServerConfig())
    assert limit_violations(embed=embed) == []
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Answer channels"].endswith("… · *set here*"), "shortened, the origin still shown"
    assert fields["Cooldown: questions per person"] == "0 (no cooldown) · *default*"
    assert fields["Reply mode per channel"] == "<#5>: thread · *default*"
    assert "<@99>: Cooldown: questions per person: 5 (default) → 0 (no cooldown)" in fields["Latest changes"]
    assert setting_value("sources_ephemeral", True) == "only the asker sees the reply"


def test_exports_hold_the_same_rows_and_csv_never_runs_formulas() -> None:
    rows = [record(1, question="=HYPERLINK(\"http://evil\")", refs=["a.txt#0"]),
            record(2, question="Où est la « gare » ?", answer="🤷 not covered", down=0)]
    table = list(csv.DictReader(io.StringIO(export_csv(rows).decode("utf-8-sig"))))
    items = json.loads(export_json(rows))
    assert table[0]["question"] == "'=HYPERLINK(\"http://evil\")", "shown as text by a spreadsheet"
    assert items[0]["question"] == "=HYPERLINK(\"http://evil\")", "JSON keeps the text as it was"
    assert table[1]["question"] == items[1]["question"] == "Où est la « gare » ?"
    assert (table[0]["cited"], items[0]["cited"]) == ("a.txt#0", ["a.txt#0"])
    assert (table[1]["answered"], items[1]["answered"]) == ("no", False)
    assert table[0]["asked_at"] == items[0]["asked_at"] == "2023-11-14T22:13:21+00:00"
    assert list(table[0]) == list(items[0])
